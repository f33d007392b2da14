import assert from "node:assert/strict";
import { MemberRooms } from "./member.ts";
import { Room } from "./room.ts";

const room = (name: string) => new Room(name, name, 0);

Deno.test("MemberRooms keeps a Map's answers and join order from one room to several and back", () => {
  const rooms = new MemberRooms();
  const [a, b, c] = [room("#a"), room("#b"), room("#c")];
  assert.equal(rooms.size, 0);
  assert.deepEqual([...rooms.values()], []);
  assert.equal(rooms.delete("#a"), false);
  rooms.set("#a", a);
  assert.equal(rooms.size, 1);
  assert.equal(rooms.get("#a"), a);
  assert.equal(rooms.has("#b"), false);
  assert.equal(rooms.get("#b"), undefined);
  assert.equal(rooms.delete("#b"), false);
  rooms.set("#a", a);
  assert.equal(rooms.size, 1);
  rooms.set("#b", b).set("#c", c);
  assert.deepEqual([...rooms.values()], [a, b, c]);
  assert.deepEqual([...rooms.keys()], ["#a", "#b", "#c"]);
  assert.deepEqual([...rooms], [["#a", a], ["#b", b], ["#c", c]]);
  assert.equal(rooms.delete("#a"), true);
  assert.equal(rooms.delete("#a"), false);
  assert.deepEqual([...rooms.keys()], ["#b", "#c"]);
  assert.equal(rooms.get("#c"), c);
  assert.equal(rooms.has("#b"), true);
  rooms.delete("#b");
  rooms.delete("#c");
  assert.equal(rooms.size, 0);
  rooms.set("#a", a);
  assert.deepEqual([...rooms.values()], [a]);
  assert.deepEqual([...rooms.entries()], [["#a", a]]);
});

Deno.test("MemberRooms forgets its one room on delete", () => {
  const rooms = new MemberRooms();
  const a = room("#a");
  rooms.set("#a", a);
  assert.equal(rooms.delete("#a"), true);
  assert.equal(rooms.size, 0);
  assert.equal(rooms.has("#a"), false);
  assert.deepEqual([...rooms.keys()], []);
  rooms.set("#b", room("#b"));
  assert.deepEqual([...rooms.keys()], ["#b"]);
});
