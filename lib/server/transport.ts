import type { ChatEvent } from "../core/events.ts";
import type { Member, MemberSink } from "../core/member.ts";
import type { ProtocolError } from "../errors.ts";
import type { ClientFrame } from "../protocol/client_frames.ts";
import type { Connection } from "./connection.ts";

/**
 * What the server needs of a wire format: frames in, events out. The native
 * JSON protocol and the plain-text mode for `nc` both implement it, and so
 * will later front ends (TLS, WebSocket, IRC).
 */
export interface Transport extends MemberSink {
  /** Which wire format this is, for logs and the hello's `client`. */
  readonly kind: "native" | "text";
  /** The connection the transport reads and writes. */
  readonly connection: Connection;
  /** The member once the hello was accepted (text rendering needs its current room). */
  member: Member | undefined;
  /** Decoded frames, or the error a bad line caused, until the peer goes away. */
  frames(): AsyncIterable<ClientFrame | ProtocolError>;
  /** Queues an event; never waits. */
  deliver(event: ChatEvent): void;
}
