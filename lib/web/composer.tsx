/// <reference lib="dom" />
/** @jsxImportSource preact */
/**
 * The message input: Enter sends, Shift+Enter starts a new line; a line
 * starting with `/` opens the command palette, Tab completes nicks (and
 * commands), arrows pick, Escape closes. Up on an empty input brings back
 * the last line sent.
 *
 * @module
 */

import { useEffect, useRef, useState } from "preact/hooks";
import type { CommandInfo } from "./chat_model.ts";
import { applyChoice, complete, type Completion } from "./completion.ts";

/** Props of {@linkcode Composer}. */
export interface ComposerProps {
  /** What the input is for (`Message #lobby`). */
  label: string;
  commands: readonly CommandInfo[];
  /** Nicks to complete (the user's own left out). */
  nicks: readonly string[];
  /** Sends a line; resolves to false when it was refused (the text stays). */
  onSend: (line: string) => Promise<boolean>;
  /** Sends files (pasted or picked); absent: the server takes none (no button). */
  onFiles?: (files: File[]) => void;
}

/** See the module doc. */
export function Composer({ label, commands, nicks, onSend, onFiles }: ComposerProps) {
  const input = useRef<HTMLTextAreaElement>(null);
  const picker = useRef<HTMLInputElement>(null);
  const [text, setText] = useState("");
  const [completion, setCompletion] = useState<Completion | undefined>(undefined);
  const [picked, setPicked] = useState(0);
  const last = useRef("");
  // The choice the arrows reach stays in view in a list that scrolls.
  useEffect(() => {
    document.getElementById(`completion-${picked}`)?.scrollIntoView({ block: "nearest" });
  }, [picked, completion]);

  const update = (value: string, cursor: number, force = false) => {
    setText(value);
    const next = complete(value, cursor, commands, nicks, force);
    setCompletion(next);
    setPicked(0);
    return next;
  };

  const pick = (index: number) => {
    const element = input.current;
    if (!completion || !element) return;
    const result = applyChoice(text, completion, completion.choices[index]);
    setText(result.text);
    setCompletion(undefined);
    element.value = result.text;
    element.setSelectionRange(result.cursor, result.cursor);
    element.focus();
  };

  const send = async () => {
    const line = text;
    if (line.trim() === "") return;
    setText("");
    setCompletion(undefined);
    if (await onSend(line)) last.current = line;
    else setText(line);
  };

  const onKeyDown = (event: KeyboardEvent) => {
    const element = event.currentTarget as HTMLTextAreaElement;
    const open = completion !== undefined && completion.choices.length > 0;
    if (event.key === "Tab" && !event.shiftKey) {
      if (open) pick(picked);
      else {
        const found = update(text, element.selectionStart, true);
        if (!found) return; // Tab moves focus on as usual.
        if (found.choices.length === 1) {
          const result = applyChoice(text, found, found.choices[0]);
          setText(result.text);
          setCompletion(undefined);
          element.value = result.text;
          element.setSelectionRange(result.cursor, result.cursor);
        }
      }
      event.preventDefault();
    } else if (open && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      const step = event.key === "ArrowDown" ? 1 : -1;
      setPicked((picked + step + completion.choices.length) % completion.choices.length);
      event.preventDefault();
    } else if (open && event.key === "Escape") {
      setCompletion(undefined);
      event.preventDefault();
    } else if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      // Enter on a command still being typed takes the choice first.
      if (open && text.startsWith("/") && !/\s/.test(text) && completion.choices.length > 0) {
        const choice = completion.choices[picked];
        if (choice.insert.trim() !== text) return pick(picked);
      }
      void send();
    } else if (event.key === "ArrowUp" && text === "" && last.current !== "") {
      setText(last.current);
      event.preventDefault();
    }
  };

  const listId = "completion-list";
  return (
    <form
      class="composer"
      onSubmit={(event) => {
        event.preventDefault();
        void send();
      }}
    >
      {completion && completion.choices.length > 0
        ? (
          <ul
            id={listId}
            class="completion"
            role="listbox"
            aria-label="Completions"
            data-testid="completion-list"
          >
            {completion.choices.map((choice, i) => (
              <li
                key={choice.insert}
                id={`completion-${i}`}
                role="option"
                aria-selected={i === picked}
                data-testid="completion-option"
                onMouseDown={(event) => {
                  event.preventDefault();
                  pick(i);
                }}
              >
                <span class="choice">{choice.label}</span>
                {choice.detail ? <span class="detail">{choice.detail}</span> : null}
              </li>
            ))}
          </ul>
        )
        : null}
      <textarea
        ref={input}
        class="input"
        rows={1}
        value={text}
        aria-label={label}
        placeholder={label}
        data-testid="message-input"
        autoComplete="off"
        spellcheck
        aria-autocomplete="list"
        aria-controls={listId}
        {...(completion ? { "aria-activedescendant": `completion-${picked}` } : {})}
        onInput={(event) => {
          const element = event.currentTarget;
          update(element.value, element.selectionStart);
        }}
        onKeyDown={onKeyDown}
        onPaste={(event) => {
          // A pasted image (a screenshot) or file is sent; pasted text is typed as usual.
          const files = [...(event.clipboardData?.files ?? [])];
          if (files.length === 0 || !onFiles) return;
          event.preventDefault();
          onFiles(files);
        }}
      />
      {onFiles
        ? (
          <>
            <button
              type="button"
              class="attach"
              data-testid="attach-button"
              aria-label="Send a file"
              title="Send a file (or drop one here, or paste an image)"
              onClick={() => picker.current?.click()}
            >
              📎
            </button>
            <input
              ref={picker}
              type="file"
              multiple
              hidden
              data-testid="file-input"
              onChange={(event) => {
                const element = event.currentTarget;
                const files = [...(element.files ?? [])];
                element.value = "";
                if (files.length > 0) onFiles(files);
              }}
            />
          </>
        )
        : null}
      <button type="submit" class="send" data-testid="send-button" aria-label="Send">
        Send
      </button>
    </form>
  );
}
