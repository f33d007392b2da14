/** runTui(): what is drawn (scrolling, unread counts, the bell, resizes, widths) and older pages fetched. */

import assert from "node:assert/strict";
import { textWidth } from "./text_width.ts";
import { msg, PAGE_DOWN, PAGE_UP, showing, startTui } from "./_tui_app_harness.ts";

Deno.test("runTui() scrolls back with PgUp, marks new messages below, and PgDn returns", async () => {
  await using tui = await startTui({ columns: 50, rows: 12 });
  for (let i = 1; i <= 40; i++) tui.session.emit(msg("bob", `line ${i}`));
  await tui.waitFor((rows) => rows[10].endsWith("line 40"), "the last line at the bottom");
  tui.terminal.press(PAGE_UP);
  await tui.terminal.idle();
  let rows = tui.terminal.screenText();
  assert.ok(!rows.some((row) => row.endsWith("line 40")), rows.join("\n"));
  assert.ok(rows.some((row) => row.endsWith("line 30")), rows.join("\n"));
  assert.match(rows[10], /^── more below \(PgDn\)/);
  tui.session.emit(msg("carol", "news"), msg("carol", "more news"));
  rows = await tui.waitFor(showing("2 new messages below"), "the new-messages marker");
  assert.ok(rows.some((row) => row.endsWith("line 30")), "the view did not move");
  assert.ok(!rows.some((row) => row.includes("news │")));
  tui.terminal.press(PAGE_DOWN);
  await tui.terminal.idle();
  rows = tui.terminal.screenText();
  assert.match(rows[10], /carol │ more news$/);
  assert.ok(!rows.some((row) => row.includes("below (PgDn)")));
});

Deno.test("runTui() rings the bell exactly once for a message that mentions us", async () => {
  await using tui = await startTui();
  tui.session.emit(msg("bob", "morning all"));
  tui.session.emit(msg("bob", "ana: coffee?"));
  tui.session.emit(msg("ana", "ana is on her way"));
  tui.session.emit(msg("carol", "bananas"));
  await tui.waitFor(showing("bananas"), "the last message");
  assert.equal(tui.terminal.bells, 1);
  assert.ok(tui.terminal.screenText().some((row) => row.endsWith("bob » ana: coffee?")));
});

Deno.test("runTui() shows messages to another room as unread in the header", async () => {
  await using tui = await startTui({ columns: 70 });
  tui.session.emit({ type: "joined", room: "#dev", members: ["ana"], history: [] });
  tui.session.emit(msg("bob", "lobby talk"), msg("bob", "ana?"));
  await tui.waitFor((rows) => rows[0].endsWith("#lobby 2!"), "the unread count");
  tui.terminal.press("\x0e"); // Ctrl-N: next room
  await tui.terminal.idle();
  const rows = tui.terminal.screenText();
  assert.equal(rows[0], " lan │ #lobby │ 3 members │ connected");
  assert.ok(rows.some((row) => row.endsWith("bob » ana?")));
});

Deno.test("runTui() re-renders everything at the new size on resize", async () => {
  await using tui = await startTui({ columns: 80, rows: 20 });
  const long = "one row at eighty columns, but it wraps at forty";
  tui.session.emit(msg("bob", long));
  await tui.waitFor(showing(long), "the long message");
  tui.terminal.type("draft");
  await tui.terminal.idle();
  tui.terminal.resize(40, 12);
  const rows = tui.terminal.screenText();
  assert.equal(rows.length, 12);
  assert.equal(rows[0], " lan │ #lobby │ 3 members │ connected");
  assert.equal(rows.at(-1), "[#lobby] draft");
  assert.deepEqual(tui.terminal.cursor, { row: 11, column: 14 });
  assert.ok(!rows.some((row) => row.includes(long)), "the message wraps now");
  const first = rows.findIndex((row) => row.includes("bob │ one row"));
  assert.notEqual(first, -1, rows.join("\n"));
  const textStart = rows[first].indexOf("│ ") + 2;
  assert.equal(rows[first + 1], " ".repeat(textStart) + "but it wraps at forty");
  for (const row of rows) assert.ok(textWidth(row) <= 40, row);
  assert.equal(tui.terminal.autowraps, 0);
});

Deno.test("runTui() with colour keeps every row within the terminal width after resizes", async () => {
  await using tui = await startTui({ columns: 100, rows: 30, color: true });
  tui.session.emit(
    msg("bob", "中文の長いメッセージ".repeat(6)),
    msg("carol", "ana: " + "words and more words ".repeat(8)),
  );
  await tui.waitFor(showing("more words"), "the messages");
  for (const [columns, rows] of [[45, 14], [120, 40], [33, 9], [80, 24]]) {
    tui.terminal.resize(columns, rows);
    const screen = tui.terminal.screenText();
    assert.equal(screen.length, rows);
    assert.match(screen[0], /^ lan │ #lobby/);
    for (const row of screen) assert.ok(textWidth(row) <= columns, `${columns}: ${row}`);
  }
  assert.equal(tui.terminal.autowraps, 0);
});

Deno.test("runTui() survives a nick with a hyphen being mentioned", async () => {
  await using tui = await startTui({ nick: "ana-b" });
  tui.session.emit(msg("bob", "hi ana-b, and ana-bee is someone else"));
  const rows = await tui.waitFor(showing("hi ana-b"), "the message");
  assert.ok(rows.some((r) => r.includes(" » hi ana-b")), rows.join("\n"));
  assert.equal(tui.terminal.bells, 1);
});

Deno.test("runTui() keeps the last column of a row that fills the width", async () => {
  await using tui = await startTui({ columns: 40 });
  // 40 columns: time 5 + 1, nick 5, separator 3 = 14; 26 cells of text per row.
  tui.session.emit(msg("bob", "a".repeat(25) + "Z" + "b".repeat(25) + "Y"));
  const rows = await tui.waitFor(showing("aaaZ"), "the message");
  assert.ok(rows.some((r) => r.endsWith("aZ")), rows.join("\n"));
  assert.ok(rows.some((r) => r.endsWith("bY")), rows.join("\n"));
});

for (const columns of [8, 15, 22, 29]) {
  Deno.test(`runTui() never draws a row wider than a ${columns}-column terminal`, async () => {
    await using tui = await startTui({ columns, rows: 10 });
    tui.session.emit(msg("bob", "a fairly long message that has to wrap a lot"));
    await tui.terminal.idle();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(tui.terminal.autowraps, 0, "the terminal never had to wrap a row");
    for (const row of tui.terminal.screenText()) assert.ok(textWidth(row) <= columns, row);
  });
}

Deno.test("runTui() fetches an older page from the server when scrolled past the top", async () => {
  await using tui = await startTui({ rows: 10 });
  const messages = Array.from(
    { length: 20 },
    (_, i) => ({ ...msg("bob", `recent ${i}`), id: 100 + i }),
  );
  tui.session.emit(...messages);
  await tui.waitFor(showing("recent 19"), "the messages");
  for (let i = 0; i < 12; i++) tui.terminal.press(PAGE_UP);
  await tui.terminal.idle();
  const asked = tui.session.sent.filter((f) => f.type === "cmd" && f.name === "history");
  assert.deepEqual(asked, [{
    type: "cmd",
    name: "history",
    args: `50 ${messages[0].id}`,
    room: "#lobby",
  }]);
  const older = Array.from({ length: 3 }, (_, i) => ({ ...msg("carol", `older ${i}`), id: i + 1 }));
  tui.session.emit({ type: "history", room: "#lobby", messages: older, more: false });
  for (let i = 0; i < 6; i++) tui.terminal.press(PAGE_UP);
  const rows = await tui.waitFor(showing("the beginning of #lobby"), "the start of the room");
  assert.ok(rows.some((r) => r.includes("older 0")), rows.join("\n"));
  const again = tui.session.sent.filter((f) => f.type === "cmd" && f.name === "history");
  assert.equal(again.length, 1, "nothing more is asked once the beginning is reached");
});
