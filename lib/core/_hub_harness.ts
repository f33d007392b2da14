/**
 * A hub on a clock the test controls, members connected to it with a
 * {@linkcode RecordingSink} each, and assertions on what they were sent:
 * shared by the hub's unit tests (`hub_*_test.ts`, `commands/*_test.ts`).
 *
 * @module
 */

import assert from "node:assert/strict";
import type { ChatErrorCode as ErrorCode, MessageKind } from "./events.ts";
import { Hub, type HubOptions } from "./hub.ts";
import type { Member } from "./member.ts";
import { RecordingSink } from "./_recording_sink.ts";

/** The clock of a {@linkcode setup} hub at the start (ms). */
export const START = 1_700_000_000_000;

/** A connected member, its recorded events, and a way to type lines as it. */
export interface Client {
  /** The member the hub admitted. */
  member: Member;
  /** What the hub sent it. */
  sink: RecordingSink;
  /** Types a line as the member (in `room`, else its current room), as {@linkcode Hub.input} does. */
  input(line: string, room?: string): boolean | Promise<boolean>;
}

/** A hub with a clock the test controls, and a way to connect members. */
export function setup(options: HubOptions = {}): {
  hub: Hub;
  tick(ms?: number): number;
  connect(nick: string, echo?: boolean): Client;
} {
  let time = START;
  const hub = new Hub({ now: () => time, ...options });
  return {
    hub,
    /** Moves the clock forward and returns the new time. */
    tick(ms = 1000): number {
      return time += ms;
    },
    connect(nick: string, echo?: boolean): Client {
      const sink = new RecordingSink();
      const member = hub.join({ nick, client: "test", echo }, sink);
      return { member, sink, input: (line, room) => hub.input(member, line, room) };
    },
  };
}

/** Forgets what the clients have been sent so far. */
export function quiet(...clients: Client[]): void {
  for (const client of clients) client.sink.clear();
}

/** Asserts that `client` got exactly one event, an error with `code`. */
export function assertError(client: Client, code: ErrorCode, message?: string | RegExp): void {
  const event = client.sink.only();
  assert.equal(event.type, "error");
  assert.equal(event.code, code);
  if (typeof message === "string") assert.equal(event.message, message);
  else if (message) assert.match(event.message, message);
}

/** Asserts that the clients were sent nothing, not even a goodbye. */
export function assertNothing(...clients: Client[]): void {
  for (const client of clients) {
    assert.deepEqual(client.sink.events, [], `${client.member.nick} should have been sent nothing`);
    assert.deepEqual(client.sink.ended, []);
  }
}

/** The texts of the messages `client` was sent, in order. */
export function texts(client: Client): string[] {
  return client.sink.of("msg").map((e) => e.text);
}

/**
 * ana and bob in #lobby, ana types `line` at the next tick: both receive the
 * one message it makes (id 3), of this `text` and `kind`. The hub and that
 * message, for more.
 */
export function assertLobbyMessage(
  line: string,
  text: string,
  kind: MessageKind,
): ReturnType<typeof setup> & { expected: Record<string, unknown> } {
  const harness = setup();
  const ana = harness.connect("ana");
  const bob = harness.connect("bob");
  quiet(ana, bob);
  const at = harness.tick();
  assert.equal(ana.input(line), true);
  const expected = { type: "msg", room: "#lobby", id: 3, ts: at, from: "ana", text, kind };
  assert.deepEqual(ana.sink.only(), expected);
  assert.deepEqual(bob.sink.only(), expected);
  return { ...harness, expected };
}
