/**
 * The client's protocol session: over any {@linkcode ClientPipe} it sends the
 * `hello`, answers the key challenge, waits for the `welcome` (or a refusal),
 * then yields the server's frames, each checked by `parseServerFrame`, and
 * answers pings. It opens no socket itself unless asked to connect without a
 * pipe of its own (then `socket_pipe.ts` is loaded).
 *
 * @module
 */

import { formatHostPort } from "../net/host_port.ts";
import { PROTOCOL_VERSION, type WelcomeEvent } from "../core/events.ts";
import type { ServerFrame } from "../protocol/wire_frames.ts";
import { ConnectError } from "../errors.ts";
import { ProtocolError } from "../protocol/protocol_error.ts";
import type { ClientFrame } from "../protocol/client_frames.ts";
import { decodeLines } from "../protocol/decode_lines.ts";
import type { Identity } from "./identity.ts";
import { isNonce } from "../protocol/key_proof.ts";
import { cleanWireText, InvalidFrameError, parseServerFrame } from "../protocol/server_frames.ts";
import { excerpt } from "../core/sanitize.ts";
import { parseTypedLine } from "../core/typed_line.ts";
import {
  type ClientPipe,
  describeFailure,
  lowerFirst,
  type OpenPipe,
  PipeMismatchError,
  type ServerAddress,
} from "./pipe.ts";

/** How to reach the server (see {@linkcode ServerAddress}) and who to be. */
export interface SessionOptions extends ServerAddress {
  /** The nick to ask for. */
  nick: string;
  /** Client software name sent in the hello. */
  client: string;
  /**
   * Give up connecting (and waiting for the welcome) after this long.
   *
   * @default {10000}
   */
  timeoutMs?: number;
  /** The server's password, for a private server. */
  password?: string;
  /** The key to prove in the handshake (registered nicks, operator rights). */
  identity?: Pick<Identity, "publicKey" | "sign">;
  /**
   * Opens the byte pipe to the server (a WebSocket in a browser).
   *
   * @default {openSocketPipe}
   */
  openPipe?: OpenPipe;
}

/**
 * A line from the server that is not a valid frame (see
 * {@linkcode parseServerFrame}); it was dropped, and the session goes on.
 */
export interface InvalidFrameEvent {
  /** Not a server frame type: the client's own. */
  type: "invalid_frame";
  /** `The server sent an invalid frame: ...`, safe to show. */
  message: string;
}

/**
 * The server refused the hello (nick taken, bad nick, full, wrong version,
 * too many connections from one address).
 */
export class RefusedError extends ConnectError {
  /**
   * Builds the refusal of a hello.
   *
   * @param code the server's error code (`nick_taken`, ...), or `refused` for a
   *   refusal at the door that came as one plain `! ...` line
   * @param message the whole explanation, `cannot join host:port: ...`
   * @param reason what the server said, cleaned (defaults to `message`)
   */
  constructor(readonly code: string, message: string, readonly reason: string = message) {
    super(message);
    this.name = "RefusedError";
  }
}

const encoder = new TextEncoder();
// A welcome can carry up to 1000 history messages of 4000 characters.
const MAX_LINE_BYTES = 32 * 1024 * 1024;
/** How long connecting and the handshake may take by default (`SessionOptions.timeoutMs`). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * A native-protocol session with a chat server over a {@linkcode ClientPipe}:
 * the hello, the key proof, the welcome, then events as an async iterator
 * (pings answered) and frames out in order. It knows nothing of what
 * carries the bytes.
 *
 * @example
 * ```ts ignore
 * await using session = await ChatSession.connect({ host: "127.0.0.1", port: 7777, nick: "ana", client: "demo" });
 * await session.sendLine("hello");
 * for await (const event of session.events()) console.log(event);
 * ```
 */
export class ChatSession implements AsyncDisposable {
  readonly #pipe: ClientPipe;
  readonly #lines: AsyncIterator<string | ProtocolError, void, void>;
  #writing: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(
    pipe: ClientPipe,
    lines: AsyncIterator<string | ProtocolError, void, void>,
    /** The server's answer to our hello. */
    readonly welcome: WelcomeEvent,
  ) {
    this.#pipe = pipe;
    this.#lines = lines;
  }

  /**
   * Opens a pipe (`options.openPipe`, a socket by default) and joins over it.
   *
   * @throws {ConnectError} with a one-line reason (`cannot reach host:port: connection refused`)
   * @throws {RefusedError} when the server refuses the hello
   */
  static async connect(options: SessionOptions): Promise<ChatSession> {
    const where = formatHostPort(options.host, options.port);
    using deadline = new Deadline(options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, where);
    // The socket pipe is loaded only when no other is given, so a build
    // with a pipe of its own (a browser's WebSocket) never loads node:net.
    const open = options.openPipe ?? (await import("./socket_pipe.ts")).openSocketPipe;
    // An opener that throws at once fails like one that rejects.
    const opening = new Promise<ClientPipe>((resolve) => resolve(open(options)));
    let pipe: ClientPipe;
    try {
      pipe = await Promise.race([opening, deadline.passed]);
    } catch (error) {
      opening.then((late) => late.close(), () => {});
      if (error instanceof ConnectError) throw error;
      throw new ConnectError(`cannot reach ${where}: ${describeFailure(error)}`, { cause: error });
    }
    return await ChatSession.#join(pipe, options, deadline);
  }

  /**
   * Joins over a pipe that is open already (a WebSocket, a test's fake):
   * the hello, the key proof if asked, the welcome. The pipe is closed when
   * joining fails.
   *
   * @throws {ConnectError} when the pipe fails or the server says something that is not a welcome
   * @throws {RefusedError} when the server refuses the hello
   */
  static async start(pipe: ClientPipe, options: SessionOptions): Promise<ChatSession> {
    const where = formatHostPort(options.host, options.port);
    using deadline = new Deadline(options.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, where);
    return await ChatSession.#join(pipe, options, deadline);
  }

  /** The handshake over `pipe`, within `deadline`; closes the pipe when it fails. */
  static async #join(
    pipe: ClientPipe,
    options: SessionOptions,
    deadline: Deadline,
  ): Promise<ChatSession> {
    const where = formatHostPort(options.host, options.port);
    const handshake = shakeHands(pipe, options, where);
    // When the deadline wins, how the handshake ends later is nobody's news.
    handshake.catch(() => {});
    try {
      const { lines, welcome } = await Promise.race([handshake, deadline.passed]);
      return new ChatSession(pipe, lines, welcome);
    } catch (error) {
      pipe.close();
      if (error instanceof ConnectError) throw error;
      if (error instanceof PipeMismatchError) {
        throw new ConnectError(`cannot join ${where}: ${error.message}`, { cause: error });
      }
      throw new ConnectError(`lost connection to ${where}: ${describeFailure(error)}`, {
        cause: error,
      });
    }
  }

  /**
   * Events from the server after the welcome, until the connection ends,
   * each checked and cleaned by {@linkcode parseServerFrame}; a line that is
   * not a valid frame comes as an `invalid_frame` event instead. Ends
   * normally when the server closes; throws a ConnectError when the
   * connection fails.
   */
  async *events(): AsyncGenerator<ServerFrame | InvalidFrameEvent, void, void> {
    while (true) {
      let next: IteratorResult<string | ProtocolError, void>;
      try {
        next = await this.#lines.next();
      } catch (error) {
        if (this.#closed) return;
        throw new ConnectError(`lost connection: ${describeFailure(error)}`, { cause: error });
      }
      if (next.done) return;
      let event: ServerFrame | undefined;
      try {
        event = parseLine(next.value);
      } catch (error) {
        if (!(error instanceof InvalidFrameError)) throw error;
        if (next.value instanceof ProtocolError && next.value.fatal) {
          throw new ConnectError(`lost connection: ${lowerFirst(error.message)}`, { cause: error });
        }
        yield { type: "invalid_frame", message: error.message };
        continue;
      }
      if (event?.type === "ping") {
        // Keepalive: answer at once, nobody needs to see it.
        this.send({ type: "pong", token: event.token }).catch(() => {});
      } else if (event) yield event;
    }
  }

  /** Sends a frame; frames leave in the order they were sent. */
  send(frame: ClientFrame): Promise<void> {
    const bytes = encodeFrame(frame);
    this.#writing = this.#writing.then(() => this.#pipe.write(bytes));
    return this.#writing;
  }

  /**
   * Sends a line as a person typed it: `/name args` runs a command, `//text`
   * sends "/text", anything else is a message to the current room.
   */
  sendLine(line: string): Promise<void> {
    return this.send(lineToFrame(line));
  }

  /** Closes the connection. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pipe.close();
  }

  /** Closes the connection and waits for writes under way to settle. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.#writing.catch(() => {});
  }
}

/** Turns a typed line into a frame: a command, or a literal message. */
export function lineToFrame(line: string): ClientFrame {
  const typed = parseTypedLine(line);
  return typed.kind === "command"
    ? { type: "cmd", name: typed.name, args: typed.args }
    : { type: "msg", text: typed.text };
}

/**
 * The hello, the key proof if the server asks for one, and the welcome:
 * every step of joining, so that one deadline bounds them all (a write
 * that never settles included).
 */
async function shakeHands(
  pipe: ClientPipe,
  options: SessionOptions,
  where: string,
): Promise<{ lines: AsyncIterator<string | ProtocolError, void, void>; welcome: WelcomeEvent }> {
  const hello: ClientFrame = {
    type: "hello",
    protocol: PROTOCOL_VERSION,
    nick: options.nick,
    client: options.client,
    ...(options.password !== undefined ? { password: options.password } : {}),
    ...(options.identity ? { key: options.identity.publicKey } : {}),
  };
  await pipe.write(encodeFrame(hello));
  const lines = decodeLines(pipe.chunks(), MAX_LINE_BYTES)[Symbol.asyncIterator]();
  let answered = false;
  const answer = async (nonce: unknown) => {
    if (!options.identity) {
      throw new ConnectError(`${where} sent a key challenge, but this session has no key`);
    }
    // One well-formed challenge per hello; anything else is not a server we should sign for.
    if (answered || !isNonce(nonce)) {
      throw new ConnectError(`${where} sent a malformed or second key challenge`);
    }
    answered = true;
    // The key proof is bound to the pipe: the certificate checked, or "plain".
    const signature = await options.identity.sign(nonce, pipe.binding);
    await pipe.write(encodeFrame({ type: "auth", signature }));
  };
  return { lines, welcome: await awaitWelcome(lines, where, answer) };
}

/** Reads lines until the welcome, answering a key challenge on the way; a refusal throws. */
async function awaitWelcome(
  lines: AsyncIterator<string | ProtocolError, void, void>,
  where: string,
  answerChallenge: (nonce: unknown) => Promise<void>,
): Promise<WelcomeEvent> {
  // A refusal before the mode is known comes as one plain line ("! ...").
  let said = "";
  while (true) {
    const next = await lines.next();
    if (next.done) {
      if (!said) throw new ConnectError(`${where} closed the connection before welcoming us`);
      // A refusal at the door (too many connections from this address, ...).
      const reason = said.replace(/^!\s*/, "");
      throw new RefusedError("refused", `cannot join ${where}: ${reason}`, reason);
    }
    if (typeof next.value === "string" && next.value.startsWith("!")) {
      said = excerpt(cleanWireText(next.value.trim()), 500);
    }
    // On a slow link the server may take us for a text client and greet us
    // first ("... Nick? "): skip text, and read a frame from its first "{".
    const brace = typeof next.value === "string" ? next.value.indexOf("{") : -1;
    const text = brace >= 0 ? (next.value as string).slice(brace) : undefined;
    if (text === undefined || !isJson(text)) continue;
    let event: ServerFrame | undefined;
    try {
      event = parseServerFrame(text);
    } catch (error) {
      if (!(error instanceof InvalidFrameError)) throw error;
      throw new ConnectError(`cannot join ${where}: ${lowerFirst(error.message)}`, {
        cause: error,
      });
    }
    if (!event) continue;
    if (event.type === "welcome") return event;
    if (event.type === "challenge") {
      await answerChallenge(event.nonce);
      continue;
    }
    if (event.type === "error") {
      throw new RefusedError(event.code, `cannot join ${where}: ${event.message}`, event.message);
    }
    if (event.type === "bye") {
      throw new RefusedError(event.reason, `cannot join ${where}: ${event.message}`, event.message);
    }
  }
}

/** One line from the server as a frame (undefined: blank, or a type we do not know). */
function parseLine(line: string | ProtocolError): ServerFrame | undefined {
  if (typeof line === "string") return parseServerFrame(line);
  throw new InvalidFrameError(
    line.code === "line_too_long"
      ? `a line longer than ${MAX_LINE_BYTES / 1024 / 1024} MiB`
      : "a line that is not valid UTF-8",
    { cause: line },
  );
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** A frame as one line of JSON. */
function encodeFrame(frame: ClientFrame): Uint8Array {
  return encoder.encode(JSON.stringify(frame) + "\n");
}

/** The one timer that bounds connecting and the handshake together. */
class Deadline implements Disposable {
  readonly #timer: ReturnType<typeof setTimeout>;
  /** Rejects with a ConnectError when the time is up. */
  readonly passed: Promise<never>;

  constructor(timeoutMs: number, where: string) {
    const { promise, reject } = Promise.withResolvers<never>();
    this.passed = promise;
    // Raced more than once, or not at all: never an unhandled rejection.
    promise.catch(() => {});
    this.#timer = setTimeout(
      () =>
        reject(new ConnectError(`cannot reach ${where}: timed out after ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
  }

  [Symbol.dispose](): void {
    clearTimeout(this.#timer);
  }
}
