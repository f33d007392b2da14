/** ChatView: room topics in the header, away members, the private /me. */

import assert from "node:assert/strict";
import { ChatView } from "./chat_view.ts";
import { LineEditor } from "./line_editor.ts";
import { renderScreen } from "./render_screen.ts";
import { TS, welcome } from "./_chat_view_fixtures.ts";

const header = (view: ChatView, columns = 100) =>
  renderScreen(view, new LineEditor(), { columns, rows: 10 }, { color: false, now: TS }).rows[0];

Deno.test("ChatView shows the welcome's topic in the header, and a topic change in the room", () => {
  const view = new ChatView();
  view.apply(welcome({ topic: { text: "release on friday", by: "bob", ts: TS } }));
  assert.equal(view.current?.topic, "release on friday");
  assert.match(header(view), /#lobby │ 2 members │ release on friday │/);
  view.apply({ type: "topic", room: "#lobby", id: 9, ts: TS, nick: "bob", text: "\x1b[2Jclean" });
  assert.equal(view.current?.lines.at(-1)?.text, "bob set the topic: clean");
  // What reaches the terminal is cleaned.
  assert.ok(!header(view).includes("\x1b"), header(view));
  view.apply({ type: "topic", room: "#lobby", id: 10, ts: TS, nick: "bob", text: "" });
  assert.equal(view.current?.topic, undefined);
  assert.equal(view.current?.lines.at(-1)?.text, "bob cleared the topic");
});

Deno.test("ChatView counts away members in the header and marks them in /who", () => {
  const view = new ChatView();
  view.apply(welcome({ members: ["ana", "bob", "cy"], away: ["cy"] }));
  assert.match(header(view), /3 members, 1 away/);
  view.apply({ type: "away", ts: TS, nick: "bob", message: "lunch", rooms: ["#lobby"] });
  assert.deepEqual(view.current?.away, ["bob", "cy"]);
  assert.equal(view.current?.lines.at(-1)?.text, "bob is away: lunch");
  view.apply({ type: "away", ts: TS, nick: "cy", rooms: ["#lobby"] });
  assert.deepEqual(view.current?.away, ["bob"]);
  assert.equal(view.current?.lines.at(-1)?.text, "cy is back");
  view.apply({ type: "who", room: "#lobby", members: ["ana", "bob", "cy"], away: ["bob"] });
  assert.equal(view.current?.lines.at(-1)?.text, "#lobby (3): ana, bob (away), cy");
});

Deno.test("ChatView shows a private action as one, and the answer of an away member", () => {
  const view = new ChatView();
  view.apply(welcome());
  view.apply({ type: "dm", ts: TS, from: "bob", to: "ana", text: "waves", kind: "action" });
  assert.equal(view.current?.lines.at(-1)?.text, "* bob waves");
  view.apply({ type: "away", ts: TS, nick: "bob", message: "lunch", rooms: [], dm: true });
  assert.equal(view.current?.lines.at(-1)?.text, "bob is away: lunch");
});

Deno.test("ChatView names in the header the server it failed over to, when the header has room", () => {
  const view = new ChatView();
  view.apply(welcome());
  assert.match(header(view), /│ connected\s*$/);
  view.apply({ type: "status", state: "offline", message: "Disconnected" });
  view.apply({
    type: "status",
    state: "connected",
    message: "Reconnected to b.lan:7000",
    host: "b.lan:7000",
  });
  assert.equal(view.current?.lines.at(-1)?.text, "Reconnected to b.lan:7000");
  assert.match(header(view), /│ connected to b\.lan:7000\s*$/);
  // Too narrow for it: the state as it was.
  assert.match(header(view, 40), /│ connected\s*$/);
  // Back on the same server: it stays named.
  view.apply({ type: "status", state: "offline", message: "Disconnected" });
  assert.match(header(view), /│ reconnecting\s*$/);
  view.apply({ type: "status", state: "connected", message: "Reconnected" });
  assert.match(header(view), /│ connected to b\.lan:7000\s*$/);
});
