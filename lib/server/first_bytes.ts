/**
 * What a connection is, told by its first bytes, before its session knows
 * its codec: `{` is a native client; a first line that is an HTTP request
 * line (on a port that serves HTTP) goes to the HTTP server; anything else
 * is a text client (nc, telnet), greeted with the nick prompt. A peer silent
 * for `textPromptDelayMs` is greeted as a person at nc (from an address
 * where a browser uses the chat, only after 12 s: browser_addresses.ts); a first line that
 * may still become a request line holds the greeting back for at most
 * `httpHeadersMs`, then its bytes are a text client's.
 *
 * @module
 */

import type { Codec } from "../protocol/codec.ts";
import { NativeCodec } from "../protocol/native_codec.ts";
import { plainLine, TextCodec } from "../protocol/text_codec.ts";
import { IrcCodec } from "../protocol/irc_codec.ts";
import { sniffIrcRegistration } from "../protocol/irc_line.ts";
import { VERSION } from "../version.ts";
import { FirstBytesSniffer, sniffFirstBytes } from "./http_sniff.ts";
import { DelayLine, type DelayTimer } from "./delay_line.ts";
import { ircDirectory } from "./irc_directory.ts";
import type { Outbox } from "./outbox.ts";
import type { SessionContext, SessionSetup } from "./session_context.ts";
import { BROWSER_GREETING_DELAY_MS } from "./browser_addresses.ts";

const OPEN_BRACE = 0x7b;
/**
 * Bytes of an unfinished first line after which it counts as HTTP (the
 * HTTP server then judges it): the sniffer looks at every byte so far on
 * each read, so a line dribbled a byte at a time costs the square of this.
 */
const REQUEST_LINE_BYTES = 4096;
const CRLF = new TextEncoder().encode("\r\n");

/** The greeting timers of every connection, one line per delay (a server has one). */
const GREETING_LINES = new Map<number, DelayLine>();

function greetingLine(delayMs: number): DelayLine {
  let line = GREETING_LINES.get(delayMs);
  if (!line) GREETING_LINES.set(delayMs, line = new DelayLine(delayMs));
  return line;
}

/** What the bytes so far make of the connection. */
export type FirstBytesVerdict =
  /** Too few to tell: wait for more. */
  | { kind: "more" }
  /** An HTTP request: `head` is every byte read (a copy). */
  | { kind: "http"; head: Uint8Array }
  /** A chat client speaking `codec`; `bytes` are the ones to decode now. */
  | { kind: "chat"; codec: Codec; bytes: Uint8Array };

/** Who is handed a first line that never ended: a text client's first bytes after all. */
export interface LateReader {
  /** Takes `head` as the first chunk of a text client (its result is not awaited). */
  chunk(head: Uint8Array): unknown;
}

/**
 * The first bytes of a session of the server `context`, on `pipe`: a silent
 * peer is greeted with the nick prompt, or, when the server is full already,
 * told so at once instead of asked for a nick it could not use. A request
 * line counts as HTTP when the port serves HTTP (`setup.http`); a silent
 * peer where a browser uses the chat is greeted only after
 * `BROWSER_GREETING_DELAY_MS` (browser_addresses.ts), and so is one whose
 * address a browser began to use while it was silent (its spare connection,
 * opened beside its first request). `late` is handed a first line that
 * never ended.
 */
export function sessionFirstBytes(
  context: SessionContext,
  pipe: Outbox,
  setup: Pick<SessionSetup, "http" | "ip">,
  late: LateReader,
): FirstBytes {
  // No closure per connection to ask again: the setup (alive until the member joins) is asked.
  if (!setup.http) return new FirstBytes(context, pipe, false, late);
  return new FirstBytes(context, pipe, true, late, setup.http.browserAt(setup.ip) || setup);
}

/** See the module doc. */
export class FirstBytes {
  // The server's context and the connection's pipe and reader, not an options object with
  // closures over them: one FirstBytes is made per connection.
  readonly #context: SessionContext;
  readonly #pipe: Outbox;
  readonly #late: LateReader;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The greeting of a silent peer, due `#greetAfterMs` after it was set (start or re-arm). */
  #greeting: DelayTimer | undefined;
  /** `textPromptDelayMs`, or longer from where a browser may hold spare connections. */
  #greetAfterMs: number;
  /** The greeting waits for a browser's spare connections (`BROWSER_GREETING_DELAY_MS`). */
  #forBrowser: boolean;
  /** Asked when the short greeting is due: whether a browser uses the chat from here now. */
  #browserSince: Pick<SessionSetup, "http" | "ip"> | undefined;
  /** It was silent, so it was greeted as a text client. */
  #greeted = false;
  /** The first bytes, while they might still be an HTTP request line. */
  #sniffer: FirstBytesSniffer | undefined;
  /** A request line still counts as HTTP (not once the peer was greeted as text). */
  #http: boolean;
  #holding = false;
  /** The first bytes, while they might still be an IRC registration command. */
  #ircHead: Uint8Array | undefined;
  /** Held too long for an IRC command: a text client's. */
  #ircOff = false;
  #ircTimer = false;

  /**
   * `browser`: a browser uses the chat from the peer's address (`true`), or
   * the server and address to ask again when the short greeting is due,
   * since a browser's spare connection may come before the request that
   * makes it known.
   */
  constructor(
    context: SessionContext,
    pipe: Outbox,
    http: boolean,
    late: LateReader,
    browser: boolean | Pick<SessionSetup, "http" | "ip"> = false,
  ) {
    this.#context = context;
    this.#forBrowser = browser === true;
    this.#browserSince = typeof browser === "object" ? browser : undefined;
    const greetAfterMs = this.#forBrowser
      ? BROWSER_GREETING_DELAY_MS
      : context.limits.textPromptDelayMs;
    this.#greetAfterMs = greetAfterMs;
    this.#pipe = pipe;
    this.#late = late;
    this.#http = http;
    this.#greeting = greetingLine(greetAfterMs).set(this.#greetingDue);
  }

  readonly #greetingDue = (): void => {
    this.#greeting = undefined;
    const since = this.#browserSince;
    this.#browserSince = undefined;
    if (since?.http?.browserAt(since.ip) && this.#greetAfterMs < BROWSER_GREETING_DELAY_MS) {
      // A browser began to use the chat from here since this connection came: it waits as one
      // opened after that would, from its own start.
      this.#forBrowser = true;
      this.#greetAfterMs = BROWSER_GREETING_DELAY_MS - this.#greetAfterMs;
      this.#greeting = greetingLine(this.#greetAfterMs).set(this.#greetingDue);
      return;
    }
    this.#greeted = true;
    this.#http = false;
    this.#greet();
  };

  /** It was silent, so it was greeted as a text client (a person at nc). */
  get greeted(): boolean {
    return this.#greeted;
  }

  /**
   * It is silent so far, from where a browser uses the chat, and its greeting
   * is still due: 12 s after the start, past the handshake's 10 s, so the
   * handshake's time must not close it before it was asked for a nick.
   */
  get browserGreetingDue(): boolean {
    return this.#forBrowser && this.#greeting !== undefined;
  }

  /** Takes a chunk (valid only during the call); the verdict on every byte so far. */
  take(chunk: Uint8Array): FirstBytesVerdict {
    let bytes = chunk;
    if (this.#ircHead) bytes = concat(this.#ircHead, chunk);
    else if (this.#http && !this.#sniffer && chunk[0] !== OPEN_BRACE) {
      // The first chunk alone usually tells (a nick line): no copy then.
      const verdict = sniffFirstBytes(chunk, REQUEST_LINE_BYTES);
      if (verdict === "http") {
        this.stop();
        return { kind: "http", head: chunk.slice() };
      }
      if (verdict === "more") {
        this.#sniffer = new FirstBytesSniffer(REQUEST_LINE_BYTES);
        return this.take(chunk);
      }
    } else if (this.#http && (this.#sniffer || chunk[0] !== OPEN_BRACE)) {
      const sniffer = this.#sniffer ??= new FirstBytesSniffer(REQUEST_LINE_BYTES);
      const verdict = sniffer.push(chunk);
      if (verdict === "more") {
        this.#holdGreeting();
        return { kind: "more" };
      }
      this.#sniffer = undefined;
      if (verdict === "http") {
        this.stop();
        return { kind: "http", head: sniffer.head };
      }
      bytes = sniffer.head;
    }
    let irc = false;
    if (bytes[0] !== OPEN_BRACE && !this.#ircOff) {
      const verdict = sniffIrcRegistration(bytes);
      if (verdict === "more") {
        this.#ircHead = bytes.slice();
        this.#holdForIrc();
        return { kind: "more" };
      }
      irc = verdict === "irc";
    }
    this.#ircHead = undefined;
    this.stop();
    return { kind: "chat", codec: this.#codec(bytes[0], irc), bytes };
  }

  /** Clears the timers (the session ends or its codec is known). */
  stop(): void {
    this.#stopGreeting();
    clearTimeout(this.#timer);
  }

  #stopGreeting(): void {
    if (this.#greeting === undefined) return;
    greetingLine(this.#greetAfterMs).clear(this.#greeting);
    this.#greeting = undefined;
  }

  /** Greets a text client with the nick prompt, or, when the server is full, says so and ends. */
  #greet(): void {
    const { hub, admission, log } = this.#context;
    const pipe = this.#pipe;
    if (hub.size < hub.maxClients) {
      pipe.send(TextCodec.greeting(hub.serverName, admission.askPassword));
      return;
    }
    const message = `Server is full (${hub.maxClients} clients); try again later`;
    log({ level: "warn", event: "refused", remote: pipe.remote, reason: "server_full" });
    void pipe.end(plainLine(message));
  }

  /**
   * The first byte decides the wire format. A native client that was greeted
   * as a text client (its first byte came late) still works: the greeting's
   * unfinished "Nick? " line is ended first, and native clients skip
   * non-JSON lines before their welcome.
   */
  #codec(first: number | undefined, irc: boolean): Codec {
    const { hub, admission, limits, isQuit } = this.#context;
    if (first === OPEN_BRACE) {
      if (this.#greeted) this.#pipe.send(CRLF);
      return new NativeCodec(limits.maxLineBytes);
    }
    // An IRC client is never greeted (one that was silent has the text greeting already).
    if (irc) {
      return new IrcCodec({
        maxLineBytes: limits.maxLineBytes,
        version: VERSION,
        directory: ircDirectory(hub),
      });
    }
    if (!this.#greeted) this.#greet();
    return new TextCodec({
      maxLineBytes: limits.maxLineBytes,
      askPassword: admission.askPassword,
      isQuit,
    });
  }

  /**
   * A first line that may still be an IRC registration command (`NIC`): the
   * greeting waits as long as it would for a silent peer, then the bytes
   * are a text client's.
   */
  #holdForIrc(): void {
    if (this.#ircHead && this.#ircTimer) return;
    this.#stopGreeting();
    clearTimeout(this.#timer);
    this.#ircTimer = true;
    this.#timer = setTimeout(() => {
      this.#ircOff = true;
      this.#http = false;
      const head = this.#ircHead;
      this.#ircHead = undefined;
      if (head) this.#late.chunk(head);
    }, this.#context.limits.textPromptDelayMs);
  }

  /** A first line still coming that may be a request line: the greeting waits. */
  #holdGreeting(): void {
    if (this.#holding) return;
    this.#holding = true;
    this.#stopGreeting();
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#http = false;
      const head = this.#sniffer?.head;
      this.#sniffer = undefined;
      if (head) this.#late.chunk(head);
    }, this.#context.limits.httpHeadersMs);
  }
}

/** `head` then `chunk`, in a new array. */
function concat(head: Uint8Array, chunk: Uint8Array): Uint8Array {
  const out = new Uint8Array(head.length + chunk.length);
  out.set(head);
  out.set(chunk, head.length);
  return out;
}
