/**
 * What every wire format gives the server: bytes in, frames out; events in,
 * bytes out; no I/O. The native JSON protocol (`NativeCodec`) and the text
 * mode for `nc` (`TextCodec`) implement it, and so will an
 * IRC codec; a WebSocket front end reuses the native one.
 *
 * @module
 */

import type { ByeFrame, ServerFrame } from "./wire_frames.ts";
import type { Member } from "../core/member.ts";
import { ProtocolError } from "./protocol_error.ts";
import type { ClientFrame, HelloFrame } from "./client_frames.ts";

/**
 * A password typed on its own line before the nick (text mode): checked at
 * once, so that a person learns whether it was right before picking a nick.
 * Never read from the native wire.
 */
export interface PasswordFrame {
  /** Tells it from the wire's frames. */
  type: "password";
  /** The line as typed, spaces included. */
  password: string;
}

/**
 * A request to take the key of the connection's TLS client certificate as
 * the member's key (IRC's SASL EXTERNAL): the TLS handshake proved it, so
 * no challenge follows. Never read from the native wire: only a codec whose
 * protocol has such a request (IRC) makes it.
 */
export interface ExternalFrame {
  /** Tells it from the wire's frames. */
  type: "external";
  /** The authorization identity asked for: empty, or the key's fingerprint. */
  authzid: string;
}

/**
 * One thing a received line became: a frame, a text-mode password (or an
 * IRC SASL PLAIN one), a SASL EXTERNAL request, or the error of a bad line.
 */
export type DecodedFrame = ClientFrame | PasswordFrame | ExternalFrame | ProtocolError;

/** Whether a decoded frame is a request (anything but a decoding error): a sign of life. */
export function isRequest(frame: DecodedFrame): boolean {
  return !(frame instanceof ProtocolError);
}

/** What received bytes decode to: the frames, in order, and what to answer before handling them. */
export interface Decoded {
  /** The frames (or the errors of bad lines) the bytes complete. */
  frames: DecodedFrame[];
  /**
   * Bytes to send before any frame is handled (the prompts of text mode:
   * "Nick? " again after a blank line), each as it was made.
   */
  replies?: Uint8Array[];
  /**
   * The peer asked to leave before joining (text mode's `/quit` at the nick
   * prompt): end with this goodbye; the frames before it are moot.
   */
  bye?: ByeFrame;
}

/**
 * What a wire format tells the session about itself, so that the session
 * never asks which format it speaks.
 */
export interface CodecCapabilities {
  /** The format's name, for logs. */
  readonly name: string;
  /** Members get their own room messages back (native clients use them as acknowledgements). */
  readonly echo: boolean;
  /** A quiet peer is pinged, and dropped when it does not answer (a program answers pings). */
  readonly keepalive: boolean;
  /**
   * A person types the nick at a prompt: the handshake gets a person's time
   * (`promptTimeoutMs`), not a program's.
   */
  readonly promptsForNick: boolean;
  /**
   * The client can send files with the welcome's upload token; a format
   * that never shows the token (text, IRC) gets none made.
   */
  readonly uploads: boolean;
}

/**
 * One wire format for one connection: turns received bytes into frames and
 * events into bytes, without any I/O (the session reads and writes). State
 * that spans reads (an unfinished line, a telnet sequence, whether the nick
 * was asked for) lives here.
 */
export interface Codec {
  /** What the format does, for the session. */
  readonly capabilities: CodecCapabilities;
  /** The frames received bytes complete, and what to answer at once. */
  decode(chunk: Uint8Array): Decoded;
  /**
   * The bytes of an event; called once per recipient of a broadcast, so it
   * must not allocate per call for a room event (the bytes are shared: never
   * modify them).
   */
  encode(event: ServerFrame): Uint8Array;
  /**
   * The bytes of a run of one room's events (delivery_batch.ts), shared by
   * every recipient whose bytes are the same (a {@linkcode RunCache}); or
   * undefined when the run must go event by event. Optional.
   */
  encodeRun?(events: readonly ServerFrame[]): Uint8Array | undefined;
  /** The bytes of the final event, or undefined when there is nothing more to say. */
  encodeEnd(event: ByeFrame): Uint8Array | undefined;
  /** The hello was accepted: events now render for this member (its current room). */
  admitted(member: Member): void;
  /**
   * For a format whose lines become frames before the hello is answered
   * (text mode): the hello to try next when a line arrives while the
   * previous nick was refused.
   */
  retryHello?(line: string): HelloFrame;
  /**
   * For a format that holds the lines read behind a hello until it is
   * answered (IRC clients pipeline NICK, USER and JOIN): asked after each
   * batch of frames was handled, it decodes them now; undefined when none
   * waits (or the hello is still on its way).
   */
  release?(): Decoded | undefined;
  /** After a {@linkcode PasswordFrame} was accepted: the bytes that ask for what comes next. */
  passwordAccepted?(): Uint8Array;
  /**
   * After an {@linkcode ExternalFrame} was accepted: the bytes that say so;
   * `fingerprint` names the certificate's key, the member's key from now on.
   */
  externalAccepted?(fingerprint: string): Uint8Array;
}
