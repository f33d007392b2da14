/**
 * The checks on what a fuzzed connection received: a native connection's
 * answers against the oracle, a text connection's greeting and bytes, and
 * unsafe text in any frame a native receiver got.
 *
 * @module
 */

import { unsafeInEvent, unsafeInText } from "../../lib/core/_hostile_text.ts";
import { judgeNative, type NativeContext } from "./native_oracle.ts";
import { show } from "./report.ts";

const strictDecoder = new TextDecoder("utf-8", { fatal: true });

/** The text greeting a peer gets before it says anything. */
export const GREETING = /^Welcome to .*\. Pick a nick\.\r\nNick\? /;
// What text mode must never send: C0 controls (but CR LF), DEL, C1, bidi overrides.
const UNSAFE_TEXT =
  /[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/** What one case did and found. */
export interface CaseReport {
  /** What went wrong, if anything. */
  problem?: string;
  /** Lines that were not valid frames, answered with their error. */
  badLines: number;
  /** Whether the connection joined the chat. */
  welcome: boolean;
  /** Whether it drew a key challenge. */
  challenged?: boolean;
  /** Whether it joined by a key proof. */
  keyWelcome?: boolean;
  /** Whether it was refused at the door. */
  denied?: boolean;
}

/**
 * What is unsafe in a frame a native receiver got, if anything. A `pong`
 * only echoes the receiver's own token back to it, so it is not judged.
 */
export function unsafeReceived(frame: Record<string, unknown>): string | undefined {
  return frame.type === "pong" ? undefined : unsafeInEvent(frame);
}

/** Checks a native connection's answers against the oracle. */
export function checkNative(
  sent: Uint8Array,
  received: Uint8Array,
  context: NativeContext,
): CaseReport {
  const report: CaseReport = { badLines: 0, welcome: false };
  const fail = (problem: string): CaseReport => ({
    ...report,
    problem: `${problem}\n  sent: ${show(sent)}\n  got: ${show(received, 1200)}`,
  });
  let text: string;
  try {
    text = strictDecoder.decode(received);
  } catch {
    return fail("the server sent invalid UTF-8");
  }
  const lines = text.split("\n");
  if (lines.pop() !== "") return fail("the server's last frame is incomplete");
  const answers: string[] = [];
  let bye: Record<string, unknown> | undefined;
  let preamble = true;
  for (const line of lines) {
    // A slow first byte may have drawn the text greeting; skip it (protocol.md 3.1).
    if (preamble && !line.startsWith("{")) {
      if (/^(Welcome to .*\. Pick a nick\.|(Nick\? )+)\r$/.test(line)) continue;
      return fail(`a non-JSON line in native mode: ${JSON.stringify(line)}`);
    }
    preamble = false;
    let frame: Record<string, unknown>;
    try {
      frame = JSON.parse(line);
    } catch {
      return fail(`a line that is not JSON: ${JSON.stringify(line)}`);
    }
    if (typeof frame !== "object" || frame === null || typeof frame.type !== "string") {
      return fail(`a frame without a type: ${line}`);
    }
    if (bye) return fail(`a frame after bye: ${line}`);
    const unsafe = unsafeReceived(frame);
    if (unsafe) return fail(`unsafe text reached a native client: ${unsafe}`);
    switch (frame.type) {
      case "welcome":
        answers.push("welcome");
        break;
      case "challenge":
        if (typeof frame.nonce !== "string" || !/^[A-Za-z0-9_-]{43}$/.test(frame.nonce)) {
          return fail(`a challenge without a well-formed nonce: ${line}`);
        }
        answers.push("challenge");
        break;
      case "pong":
        answers.push(`pong:${frame.token ?? ""}`);
        break;
      case "error":
        if (typeof frame.code !== "string" || typeof frame.message !== "string") {
          return fail(`an error without code or message: ${line}`);
        }
        answers.push(`error:${frame.code}`);
        break;
      case "bye":
        bye = frame;
        if (typeof bye.message !== "string") return fail(`a bye without a message: ${line}`);
        // A refusal at the door names its cause twice: the error and the bye's code.
        if (bye.reason === "denied" && `error:${bye.code}` !== answers.at(-1)) {
          return fail(`a denied bye whose code is not the error before it: ${line}`);
        }
        answers.push(`bye:${bye.reason}`);
        break;
    }
  }
  const judgement = judgeNative(sent, answers, context);
  if (judgement.problem) return fail(`${judgement.problem}\n  answers: ${JSON.stringify(answers)}`);
  return {
    badLines: judgement.badLines,
    welcome: judgement.welcome,
    challenged: judgement.challenged,
    keyWelcome: judgement.keyWelcome,
    denied: judgement.denied,
  };
}

/** Checks a text connection: a greeting, then only safe, CRLF-ended text. */
export function checkText(received: Uint8Array, timeout: boolean): string | undefined {
  let text: string;
  try {
    text = strictDecoder.decode(received);
  } catch {
    return `the server sent invalid UTF-8 in text mode: ${show(received)}`;
  }
  if (!GREETING.test(text)) return `no greeting in text mode; got ${JSON.stringify(text)}`;
  const unsafe = text.match(UNSAFE_TEXT);
  if (unsafe) {
    return `text mode sent an unsafe character ${JSON.stringify(unsafe[0])}: ${
      JSON.stringify(text)
    }`;
  }
  const unsafeText = unsafeInText(received);
  if (unsafeText) return `text mode sent unsafe text: ${unsafeText}`;
  if (/[\r\n]/.test(text.replace(/\r\n/g, ""))) {
    return `text mode sent a bare CR or LF: ${JSON.stringify(text)}`;
  }
  if (timeout && !text.includes("Did not join within")) {
    return `a silent peer was closed without the handshake timeout notice: ${JSON.stringify(text)}`;
  }
  return undefined;
}
