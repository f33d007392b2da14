/**
 * A member sink that records what the hub sends, for the core's unit tests.
 *
 * @module
 */

import type { ByeEvent, ChatEvent } from "./events.ts";
import { Member, type MemberSink } from "./member.ts";

/** Records every event and goodbye sent to one member. */
export class RecordingSink implements MemberSink {
  events: ChatEvent[] = [];
  ended: ByeEvent[] = [];

  deliver(event: ChatEvent): void {
    this.events.push(event);
  }

  end(event: ByeEvent): void {
    this.ended.push(event);
  }

  /** The events of one type, typed. */
  of<T extends ChatEvent["type"]>(type: T): Extract<ChatEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<ChatEvent, { type: T }> => e.type === type);
  }

  /** The last event received. */
  last(): ChatEvent | undefined {
    return this.events.at(-1);
  }

  /** The one event received since the last clear; throws otherwise. */
  only(): ChatEvent {
    if (this.events.length !== 1) {
      throw new Error(`expected one event, got ${JSON.stringify(this.events)}`);
    }
    return this.events[0];
  }

  clear(): void {
    this.events = [];
  }
}

let memberIds = 0;

/**
 * A member made outside a hub (for the room tests), whose sink records what it is told in
 * `told`; with `remote`, a member of another node ("B").
 */
export function recordedMember(nick: string, remote = false): Member & { told: ChatEvent[] } {
  const sink = new RecordingSink();
  const made = new Member(++memberIds, nick, nick.toLowerCase(), "test", sink, false);
  if (remote) made.remote = { node: "B", disconnect: () => {} };
  return Object.assign(made, { told: sink.events });
}
