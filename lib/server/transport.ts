import type { ChatEvent } from "../core/events.ts";
import type { Member, MemberSink } from "../core/member.ts";
import type { ProtocolError } from "../errors.ts";
import type { ClientFrame, HelloFrame } from "../protocol/client_frames.ts";
import type { Outbox } from "./outbox.ts";

/**
 * A password typed on its own line before the nick (text mode): checked at
 * once, so that a person learns whether it was right before picking a nick.
 * Never read from the native wire.
 */
export interface PasswordFrame {
  type: "password";
  password: string;
}

/**
 * What the server needs of a wire format: bytes in, frames out; events in,
 * bytes out. It does no I/O itself (the connection reads and writes), so the
 * server drives it from one read loop per connection. The native JSON
 * protocol and the plain-text mode for `nc` implement it, and so will later
 * front ends (TLS, WebSocket, IRC).
 */
export interface Transport extends MemberSink {
  /** Which wire format this is, for logs and the hello's `client`. */
  readonly kind: "native" | "text";
  /** Where the transport's bytes go. */
  readonly connection: Outbox;
  /** The member once the hello was accepted (text rendering needs its current room). */
  member: Member | undefined;
  /** The frames (or the errors of bad lines) that received bytes complete. */
  decode(chunk: Uint8Array): (ClientFrame | PasswordFrame | ProtocolError)[];
  /** Queues an event; never waits. */
  deliver(event: ChatEvent): void;
  /**
   * For a format whose lines become frames before the hello is answered
   * (text mode): the hello to try next when a line arrives while the
   * previous nick was refused.
   */
  retryHello?(line: string): HelloFrame;
  /** After a {@linkcode PasswordFrame} was accepted: ask for what comes next (the nick). */
  passwordAccepted?(): void;
}
