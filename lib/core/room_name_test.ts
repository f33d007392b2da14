import assert from "node:assert/strict";
import { ChatError } from "./errors.ts";
import { foldNick } from "./nick.ts";
import { checkRoomName, foldRoom, roomKey } from "./room_name.ts";

Deno.test("foldRoom() makes names differing only by case or width one room", () => {
  assert.equal(foldRoom("#Ops"), "#ops");
  assert.equal(foldRoom("#OPS"), foldRoom("#ops"));
  assert.equal(foldRoom("#\uff4f\uff50\uff53"), "#ops");
  assert.equal(foldRoom("#ΣΊΣΥΦΟΣ"), foldRoom("#σίσυφοσ"));
  assert.equal(foldRoom("#cafe\u0301"), foldRoom("#caf\u00e9"));
});

Deno.test("foldRoom() keeps different rooms apart", () => {
  assert.notEqual(foldRoom("#ops"), foldRoom("#op"));
  assert.notEqual(foldRoom("#cafe"), foldRoom("#café"));
  assert.notEqual(foldRoom("#a_b"), foldRoom("#a-b"));
});

Deno.test("foldRoom() folds exactly as nicks fold, so a client and the server agree", () => {
  for (const name of ["#Lobby", "#\uff2f\uff50\uff53", "#İstanbul", "#ﬁre", "#Straße", "#ǅemal"]) {
    assert.equal(foldRoom(name), foldNick(name));
  }
});

Deno.test("checkRoomName() adds the # and normalises to NFC", () => {
  assert.equal(checkRoomName("  dev "), "#dev");
  assert.equal(checkRoomName("#cafe\u0301"), "#caf\u00e9");
});

Deno.test("checkRoomName() refuses a name outside the pattern with bad_room", () => {
  for (const raw of ["#", "#has space", "#" + "x".repeat(33), "#a/b"]) {
    assert.throws(() => checkRoomName(raw), (error: unknown) => {
      assert.ok(error instanceof ChatError);
      assert.equal(error.code, "bad_room");
      assert.match(error.message, /must be "#" and 1 to 32 letters/);
      return true;
    });
  }
});

Deno.test("checkRoomName() refuses a control character, quoting the name", () => {
  assert.throws(() => checkRoomName("#a\u0007b"), (error: unknown) => {
    assert.ok(error instanceof ChatError);
    assert.equal(error.code, "bad_room");
    assert.match(error.message, /^Room name "/);
    return true;
  });
});

Deno.test("roomKey() answers as foldRoom(checkRoomName()), asked again or not, and throws for a bad name each time", () => {
  const names = [
    "#Lobby",
    "#Lobby",
    "lobby",
    "#has space",
    "#has space",
    "#Lobby",
    "#ＯＰＳ",
    "#ops",
  ];
  for (const name of names) {
    let expected: string | ChatError;
    try {
      expected = foldRoom(checkRoomName(name));
    } catch (error) {
      expected = error as ChatError;
    }
    if (typeof expected === "string") assert.equal(roomKey(name), expected, name);
    else assert.throws(() => roomKey(name), { code: "bad_room", message: expected.message });
  }
  assert.equal(roomKey("#a"), "#a");
  assert.throws(() => roomKey("#a b"), { code: "bad_room" });
  assert.equal(roomKey("#a"), "#a");
});

Deno.test("foldRoom() folds each name anew when names alternate", () => {
  const names = ["#Dev", "#dev", "#ＤＥＶ", "#Straße", "#Dev", "#İstanbul", "#Dev"];
  const once = names.map((name) => foldRoom(name));
  assert.deepEqual(once, ["#dev", "#dev", "#dev", "#strasse", "#dev", "#i̇stanbul", "#dev"]);
  assert.deepEqual(names.map((name) => foldRoom(name)), once);
});
