/**
 * The IRC codec's own answers, kept in order with the core's. A line the
 * codec answers itself (421, 461, a NOTICE, a query's numerics) travels as a
 * non-fatal {@linkcode ProtocolError} whose message is a key; the session
 * delivers it as an `error` event in its turn among the core's answers to the
 * requests around it, and the codec's `encode` writes the line in its place
 * ({@linkcode IrcLocalLines.take}). Markers (no line) use the same path to set
 * state when their turn comes: the target a numeric names, the end of a
 * `/who`'s turn.
 *
 * @module
 */

import { ProtocolError } from "./protocol_error.ts";

/** No marker needed: shared, never changed. */
const NO_MARKERS = Object.freeze([]) as unknown as ProtocolError[];

/** A line waiting for its turn: made already, or made when its turn comes. */
interface Pending {
  key: string;
  line: string | (() => string);
}

/** One connection's queue of the codec's own lines; see the module doc. */
export class IrcLocalLines {
  /** None most of the time (an idle connection): made by a line, dropped once all were taken. */
  #pending: Pending[] | undefined;
  #lazy = 0;
  /** What the last marker named (none yet: `#aimedCommand` undefined). */
  #aimedTarget: string | undefined;
  #aimedCommand: string | undefined;
  #target: string | undefined;
  #command: string | undefined;

  /**
   * The target of the request being answered (for the numeric of its
   * error): set when its turn comes (see {@linkcode IrcLocalLines.aim}), not
   * when it was read, since one write may carry many requests
   * (`PRIVMSG #a,#b`, pipelined lines).
   */
  get target(): string | undefined {
    return this.#target;
  }

  /** The IRC command of the request being answered, when its marker named one. */
  get command(): string | undefined {
    return this.#command;
  }

  /**
   * A finished line. `unknown` makes its code `unknown_command` (a 421);
   * `request` charges it to the rate limit like a command.
   */
  line(line: string, options: { unknown?: boolean; request?: boolean } = {}): ProtocolError {
    (this.#pending ??= []).push({ key: line, line });
    return new ProtocolError(options.unknown ? "unknown_command" : "bad_frame", line, {
      request: options.request ?? false,
    });
  }

  /** Lines made when their turn comes: after the core handled the frames before them. */
  later(make: () => string, request = false): ProtocolError {
    return this.#marker("irc-query", make, request);
  }

  /**
   * A marker before the requests about `target`: delivered in order with
   * the core's answers, it sets the target their numerics name (and the
   * IRC `command` asking, when the numeric depends on it). None when the
   * marker before already named both.
   */
  aim(target: string | undefined, command?: string): ProtocolError[] {
    // Compared as they are (no key built per message: a flood aims at one room).
    const named = command ?? "";
    if (named === this.#aimedCommand && target === this.#aimedTarget) return NO_MARKERS;
    this.#aimedCommand = named;
    this.#aimedTarget = target;
    return [this.#marker("irc-aim", () => {
      this.#target = target;
      this.#command = command;
      return "";
    })];
  }

  /** A marker that runs `effect` when its turn comes, and writes nothing. */
  mark(effect: () => void): ProtocolError {
    return this.#marker("irc-mark", () => {
      effect();
      return "";
    });
  }

  /**
   * The line of an `error` event whose message is one of these keys, or
   * undefined for an error of the core's. The lines before it were never
   * delivered (the pipe ended, or the rate limit refused them): dropped.
   */
  take(message: string): string | undefined {
    const pending = this.#pending;
    const at = pending?.findIndex((entry) => entry.key === message) ?? -1;
    if (at === -1) return undefined;
    const { line } = pending!.splice(0, at + 1).at(-1)!;
    if (pending!.length === 0) this.#pending = undefined;
    return typeof line === "string" ? line : line();
  }

  #marker(kind: string, make: () => string, request = false): ProtocolError {
    const key = `\u0000${kind} ${++this.#lazy}`;
    (this.#pending ??= []).push({ key, line: make });
    return new ProtocolError("bad_frame", key, { request });
  }
}
