/**
 * A hub with an access store (registrations, bans) and an operator, members
 * connected with a key and an address, and assertions on the last thing they
 * were sent: shared by the unit tests of registration, moderation and mutes.
 *
 * @module
 */

import assert from "node:assert/strict";
import { MemoryAccessStore } from "./state/access_store.ts";
import type { ChatErrorCode as ErrorCode } from "./events.ts";
import { Hub, type HubOptions } from "./hub.ts";
import type { Member } from "./member.ts";
import { RecordingSink } from "./_recording_sink.ts";

/** Ana's key fingerprint. */
export const ANA_FINGERPRINT = "SHA256:anaanaanaanaanaanaanaanaanaanaanaanaanaanaa";
/** Bo's key fingerprint. */
export const BO_FINGERPRINT = "SHA256:bobobobobobobobobobobobobobobobobobobobobob";
/** The operator's key fingerprint: a {@linkcode setup} hub lists it in `operators`. */
export const OP_FINGERPRINT = "SHA256:opopopopopopopopopopopopopopopopopopopopopo";

/** A connected member, its recorded events, and a way to type lines as it. */
export interface Client {
  /** The member the hub admitted. */
  member: Member;
  /** What the hub sent it. */
  sink: RecordingSink;
  /** Types a line as the member in its current room, as {@linkcode Hub.input} does. */
  input(line: string): boolean | Promise<boolean>;
}

/** A hub with an in-memory access store, `OP_FINGERPRINT` as operator and no rate limit, and a way to connect members. */
export function setup(options: HubOptions = {}): {
  hub: Hub;
  access: MemoryAccessStore;
  tick(ms: number): number;
  connect(nick: string, fingerprint?: string, address?: string): Client;
} {
  // No rate limit: these tests type many commands in one tick.
  let time = 1_700_000_000_000;
  const access = new MemoryAccessStore();
  const hub = new Hub({
    now: () => time,
    access,
    operators: [OP_FINGERPRINT],
    rateLimit: false,
    ...options,
  });
  return {
    hub,
    access,
    tick: (ms: number) => (time += ms),
    connect(nick: string, fingerprint?: string, address = "10.0.0.1"): Client {
      const sink = new RecordingSink();
      const member = hub.join({ nick, client: "test", fingerprint, address }, sink);
      return { member, sink, input: (line) => hub.input(member, line) };
    },
  };
}

/** Asserts that the last event `client` was sent is an error with `code`. */
export function lastError(client: Client, code: ErrorCode, message?: RegExp): void {
  const event = client.sink.last();
  assert.equal(event?.type, "error", JSON.stringify(event));
  assert.equal(event.code, code, event.message);
  if (message) assert.match(event.message, message);
}

/** Asserts that the last event `client` was sent is a notice matching `message`. */
export function lastNotice(client: Client, message: RegExp): void {
  const event = client.sink.last();
  assert.equal(event?.type, "notice", JSON.stringify(event));
  assert.match(event.message, message);
}
