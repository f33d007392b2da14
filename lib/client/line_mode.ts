import type { ServerFrame } from "../protocol/wire_frames.ts";
import { cleanWireText } from "../protocol/server_frames.ts";
import { ConnectError } from "../errors.ts";
import { formatEvent } from "../protocol/text_format.ts";
import type { ClientFrame } from "../protocol/client_frames.ts";
import { isQuit } from "./frame_queue.ts";
import type { SessionEvent } from "./session_events.ts";
import { lineToFrame } from "./chat_session.ts";
import { lowerFirst } from "./pipe.ts";
import { inputLines } from "./input_lines.ts";
import { type FileCommandAnswer, FileCommands, Transfer, withFileHelp } from "./file_commands.ts";

/** After the input ends: how long to wait for the goodbye while connected... */
const QUIT_TIMEOUT_MS = 5000;
/** ...and, by default, how long to keep trying to reconnect to deliver what is left. */
export const DEFAULT_GIVE_UP_MS = 60_000;

/**
 * What starts the second and later lines of a message of several lines in
 * line mode. No event's first line starts with a space, so a script splits
 * the output into events at every line that does not start with one.
 */
export const CONTINUATION = " | ";

/** Exit codes of chat-client (the README has the same table). */
export const EXIT = {
  /** Every input line was delivered and the client left cleanly. */
  ok: 0,
  /** Could not connect or join, or the connection ended for good before a clean quit. */
  failed: 1,
  /** Bad flags. */
  usage: 2,
  /**
   * Left cleanly, but not every line went out: the server refused some, the
   * client skipped some (too long), or some came after `/quit`.
   */
  undelivered: 3,
  /**
   * Replaced by a new connection with the same key (the same identity):
   * this one stopped, without fighting back, and the other goes on.
   */
  replaced: 4,
  /** Left cleanly, but a `/send` or `/get` failed or was cancelled (stderr says which). */
  transferFailed: 5,
} as const;

/**
 * Thrown by {@linkcode LineModeOutput.out} when nobody reads the output any
 * more (`chat-client ... | head -1`): line mode then leaves quietly.
 */
export class OutputClosedError extends Error {
  /**
   * Builds the error.
   *
   * @param options the write error as `cause`
   */
  constructor(options?: ErrorOptions) {
    super("The output was closed", options);
    this.name = "OutputClosedError";
  }
}

/** Where line mode writes: events to `out`, its own problems to `err`. */
export interface LineModeOutput {
  /**
   * Writes one line of output (stdout).
   *
   * @throws {OutputClosedError} when the reader of the output went away
   */
  out(line: string): void;
  /** Writes a line about line mode's own problems (stderr). */
  err(line: string): void;
}

/** Settings of line mode. */
export interface LineModeOptions {
  /**
   * After the input ended, how long to keep trying to reconnect and deliver
   * what is left before giving up (exit 1).
   *
   * @default {60000}
   */
  giveUpMs?: number;
  /** `/send`, `/get` and `/cancel` (absent: those lines go to the server like any command). */
  files?: FileCommands;
}

/** What line mode needs of a session (a `ReconnectingSession`, or a plain `ChatSession`). */
export interface LineModeSession {
  /** The server's answer to the hello. */
  readonly welcome: ServerFrame & { type: "welcome" };
  /** The server's events and the session's status, until it ends. */
  events(): AsyncIterable<SessionEvent>;
  /** Sends (or queues) a frame, in order. */
  send(frame: ClientFrame): Promise<unknown>;
  /** Sends a line as typed (see `lineToFrame`). */
  sendLine(line: string): Promise<unknown>;
  /** Ends the session. */
  close(): void;
  /** Whether the connection is up (absent: always). */
  readonly connected?: boolean;
  /** Frames not written yet (absent: none). */
  readonly queued?: number;
  /** Typed lines not written yet, the automatic quit not counted (absent: none). */
  readonly unsentLines?: number;
}

/**
 * Tracks the current room from the events, and renders each event as plain
 * lines: one line per event (or per item of a list: a history message, a help
 * row), and a message of several lines continued on lines that start with
 * {@linkcode CONTINUATION}. Server frames were cleaned where they entered
 * the client; each line is cleaned once more here, the one way out.
 */
export class EventPrinter {
  /** The room plain messages go to, as the events told it. */
  currentRoom: string | undefined;
  #welcomed = false;
  /** The last goodbye shown, so that the session giving up for the same reason is not shown twice. */
  #bye: string | undefined;

  /** The lines to show for `event` (none for an invalid frame: that goes to stderr). */
  lines(event: SessionEvent): string[] {
    if (event.type === "invalid_frame") return [];
    if (event.type === "status") {
      if (event.state === "failed" && event.message === this.#bye) return [];
      return [`* ${cleanWireText(event.message)}`];
    }
    if (event.type === "bye") this.#bye = event.message;
    if (event.type === "welcome" && this.#welcomed) {
      // A reconnection: show only what was missed meanwhile; the current room is unchanged.
      return event.history.flatMap((m) => this.lines(m));
    }
    if (event.type === "rejoined") return event.history.flatMap((m) => this.lines(m));
    if (event.type === "welcome" || event.type === "joined") this.currentRoom = event.room;
    if (event.type === "parted") this.currentRoom = event.current;
    if (event.type === "welcome") this.#welcomed = true;
    return formatEvent(event, {
      currentRoom: this.currentRoom,
      continuation: CONTINUATION,
      fileCommands: true,
    })
      .map((line) => cleanWireText(line));
  }
}

/**
 * Scriptable mode for when stdin is not a terminal: every input line is sent
 * (commands too), every event is printed as plain lines, and at the end of
 * input the client quits cleanly once everything was sent. While the
 * connection is down, lines wait and go out after reconnecting. A `/quit`
 * line ends it there: lines after it are not sent (and counted). When the
 * output is closed (`| head -1`), it leaves at once and quietly. Returns the
 * exit code (see {@linkcode EXIT}).
 */
export async function runLineMode(
  session: LineModeSession,
  input: AsyncIterable<Uint8Array>,
  output: LineModeOutput,
  options: LineModeOptions = {},
): Promise<number> {
  const printer = new EventPrinter();
  const outputClosed = Promise.withResolvers<"output">();
  let reading = true;
  const print = (line: string) => {
    if (!reading) return;
    try {
      output.out(line);
    } catch (error) {
      if (!(error instanceof OutputClosedError)) throw error;
      reading = false;
      outputClosed.resolve("output");
    }
  };
  for (const line of printer.lines(session.welcome)) print(line);

  let bye: ServerFrame | undefined;
  let failed: string | undefined;
  /** While reconnecting: the server's refusal of the last attempt, if it refused. */
  let refusal: string | undefined;
  /** Lines the server refused (errors; `cluster_unavailable` is not one: it is sent again). */
  let refused = 0;
  /** Lines never sent: too long, or the offline queue was full. */
  let skipped = 0;
  /** A `/quit` line was sent; later lines are counted, not sent. */
  let quitting = false;
  /** A quit went out (typed, or ours at the end of the input). */
  let quitSent = false;
  let afterQuit = 0;
  let inputEnded = false;
  /** `/send` and `/get` that failed or were cancelled. */
  let failedTransfers = 0;
  /** `/send` and `/get` lines that were not a valid use of the command (no path, no id). */
  let badFileLines = 0;
  const files = options.files;
  if (files) {
    files.onChange = progressLines(output);
    files.onNote = (_, message) => output.err(`chat-client: ${message}`);
  }
  files?.observe(session.welcome);
  const received = (async () => {
    for await (const received of session.events()) {
      const event = files ? withFileHelp(received) : received;
      files?.observe(event);
      if (event.type === "bye") bye = event;
      if (event.type === "error" && (event.code as string) !== "cluster_unavailable") refused++;
      if (event.type === "invalid_frame") {
        output.err(`chat-client: ${lowerFirst(cleanWireText(event.message))} (ignored)`);
      }
      if (event.type === "status" && event.state === "offline") refusal = event.refusal;
      if (event.type === "status" && event.state === "connected") refusal = undefined;
      if (event.type === "status" && event.state === "failed") {
        failed = event.message;
        if (event.refused) bye = undefined; // The refusal, not the goodbye, is the reason.
      }
      for (const line of printer.lines(event)) print(line);
    }
  })();

  /** Whether the input reader waits for more input (all that had arrived is read). */
  let waitingForInput = false;
  /** ...with the start of a line read, its end not yet. */
  let partialLine = false;
  let onWaiting: (() => void) | undefined;
  const inputRead = () =>
    waitingForInput || inputEnded ? Promise.resolve() : new Promise<void>((resolve) => {
      onWaiting = resolve;
    });
  const waiting = (value: boolean, partial: boolean) => {
    waitingForInput = value;
    partialLine = partial;
    if (value) onWaiting?.();
  };
  const sent = (async () => {
    try {
      for await (const line of inputLines(input, output, () => skipped++, waiting)) {
        if (!reading) return;
        if (line.trim() === "") continue;
        if (quitting) {
          afterQuit++;
          continue;
        }
        if (files && FileCommands.handles(line)) {
          const here = printer.currentRoom;
          const started = files.start(line, here === undefined ? undefined : { room: here });
          const settle = ({ ok, message, usage }: FileCommandAnswer) => {
            if (ok) print(`* ${message}`);
            else {
              if (usage) badFileLines++;
              else failedTransfers++;
              output.err(`chat-client: ${message}`);
            }
          };
          if (started instanceof Transfer) started.outcome.then(settle);
          else settle(started);
          continue;
        }
        const frame = lineToFrame(line);
        if (isQuit(frame)) quitting = quitSent = true;
        try {
          await session.send(frame);
        } catch (error) {
          skipped++;
          output.err(`chat-client: ${(error as Error).message}`);
        }
      }
    } finally {
      inputEnded = true;
      onWaiting?.();
    }
    // Transfers under way finish (or fail) before the quit.
    await files?.idle();
    if (quitSent) return;
    quitSent = true;
    await session.send({ type: "cmd", name: "quit", args: "" });
  })();

  /** After a clean quit: 0, or 3 when lines were refused, skipped or after /quit (and how many). */
  const delivered = () => {
    if (failedTransfers > 0) {
      output.err(`chat-client: ${failedTransfers} file transfer(s) failed or were cancelled`);
      return EXIT.transferFailed;
    }
    if (refused + skipped + afterQuit + badFileLines === 0) return EXIT.ok;
    const parts = [
      ...(badFileLines > 0 ? [`${badFileLines} file command(s) not understood`] : []),
      ...(refused > 0 ? [`${refused} line(s) refused by the server (the "!" lines)`] : []),
      ...(skipped > 0 ? [`${skipped} line(s) skipped`] : []),
      ...(afterQuit > 0 ? [`${afterQuit} line(s) after /quit not sent`] : []),
    ];
    output.err(`chat-client: not everything was delivered: ${parts.join(", ")}`);
    return EXIT.undelivered;
  };

  // Whichever ends first decides: the input (then wait for the goodbye), the
  // session (it ended before we were done), or the output (nobody reads).
  const ended = await Promise.race([
    received.then(() => "session" as const, (error) => error as Error),
    sent.then(() => "input" as const, (error) => error as Error),
    outputClosed.promise,
  ]);
  if (ended === "output" || (ended === "input" && !reading)) return await leaveQuietly();
  if (ended === "input") {
    const giveUpMs = options.giveUpMs ?? DEFAULT_GIVE_UP_MS;
    const outcome = await Promise.race([
      untilDone(session, received, giveUpMs),
      outputClosed.promise,
    ]);
    if (outcome === "output") return await leaveQuietly();
    const unsent = session.unsentLines ?? 0;
    session.close();
    await received.catch(() => {});
    if (outcome !== "done") {
      const seconds = `${giveUpMs / 1000} s`;
      const why = outcome === "connected"
        ? `the server stopped answering for ${QUIT_TIMEOUT_MS / 1000} s`
        : refusal === undefined
        ? `the server did not come back within ${seconds}`
        : `the server refused to take the client back within ${seconds} (${refusal})`;
      output.err(
        unsent > 0
          ? `chat-client: gave up: ${why}; ${unsent} line(s) were not sent`
          : `chat-client: gave up: ${why}; every line was delivered, but not the quit`,
      );
      return EXIT.failed;
    }
    if (isReplaced(bye)) return replaced(unsent);
    if (failed) return reportEnd(undefined, new ConnectError(failed), output.err);
    // Ended without our goodbye: the server went away.
    if (bye?.type !== "bye" || bye.reason !== "quit") return reportEnd(bye, undefined, output.err);
    return delivered();
  }
  // The session ended (or a send failed because it did): explain.
  const failure = ended instanceof Error
    ? ended
    : failed
    ? new ConnectError(failed)
    : await received.then(() => undefined, (e) => e);
  const unsent = session.unsentLines ?? 0;
  session.close();
  if (isReplaced(bye)) return replaced(unsent);
  // A /quit among the input lines ends the session before the input ends:
  // count what had arrived after it (a line begun counts too).
  if (quitting) {
    await inputRead();
    if (waitingForInput && partialLine) afterQuit++;
  }
  const code = reportEnd(bye, failure, output.err);
  return code === EXIT.ok ? delivered() : code;

  /** Nobody reads the output: quit (after what is queued), with no word and status 0. */
  async function leaveQuietly(): Promise<number> {
    reading = false;
    if (!quitSent) await session.send({ type: "cmd", name: "quit", args: "" }).catch(() => {});
    // Connected: the goodbye (everything queued goes first); offline: no wait.
    await untilDone(session, received, 0);
    session.close();
    await received.catch(() => {});
    return EXIT.ok;
  }

  /** Another connection with our key took over: say how far this one got. */
  function replaced(unsent: number): number {
    const progress = unsent > 0
      ? `${unsent} line(s) were not sent`
      : inputEnded
      ? "every line was delivered"
      : "every line read was delivered; the rest of the input was not read";
    output.err(`chat-client: replaced by a new connection with your key; ${progress}`);
    return EXIT.replaced;
  }
}

/** Whether the server ended the session because a new connection with the same key took over. */
function isReplaced(bye: ServerFrame | undefined): boolean {
  return bye?.type === "bye" && bye.code === "session_replaced";
}

/**
 * After the input ended: waits for the goodbye while the queue still moves
 * (a paced queue can take a while), at most `QUIT_TIMEOUT_MS` without
 * progress while connected, and `giveUpMs` while offline. Says how it ended:
 * the session ended ("done"), or it gave up while connected or offline.
 */
async function untilDone(
  session: LineModeSession,
  received: Promise<void>,
  giveUpMs: number,
): Promise<"done" | "connected" | "offline"> {
  let finished = false;
  const done = received.then(() => (finished = true), () => (finished = true));
  let left = session.queued ?? 0;
  let lastProgress = performance.now();
  let wasOffline = session.connected === false;
  while (!finished) {
    await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 100))]);
    const now = performance.now();
    const queued = session.queued ?? 0;
    if (queued < left) lastProgress = now;
    left = queued;
    const offline = session.connected === false;
    // Going offline restarts the clock: the wait for a reconnect starts then.
    if (offline !== wasOffline) lastProgress = now;
    wasOffline = offline;
    const patience = offline ? giveUpMs : QUIT_TIMEOUT_MS;
    if (!finished && now - lastProgress > patience) return offline ? "offline" : "connected";
  }
  return "done";
}

/**
 * Explains why the connection ended (nothing for our own quit) and returns
 * the exit code: 0 after a quit, 4 when a new connection with the same key
 * took over, 1 when the server or the network ended it (see
 * {@linkcode EXIT}).
 */
export function reportEnd(
  bye: ServerFrame | undefined,
  failure: unknown,
  err: (line: string) => void,
): number {
  if (bye?.type === "bye" && bye.reason === "quit") return EXIT.ok;
  if (bye?.type === "bye") err(`chat-client: disconnected: ${bye.message}`);
  else if (failure instanceof ConnectError) err(`chat-client: ${failure.message}`);
  else err("chat-client: the server closed the connection");
  return isReplaced(bye) ? EXIT.replaced : EXIT.failed;
}

/** Progress of the transfers on stderr: a line at the start, every tenth, and the end. */
function progressLines(output: LineModeOutput): (transfer: Transfer) => void {
  const shown = new WeakMap<Transfer, number>();
  return (transfer) => {
    if (!transfer.sized) return; // Nothing to say before the size is known (a failure says why).
    const tenth = transfer.total > 0 ? Math.floor((transfer.done / transfer.total) * 10) : 0;
    if (shown.get(transfer) === tenth) return;
    shown.set(transfer, tenth);
    output.err(`chat-client: ${transfer.progressText()}`);
  };
}
