import assert from "node:assert/strict";
import type { MessageEvent } from "../core/events.ts";
import type { ServerFrame } from "../protocol/wire_frames.ts";
import { RoomTracker } from "./room_tracker.ts";

function message(room: string, id: number): MessageEvent {
  return { type: "msg", kind: "say", id, room, from: "bob", text: `m${id}`, ts: id };
}

function joined(room: string, history: MessageEvent[] = []): ServerFrame {
  return { type: "joined", room, members: ["ana"], history };
}

Deno.test("RoomTracker.rejoinFrames() joins the rooms wanted, leaves a lobby the user left, and ends on the current room", () => {
  const rooms = new RoomTracker("ana");
  rooms.track({
    type: "welcome",
    protocol: 1,
    server: "s",
    nick: "ana",
    room: "#lobby",
    members: [],
    history: [],
  });
  rooms.track(joined("#a"));
  rooms.track(joined("#b"));
  rooms.track({ type: "parted", room: "#lobby", current: "#b" });
  rooms.track(joined("#c"));
  rooms.track({ type: "parted", room: "#c", current: "#b" });
  assert.deepEqual(rooms.rooms, ["#a", "#b"]);
  assert.deepEqual(rooms.rejoinFrames("#lobby"), [
    { type: "cmd", name: "join", args: "#a" },
    { type: "cmd", name: "part", args: "#lobby" },
    { type: "cmd", name: "join", args: "#b" },
  ]);
});

Deno.test("RoomTracker shows only the history missed since the last message seen", () => {
  const rooms = new RoomTracker("ana");
  rooms.track(joined("#a", [message("#a", 1), message("#a", 2)]));
  rooms.track(message("#a", 3));
  rooms.rejoining = true;
  const back = rooms.track(joined("#a", [2, 3, 4, 5].map((id) => message("#a", id))));
  assert.equal(back?.type, "rejoined");
  assert.deepEqual((back as { history: MessageEvent[] }).history.map((m) => m.id), [4, 5]);
});

Deno.test("RoomTracker shows all the history of a server whose ids went back (it restarted)", () => {
  const rooms = new RoomTracker("ana");
  rooms.track(joined("#a", [message("#a", 40)]));
  const again = rooms.track(joined("#a", [message("#a", 1), message("#a", 2)]));
  assert.deepEqual((again as { history: MessageEvent[] }).history.map((m) => m.id), [1, 2]);
});

Deno.test("RoomTracker follows our nick changes, not other people's", () => {
  const rooms = new RoomTracker("ana");
  rooms.track({ type: "nick", old: "bob", new: "rob", rooms: [], ts: 1 });
  assert.equal(rooms.nick, "ana");
  rooms.track({ type: "nick", old: "ana", new: "anna", rooms: [], ts: 2 });
  assert.equal(rooms.nick, "anna");
});

Deno.test("RoomTracker.welcomeBack() keeps the rooms wanted, shows only what was missed, and nothing from a lobby left", () => {
  const welcome = (history: MessageEvent[]) => ({
    type: "welcome" as const,
    protocol: 1,
    server: "s",
    nick: "ana",
    room: "#lobby",
    members: [],
    history,
  });
  const rooms = new RoomTracker("ana");
  rooms.track(welcome([message("#lobby", 1)]));
  rooms.track(joined("#a"));
  const back = rooms.welcomeBack({
    ...welcome([1, 2].map((id) => message("#lobby", id))),
    nick: "ana_",
  });
  assert.deepEqual(back.history.map((m) => m.id), [2]);
  assert.equal(rooms.nick, "ana_");
  assert.deepEqual(rooms.rooms, ["#lobby", "#a"]);
  assert.equal(rooms.current, "#a");
  rooms.track({ type: "parted", room: "#lobby", current: "#a" });
  assert.deepEqual(rooms.welcomeBack(welcome([message("#lobby", 3)])).history, []);
  assert.deepEqual(rooms.rooms, ["#a"]);
});

Deno.test("RoomTracker shows a room's whole history again when the user joins it after leaving it", () => {
  const rooms = new RoomTracker("ana");
  rooms.track(joined("#a", [message("#a", 1), message("#a", 2)]));
  rooms.track({ type: "parted", room: "#a", current: "#lobby" });
  // The front ends closed the room: nothing of it is on screen any more.
  const again = rooms.track(joined("#a", [message("#a", 1), message("#a", 2), message("#a", 3)]));
  assert.ok(again && again.type === "joined");
  assert.deepEqual(again.history.map((m) => m.id), [1, 2, 3]);
});
