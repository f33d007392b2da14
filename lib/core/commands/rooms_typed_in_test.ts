// /who and /part check the room their frame was typed in before anything else.

import assert from "node:assert/strict";
import { Hub } from "../hub.ts";
import { RecordingSink } from "../_recording_sink.ts";

/** A hub with `ana` in #lobby and #dev, and `bo` in #lobby. */
function setup() {
  const hub = new Hub({ now: () => 1_700_000_000_000 });
  const ana = new RecordingSink();
  const member = hub.join({ nick: "ana", client: "test" }, ana);
  hub.join({ nick: "bo", client: "test" }, new RecordingSink());
  hub.input(member, "/join #dev");
  ana.clear();
  return { hub, member, ana };
}

// Before the handlers moved out of the hub, /who and /part read the room
// the frame was typed in before anything else: a frame naming a room the
// member is not in was refused with not_in_room, whatever the arguments.

Deno.test("/who typed in a room the member is not in is refused not_in_room, even naming a room", async () => {
  const { hub, member, ana } = setup();
  assert.equal(await hub.command(member, "who", "#lobby", "#elsewhere"), false);
  assert.deepEqual(ana.events, [{
    type: "error",
    code: "not_in_room",
    message: 'You are not in "#elsewhere"; /join it first',
  }]);
});

Deno.test("/part typed in a room the member is not in is refused not_in_room, even naming a room", async () => {
  const { hub, member, ana } = setup();
  assert.equal(await hub.command(member, "part", "#dev", "#elsewhere"), false);
  assert.deepEqual(ana.events, [{
    type: "error",
    code: "not_in_room",
    message: 'You are not in "#elsewhere"; /join it first',
  }]);
  assert.equal(member.rooms.size, 2, "the member left a room");
});

Deno.test("/who and /part typed in a room the member is in act on the room they name", async () => {
  const { hub, member, ana } = setup();
  assert.equal(await hub.command(member, "who", "#lobby", "#dev"), true);
  assert.deepEqual(ana.last(), { type: "who", room: "#lobby", members: ["ana", "bo"] });
  assert.equal(await hub.command(member, "part", "#lobby", "#dev"), true);
  assert.deepEqual(ana.last(), { type: "parted", room: "#lobby", current: "#dev" });
});
