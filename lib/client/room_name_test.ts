import assert from "node:assert/strict";
import { foldRoomName } from "./room_name.ts";

Deno.test("foldRoomName() folds width and case as the server does", () => {
  assert.equal(foldRoomName("#\uff2f\uff50\uff53"), foldRoomName("#ops"));
  assert.notEqual(foldRoomName("#ops"), foldRoomName("#opz"));
});
