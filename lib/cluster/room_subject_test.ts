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

Deno.test("roomSubject() and roomOfSubject() answer the same from their caches, per prefix, and a refusal is refused again", () => {
  for (let round = 0; round < 2; round++) {
    assert.equal(roomOfSubject(roomSubject("#lobby")), "#lobby");
    assert.equal(roomSubject("#lobby", "test.rooms"), "test.rooms.I2xvYmJ5");
    assert.throws(() => roomOfSubject("lanchat.room._w"), RoomSubjectError);
    assert.throws(() => roomOfSubject("test.rooms.I2xvYmJ5"), RoomSubjectError);
  }
  // Many rooms: the caches forget, the answers stay right.
  for (let i = 0; i < 10_000; i++) assert.equal(roomOfSubject(roomSubject(`#r${i}`)), `#r${i}`);
});
