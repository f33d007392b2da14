/**
 * A member: one person connected to the chat, in one or more rooms, and the
 * {@linkcode MemberSink} the core sends its events to.
 *
 * @module
 */

import type { ByeEvent, ChatEvent, LeaveReason } from "./events.ts";
import type { Room } from "./room.ts";
import type { RoomEvent } from "./state/room_log.ts";
import type { TokenBucket } from "./token_bucket.ts";
import { flushDeliveries } from "./delivery_batch.ts";

/**
 * Where the core sends a member's events. A transport implements it; `deliver`
 * must only enqueue (never block), so one slow member cannot hold up a
 * broadcast.
 */
export interface MemberSink {
  /** Queues an event for the member. */
  deliver(event: ChatEvent): void;
  /** Queues a final event and closes the connection once it is sent. */
  end(event: ByeEvent): void;
  /**
   * Queues a run of one room's events, all for this member, at once (see
   * delivery_batch.ts); returns false, having queued nothing, when the run
   * must go event by event instead. Optional: without it, always so.
   */
  deliverRun?(events: readonly RoomEvent[]): boolean;
}

/**
 * How to reach a member connected to another node of a cluster: the core
 * hands a leave or disconnect of such a member to its node instead of
 * doing it here (its node announces the leave, in its rooms' order).
 */
export interface RemoteNode {
  /** The node the member is connected to. */
  readonly node: string;
  /** Asks that node to disconnect the member (`bye` undefined: leave without a goodbye). */
  disconnect(
    reason: LeaveReason,
    message: string | undefined,
    bye: ByeEvent | undefined,
    banned: boolean,
  ): void;
}

/**
 * A member's rooms by folded name, in the order they were joined: the part
 * of a `Map` the core uses, with no `Map` at all while the member is in one
 * room. Most members are in one room, and a `Map`'s table is ~300 bytes,
 * the largest single object an idle client kept (docs/performance.md).
 */
export class MemberRooms {
  /** The only room, while there is no #map. */
  #key: string | undefined;
  #room: Room | undefined;
  /** Made at the second room, then kept. */
  #map: Map<string, Room> | undefined;

  /** How many rooms. */
  get size(): number {
    return this.#map ? this.#map.size : this.#room ? 1 : 0;
  }

  /** The room of folded name `key`, if the member is in it. */
  get(key: string): Room | undefined {
    if (this.#map) return this.#map.get(key);
    return key === this.#key ? this.#room : undefined;
  }

  /** Whether the member is in the room of folded name `key`. */
  has(key: string): boolean {
    if (this.#map) return this.#map.has(key);
    return this.#room !== undefined && key === this.#key;
  }

  /** Adds (or replaces) the room of folded name `key`; a new one goes last. */
  set(key: string, room: Room): this {
    if (this.#map) this.#map.set(key, room);
    else if (this.#room === undefined || key === this.#key) {
      this.#key = key;
      this.#room = room;
    } else {
      this.#map = new Map([[this.#key!, this.#room], [key, room]]);
      this.#key = undefined;
      this.#room = undefined;
    }
    return this;
  }

  /** Removes the room of folded name `key`; whether it was there. */
  delete(key: string): boolean {
    if (this.#map) return this.#map.delete(key);
    if (this.#room === undefined || key !== this.#key) return false;
    this.#key = undefined;
    this.#room = undefined;
    return true;
  }

  /** The rooms, in the order they were joined. */
  values(): IterableIterator<Room> {
    if (this.#map) return this.#map.values();
    return (this.#room ? [this.#room] : []).values();
  }

  /** The folded names, in the order the rooms were joined. */
  keys(): IterableIterator<string> {
    if (this.#map) return this.#map.keys();
    return (this.#room ? [this.#key!] : []).values();
  }

  /** `[folded name, room]` pairs, in the order the rooms were joined. */
  entries(): IterableIterator<[string, Room]> {
    if (this.#map) return this.#map.entries();
    return (this.#room ? [[this.#key!, this.#room] as [string, Room]] : []).values();
  }

  /** As {@linkcode MemberRooms.entries}, like a `Map`. */
  [Symbol.iterator](): IterableIterator<[string, Room]> {
    return this.entries();
  }
}

/** One connected person, in one or more rooms. */
export class Member {
  /** Rooms by folded name ({@linkcode Room.foldedName}), in the order they were joined. */
  readonly rooms: MemberRooms = new MemberRooms();
  #current: Room | undefined;

  /** The room that messages without an explicit room go to. */
  get current(): Room | undefined {
    return this.#current;
  }

  /**
   * A change sends a held run first (delivery_batch.ts): the text front end
   * marks another room's lines by the member's current room.
   */
  set current(room: Room | undefined) {
    if (room !== this.#current) flushDeliveries();
    this.#current = room;
  }
  /** Set once the member has left the server. */
  gone = false;
  /** The member's rate limit, created on first use. */
  bucket: TokenBucket | undefined;
  /** Refused requests, to tell a burst from sustained flooding. */
  refusals: TokenBucket | undefined;
  /** The fingerprint (`SHA256:...`) of the key it proved in the handshake, if any. */
  fingerprint: string | undefined;
  /** Where it connects from (an IP address, opaque to the core), for bans and mutes. */
  address: string | undefined;
  /** Whether its key is one of the server's operators. */
  operator = false;
  /** Its away message (`/away`), while it is away; cleared when it leaves. */
  away: string | undefined;
  /**
   * A request of this member still waiting on a store (`/history`,
   * `/register`, ...); its later requests wait behind it, so it is answered
   * in the order it asked.
   */
  pending: Promise<boolean> | undefined;
  /** Set for a member connected to another node of a cluster; undefined for one here. */
  remote: RemoteNode | undefined;

  /** A member as the hub admits it (only the hub makes members). */
  constructor(
    /** Unique per hub, never reused. */
    readonly id: number,
    /** Display nick, NFC-normalised. */
    public nick: string,
    /** Case- and normalisation-folded nick, for uniqueness (`foldNick`). */
    public foldedNick: string,
    /** What the member's software calls itself, e.g. "chat-client/0.1.0" or "text". */
    readonly client: string,
    readonly sink: MemberSink,
    /** Whether the member gets its own room messages back (native clients use them as acks). */
    readonly echo: boolean,
  ) {}
}
