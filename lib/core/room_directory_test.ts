// RoomDirectory.withdraw: another node's member taken out is listed until its leave only where that
// leave is announced (`exit` counts the room with the leaver).

import assert from "node:assert/strict";
import { recordedMember } from "./_recording_sink.ts";
import { Announcements } from "./announcements.ts";
import { MemoryBudget, messageBytes } from "./history.ts";
import { RoomDirectory } from "./room_directory.ts";
import { MemoryStore } from "./state/history_store.ts";
import { LocalRoomLog } from "./state/room_log.ts";

const member = recordedMember;

Deno.test("RoomDirectory.withdraw: a remote member of a room just past announceLimit is not listed after it is taken out", () => {
  const announceLimit = 3;
  const rooms = new RoomDirectory({
    maxRooms: 10,
    historySize: 10,
    announceLimit,
    announcements: new Announcements(false, Date.now),
    store: new MemoryStore(10, 1 << 20),
    budget: { budget: new MemoryBudget(1 << 20), sizeOf: messageBytes },
    log: new LocalRoomLog(),
    now: Date.now,
  });
  const room = rooms.open("#dev");
  for (const nick of ["ana", "cid", "dan"]) rooms.enter(member(nick), room);
  const bob = member("bob", true);
  rooms.enter(bob, room); // 4 members: bob's node (`exit`) will not announce its leave
  rooms.withdraw(bob, room);
  assert.deepEqual(
    room.nicks(),
    ["ana", "cid", "dan"],
    "bob listed 10 s, for a leave that never comes",
  );
  assert.equal(room.size, 3);
});
