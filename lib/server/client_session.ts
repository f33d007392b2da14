/**
 * One client, from its first byte to its last, whatever listener accepted it: the wire format
 * (given, or told by the first byte), the frame loop, the handshake (through
 * {@linkcode Handshake}), keepalive, overflow and the goodbyes. It knows its pipe only as a
 * {@linkcode Pipe} and its wire format only as a {@linkcode Codec} with its capabilities, so the
 * TCP and TLS front door and the WebSocket path all run the same session.
 *
 * @module
 */

import type { ByeFrame } from "../protocol/wire_frames.ts";
import type { Member } from "../core/member.ts";
import { errorText } from "../core/errors.ts";
import { ProtocolError } from "../protocol/protocol_error.ts";
import { type Codec, type Decoded, type DecodedFrame, isRequest } from "../protocol/codec.ts";
import { plainLine } from "../protocol/text_codec.ts";
import { CodecSink, type GoodbyeListener } from "./codec_sink.ts";
import { Handshake } from "./handshake.ts";
import { Keepalive } from "./keepalive.ts";
import { type FirstBytes, sessionFirstBytes } from "./first_bytes.ts";
import { PLAIN_BINDING } from "../protocol/key_proof.ts";
import type { OverflowListener, Pipe, PipeReader } from "./outbox.ts";
import type { Admitted } from "./connection_limits.ts";
import type { SessionContext, SessionHost, SessionSetup } from "./session_context.ts";
import { closeWindow, openWindow } from "../core/delivery_batch.ts";

export type { SessionContext, SessionLimits, SessionSetup } from "./session_context.ts";

const SHUTDOWN: ByeFrame = { type: "bye", reason: "shutdown", message: "Server shutting down" };

/** Why a connection ended when nothing else said why. */
const CLOSED = "connection closed";

/** See the module doc. */
export class ClientSession implements PipeReader, GoodbyeListener, OverflowListener {
  /** The byte pipe. */
  readonly pipe: Pipe;
  /** The peer's IP address. */
  readonly ip: string;
  /** Its place in the connection limits. */
  readonly ticket: Admitted;
  readonly #context: SessionContext;
  /** What the listener handed over, until the member joined (then only `ticket` is kept). */
  #setup: SessionSetup | undefined;
  /** The codec and outbox, once the wire format is known. */
  #sink: CodecSink | undefined;
  #member: Member | undefined;
  #handshake: Handshake | undefined;
  /** When the handshake deadline started (performance.now() ms). */
  #acceptedAt = Math.ceil(performance.now());
  /** While an answer is held back, the handshake deadline waits. */
  #holding = false;
  /** When to ping it, and when it is gone: made when first asked (never, for a text client). */
  #keepalive: Keepalive | undefined;
  /** Tells the codec (or HTTP) from the first bytes, until it is known. */
  #firstBytes: FirstBytes | undefined;
  /** Its first bytes were an HTTP request: the connection went to the HTTP server. */
  handedOff = false;
  /** Why it ends: the leave reason and its detail (the session's, or the hub's goodbye). */
  #reason: "quit" | "dropped" | "kicked" | "timeout" = "quit";
  #detail = CLOSED;

  /** A session for one connection of the server `context`. */
  constructor(context: SessionContext, setup: SessionSetup) {
    this.#context = context;
    this.#setup = setup;
    this.pipe = setup.pipe;
    this.ip = setup.ip;
    this.ticket = setup.ticket;
  }

  /** The member once its hello was accepted. */
  get member(): Member | undefined {
    return this.#member;
  }

  /**
   * Serves the connection to its end (reads, handles, leaves, closes), then tells `host` once:
   * `served`, or `failed` when ending failed or `run` itself threw.
   */
  run(host?: SessionHost): void {
    this.#host = host;
    const { log, logs, sessions } = this.#context;
    const pipe = this.pipe;
    let reading = false;
    try {
      sessions.add(this);
      if (logs?.("debug") !== false) log({ level: "debug", event: "connect", remote: pipe.remote });
      const setup = this.#setup!;
      if (setup.codec) this.#use(setup.codec);
      else {
        // A first line that never ended comes back as this session's first chunk.
        this.#firstBytes = sessionFirstBytes(this.#context, pipe, setup, this);
      }
      // The session is the reader: no async function, promise or closure per client for its
      // life (docs/performance.md).
      reading = true;
      pipe.readLoop(this);
    } catch (error) {
      // A read loop that throws at once ends like one that fails later.
      if (reading) return queueMicrotask(() => this.failed(error));
      // Before it: no read loop will ever end it, so it is let go here (and its connection too).
      this.#host = undefined;
      sessions.delete(this);
      pipe.close();
      host?.failed(this, error);
    }
  }

  /** Who `run` reports to; undefined once it has (it reports once). */
  #host: SessionHost | undefined;

  /** Its pipe's read loop ended (see `PipeReader`): it finishes, then tells its host. */
  ended(): void {
    const host = this.#host;
    this.#host = undefined;
    void this.#finish().then(() => host?.served(this), (error) => host?.failed(this, error));
  }
  /** Its pipe's read loop failed: it finishes, dropped. */
  failed(error: unknown): void {
    this.#reason = "dropped";
    this.#detail = errorText(error);
    this.ended();
  }

  /** After the read loop: the member leaves, the pipe ends, the disconnect is logged. */
  async #finish(): Promise<void> {
    const { log, sessions } = this.#context;
    const pipe = this.pipe;
    this.#firstBytes?.stop();
    if (this.handedOff) {
      sessions.delete(this);
      return;
    }
    const member = this.#member;
    if (member && !member.gone) this.#context.hub.leave(member, this.#reason, this.#detail);
    await pipe.end();
    sessions.delete(this);
    if (this.#context.logs?.("info") === false) return;
    const closing = this.#context.admission.closing;
    log({
      level: "info",
      event: "disconnect",
      remote: pipe.remote,
      nick: member?.nick,
      reason: closing ? "shutdown" : member ? this.#reason : "left before joining",
      detail: closing ? undefined : this.#detail,
    });
  }

  /** The server is shutting down: a goodbye in the client's format (members had theirs from the hub). */
  shutdown(): void {
    if (this.#sink) this.#sink.end(SHUTDOWN);
    else void this.pipe.end();
  }

  /** Pushed out for a newcomer before it joined (`ConnectionLimits`): told why in its format, closed. */
  evict(): void {
    if (this.pipe.ending) return;
    const reason = "too many connections waiting to join";
    this.#context.log({ level: "warn", event: "evicted", remote: this.pipe.remote, reason });
    const message = "Too many connections are waiting to join; try again in a moment";
    const sink = this.#sink;
    if (!sink) return void this.pipe.end(plainLine(message));
    sink.deliver({ type: "error", code: "server_busy", message });
    sink.end({ type: "bye", reason: "full", code: "server_busy", message });
  }

  /**
   * Every few hundred ms (the server's one timer): compacts the pipe (an idle client keeps no
   * empty send-queue slots), closes it if it did not join in time, pings it when it went quiet
   * (keepalive formats), drops it when it does not answer (half-open TCP, a laptop asleep).
   */
  sweep(now: number): void {
    const pipe = this.pipe;
    if (pipe.ending) return;
    pipe.compact?.();
    const { limits, log } = this.#context;
    const sink = this.#sink;
    const member = this.#member;
    if (!member) {
      // A person typing a nick gets a person's time; the pending budget, not this clock, is what
      // protects the server from idle connections.
      const person = sink
        ? sink.codec.capabilities.promptsForNick
        : this.#firstBytes?.greeted ?? false;
      const limit = person ? limits.promptTimeoutMs : limits.handshakeTimeoutMs;
      // A silent peer from a browser's address is greeted late (12 s); then it has a person's time.
      if (this.#holding || this.#firstBytes?.browserGreetingDue) return;
      if (now - this.#acceptedAt < limit) return;
      const message = `Did not join within ${limit / 1000} s; closing`;
      log({
        level: "warn",
        event: "limit",
        remote: pipe.remote,
        reason: person ? "prompt_timeout" : "handshake_timeout",
      });
      if (sink) {
        sink.deliver({ type: "error", code: "handshake_timeout", message });
        sink.end({ type: "bye", reason: "timeout", code: "handshake_timeout", message });
      } else void pipe.end(plainLine(message));
      return;
    }
    if (!sink?.codec.capabilities.keepalive || limits.pingIntervalMs === 0) return;
    const verdict = this.#clock().check(now, pipe.lastReceived);
    if (verdict === "ping") sink.deliver({ type: "ping", token: this.#context.nextPingToken() });
    else if (verdict === "timeout") {
      const detail = `no answer to a ping for ${limits.pingTimeoutMs / 1000} s`;
      log({ level: "warn", event: "timeout", remote: pipe.remote, nick: member.nick });
      this.#context.hub.leave(member, "timeout", detail);
      sink.end({
        type: "bye",
        reason: "timeout",
        code: "timed_out",
        message: `Timed out: ${detail}`,
      });
    }
  }

  /**
   * One chunk from the pipe (its read loop calls it): decoded, answered, its frames handled in
   * order; the room events they cause go to each member as one run (delivery_batch.ts).
   */
  chunk(chunk: Uint8Array): void | Promise<void> {
    const opened = openWindow();
    try {
      return this.#chunk(chunk);
    } finally {
      if (opened) closeWindow();
    }
  }

  #chunk(chunk: Uint8Array): void | Promise<void> {
    let sink = this.#sink;
    if (!sink) {
      const verdict = this.#firstBytes!.take(chunk);
      if (verdict.kind === "more") return;
      if (verdict.kind === "http") return this.#handOff(verdict.head);
      this.#firstBytes = undefined;
      sink = this.#use(verdict.codec);
      chunk = verdict.bytes;
      if (this.#context.admission.closing) {
        sink.end(SHUTDOWN);
        return;
      }
    }
    return this.#take(sink, sink.codec.decode(chunk));
  }

  /** What the codec decoded: replies sent, frames handled in order, then what it held behind a hello. */
  #take(sink: CodecSink, { frames, replies, bye }: Decoded): void | Promise<void> {
    if (replies) { for (const reply of replies) this.pipe.send(reply); }
    if (bye) sink.end(bye);
    // A line typed at a prompt, a hello: a sign of life (see ConnectionLimits).
    if (!this.#member && frames.some(isRequest)) this.ticket.alive();
    const pending = this.#handleFrames(frames, 0);
    return pending ? pending.then(() => this.#held(sink)) : this.#held(sink);
  }

  /** What the codec held behind a hello until it was answered (a method: no closure a chunk). */
  #held(sink: CodecSink): void | Promise<void> {
    const more = this.pipe.ending ? undefined : sink.codec.release?.();
    if (more) return this.#take(sink, more);
  }

  /** An HTTP request: the connection goes to `http`, with the bytes read. */
  #handOff(head: Uint8Array): void {
    this.handedOff = true;
    const { ip, ticket, http, binding } = this.#setup!;
    http!.takeOver(this.pipe, head, { ip, ticket, secure: binding !== PLAIN_BINDING });
  }

  /** Starts speaking `codec`: its sink, and what an overflow does. */
  #use(codec: Codec): CodecSink {
    const sink = this.#sink = new CodecSink(codec, this.pipe, this);
    this.pipe.overflowListener = this;
    return sink;
  }

  /**
   * A goodbye on its way (its sink tells it). One the hub said (a flood, a kick) is why the
   * connection ends, unless the session already knew why; a flood is a limit.
   */
  goodbye(bye: ByeFrame): void {
    if (this.#reason !== "quit" || this.#detail !== CLOSED) return;
    if (bye.reason === "dropped" || bye.reason === "kicked" || bye.reason === "timeout") {
      this.#reason = bye.reason;
      this.#detail = bye.message;
    }
    if (bye.code !== "flooding") return;
    this.#context.log({
      level: "warn",
      event: "limit",
      remote: this.pipe.remote,
      nick: this.#member?.nick,
      reason: "flooding",
    });
  }

  /**
   * The send queue overflowed (its pipe tells it). Runs after the broadcast that overflowed has
   * reached everyone, so the leave notice cannot overtake it.
   */
  overflowed(): void {
    this.#reason = "dropped";
    this.#detail = "send queue exceeded";
    const member = this.#member;
    this.#context.log({
      level: "warn",
      event: "drop",
      remote: this.pipe.remote,
      nick: member?.nick,
      reason: this.#detail,
    });
    if (member) this.#context.hub.leave(member, "dropped", this.#detail);
    this.#sink!.end({
      type: "bye",
      reason: "dropped",
      code: "send_queue_exceeded",
      message: `You were dropped: more than ${this.#context.limits.sendQueueBytes} bytes` +
        ` were waiting to be sent to you`,
    });
  }

  /**
   * Handles frames in order from `from`. When one needs to wait (a signature check, a held-back
   * password answer), the rest wait for it, and so does the read loop: the returned promise
   * settles when all are handled.
   */
  #handleFrames(frames: DecodedFrame[], from: number): void | Promise<void> {
    for (let i = from; i < frames.length; i++) {
      if (this.pipe.ending) return;
      const pending = this.#handle(frames[i]);
      if (pending) return pending.then(() => this.#handleFrames(frames, i + 1));
    }
  }

  /** Handles one frame: the handshake's until the member joined, the hub's after. */
  #handle(frame: DecodedFrame): void | Promise<void> {
    const { hub, admission, log } = this.#context;
    const sink = this.#sink!;
    const member = this.#member;
    if (admission.closing) return;
    if (frame instanceof ProtocolError) {
      if (frame.request && member) {
        // A query the codec answers itself costs what a command costs.
        const allowed = hub.charge(member);
        if (allowed === false) return;
        if (allowed !== true) {
          return this.#clock().waitOn(allowed.then((ok) => {
            if (ok) sink.deliver({ type: "error", code: frame.code, message: frame.message });
            return ok;
          }));
        }
      }
      sink.deliver({ type: "error", code: frame.code, message: frame.message });
      if (frame.fatal) {
        this.#reason = "dropped";
        this.#detail = frame.message;
        log({
          level: "warn",
          event: "limit",
          remote: this.pipe.remote,
          nick: member?.nick,
          reason: frame.code,
        });
        if (member) hub.leave(member, "dropped", frame.message);
        sink.end({ type: "bye", reason: "protocol", message: frame.message });
      }
      return;
    }
    if (frame.type === "pong") return; // Any input counts as alive.
    if (frame.type === "ping") {
      sink.deliver({ type: "pong", ...(frame.token !== undefined ? { token: frame.token } : {}) });
      return;
    }
    if (!member) return this.#handleHandshake(sink, frame);
    switch (frame.type) {
      case "password":
      case "external":
        return; // Only ever sent before the hello.
      case "hello":
      case "auth":
        sink.deliver({
          type: "error",
          code: "already_hello",
          message: `Already joined; ${frame.type} is only sent once`,
        });
        return;
      // A request waiting on a store holds the connection's later frames (a ping included) until
      // it is answered, so answers keep their order.
      case "msg":
        return this.#settled(hub.message(member, frame.text, frame.room));
      case "cmd":
        return this.#settled(hub.command(member, frame.name, frame.args, frame.room));
      case "input":
        return this.#settled(hub.input(member, frame.line, frame.room));
    }
  }

  /** Nothing for an answer given at once; for one that waits on a store, a promise the read loop waits on. */
  #settled(result: boolean | Promise<boolean>): void | Promise<void> {
    if (typeof result !== "boolean") return this.#clock().waitOn(result);
  }

  #clock(): Keepalive {
    const { pingIntervalMs, pingTimeoutMs } = this.#context.limits;
    return this.#keepalive ??= new Keepalive(pingIntervalMs, pingTimeoutMs);
  }

  /** A frame before the member joined: the handshake's, or `not_ready`. */
  #handleHandshake(
    sink: CodecSink,
    frame: Exclude<DecodedFrame, ProtocolError>,
  ): void | Promise<void> {
    if (frame.type === "input" && sink.codec.retryHello) {
      // More lines arrived with a nick that was then refused: the next line is the next try.
      frame = sink.codec.retryHello(frame.line);
    }
    const handshake = this.#handshake ??= new Handshake(this.#context.admission, {
      ip: this.ip,
      sink,
      binding: this.#setup!.binding,
      clientCertificate: this.#setup!.clientCertificate,
      hold: (holding) => {
        this.#holding = holding;
        // A fresh deadline for the rest of the handshake (a retried nick, the key proof).
        if (!holding) this.#acceptedAt = Math.ceil(performance.now());
      },
      joined: (member) => {
        this.#member = member;
        this.#handshake = undefined;
        sink.codec.admitted(member);
        this.#setup = undefined;
        this.ticket.joined();
      },
    });
    if (frame.type === "password") return handshake.password(frame.password);
    if (frame.type === "external") return handshake.external(frame.authzid);
    if (frame.type === "hello") return handshake.hello(frame);
    if (frame.type === "auth") return handshake.auth(frame);
    sink.deliver({
      type: "error",
      code: "not_ready",
      message: handshake.challenged
        ? 'Answer the challenge with "auth" first'
        : 'Send "hello" first',
    });
  }
}
