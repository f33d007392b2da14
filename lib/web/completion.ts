/**
 * Completion for the message input, as the terminal UI's Tab does it: a
 * `/word` at the start of the line completes to the server's commands (as
 * `/help` lists them, aliases not shown), any other word to the nicks of the
 * conversation shown. Pure: the page renders the choices as a list box and
 * applies the one picked.
 *
 * @module
 */

import type { CommandInfo } from "./chat_model.ts";

/** One choice: what replaces the word, and what the list shows beside it. */
export interface Choice {
  /** The text that replaces the word (with its trailing space or `: `). */
  insert: string;
  /** Shown in the list: the command's usage or the nick. */
  label: string;
  /** The command's help, if it is one. */
  detail?: string;
}

/** The word being completed and the choices for it. */
export interface Completion {
  /** Where the word starts in the text. */
  start: number;
  /** Where it ends (the cursor). */
  end: number;
  choices: Choice[];
}

/** Most nicks offered at once (the palette lists every command; the list scrolls). */
export const MAX_CHOICES = 8;

/**
 * The choices for the word before `cursor` in `text`, or undefined when
 * there is nothing to complete. A line that is only `/` lists every command
 * (the palette); nicks are offered for a word that starts with `@`, or for
 * any word when `force` (Tab) asks.
 *
 * @param nicks the nicks to offer (the user's own left out by the caller)
 */
export function complete(
  text: string,
  cursor: number,
  commands: readonly CommandInfo[],
  nicks: readonly string[],
  force = false,
): Completion | undefined {
  const before = text.slice(0, cursor);
  const start = before.search(/\S*$/);
  const word = before.slice(start);
  const lower = word.toLowerCase();
  if (start === 0 && word.startsWith("/") && !word.startsWith("//")) {
    // Only while the command word is typed: not once its arguments start.
    if (/\s/.test(text.slice(cursor, cursor + 1)) && text.slice(cursor).trim() !== "") return;
    const choices = commands
      .filter((c) => `/${c.name}`.startsWith(lower))
      .map((c) => ({
        insert: `/${c.name} `,
        label: c.usage.startsWith("/") ? c.usage : `/${c.name} ${c.usage}`.trim(),
        detail: c.help,
      }));
    return choices.length > 0 ? { start, end: cursor, choices } : undefined;
  }
  if (word === "" || (!force && !word.startsWith("@"))) return;
  const bare = lower.replace(/^@/, "");
  const suffix = start === 0 ? ": " : " ";
  const choices = nicks
    .filter((nick) => nick.toLowerCase().startsWith(bare))
    .map((nick) => ({ insert: nick + suffix, label: nick }));
  if (choices.length === 0) return;
  // A word that is already a whole nick is not worth a list of its own.
  if (!force && choices.length === 1 && choices[0].label.toLowerCase() === bare) return;
  return { start, end: cursor, choices: choices.slice(0, MAX_CHOICES) };
}

/** `text` with the completion's word replaced by `choice`; returns the new text and cursor. */
export function applyChoice(
  text: string,
  completion: Completion,
  choice: Choice,
): { text: string; cursor: number } {
  const after = text.slice(completion.end).replace(/^ /, "");
  const result = text.slice(0, completion.start) + choice.insert + after;
  return { text: result, cursor: completion.start + choice.insert.length };
}
