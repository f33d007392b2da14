/** runTui(): what typing sends (lines, commands, pastes) and the line editor (completion, recall, keys). */

import assert from "node:assert/strict";
import { textWidth } from "./text_width.ts";
import { ENTER, msg, showing, startTui, TAB, UP } from "./_tui_app_harness.ts";

Deno.test("runTui() sends a typed line as a msg frame to the current room on Enter", async () => {
  await using tui = await startTui();
  tui.terminal.type("hello there");
  await tui.terminal.idle();
  assert.equal(tui.inputRow(), "[#lobby] hello there");
  tui.terminal.press(ENTER);
  await tui.terminal.idle();
  assert.deepEqual(tui.session.sent, [{ type: "msg", text: "hello there", room: "#lobby" }]);
  assert.equal(tui.inputRow(), "[#lobby]");
});

Deno.test("runTui() sends to the room it switched to after joining", async () => {
  await using tui = await startTui();
  tui.session.emit({ type: "joined", room: "#dev", members: ["ana"], history: [] });
  await tui.waitFor((rows) => rows.at(-1) === "[#dev]", "the #dev prompt");
  tui.terminal.type("in dev\r");
  await tui.terminal.idle();
  assert.deepEqual(tui.session.sent, [{ type: "msg", text: "in dev", room: "#dev" }]);
});

Deno.test("runTui() sends a /command as a cmd frame", async () => {
  await using tui = await startTui();
  tui.terminal.type("/nick anna\r");
  await tui.terminal.idle();
  assert.deepEqual(tui.session.sent, [{ type: "cmd", name: "nick", args: "anna", room: "#lobby" }]);
});

Deno.test("runTui() sends nothing for an empty line", async () => {
  await using tui = await startTui();
  tui.terminal.type("   \r\r");
  await tui.terminal.idle();
  assert.deepEqual(tui.session.sent, []);
});

Deno.test("runTui() keeps a half-typed line intact on screen while messages arrive", async () => {
  await using tui = await startTui({ columns: 50, rows: 12 });
  tui.terminal.type("half typed 中文 😀");
  await tui.terminal.idle();
  for (let i = 1; i <= 6; i++) tui.session.emit(msg("bob", `incoming ${i}`));
  const rows = await tui.waitFor(showing("incoming 6"), "the sixth message");
  assert.equal(rows.at(-1), "[#lobby] half typed 中文 😀");
  assert.deepEqual(tui.terminal.cursor, { row: 11, column: 9 + textWidth("half typed 中文 😀") });
  tui.terminal.type(" done\r");
  await tui.terminal.idle();
  assert.deepEqual(tui.session.sent, [{
    type: "msg",
    text: "half typed 中文 😀 done",
    room: "#lobby",
  }]);
  assert.equal(tui.terminal.autowraps, 0);
});

Deno.test("runTui() sends a bracketed paste of three lines as one message with two line breaks", async () => {
  await using tui = await startTui();
  tui.terminal.paste("first line\r\nsecond line\r\nthird line");
  await tui.terminal.idle();
  assert.deepEqual(tui.terminal.screenText().slice(-3), [
    "[#lobby] first line",
    "         second line",
    "         third line",
  ]);
  assert.deepEqual(tui.session.sent, [], "a paste is not sent before Enter");
  tui.terminal.press(ENTER);
  await tui.terminal.idle();
  assert.deepEqual(tui.session.sent, [
    { type: "msg", text: "first line\nsecond line\nthird line", room: "#lobby" },
  ]);
});

Deno.test("runTui() completes a nick at the start of the line with ': '", async () => {
  await using tui = await startTui();
  tui.terminal.type("bo");
  tui.terminal.press(TAB);
  await tui.terminal.idle();
  assert.equal(tui.inputRow(), "[#lobby] bob:");
  tui.terminal.type("hi\r");
  await tui.terminal.idle();
  assert.deepEqual(tui.session.sent, [{ type: "msg", text: "bob: hi", room: "#lobby" }]);
});

Deno.test("runTui() completes a nick later in the line with a space", async () => {
  await using tui = await startTui();
  tui.terminal.type("thanks CA");
  tui.terminal.press(TAB);
  tui.terminal.type("!\r");
  await tui.terminal.idle();
  assert.deepEqual(tui.session.sent, [{ type: "msg", text: "thanks carol !", room: "#lobby" }]);
});

Deno.test("runTui() completes a command name and cycles through matches on Tab", async () => {
  await using tui = await startTui();
  tui.terminal.type("/jo");
  tui.terminal.press(TAB);
  await tui.terminal.idle();
  assert.equal(tui.inputRow(), "[#lobby] /join");
  tui.terminal.type("#dev\r");
  await tui.terminal.idle();
  assert.deepEqual(tui.session.sent, [{ type: "cmd", name: "join", args: "#dev", room: "#lobby" }]);
  tui.terminal.type("/m");
  tui.terminal.press(TAB);
  await tui.terminal.idle();
  const first = tui.inputRow();
  tui.terminal.press(TAB);
  await tui.terminal.idle();
  assert.deepEqual(new Set([first, tui.inputRow()]), new Set(["[#lobby] /msg", "[#lobby] /me"]));
});

Deno.test("runTui() does not complete our own nick", async () => {
  await using tui = await startTui();
  tui.terminal.type("an");
  tui.terminal.press(TAB);
  await tui.terminal.idle();
  assert.equal(tui.inputRow(), "[#lobby] an");
});

Deno.test("runTui() recalls sent lines with Up, newest first", async () => {
  await using tui = await startTui();
  tui.terminal.type("first\rsecond\r");
  tui.terminal.press(UP);
  await tui.terminal.idle();
  assert.equal(tui.inputRow(), "[#lobby] second");
  tui.terminal.press(UP);
  await tui.terminal.idle();
  assert.equal(tui.inputRow(), "[#lobby] first");
  tui.terminal.press(ENTER);
  await tui.terminal.idle();
  assert.deepEqual(tui.session.sent.map((f) => f.type === "msg" && f.text), [
    "first",
    "second",
    "first",
  ]);
});

Deno.test("runTui() edits the line with Ctrl-A, Ctrl-K, Alt-b and Ctrl-W", async () => {
  await using tui = await startTui();
  tui.terminal.type("hello big world");
  tui.terminal.press("\x1bb"); // Alt-b: before "world"
  tui.terminal.press("\x17"); // Ctrl-W: deletes "big "
  tui.terminal.press("\x01"); // Ctrl-A
  tui.terminal.type(">");
  await tui.terminal.idle();
  assert.equal(tui.inputRow(), "[#lobby] >hello world");
  assert.deepEqual(tui.terminal.cursor, { row: 15, column: 10 });
  tui.terminal.press("\x0b"); // Ctrl-K
  await tui.terminal.idle();
  assert.equal(tui.inputRow(), "[#lobby] >");
});

Deno.test("runTui() types the key after a lone Escape as usual", async () => {
  await using tui = await startTui();
  tui.terminal.type("\x1bhello");
  await tui.terminal.idle();
  assert.equal(tui.inputRow(), "[#lobby] hello");
});

Deno.test("runTui() drops control and escape sequences from a paste, keeping its line breaks", async () => {
  await using tui = await startTui();
  tui.terminal.paste("col1\tcol2 \x1b]0;title\x07end\nnext");
  await tui.terminal.idle();
  tui.terminal.press(ENTER);
  await tui.terminal.idle();
  assert.deepEqual(tui.session.sent, [{
    type: "msg",
    text: "col1 col2 end\nnext",
    room: "#lobby",
  }]);
});

Deno.test("runTui() sends a typed /history [count] from the oldest message shown, and anything else as typed", async () => {
  await using tui = await startTui();
  tui.session.emit({ ...msg("bob", "first shown"), id: 41 }, { ...msg("bob", "second"), id: 42 });
  await tui.waitFor(showing("second"), "the messages");
  for (const line of ["/history", "/history 5", "/history 5 30", "/history many"]) {
    tui.terminal.type(line + ENTER);
  }
  await tui.terminal.idle();
  const asked = tui.session.sent.flatMap((f) =>
    f.type === "cmd" && f.name === "history" ? [f.args] : []
  );
  assert.deepEqual(asked, ["50 41", "5 41", "5 30", "many"]);
});
