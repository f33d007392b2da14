import { formatHostPort } from "../net/host_port.ts";
import { type ChatEvent, PROTOCOL_VERSION, type WelcomeEvent } from "../core/events.ts";
import { ConnectError, ProtocolError } from "../errors.ts";
import type { ClientFrame } from "../protocol/client_frames.ts";
import { decodeLines } from "../protocol/decode_lines.ts";
import { type ByteConn, connectTls, SocketError } from "../net/socket_conn.ts";
import { serverKey } from "./known_hosts.ts";
import type { Identity } from "./identity.ts";
import { isNonce, PLAIN_BINDING } from "../protocol/key_proof.ts";
import { cleanWireText, InvalidFrameError, parseServerFrame } from "../protocol/server_frames.ts";
import { excerpt } from "../core/sanitize.ts";
import { parseTypedLine } from "../core/typed_line.ts";

/** How to reach the server and who to be. */
export interface SessionOptions {
  host: string;
  port: number;
  nick: string;
  /** Client software name sent in the hello. */
  client: string;
  /** Give up connecting (and waiting for the welcome) after this long. */
  timeoutMs?: number;
  /**
   * Connect with TLS and let this judge the server's certificate before
   * anything is sent (see ServerTrust); without it, plain TCP.
   */
  tls?: { check(server: string, certificate: Uint8Array): Promise<string> };
  /** The server's password, for a private server. */
  password?: string;
  /** The key to prove in the handshake (registered nicks, operator rights). */
  identity?: Pick<Identity, "publicKey" | "sign">;
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

/**
 * A native-protocol connection to a chat server: connect and hello, then
 * events as an async iterator and frames out in order.
 *
 * @example
 * ```ts
 * await using session = await ChatSession.connect({ host: "127.0.0.1", port: 7777, nick: "ana", client: "demo" });
 * await session.sendLine("hello");
 * for await (const event of session.events()) console.log(event);
 * ```
 */
export class ChatSession implements AsyncDisposable {
  readonly #conn: ByteConn;
  readonly #lines: AsyncIterator<string | ProtocolError, void, void>;
  #writing: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(
    conn: ByteConn,
    lines: AsyncIterator<string | ProtocolError, void, void>,
    /** The server's answer to our hello. */
    readonly welcome: WelcomeEvent,
  ) {
    this.#conn = conn;
    this.#lines = lines;
  }

  /**
   * Connects and joins.
   *
   * @throws {ConnectError} with a one-line reason (`cannot reach host:port: connection refused`)
   * @throws {RefusedError} when the server refuses the hello
   */
  static async connect(options: SessionOptions): Promise<ChatSession> {
    const where = formatHostPort(options.host, options.port);
    const timeoutMs = options.timeoutMs ?? 10_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new ConnectError(`cannot reach ${where}: timed out after ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
    });
    const connecting = options.tls
      ? connectTls(options.host, options.port)
      : Deno.connect({ hostname: options.host, port: options.port }).then((tcp) => {
        tcp.setNoDelay(true);
        return { conn: tcp as ByteConn, certificate: undefined };
      });
    let conn: ByteConn;
    // What the key proof is bound to: the certificate we checked, or "plain".
    let binding = PLAIN_BINDING;
    try {
      const connected = await Promise.race([connecting, timeout]);
      conn = connected.conn;
      if (options.tls) {
        try {
          // The checked fingerprint is what the key proof is bound to.
          binding = await options.tls.check(
            serverKey(options.host, options.port),
            connected.certificate!,
          );
        } catch (error) {
          conn.close();
          throw error;
        }
      }
    } catch (error) {
      clearTimeout(timer);
      connecting.then((late) => late.conn.close(), () => {});
      if (error instanceof ConnectError) throw error;
      if (isNotTls(error)) {
        // Reached, but what answered is not TLS: the likeliest cause is a --plain server.
        throw new ConnectError(
          `cannot connect to ${where} with TLS: the server does not speak TLS (started with --plain?); connect with --plain`,
          { cause: error },
        );
      }
      throw new ConnectError(`cannot reach ${where}: ${describeNetworkError(error)}`, {
        cause: error,
      });
    }
    try {
      const hello: ClientFrame = {
        type: "hello",
        protocol: PROTOCOL_VERSION,
        nick: options.nick,
        client: options.client,
        ...(options.password !== undefined ? { password: options.password } : {}),
        ...(options.identity ? { key: options.identity.publicKey } : {}),
      };
      await writeAll(conn, encoder.encode(JSON.stringify(hello) + "\n"));
      const lines = decodeLines(readChunks(conn), MAX_LINE_BYTES)[Symbol.asyncIterator]();
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
        const auth: ClientFrame = {
          type: "auth",
          signature: await options.identity.sign(nonce, binding),
        };
        await writeAll(conn, encoder.encode(JSON.stringify(auth) + "\n"));
      };
      const welcome = await Promise.race([awaitWelcome(lines, where, answer), timeout]);
      return new ChatSession(conn, lines, welcome);
    } catch (error) {
      conn.close();
      if (error instanceof ConnectError) throw error;
      if (error instanceof PlainToTlsError) {
        throw new ConnectError(`cannot join ${where}: ${error.message}`, { cause: error });
      }
      throw new ConnectError(`lost connection to ${where}: ${describeNetworkError(error)}`, {
        cause: error,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Events from the server after the welcome, until the connection ends,
   * each checked and cleaned by {@linkcode parseServerFrame}; a line that is
   * not a valid frame comes as an `invalid_frame` event instead. Ends
   * normally when the server closes; throws a ConnectError when the
   * connection fails.
   */
  async *events(): AsyncGenerator<ChatEvent | InvalidFrameEvent, void, void> {
    while (true) {
      let next: IteratorResult<string | ProtocolError, void>;
      try {
        next = await this.#lines.next();
      } catch (error) {
        if (this.#closed) return;
        throw new ConnectError(`lost connection: ${describeNetworkError(error)}`, { cause: error });
      }
      if (next.done) return;
      let event: ChatEvent | undefined;
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
    const bytes = encoder.encode(JSON.stringify(frame) + "\n");
    this.#writing = this.#writing.then(() => writeAll(this.#conn, bytes));
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
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.#writing.catch(() => {});
  }
}

/** node:tls failures in the same words as Deno's network errors. */
function describeSocketError(error: SocketError): string {
  switch (error.code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ECONNRESET":
      return "connection reset by the server";
    case "ETIMEDOUT":
      return "timed out";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "unknown host";
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return "host unreachable";
  }
  if (isNotTls(error)) return "the server does not speak TLS (started with --plain?)";
  if (/unexpected eof|record|handshake|ssl|tls/i.test(error.message)) {
    return "the TLS handshake failed";
  }
  return error.message.toLowerCase();
}

/**
 * Whether a TLS connection failed because the other side answered with
 * something that is not TLS at all (a plain-text greeting, an HTTP reply):
 * OpenSSL's "wrong version number" and kin.
 */
function isNotTls(error: unknown): boolean {
  if (!(error instanceof SocketError)) return false;
  return /^ERR_SSL_(WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|HTTP_REQUEST|UNKNOWN_PROTOCOL)$/
    .test(error.code ?? "") ||
    /wrong version number|packet length too long|http request|unknown protocol/i.test(
      error.message,
    );
}

/** Turns a typed line into a frame: a command, or a literal message. */
export function lineToFrame(line: string): ClientFrame {
  const typed = parseTypedLine(line);
  return typed.kind === "command"
    ? { type: "cmd", name: typed.name, args: typed.args }
    : { type: "msg", text: typed.text };
}

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
    let event: ChatEvent | undefined;
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
function parseLine(line: string | ProtocolError): ChatEvent | undefined {
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

/** "The server ..." as it reads after "chat-client: " or "cannot join ...: ". */
export function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

async function* readChunks(conn: ByteConn): AsyncGenerator<Uint8Array, void, void> {
  const buffer = new Uint8Array(64 * 1024);
  let first = true;
  while (true) {
    let n: number | null;
    try {
      n = await conn.read(buffer);
    } catch (error) {
      if (error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted) {
        return;
      }
      throw error;
    }
    if (n === null) return;
    // A TLS record (an alert, a handshake) where text was expected: we spoke
    // plain TCP to a TLS server.
    if (first && n >= 2 && (buffer[0] === 0x15 || buffer[0] === 0x16) && buffer[1] === 0x03) {
      throw new PlainToTlsError();
    }
    first = false;
    yield buffer.subarray(0, n);
  }
}

class PlainToTlsError extends Error {
  constructor() {
    super("the server speaks TLS; connect without --plain");
  }
}

async function writeAll(conn: ByteConn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
}

/** A short, lower-case reason for a network error, e.g. "connection refused". */
export function describeNetworkError(error: unknown): string {
  if (error instanceof PlainToTlsError) return error.message;
  if (error instanceof SocketError) return describeSocketError(error);
  if (error instanceof Deno.errors.ConnectionRefused) return "connection refused";
  if (error instanceof Deno.errors.ConnectionReset) return "connection reset by the server";
  if (error instanceof Deno.errors.TimedOut) return "timed out";
  if (error instanceof Deno.errors.BrokenPipe) return "the server closed the connection";
  if (error instanceof Deno.errors.NotCapable) return "permission denied";
  const message = error instanceof Error ? error.message : String(error);
  if (/lookup|resolve|not known|nodename|NotFound/i.test(message)) return "unknown host";
  if (/unreachable/i.test(message)) return "host unreachable";
  return message.replace(/\s*\(os error \d+\)$/, "").toLowerCase();
}
