import type { ChatEvent } from "../core/events.ts";
import { sanitizeText } from "../core/sanitize.ts";
import { ConnectError, ProtocolError } from "../errors.ts";
import { decodeLines } from "../protocol/decode_lines.ts";
import { formatEvent } from "../protocol/text_format.ts";
import type { ChatSession } from "./chat_session.ts";

/** Longest input line accepted from stdin, in bytes. */
const MAX_INPUT_LINE_BYTES = 64 * 1024;
/** How long to wait for the server's goodbye after the input ends. */
const QUIT_TIMEOUT_MS = 5000;

/** Where line mode writes: events to `out`, its own problems to `err`. */
export interface LineModeOutput {
  out(line: string): void;
  err(line: string): void;
}

/**
 * Tracks the current room from the events, and renders events as plain lines
 * (with anything a terminal would interpret removed, whoever sent it).
 */
export class EventPrinter {
  currentRoom: string | undefined;

  /** The lines to show for `event`. */
  lines(event: ChatEvent): string[] {
    if (event.type === "welcome" || event.type === "joined") this.currentRoom = event.room;
    if (event.type === "parted") this.currentRoom = event.current;
    return formatEvent(event, { currentRoom: this.currentRoom }).map((line) => sanitizeText(line));
  }
}

/**
 * Scriptable mode for when stdin is not a terminal: every input line is sent
 * (commands too), every event is printed as plain lines, and at the end of
 * input the client quits cleanly once everything was sent. Returns the exit
 * code: 0 after a clean quit, 1 when the server went away first.
 */
export async function runLineMode(
  session: ChatSession,
  input: AsyncIterable<Uint8Array>,
  output: LineModeOutput,
): Promise<number> {
  const printer = new EventPrinter();
  for (const line of printer.lines(session.welcome)) output.out(line);

  let bye: ChatEvent | undefined;
  const received = (async () => {
    for await (const event of session.events()) {
      if (event.type === "bye") bye = event;
      for (const line of printer.lines(event)) output.out(line);
    }
  })();

  const sent = (async () => {
    for await (const line of decodeLines(input, MAX_INPUT_LINE_BYTES)) {
      if (line instanceof ProtocolError) {
        output.err(`chat-client: skipped an input line: ${line.message}`);
        if (line.fatal) break;
        continue;
      }
      if (line.trim() === "") continue;
      await session.sendLine(line);
    }
    await session.send({ type: "cmd", name: "quit", args: "" });
  })();

  // Whichever ends first decides: the input (then wait for the goodbye) or
  // the connection (the server left before we were done).
  const ended = await Promise.race([
    received.then(() => "connection" as const, (error) => error as Error),
    sent.then(() => "input" as const, (error) => error as Error),
  ]);
  if (ended === "input") {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const waited = await Promise.race([
      received.then(() => true, () => true),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), QUIT_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    session.close();
    await sent.catch(() => {});
    if (!waited) output.err("chat-client: the server did not confirm the quit in time");
    return 0;
  }
  // The connection ended (or a send failed because it did): collect the
  // server's goodbye, if any, before explaining.
  const failure = ended instanceof Error ? ended : await received.then(() => undefined, (e) => e);
  session.close();
  return reportEnd(bye, failure, output.err);
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
