/**
 * The errors of the chat core. A handler throws one; the hub turns it into an
 * `error` event for the sender only, with the error's stable `code` and its
 * message (sentence case, the offending value quoted).
 *
 * @module
 */

import type { ChatErrorCode } from "./events.ts";

/** A request that the chat refuses; the sender is told, nothing else breaks. */
export class ChatError extends Error {
  /** Stable machine-readable code, sent to clients. */
  readonly code: ChatErrorCode;
  /** A refusal with its stable code and a message for the sender. */
  constructor(code: ChatErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ChatError";
    this.code = code;
  }
}

/** A nick that breaks the nick rules or clashes with another member. */
export class NickError extends ChatError {
  /** A free nick close to the one asked for, when the problem was a clash. */
  readonly suggestion?: string;
  /** A nick refusal; `suggestion` is offered when the nick is taken. */
  constructor(
    code: "bad_nick" | "nick_taken" | "nick_registered",
    message: string,
    suggestion?: string,
  ) {
    super(code, message);
    this.name = "NickError";
    this.suggestion = suggestion;
  }
}

/** What a room log's refusal of a message becomes: the sender's `cluster_unavailable`. */
export function clusterUnavailable(cause: unknown): never {
  throw new ChatError(
    "cluster_unavailable",
    "Not sent: the cluster cannot store messages right now; try again in a moment",
    { cause },
  );
}

/**
 * The text of whatever was thrown, for a log line: an error's message, or
 * the value as a string; never throws itself (`String()` of an object with
 * no prototype does), so code that ends a session with it always ends it.
 */
export function errorText(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return "an error with no description";
  }
}
