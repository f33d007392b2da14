/** The client folds room names as the server does (NFKC, then case), not with toLowerCase alone. */

import assert from "node:assert/strict";
import { foldRoom } from "../core/room_name.ts";
import type { MessageEvent } from "../core/events.ts";
import { RoomTracker } from "./room_tracker.ts";
import { ChatView } from "./tui/chat_view.ts";

/** Full-width letters: NFKC makes them "#Ops"; toLowerCase alone leaves them apart. */
const WIDE = "#\uff2f\uff50\uff53";

function message(room: string, id: number): MessageEvent {
  return { type: "msg", kind: "say", id, room, from: "bob", text: `m${id}`, ts: id };
}

Deno.test("room names that differ only by width and case are one room to the server", () => {
  assert.notEqual(WIDE.toLowerCase(), "#ops");
  assert.equal(foldRoom(WIDE), foldRoom("#ops"));
});

Deno.test("RoomTracker treats rooms differing only by width and case as one, like the server", () => {
  const rooms = new RoomTracker("ana");
  rooms.track({ type: "joined", room: "#ops", members: ["ana"], history: [message("#ops", 1)] });
  rooms.track({ type: "joined", room: WIDE, members: ["ana"], history: [] });
  assert.deepEqual(rooms.rooms, ["#ops"]);
  assert.ok(rooms.has(WIDE));
  rooms.track(message(WIDE, 2));
  rooms.rejoining = true;
  const back = rooms.track({
    type: "joined",
    room: "#OPS",
    members: ["ana"],
    history: [message("#OPS", 1), message("#OPS", 2), message("#OPS", 3)],
  });
  assert.deepEqual((back as { history: MessageEvent[] }).history.map((m) => m.id), [3]);
  rooms.rejoining = false;
  rooms.track({ type: "parted", room: WIDE, current: "#lobby" });
  assert.deepEqual(rooms.rooms, []);
});

Deno.test("ChatView treats rooms differing only by width and case as one, like the server", () => {
  const view = new ChatView();
  view.apply({
    type: "welcome",
    protocol: 1,
    server: "s",
    nick: "ana",
    room: "#lobby",
    members: ["ana"],
    history: [],
  });
  view.apply({ type: "joined", room: "#ops", members: ["ana"], history: [] });
  view.switchTo("#lobby");
  view.apply(message(WIDE, 1));
  assert.equal(view.rooms.size, 2);
  const ops = [...view.rooms.values()].find((r) => r.name === "#ops")!;
  assert.equal(ops.unread, 1);
  assert.equal(ops.lines.at(-1)?.text, "m1");
  view.switchTo(WIDE);
  assert.equal(view.current?.name, "#ops");
  view.apply({ type: "parted", room: WIDE, current: "#lobby" });
  assert.deepEqual([...view.rooms.values()].map((r) => r.name), ["#lobby"]);
});
