/**
 * The oracle of the client-to-server fuzzer: from docs/protocol.md, what
 * the server must answer to each line of a native connection, in order.
 *
 * @module
 */

const strictDecoder = new TextDecoder("utf-8", { fatal: true });

/** Error codes for lines that are not frames; valid frames never cause these (but a bad `key`). */
const LINE_ERRORS = new Set(["bad_json", "bad_utf8", "bad_frame", "unknown_type", "line_too_long"]);

/** Codes a member's `msg`, `cmd` or `input` never draws: the oracle predicts each of these. */
const PREDICTED_ERRORS = new Set([
  ...LINE_ERRORS,
  "protocol_version",
  "not_ready",
  "already_hello",
  "password_required",
  "access_denied",
  "handshake_timeout",
]);

/** Refusals of a hello that leave the connection open (protocol.md 3.1). */
const NICK_ERRORS = new Set(["bad_nick", "nick_taken", "nick_registered"]);

const FIELDS: Record<string, Record<string, "string" | "number" | "optional">> = {
  hello: {
    protocol: "number",
    nick: "string",
    client: "string",
    password: "optional",
    key: "optional",
  },
  auth: { signature: "string" },
  msg: { text: "string", room: "optional" },
  cmd: { name: "string", args: "optional", room: "optional" },
  input: { line: "string", room: "optional" },
  ping: { token: "optional" },
  pong: { token: "optional" },
};

/** A key is "32 bytes of base64url": 43 characters (one `=` of padding is still base64url). */
const KEY_TEXT = /^[A-Za-z0-9_-]{43}=?$/;

/** Classifies one decoded, non-blank line of the native protocol. */
function classifyLine(text: string): { code: string } | { frame: Record<string, unknown> } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { code: "bad_json" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { code: "bad_frame" };
  }
  const frame = value as Record<string, unknown>;
  if (typeof frame.type !== "string") return { code: "bad_frame" };
  const fields = Object.hasOwn(FIELDS, frame.type) ? FIELDS[frame.type] : undefined;
  if (!fields) return { code: "unknown_type" };
  for (const [field, kind] of Object.entries(fields)) {
    const actual = frame[field];
    const ok = kind === "optional"
      ? actual === undefined || typeof actual === "string"
      : kind === "string"
      ? typeof actual === "string"
      : typeof actual === "number";
    if (!ok) return { code: "bad_frame" };
  }
  return { frame };
}

/** What the oracle knows about the server and the case beyond the bytes sent. */
export interface NativeContext {
  /** The server's line cap in bytes. */
  maxLineBytes: number;
  /** The server's password, when it has one. */
  password?: string;
  /** The one `auth` line (as sent, without its line break) whose signature verifies. */
  validAuth?: string;
}

/** The oracle's verdict on one native connection. */
export interface Judgement {
  /** What the server said that protocol.md does not predict, if anything. */
  problem?: string;
  /** Lines that were not valid frames, answered with their error. */
  badLines: number;
  /** Whether the connection joined the chat. */
  welcome: boolean;
  /** Whether it drew a key challenge. */
  challenged: boolean;
  /** Joined by a key proof. */
  keyWelcome: boolean;
  /** Refused at the door (`bye` `denied`). */
  denied: boolean;
}

/**
 * Walks the lines of a native payload through the handshake as protocol.md
 * describes it (no hello yet, an open challenge, a member), taking the
 * server's answers in order. `answers` are the server's frames reduced to
 * `pong:<token>`, `error:<code>`, `challenge`, `welcome` and `bye:<reason>`
 * (everything else is chat traffic the oracle does not judge). Where the
 * document leaves the outcome to the chat (a hello's nick may be taken, a
 * command may fail), the answer received decides which way the walk goes;
 * everything else must be exactly as predicted.
 *
 * @example
 * ```ts
 * const payload = new TextEncoder().encode('{"type":"auth","signature":""}\n{"type":"ping"}\n');
 * judgeNative(payload, ["error:not_ready", "pong:"], { maxLineBytes: 4096 }).problem; // undefined
 * ```
 */
export function judgeNative(
  payload: Uint8Array,
  answers: readonly string[],
  context: NativeContext,
): Judgement {
  const result: Judgement = {
    badLines: 0,
    welcome: false,
    challenged: false,
    keyWelcome: false,
    denied: false,
  };
  let at = 0;
  let member = false;
  let challenge = false;
  let ended = false;
  let lineNumber = 0;
  let lineText = "";
  const where = () => `line ${lineNumber} ${JSON.stringify(lineText.slice(0, 200))}`;
  // A slow case may outlive the handshake deadline while it is not a member.
  const timedOut = (): boolean => {
    if (member || answers[at] !== "error:handshake_timeout") return false;
    if (answers[at + 1] !== "bye:timeout") return false;
    at += 2;
    ended = true;
    return true;
  };
  /** Takes `wanted` in order; false (with the problem set) when the server said otherwise. */
  const take = (...wanted: string[]): boolean => {
    for (const want of wanted) {
      if (timedOut()) return true;
      if (answers[at] !== want) {
        result.problem = `${where()}: expected ${want}, got ${answers[at] ?? "nothing"}`;
        return false;
      }
      at++;
      if (want.startsWith("bye:")) ended = true;
      if (want === "bye:denied") result.denied = true;
    }
    return true;
  };
  /** A hello past its checks meets the chat: welcome, or a refusal (protocol.md 3.1). */
  const join = (byKey: boolean): boolean => {
    if (timedOut()) return true;
    const answer = answers[at];
    if (answer === "welcome") {
      at++;
      member = true;
      result.welcome = true;
      result.keyWelcome ||= byKey;
      return true;
    }
    if (answer === "error:server_full") return take(answer, "bye:full");
    if (answer === "error:banned") return take(answer, "bye:denied");
    if (answer !== undefined && NICK_ERRORS.has(answer.slice("error:".length))) {
      at++;
      return true;
    }
    result.problem = `${where()}: expected welcome or a nick error, got ${answer ?? "nothing"}`;
    return false;
  };
  const lineError = (code: string): boolean => {
    result.badLines++;
    return take(`error:${code}`);
  };
  const frameAnswered = (frame: Record<string, unknown>): boolean => {
    if (frame.type === "pong") return true;
    if (frame.type === "ping") return take(`pong:${frame.token ?? ""}`);
    if (member) {
      if (frame.type === "hello" || frame.type === "auth") return take("error:already_hello");
      // The chat's answers (a failed command's error, a /quit's bye) are not judged here.
      while (answers[at]?.startsWith("error:") && !PREDICTED_ERRORS.has(answers[at].slice(6))) {
        at++;
      }
      const said = String(frame.name ?? frame.line ?? "").toLowerCase();
      if (answers[at] === "bye:quit" && frame.type !== "msg" && /quit|exit|bye/.test(said)) {
        at++;
        ended = true;
      }
      return true;
    }
    if (frame.type === "hello") {
      // The order of #hello in lib/server/chat_server.ts, as protocol.md 3.1 tells it.
      if (frame.protocol !== 1) return take("error:protocol_version", "bye:protocol");
      if (challenge) return take("error:not_ready");
      const key = frame.key as string | undefined;
      if (key !== undefined && !KEY_TEXT.test(key)) return lineError("bad_frame");
      if (context.password !== undefined) {
        if (frame.password === undefined) return take("error:password_required", "bye:denied");
        if (frame.password !== context.password) return take("error:access_denied", "bye:denied");
      }
      if (key === undefined) return join(false);
      challenge = true;
      result.challenged = true;
      return take("challenge");
    }
    if (frame.type === "auth") {
      if (!challenge) return take("error:not_ready");
      challenge = false; // A nonce is used once, right or wrong.
      if (lineText === context.validAuth) return join(true);
      return take("error:access_denied", "bye:denied");
    }
    return take("error:not_ready");
  };

  let start = 0;
  while (start < payload.length && !ended) {
    const newline = payload.indexOf(0x0a, start);
    const complete = newline !== -1;
    let line = payload.subarray(start, complete ? newline : payload.length);
    start = complete ? newline + 1 : payload.length;
    lineNumber++;
    lineText = "";
    if (line.at(-1) === 0x0d) line = line.subarray(0, -1);
    if (line.length > context.maxLineBytes) {
      // Fatal: what came before is answered, then the goodbye.
      if (!lineError("line_too_long") || !take("bye:protocol")) return result;
      break;
    }
    // An unfinished last line is dropped when the peer goes.
    if (!complete) break;
    try {
      lineText = strictDecoder.decode(line);
    } catch {
      if (!lineError("bad_utf8")) return result;
      continue;
    }
    if (lineText.trim() === "") continue;
    const verdict = classifyLine(lineText);
    const answered = "code" in verdict ? lineError(verdict.code) : frameAnswered(verdict.frame);
    if (!answered) return result;
  }
  if (!ended) timedOut();
  if (at < answers.length) {
    result.problem = `answers no line accounts for: ${JSON.stringify(answers.slice(at))}`;
  }
  return result;
}
