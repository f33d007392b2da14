/**
 * One fan-out for a run of a room's events instead of one per event. While a
 * transport handles one chunk that a client sent (several lines, often
 * several messages to one room), a room's events are held here instead of
 * going to every member at once; when the chunk is handled, each member gets
 * the whole run in one `MemberSink.deliverRun` (one encode per wire format
 * and variant, one enqueue per member), not one enqueue per event and
 * member. A flood of N lines a read to M members costs M enqueues a read,
 * not N x M.
 *
 * Order is kept as if every event had gone out at once:
 * - only one room's run is held: an event of another room sends it first;
 * - anything else said to anyone (a sink's own `deliver` or `end`, a pipe's
 *   send) sends it first ({@linkcode flushDeliveries});
 * - a room's members do not change under a held run: `Room.add` and
 *   `Room.remove` send it first ({@linkcode settleRoom}), so a joiner never
 *   gets events older than its welcome, and a leaver gets all it was there for;
 * - a member switching its current room sends it first (the text front end
 *   marks another room's lines).
 *
 * JavaScript runs one handler at a time, so one window, open during one
 * synchronous handling, serves every hub in the process (tests run several).
 * Nothing is held outside a window: events from timers, a cluster or a
 * continuation after an await go out at once.
 *
 * @module
 */

import type { RoomEvent } from "./state/room_log.ts";
import type { Member } from "./member.ts";
import { clearArray } from "./arrays.ts";

/** The part of a room a held run needs: who gets it, and how one event goes out alone. */
export interface RunRoom {
  readonly members: ReadonlySet<Member>;
  /** Hands one event to every member but `skip`, at once. */
  fanOut(event: RoomEvent, skip: Member | undefined): void;
}

/** Whether a window is open (a window opened inside one is the same window). */
let open = false;
/** Whether a run is going out: what its delivery causes in turn is not held (see below). */
let flushing = false;
/** The room whose run is held, if any. */
let heldRoom: RunRoom | undefined;
/** The held events, and per event the member it is not for (its sender, where it gets no echo). */
const heldEvents: RoomEvent[] = [];
const heldSkips: (Member | undefined)[] = [];
/** The members a run skips, and those it goes to event by event (scratch, reused). */
const skipped: Member[] = [];
const rest: Member[] = [];

/**
 * Opens a window: room events are held until it closes. Returns whether this
 * call opened it (inside an open one it does not); only the call that opened
 * it calls {@linkcode closeWindow}.
 */
export function openWindow(): boolean {
  if (open) return false;
  open = true;
  return true;
}

/** Closes the window {@linkcode openWindow} opened: the held run goes out. */
export function closeWindow(): void {
  open = false;
  flushDeliveries();
}

/**
 * Holds `event` of `room` (for all but `skip`) when a window is open, and
 * says so; otherwise the caller hands it out at once.
 */
export function holdDelivery(room: RunRoom, event: RoomEvent, skip: Member | undefined): boolean {
  // An event caused by a run's own delivery (no sink does so today: an overflow waits for a
  // microtask) goes out at once, as a nested fan-out always did; the run's arrays stay its own.
  if (!open || flushing) return false;
  if (heldRoom !== room) {
    flushDeliveries();
    heldRoom = room;
  }
  heldEvents.push(event);
  heldSkips.push(skip);
  return true;
}

/** Sends the held run first when it is `room`'s (its members are about to change). */
export function settleRoom(room: RunRoom): void {
  if (heldRoom === room) flushDeliveries();
}

/** Whether a run is held (tests check that a window leaves nothing behind). */
export function deliveriesHeld(): boolean {
  return heldRoom !== undefined;
}

/**
 * Sends the held run, if any: to each member in one `deliverRun` when its
 * sink takes runs and no event of the run skips it; to the others event by
 * event, in order.
 */
export function flushDeliveries(): void {
  const room = heldRoom;
  if (room === undefined) return;
  heldRoom = undefined;
  // Nothing is held while the run goes out (holdDelivery), so its arrays are its own till the end.
  const events = heldEvents;
  const skips = heldSkips;
  flushing = true;
  try {
    if (events.length === 1) room.fanOut(events[0], skips[0]);
    else runOut(room, events, skips);
  } finally {
    flushing = false;
    // Nothing of the run is kept.
    clearArray(events);
    clearArray(skips);
    clearArray(skipped);
    clearArray(rest);
  }
}

/** Hands a run of two or more events to the room's members. */
function runOut(room: RunRoom, events: RoomEvent[], skips: (Member | undefined)[]): void {
  gatherSkipped(skips);
  for (const member of room.members) {
    if ((skipped.length !== 0 && skipped.includes(member)) || !member.sink.deliverRun?.(events)) {
      rest.push(member);
    }
  }
  if (rest.length === 0) return;
  for (let i = 0; i < events.length; i++) {
    const event = events[i];
    const skip = skips[i];
    for (const member of rest) if (member !== skip) member.sink.deliver(event);
  }
}

/** The distinct members of `skips` into `skipped` (usually one: the sender). */
function gatherSkipped(skips: (Member | undefined)[]): void {
  let last: Member | undefined;
  for (const skip of skips) {
    if (skip === undefined || skip === last) continue;
    last = skip;
    if (!skipped.includes(skip)) skipped.push(skip);
  }
}
