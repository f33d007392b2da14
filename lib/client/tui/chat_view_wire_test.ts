/** ChatView: what a server sends reaches the screen cleaned; an invalid frame is one error line. */

import assert from "node:assert/strict";
import { ChatView } from "./chat_view.ts";
import { fromWire, msg, texts, TS, viewInTwoRooms, welcome } from "./_chat_view_fixtures.ts";

Deno.test("ChatView shows a message from the wire without escape sequences or control characters", () => {
  const view = viewInTwoRooms();
  view.apply(fromWire(msg("#dev", "carol", "hi\x1b[2J\x1b]0;owned\x07 there\x00\x7f\u202e!")));
  assert.equal(view.current!.lines.at(-1)?.text, "hi there!");
});

Deno.test("ChatView keeps line breaks in messages from the wire but not control characters around them", () => {
  const view = viewInTwoRooms();
  view.apply(fromWire(msg("#dev", "carol", "one\r\ntwo\tthree\x1b[31m")));
  assert.equal(view.current!.lines.at(-1)?.text, "one\ntwo three");
});

Deno.test("ChatView shows DMs, errors, leave messages, the bye and the motd from the wire cleaned", () => {
  const view = new ChatView();
  view.apply(fromWire(welcome({ motd: "hello\x1b[5m blink" })));
  view.apply(
    fromWire({ type: "dm", ts: TS, from: "bob", to: "ana", text: "a\x1b[?1049lb", kind: "say" }),
  );
  view.apply(fromWire({
    type: "leave",
    room: "#lobby",
    id: 9,
    ts: TS,
    nick: "bob",
    reason: "quit",
    message: "gone\x07\x1b[H",
  }));
  view.apply(fromWire({ type: "error", code: "bad_args", message: "bad\x1b[2K" }));
  view.apply(fromWire({ type: "bye", reason: "quit", message: "bye\r\x1b[1A" }));
  for (const line of view.current!.lines) {
    assert.doesNotMatch(line.text, /[\x00-\x09\x0b-\x1f\x7f]/, JSON.stringify(line.text));
  }
  assert.ok(texts(view.current!.lines).includes("motd: hello blink"));
});

Deno.test("ChatView shows an invalid frame as an error line and goes on", () => {
  const view = new ChatView();
  view.apply(welcome());
  view.apply({
    type: "invalid_frame",
    message: 'The server sent an invalid frame: "ts" of a "msg" frame is 1e+308, not a time',
  });
  assert.deepEqual(view.current!.lines.at(-1), {
    kind: "error",
    text: 'The server sent an invalid frame: "ts" of a "msg" frame is 1e+308, not a time (ignored)',
  });
});
