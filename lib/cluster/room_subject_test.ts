import assert from "node:assert/strict";
import { roomOfSubject, roomSubject, RoomSubjectError } from "./room_subject.ts";

Deno.test("roomSubject() makes one valid subject token of any folded room name, and roomOfSubject() reads it back", () => {
  for (const folded of ["#lobby", "#a.b", "#*>", "#café", "#日本語", "#a b", "#🙂"]) {
    const subject = roomSubject(folded);
    assert.match(subject, /^lanchat\.room\.[A-Za-z0-9_-]+$/);
    assert.equal(roomOfSubject(subject), folded);
  }
  assert.notEqual(roomSubject("#a.b"), roomSubject("#a_b"));
  assert.equal(roomOfSubject(roomSubject("#x", "test.rooms"), "test.rooms"), "#x");
});

Deno.test("roomOfSubject() refuses a subject of another prefix, an empty or bad token, and bytes that are not UTF-8", () => {
  assert.throws(() => roomOfSubject("other.room.I2xvYmJ5"), RoomSubjectError);
  assert.throws(() => roomOfSubject("lanchat.room."), RoomSubjectError);
  assert.throws(() => roomOfSubject("lanchat.room.a.b"), RoomSubjectError);
  assert.throws(() => roomOfSubject("lanchat.room._w"), RoomSubjectError); // 0xff: not UTF-8
});
