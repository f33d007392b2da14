import assert from "node:assert/strict";
import { dropQueuedLine, emptyRoom, MAX_LINES, oldestMessageId, pushLine } from "./room_pane.ts";

Deno.test("pushLine() below a scrolled-up view counts the line as hidden, and a message as new", () => {
  const room = emptyRoom("#a");
  room.scroll = 3;
  pushLine(room, { kind: "msg", nick: "bob", text: "hi" });
  pushLine(room, { kind: "join", text: "eve joined #a" });
  assert.equal(room.hidden, 2);
  assert.equal(room.newBelow, 1);
});

Deno.test("pushLine() cleans what a terminal would interpret and keeps at most MAX_LINES", () => {
  const room = emptyRoom("#a");
  pushLine(room, { kind: "msg", nick: "bo\x1b[2Jb", text: "a\x1b]0;x\x07b" });
  assert.ok(!room.lines[0].text.includes("\x1b"));
  assert.ok(!room.lines[0].nick!.includes("\x1b"));
  for (let i = 0; i < MAX_LINES + 5; i++) pushLine(room, { kind: "info", text: `${i}` });
  assert.equal(room.lines.length, MAX_LINES);
  assert.equal(room.lines.at(-1)!.text, `${MAX_LINES + 4}`);
});

Deno.test("dropQueuedLine() removes the echoed queued line and the queued ones before it", () => {
  const room = emptyRoom("#a");
  pushLine(room, { kind: "msg", text: "one", queued: true });
  pushLine(room, { kind: "msg", text: "two", queued: true });
  pushLine(room, { kind: "msg", text: "three", queued: true });
  pushLine(room, { kind: "msg", text: "said", id: 7 });
  dropQueuedLine(room, "two");
  assert.deepEqual(room.lines.map((l) => l.text), ["three", "said"]);
  assert.equal(oldestMessageId(room), 7);
});
