/**
 * IRCv3 capabilities beyond registration, for {@linkcode IrcCodec}: the
 * capability list (`CAP LS 302` with values), message ids (`msgid`), and
 * incoming `draft/multiline` batches gathered into one lanchat message.
 * Pure, no I/O.
 *
 * @module
 */

import { byteLength, escapeTagValue, formatIrcLine, type IrcMessage } from "./irc_line.ts";

/** The limits of one lanchat message that `draft/multiline` announces. */
export interface MultilineLimits {
  /** Longest message in characters (the core's `maxMessageLength`); announced as max-bytes. */
  maxMessageLength: number;
  /** Most lines in one message (the core's `maxMessageLines`). */
  maxMessageLines: number;
}

/** The SASL mechanisms (`CAP LS 302` shows `sasl=` with them; irc_sasl.ts does them). */
export const SASL_MECHANISMS = "PLAIN,EXTERNAL";

/** Every capability offered, in `CAP LS` order. */
export const CAPABILITIES = [
  "away-notify",
  "batch",
  "cap-notify",
  "draft/chathistory",
  "draft/multiline",
  "echo-message",
  "message-tags",
  "multi-prefix",
  "sasl",
  "server-time",
] as const;

/** One capability name. */
export type Capability = typeof CAPABILITIES[number];

/**
 * The capabilities of a client that asked for none (most: bots, the bench):
 * one shared empty set, which a codec replaces by a set of its own on its
 * first CAP REQ, so an idle connection holds none. Adding to it throws.
 */
export const NO_CAPS: Set<Capability> = new (class NoCapabilities extends Set<Capability> {
  override add(): this {
    throw new TypeError("NO_CAPS is shared: give the codec a set of its own first");
  }
})();

/** Whether `name` is offered. */
export function isCapability(name: string): name is Capability {
  return (CAPABILITIES as readonly string[]).includes(name);
}

/**
 * `CAP REQ`: all of `asked` (`name` or `-name`) applied to `caps`, or none
 * when one is not offered; `echo-message` is decided when the member joins,
 * so it cannot change once `registered`. Whether it was applied (ACK).
 */
export function applyCapRequest(
  asked: readonly string[],
  caps: Set<Capability>,
  registered: boolean,
): boolean {
  const ok = asked.every((cap) => {
    const name = cap.replace(/^-/, "");
    return isCapability(name) && !(registered && name === "echo-message");
  });
  if (!ok) return false;
  for (const cap of asked) {
    if (cap.startsWith("-")) caps.delete(cap.slice(1) as Capability);
    else caps.add(cap as Capability);
  }
  return true;
}

/**
 * The `CAP LS` lines: with `302`, values (`draft/multiline=max-bytes=...`)
 * and, when the list is longer than a line, `*` before all but the last.
 */
export function capLsLines(
  source: string,
  me: string,
  v302: boolean,
  limits: MultilineLimits,
): string {
  const names = CAPABILITIES.map((cap) =>
    !v302
      ? cap
      : cap === "draft/multiline"
      ? `${cap}=max-bytes=${limits.maxMessageLength},max-lines=${limits.maxMessageLines}`
      : cap === "sasl"
      ? `${cap}=${SASL_MECHANISMS}`
      : cap
  );
  const budget = 510 - byteLength(`:${source} CAP ${me} LS * :`);
  const lines: string[] = [];
  let line = "";
  for (const name of names) {
    if (line !== "" && byteLength(line) + 1 + byteLength(name) > budget) {
      lines.push(line);
      line = "";
    }
    line = line === "" ? name : `${line} ${name}`;
  }
  lines.push(line);
  return lines.map((caps, i) =>
    formatIrcLine(
      source,
      "CAP",
      v302 && i < lines.length - 1 ? [me, "LS", "*", caps] : [me, "LS", caps],
      { trailing: true },
    )
  ).join("");
}

/**
 * A message's `msgid`: the room event id (which orders the room) and a short
 * hash of the folded room, so ids differ between rooms.
 */
export function msgid(foldedRoom: string, id: number): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < foldedRoom.length; i++) {
    hash = Math.imul(hash ^ foldedRoom.charCodeAt(i), 0x01000193) >>> 0;
  }
  return `${id}-${hash.toString(36)}`;
}

/** The tags of a message line: `time` and `msgid` as negotiated, joined. */
export function joinTags(...tags: (string | undefined)[]): string | undefined {
  const set = tags.filter((tag) => tag !== undefined && tag !== "");
  return set.length ? set.join(";") : undefined;
}

/** `msgid=<id>`, escaped. */
export function msgidTag(foldedRoom: string, id: number): string {
  return `msgid=${escapeTagValue(msgid(foldedRoom, id))}`;
}

/** What ending an incoming batch gave: one message, an error line's parts, or nothing. */
export type MultilineResult =
  | { kind: "message"; command: "PRIVMSG" | "NOTICE"; target: string; text: string }
  | { kind: "fail"; code: string; context: string[]; description: string }
  | { kind: "none" };

/**
 * An incoming `draft/multiline` batch (`BATCH +ref draft/multiline target`,
 * lines tagged `batch=ref`, `BATCH -ref`): its lines, checked against the
 * limits as they come, so a client flooding one is stopped early.
 */
export class MultilineBatch {
  readonly ref: string;
  readonly target: string;
  #command: "PRIVMSG" | "NOTICE" | undefined;
  readonly #lines: string[] = [];
  #bytes = 0;
  #fail: MultilineResult | undefined;

  constructor(ref: string, target: string, readonly limits: MultilineLimits) {
    this.ref = ref;
    this.target = target;
  }

  /** One line of the batch (a PRIVMSG or NOTICE tagged with its reference). */
  add(message: IrcMessage): void {
    if (this.#fail) return;
    const [target, text = ""] = message.params;
    const command = message.command as "PRIVMSG" | "NOTICE";
    if (command !== "PRIVMSG" && command !== "NOTICE" || (this.#command ?? command) !== command) {
      this.#fail = this.#failure("MULTILINE_INVALID", [], "Only PRIVMSG or only NOTICE lines");
      return;
    }
    this.#command = command;
    if (target === undefined || target !== this.target) {
      this.#fail = this.#failure("MULTILINE_INVALID_TARGET", [this.target, target ?? "*"], "");
      return;
    }
    const concat = message.tags.has("draft/multiline-concat");
    if (concat && text === "") {
      this.#fail = this.#failure("MULTILINE_INVALID", [], "A blank line cannot be concatenated");
      return;
    }
    if (concat && this.#lines.length > 0) this.#lines[this.#lines.length - 1] += text;
    else this.#lines.push(text);
    this.#bytes += byteLength(text) + (concat ? 0 : 1);
    const { maxMessageLength, maxMessageLines } = this.limits;
    if (this.#bytes - 1 > maxMessageLength) {
      this.#fail = this.#failure(
        "MULTILINE_MAX_BYTES",
        [String(maxMessageLength)],
        "Multiline batch max-bytes exceeded",
      );
    } else if (this.#lines.length > maxMessageLines) {
      this.#fail = this.#failure(
        "MULTILINE_MAX_LINES",
        [String(maxMessageLines)],
        "Multiline batch max-lines exceeded",
      );
    }
  }

  /** A line of another batch came while this one was open. */
  spoil(): void {
    this.#fail ??= this.#failure(
      "MULTILINE_INVALID",
      [],
      "A line of another batch inside this one",
    );
  }

  /** `BATCH -ref`: the message, or why there is none. */
  end(): MultilineResult {
    if (this.#fail) return this.#fail;
    if (this.#command === undefined || this.#lines.every((line) => line === "")) {
      return this.#failure("MULTILINE_INVALID", [], "Empty multiline batch");
    }
    // Blank lines at either end carry nothing (the spec lets a server drop them).
    const lines = [...this.#lines];
    while (lines[0] === "") lines.shift();
    while (lines.at(-1) === "") lines.pop();
    return { kind: "message", command: this.#command, target: this.target, text: lines.join("\n") };
  }

  #failure(code: string, context: string[], description: string): MultilineResult {
    return {
      kind: "fail",
      code,
      context,
      description: description || `Invalid multiline target ${context.join(" ")}`,
    };
  }
}

/**
 * A client's `BATCH` commands: at most one `draft/multiline` batch open at a
 * time; lines tagged with its reference are taken into it.
 */
export class MultilineIntake {
  #open: MultilineBatch | undefined;
  /** A batch refused at its opening: its lines are dropped until its end, not sent one by one. */
  #refused: string | undefined;

  constructor(readonly limits: MultilineLimits) {}

  /**
   * Takes `message` into the open batch when it carries its reference; a line
   * tagged with another reference while one is open spoils the batch
   * (MULTILINE_INVALID when it ends), never becomes a message of its own.
   */
  take(message: IrcMessage): boolean {
    const ref = message.tags.get("batch");
    if (ref === undefined || message.command === "BATCH") return false;
    if (ref === this.#refused) return true;
    if (!this.#open) return false;
    // A line of another batch inside the open one spoils it (MULTILINE_INVALID at its end).
    if (ref === this.#open.ref) this.#open.add(message);
    else this.#open.spoil();
    return true;
  }

  /** `BATCH +ref draft/multiline target` or `BATCH -ref`; `negotiated`: the client has the cap. */
  command(params: string[], negotiated: boolean): MultilineResult | "missing" {
    const [ref = "", type, target] = params;
    if (ref.startsWith("+")) {
      if (target === undefined || ref.length === 1) return "missing";
      if (type !== "draft/multiline" || !negotiated) {
        this.#refused = ref.slice(1);
        return fail("UNKNOWN_TYPE", [type ?? "*"], "Only draft/multiline batches, once negotiated");
      }
      if (this.#open) {
        // No nesting: the open batch stays open, the new one is refused with its lines.
        this.#refused = ref.slice(1);
        return fail("MULTILINE_INVALID", [], `Batch ${this.#open.ref} is still open`);
      }
      this.#open = new MultilineBatch(ref.slice(1), target, this.limits);
      return { kind: "none" };
    }
    if (ref.length > 1 && ref.slice(1) === this.#refused) {
      this.#refused = undefined;
      return { kind: "none" };
    }
    const open = this.#open;
    if (!ref.startsWith("-") || open?.ref !== ref.slice(1)) {
      return fail("INVALID_REFTAG", [ref || "*"], "No such batch is open");
    }
    this.#open = undefined;
    return open.end();
  }
}

function fail(code: string, context: string[], description: string): MultilineResult {
  return { kind: "fail", code, context, description };
}
