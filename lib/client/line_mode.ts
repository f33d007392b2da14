import type { ChatEvent } from "../core/events.ts";
import { sanitizeText } from "../core/sanitize.ts";
import { ConnectError } from "../errors.ts";
import { formatEvent } from "../protocol/text_format.ts";
import type { ClientFrame } from "../protocol/client_frames.ts";
import type { SessionEvent } from "./reconnecting_session.ts";

/** Longest input line accepted from stdin, in bytes. */
const MAX_INPUT_LINE_BYTES = 64 * 1024;
/** After the input ends: how long to wait for the goodbye while connected... */
const QUIT_TIMEOUT_MS = 5000;
/** ...and how long to keep trying to reconnect to deliver what is left. */
const OFFLINE_GIVE_UP_MS = 60_000;

/** Where line mode writes: events to `out`, its own problems to `err`. */
export interface LineModeOutput {
  out(line: string): void;
  err(line: string): void;
}

/** What line mode needs of a session (a `ReconnectingSession`, or a plain `ChatSession`). */
export interface LineModeSession {
  readonly welcome: ChatEvent & { type: "welcome" };
  events(): AsyncIterable<SessionEvent>;
  send(frame: ClientFrame): Promise<unknown>;
  sendLine(line: string): Promise<unknown>;
  close(): void;
  /** Whether the connection is up (absent: always). */
  readonly connected?: boolean;
  /** Frames not written yet (absent: none). */
  readonly queued?: number;
  /** Typed lines not written yet, the automatic quit not counted (absent: none). */
  readonly unsentLines?: number;
}

/**
 * Tracks the current room from the events, and renders events as plain lines
 * (with anything a terminal would interpret removed, whoever sent it).
 */
export class EventPrinter {
  currentRoom: string | undefined;
  #welcomed = false;

  /** The lines to show for `event`. */
  lines(event: SessionEvent): string[] {
    if (event.type === "status") return [`* ${sanitizeText(event.message)}`];
    if (event.type === "welcome" || event.type === "joined") this.currentRoom = event.room;
    if (event.type === "parted") this.currentRoom = event.current;
    if (event.type === "welcome" && this.#welcomed) {
      // A reconnection: show only what was missed meanwhile.
      return event.history.flatMap((m) => this.lines(m));
    }
    if (event.type === "welcome") this.#welcomed = true;
    return formatEvent(event, { currentRoom: this.currentRoom }).map((line) => sanitizeText(line));
  }
}

/**
 * Scriptable mode for when stdin is not a terminal: every input line is sent
 * (commands too), every event is printed as plain lines, and at the end of
 * input the client quits cleanly once everything was sent. While the
 * connection is down, lines wait and go out after reconnecting. Returns the
 * exit code: 0 after a clean quit, 1 when the session ended otherwise.
 */
export async function runLineMode(
  session: LineModeSession,
  input: AsyncIterable<Uint8Array>,
  output: LineModeOutput,
): Promise<number> {
  const printer = new EventPrinter();
  for (const line of printer.lines(session.welcome)) output.out(line);

  let bye: ChatEvent | undefined;
  let failed: string | undefined;
  const received = (async () => {
    for await (const event of session.events()) {
      if (event.type === "bye") bye = event;
      if (event.type === "status" && event.state === "failed") {
        failed = event.message;
        if (event.refused) bye = undefined; // The refusal, not the goodbye, is the reason.
      }
      for (const line of printer.lines(event)) output.out(line);
    }
  })();

  const sent = (async () => {
    for await (const line of inputLines(input, output)) {
      if (line.trim() === "") continue;
      try {
        await session.sendLine(line);
      } catch (error) {
        output.err(`chat-client: ${(error as Error).message}`);
      }
    }
    await session.send({ type: "cmd", name: "quit", args: "" });
  })();

  // Whichever ends first decides: the input (then wait for the goodbye) or
  // the session (it ended before we were done).
  const ended = await Promise.race([
    received.then(() => "session" as const, (error) => error as Error),
    sent.then(() => "input" as const, (error) => error as Error),
  ]);
  if (ended === "input") {
    const waited = await untilDone(session, received);
    const unsent = session.unsentLines ?? 0;
    session.close();
    await received.catch(() => {});
    if (unsent > 0) {
      output.err(`chat-client: gave up; ${unsent} line(s) were not sent`);
      return 1;
    }
    if (!waited) output.err("chat-client: the server did not confirm the quit in time");
    return failed ? reportEnd(undefined, new ConnectError(failed), output.err) : 0;
  }
  // The session ended (or a send failed because it did): explain.
  const failure = ended instanceof Error
    ? ended
    : failed
    ? new ConnectError(failed)
    : await received.then(() => undefined, (e) => e);
  session.close();
  return reportEnd(bye, failure, output.err);
}

/**
 * After the input ended: waits for the goodbye while the queue still moves
 * (a paced queue can take a while), at most `QUIT_TIMEOUT_MS` without
 * progress while connected, and `OFFLINE_GIVE_UP_MS` while offline.
 */
async function untilDone(session: LineModeSession, received: Promise<void>): Promise<boolean> {
  let finished = false;
  const done = received.then(() => (finished = true), () => (finished = true));
  let left = session.queued ?? 0;
  let lastProgress = performance.now();
  while (!finished) {
    await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 100))]);
    const now = performance.now();
    const queued = session.queued ?? 0;
    if (queued < left) lastProgress = now;
    left = queued;
    const patience = session.connected === false ? OFFLINE_GIVE_UP_MS : QUIT_TIMEOUT_MS;
    if (!finished && now - lastProgress > patience) return false;
  }
  return true;
}

/**
 * Input lines of at most `MAX_INPUT_LINE_BYTES`; a longer line is skipped
 * with a notice on stderr and reading goes on.
 */
async function* inputLines(
  input: AsyncIterable<Uint8Array>,
  output: LineModeOutput,
): AsyncGenerator<string, void, void> {
  const decoder = new TextDecoder();
  let partial: Uint8Array[] = [];
  let size = 0;
  let skipping = false;
  for await (const chunk of input) {
    let start = 0;
    while (start <= chunk.length) {
      const newline = chunk.indexOf(0x0a, start);
      const end = newline === -1 ? chunk.length : newline;
      const piece = chunk.subarray(start, end);
      if (!skipping) {
        size += piece.length;
        if (size > MAX_INPUT_LINE_BYTES) {
          output.err(
            `chat-client: skipped an input line longer than ${MAX_INPUT_LINE_BYTES} bytes`,
          );
          skipping = true;
          partial = [];
        } else partial.push(piece.slice());
      }
      if (newline === -1) break;
      if (!skipping) {
        yield decoder.decode(joinParts(partial, size)).replace(/\r$/, "");
      }
      partial = [];
      size = 0;
      skipping = false;
      start = newline + 1;
    }
  }
  if (partial.length > 0 && !skipping) {
    yield decoder.decode(joinParts(partial, size)).replace(/\r$/, "");
  }
}

/** The pieces of one input line, as one buffer. */
function joinParts(parts: Uint8Array[], size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return bytes;
}

/**
 * Explains why the connection ended (nothing for our own quit) and returns
 * the exit code: 0 after a quit, 1 when the server or the network ended it.
 */
export function reportEnd(
  bye: ChatEvent | undefined,
  failure: unknown,
  err: (line: string) => void,
): number {
  if (bye?.type === "bye" && bye.reason === "quit") return 0;
  if (bye?.type === "bye") err(`chat-client: disconnected: ${bye.message}`);
  else if (failure instanceof ConnectError) err(`chat-client: ${failure.message}`);
  else err("chat-client: the server closed the connection");
  return 1;
}
