import assert from "node:assert/strict";
import type { MessageEvent } from "../../core/events.ts";
import type { ServerFrame } from "../../protocol/wire_frames.ts";
import { ChatView } from "./chat_view.ts";
import type { ViewLine } from "./room_pane.ts";
import { LineEditor } from "./line_editor.ts";
import {
  layoutInput,
  layoutLine,
  nickColor,
  nickColumnWidth,
  renderScreen,
  type Size,
} from "./render_screen.ts";
import { textWidth } from "./text_width.ts";

const NOW = new Date(2026, 10, 24, 14, 30).getTime();
const LONG = "this message is long enough that it has to wrap onto several rows of the pane " +
  "at any width, even in a terminal that is one hundred and twenty columns wide";
const plain = (text: string) => text;
let nextId = 1;

function msg(
  from: string,
  text: string,
  room = "#lobby",
  kind: "say" | "action" = "say",
): MessageEvent {
  return { type: "msg", room, id: nextId++, ts: NOW, from, text, kind };
}

/** A view welcomed as ana into #lobby with bob and carol, then given `events`. */
function viewWith(...events: ServerFrame[]): ChatView {
  const view = new ChatView();
  view.apply({
    type: "welcome",
    protocol: 1,
    server: "lan",
    nick: "ana",
    room: "#lobby",
    members: ["ana", "bob", "carol"],
    history: [],
  });
  for (const event of events) view.apply(event);
  return view;
}

function render(view: ChatView, size: Size, color = false, editor = new LineEditor()) {
  return renderScreen(view, editor, size, { color, now: NOW });
}

function stripSgr(text: string): string {
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}

/** The pane row holding `text`, and the rows after it. */
function rowsFrom(rows: string[], text: string): string[] {
  const index = rows.findIndex((row) => row.includes(text));
  assert.notEqual(index, -1, `no row contains ${JSON.stringify(text)}:\n${rows.join("\n")}`);
  return rows.slice(index);
}

Deno.test("renderScreen() returns exactly one string per terminal row", () => {
  const screen = render(viewWith(msg("bob", "hi")), { columns: 60, rows: 12 });
  assert.equal(screen.rows.length, 12);
  assert.equal(screen.paneRows, 10);
});

Deno.test("renderScreen() header shows the server, room, member count and connection state", () => {
  const [header] = render(viewWith(), { columns: 80, rows: 10 }).rows;
  assert.equal(header.trimEnd(), " lan │ #lobby │ 3 members │ connected");
  assert.equal(textWidth(header), 80);
});

Deno.test("renderScreen() header lists other rooms with unread messages, ! marking mentions", () => {
  const view = viewWith(
    { type: "joined", room: "#dev", members: ["ana"], history: [] },
    { type: "joined", room: "#ops", members: ["ana"], history: [] },
    { type: "joined", room: "#quiet", members: ["ana"], history: [] },
  );
  view.switchTo("#quiet");
  view.apply(msg("bob", "hi", "#lobby"));
  view.apply(msg("bob", "ana: ping", "#lobby"));
  view.apply(msg("carol", "build broke", "#dev"));
  const [header] = render(view, { columns: 80, rows: 10 }).rows;
  assert.match(header, /^ lan │ #quiet │ 1 member │ connected +#lobby 2! {2}#dev 1 $/);
  assert.doesNotMatch(header, /#ops/, "a room without unread messages is not listed");
});

Deno.test("renderScreen() header is cut to the terminal width when it does not fit", () => {
  const view = viewWith({ type: "joined", room: "#dev", members: ["ana"], history: [] });
  view.apply(msg("bob", "hi", "#lobby"));
  const [header] = render(view, { columns: 30, rows: 10 }).rows;
  assert.equal(textWidth(header), 30);
  assert.match(header, /^ lan │ #dev │ 1 member │ con.*…/);
});

Deno.test("renderScreen() shows the newest lines at the bottom of the pane, above the input", () => {
  const view = viewWith(msg("bob", "first"), msg("carol", "second"));
  const { rows } = render(view, { columns: 60, rows: 12 });
  assert.match(rows[9], /^14:30 +bob │ first$/);
  assert.match(rows[10], /^14:30 +carol │ second$/);
  assert.equal(rows[11], "[#lobby] ");
});

Deno.test("layoutLine() puts the time, the nick right-aligned in its column and the text", () => {
  const line: ViewLine = { kind: "msg", ts: NOW, nick: "bob", text: "hello" };
  const [row] = layoutLine(line, 80, plain, NOW);
  assert.equal(row, `14:30 ${"bob".padStart(nickColumnWidth(80))} │ hello`);
});

Deno.test("layoutLine() shows a member's notice with its nick between dashes", () => {
  const line: ViewLine = { kind: "nick_notice", ts: NOW, nick: "bob", text: "build green" };
  const [row] = layoutLine(line, 80, plain, NOW);
  assert.equal(row, `14:30 ${"-bob-".padStart(nickColumnWidth(80))} │ build green`);
});

Deno.test("layoutLine() shows the date of a line from another day", () => {
  const yesterday = NOW - 24 * 3600_000;
  const [row] = layoutLine(
    { kind: "msg", ts: yesterday, nick: "bob", text: "old" },
    80,
    plain,
    NOW,
  );
  assert.match(row, /^Nov 23 14:30 +bob │ old$/);
});

Deno.test("layoutLine() cuts a nick longer than its column", () => {
  const [row] = layoutLine(
    { kind: "msg", ts: NOW, nick: "averyveryverylongnick", text: "hi" },
    80,
    plain,
    NOW,
  );
  assert.equal(row, "14:30 averyveryve… │ hi");
});

Deno.test("layoutLine() wraps a long message with a hanging indent under the nick column", () => {
  for (const columns of [40, 60, 80, 120]) {
    const rows = layoutLine({ kind: "msg", ts: NOW, nick: "bob", text: LONG }, columns, plain, NOW);
    assert.ok(rows.length >= 2, `${columns} columns: ${rows.join("\n")}`);
    const textStart = rows[0].indexOf("│ ") + 2;
    for (const row of rows.slice(1)) {
      assert.equal(row.slice(0, textStart), " ".repeat(textStart), `${columns}: ${row}`);
      assert.notEqual(row[textStart], " ", `${columns}: text starts under the first row's text`);
    }
    for (const row of rows) assert.ok(textWidth(row) <= columns, `${columns}: ${row}`);
    const words = rows.map((row) => row.slice(textStart).trim()).join(" ");
    assert.equal(words, LONG);
  }
});

Deno.test("layoutLine() starts each line of a multi-line message on its own row", () => {
  const rows = layoutLine({ kind: "msg", ts: NOW, nick: "bob", text: "one\ntwo" }, 80, plain, NOW);
  assert.deepEqual(rows.map((r) => r.trimStart()), ["14:30          bob │ one", "two"]);
});

Deno.test("renderScreen() without colour makes each kind of line visibly distinct", () => {
  const view = viewWith(
    msg("bob", "a message"),
    msg("ana", "my message"),
    msg("bob", "waves", "#lobby", "action"),
    { type: "dm", ts: NOW, from: "bob", to: "ana", text: "psst", kind: "say" },
    { type: "dm", ts: NOW, from: "ana", to: "bob", text: "yes?", kind: "say" },
    { type: "nick", ts: NOW, old: "carol", new: "cat", rooms: ["#lobby"] },
    { type: "join", room: "#lobby", id: 90, ts: NOW, nick: "dan" },
    { type: "leave", room: "#lobby", id: 91, ts: NOW, nick: "dan", reason: "quit" },
    { type: "error", code: "bad_args", message: "Usage: /join #room" },
  );
  const rows = rowsFrom(render(view, { columns: 80, rows: 14 }).rows, "a message").slice(0, 9);
  assert.deepEqual(rows.map((row) => row.replace(/^(\d\d:\d\d| {5}) +/, "")), [
    "bob │ a message",
    "ana ┃ my message",
    "* │ bob waves",
    "bob→ │ psst",
    "→bob ┃ yes?",
    "-- │ carol is now known as cat",
    "--> │ dan joined #lobby",
    "<-- │ dan quit",
    "! │ Usage: /join #room",
  ]);
});

Deno.test("renderScreen() marks a line that mentions us with the » separator", () => {
  const view = viewWith(msg("bob", "ana: lunch?"), msg("bob", "anyone else?"));
  const { rows } = render(view, { columns: 80, rows: 10 });
  assert.match(rowsFrom(rows, "lunch")[0], /bob » ana: lunch\?$/);
  assert.match(rowsFrom(rows, "anyone")[0], /bob │ anyone else\?$/);
});

Deno.test("renderScreen() with colour gives a nick the same SGR colour on every line", () => {
  const view = viewWith(msg("bob", "one"), msg("carol", "two"), msg("bob", "three"));
  const { rows } = render(view, { columns: 80, rows: 10 }, true);
  const colourOf = (text: string) => {
    const row = rowsFrom(rows, text)[0];
    return /\x1b\[([0-9;]+)m *(?:bob|carol)\x1b\[0m/.exec(row)?.[1];
  };
  assert.equal(colourOf("one"), String(nickColor("bob")));
  assert.equal(colourOf("three"), colourOf("one"));
  assert.equal(colourOf("two"), String(nickColor("carol")));
});

Deno.test("nickColor() is stable and ignores case", () => {
  assert.equal(nickColor("Bob"), nickColor("bob"));
  assert.equal(nickColor("bob"), nickColor("bob"));
  const colours = new Set(["ana", "bob", "carol", "dan", "eve", "frank", "grace"].map(nickColor));
  assert.ok(colours.size > 1, "different nicks do not all share one colour");
});

Deno.test("renderScreen() with colour makes our own messages bold and mentions stand out", () => {
  const view = viewWith(msg("ana", "mine"), msg("bob", "hey ana"));
  const { rows } = render(view, { columns: 80, rows: 10 }, true);
  assert.ok(rowsFrom(rows, "mine")[0].includes(`\x1b[1;${nickColor("ana")}m`));
  assert.ok(rowsFrom(rows, "hey ana")[0].includes("\x1b[1;33m » "));
});

Deno.test("renderScreen() without colour writes no escape sequence at all", () => {
  const view = viewWith(
    { type: "joined", room: "#dev", members: ["ana"], history: [msg("bob", "old", "#dev")] },
    msg("bob", "ana: hi", "#dev"),
    msg("bob", "elsewhere", "#lobby"),
    msg("bob", "dances", "#dev", "action"),
    { type: "dm", ts: NOW, from: "bob", to: "ana", text: "psst", kind: "say" },
    { type: "error", code: "bad_args", message: "nope" },
  );
  view.scroll(1, 10);
  view.apply(msg("bob", "new one", "#dev"));
  const editor = new LineEditor();
  editor.insert("typing");
  const { rows } = render(view, { columns: 50, rows: 16 }, false, editor);
  assert.ok(rows.some((row) => row.includes("new message")), "the marker is shown");
  for (const row of rows) assert.ok(!row.includes("\x1b"), JSON.stringify(row));
});

Deno.test("layoutInput() puts the cursor after wide characters by display width", () => {
  const editor = new LineEditor();
  editor.insert("中文ab");
  assert.deepEqual(layoutInput(editor, 80, 9), { rows: ["中文ab"], cursorRow: 0, cursorColumn: 6 });
  editor.home();
  editor.right();
  assert.equal(layoutInput(editor, 80, 9).cursorColumn, 2);
});

Deno.test("layoutInput() wraps before a wide character that does not fit, cursor following it", () => {
  const editor = new LineEditor();
  editor.insert("abcd中");
  // Rows of 5 columns: "abcd" plus 中 would need 6.
  const layout = layoutInput(editor, 5 + 9 + 1, 9);
  assert.deepEqual(layout.rows, ["abcd", "中"]);
  assert.deepEqual([layout.cursorRow, layout.cursorColumn], [1, 2]);
  editor.left();
  const before = layoutInput(editor, 15, 9);
  assert.deepEqual([before.cursorRow, before.cursorColumn], [1, 0]);
});

Deno.test("layoutInput() starts a new row at each line break of a paste", () => {
  const editor = new LineEditor();
  editor.insert("first\nsecond\nthird");
  const layout = layoutInput(editor, 80, 9);
  assert.deepEqual(layout.rows, ["first", "second", "third"]);
  assert.deepEqual([layout.cursorRow, layout.cursorColumn], [2, 5]);
  editor.home();
  assert.deepEqual(
    [layoutInput(editor, 80, 9).cursorRow, layoutInput(editor, 80, 9).cursorColumn],
    [
      0,
      0,
    ],
  );
});

Deno.test("renderScreen() shows a multi-line input under the prompt with the cursor on its last row", () => {
  const editor = new LineEditor();
  editor.insert("first\nsecond\nthird");
  const screen = render(viewWith(), { columns: 60, rows: 12 }, false, editor);
  assert.deepEqual(screen.rows.slice(-3), ["[#lobby] first", "         second", "         third"]);
  assert.deepEqual(screen.cursor, { row: 11, column: 9 + 5 });
  assert.equal(screen.paneRows, 12 - 1 - 3);
});

Deno.test("renderScreen() puts the cursor after the prompt on an empty line", () => {
  const screen = render(viewWith(), { columns: 60, rows: 12 });
  assert.deepEqual(screen.cursor, { row: 11, column: "[#lobby] ".length });
});

Deno.test("renderScreen() shows older lines and a 'more below' marker when scrolled up", () => {
  const events = Array.from({ length: 30 }, (_, i) => msg("bob", `line ${i}`));
  const view = viewWith(...events);
  const size = { columns: 60, rows: 10 };
  const bottom = render(view, size);
  assert.match(bottom.rows[8], /line 29$/);
  view.scroll(5, bottom.maxScroll);
  const { rows } = render(view, size);
  assert.match(rows[8], /^── more below \(PgDn\) ?─+$/);
  assert.match(rows[7], /line 24$/);
  assert.equal(textWidth(rows[8]), 60);
});

Deno.test("renderScreen() counts new messages below while scrolled up, and the view does not move", () => {
  const view = viewWith(...Array.from({ length: 30 }, (_, i) => msg("bob", `line ${i}`)));
  const size = { columns: 60, rows: 10 };
  view.scroll(5, render(view, size).maxScroll);
  const before = render(view, size).rows;
  view.apply(msg("carol", "new 1"));
  view.apply({ type: "join", room: "#lobby", id: 99, ts: NOW, nick: "dan" });
  view.apply(msg("carol", "new 2"));
  const after = render(view, size).rows;
  assert.deepEqual(after.slice(1, 8), before.slice(1, 8));
  assert.match(after[8], /^── 2 new messages below \(PgDn\) ?─+$/);
  view.scroll(-5, 100);
  const followed = render(view, size).rows;
  assert.match(followed[8], /carol │ new 2$/);
});

Deno.test("renderScreen() reports how far the room can scroll and never scrolls past the top", () => {
  const view = viewWith(...Array.from({ length: 5 }, (_, i) => msg("bob", `line ${i}`)));
  const size = { columns: 60, rows: 10 };
  const { maxScroll } = render(view, size);
  view.scroll(1000, maxScroll);
  const { rows } = render(view, size);
  assert.match(rows.find((r) => r.trim() !== "" && !r.startsWith(" lan"))!, /Welcome to lan/);
});

Deno.test("renderScreen() re-lays out everything at a new size, no row wider than the terminal", () => {
  const view = viewWith(
    msg("bob", LONG),
    msg("carol", "中文の長いメッセージ".repeat(8)),
    msg("bob", `emoji 👨‍👩‍👧 🇫🇷 ${"😀".repeat(40)}`),
    msg("averyveryverylongnick_24", "https://example.com/" + "x".repeat(150)),
    msg("bob", "ana: a mention\nwith a second line"),
    { ...msg("bob", "from yesterday " + LONG), ts: NOW - 24 * 3600_000 },
  );
  const editor = new LineEditor();
  editor.insert("half-typed 中文 line that is long enough to wrap in narrow terminals 😀😀😀");
  const counts = new Map<number, number>();
  for (const color of [false, true]) {
    for (
      const size of [
        { columns: 80, rows: 24 },
        { columns: 40, rows: 12 },
        { columns: 120, rows: 40 },
        { columns: 33, rows: 8 },
        { columns: 57, rows: 20 },
        { columns: 200, rows: 60 },
      ]
    ) {
      for (const scroll of [0, 3]) {
        view.current!.scroll = scroll;
        const screen = renderScreen(view, editor, size, { color, now: NOW });
        assert.equal(screen.rows.length, size.rows);
        for (const row of screen.rows) {
          const width = textWidth(stripSgr(row));
          assert.ok(width <= size.columns, `${width} > ${size.columns}: ${JSON.stringify(row)}`);
        }
        assert.ok(screen.cursor.row < size.rows && screen.cursor.column < size.columns);
        if (!color && scroll === 0) {
          counts.set(size.columns, screen.rows.filter((r) => r.startsWith(" ".repeat(10))).length);
        }
      }
    }
  }
  // Narrower terminals need more continuation rows for the same text.
  assert.ok(counts.get(40)! > 0);
  assert.ok(counts.get(40)! >= counts.get(120)!);
});
