import assert from "node:assert/strict";
import type { MessageEvent, WelcomeEvent } from "../../core/events.ts";
import type { ServerFrame } from "../../protocol/wire_frames.ts";
import type { ClientFrame } from "../../protocol/client_frames.ts";
import { FakeTerminal } from "./_fake_terminal.ts";
import { textWidth } from "./text_width.ts";
import { runTui, type TuiResult, type TuiSession } from "./tui_app.ts";

const NOW = new Date(2026, 10, 24, 9, 15).getTime();
const ENTER = "\r";
const TAB = "\t";
const UP = "\x1b[A";
const PAGE_UP = "\x1b[5~";
const PAGE_DOWN = "\x1b[6~";
const CTRL_C = "\x03";

/** A chat session whose events the test emits and whose sent frames it reads. */
class FakeSession implements TuiSession {
  readonly sent: ClientFrame[] = [];
  #events: ServerFrame[] = [];
  #ended = false;
  #wake: (() => void) | undefined;
  /** Answer `/quit` with a goodbye and the end of the stream, as the server does. */
  answerQuit = true;

  constructor(readonly welcome: WelcomeEvent) {}

  emit(...events: ServerFrame[]): void {
    this.#events.push(...events);
    this.#wake?.();
  }

  /** Ends the event stream, as when the server closes the connection. */
  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  async *events(): AsyncIterable<ServerFrame> {
    while (true) {
      const event = this.#events.shift();
      if (event) {
        yield event;
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  send(frame: ClientFrame): Promise<void> {
    this.sent.push(frame);
    if (this.answerQuit && frame.type === "cmd" && frame.name === "quit") {
      this.emit({ type: "bye", reason: "quit", message: "Goodbye" });
      this.end();
    }
    return Promise.resolve();
  }
}

let nextId = 1;

function msg(from: string, text: string, room = "#lobby"): MessageEvent {
  return { type: "msg", room, id: nextId++, ts: NOW, from, text, kind: "say" };
}

interface RunningTui extends AsyncDisposable {
  terminal: FakeTerminal;
  session: FakeSession;
  result: Promise<TuiResult>;
  /** Waits until the screen satisfies `check`; fails with the screen if it never does. */
  waitFor(check: (rows: string[]) => boolean, what: string): Promise<string[]>;
  /** The bottom row: the prompt and the typed text. */
  inputRow(): string;
}

/** Runs the UI on a fake terminal as ana in #lobby with bob and carol; disposing ends it. */
async function startTui(
  options: { columns?: number; rows?: number; color?: boolean; nick?: string } = {},
): Promise<RunningTui> {
  const terminal = new FakeTerminal(options.columns ?? 60, options.rows ?? 16);
  const nick = options.nick ?? "ana";
  const session = new FakeSession({
    type: "welcome",
    protocol: 1,
    server: "lan",
    nick,
    room: "#lobby",
    members: [nick, "bob", "carol"],
    history: [],
  });
  const result = runTui(session, terminal, { color: options.color ?? false, now: () => NOW });
  await terminal.idle();
  return {
    terminal,
    session,
    result,
    async waitFor(check, what) {
      const deadline = Date.now() + 2000;
      while (!check(terminal.screenText())) {
        if (Date.now() > deadline) {
          throw new Error(
            `Timed out waiting for ${what}; screen:\n${terminal.screenText().join("\n")}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      return terminal.screenText();
    },
    inputRow: () => terminal.screenText().at(-1)!,
    async [Symbol.asyncDispose]() {
      session.end();
      await result;
    },
  };
}

const showing = (text: string) => (rows: string[]) => rows.some((row) => row.includes(text));

/** Asserts the terminal is back to normal: cooked input, main screen, no paste mode, cursor shown. */
function assertRestored(terminal: FakeTerminal): void {
  assert.deepEqual(
    {
      rawMode: terminal.rawMode,
      altScreen: terminal.altScreen,
      bracketedPaste: terminal.bracketedPaste,
      cursorVisible: terminal.cursorVisible,
    },
    { rawMode: false, altScreen: false, bracketedPaste: false, cursorVisible: true },
  );
}

Deno.test("runTui() takes over the terminal and draws the header, the welcome and the prompt", async () => {
  await using tui = await startTui();
  const { terminal } = tui;
  assert.equal(terminal.rawMode, true);
  assert.equal(terminal.altScreen, true);
  assert.equal(terminal.bracketedPaste, true);
  const rows = terminal.screenText();
  assert.equal(rows[0], " lan │ #lobby │ 3 members │ connected");
  assert.ok(rows.some((row) => row.includes("Welcome to lan, ana!")));
  assert.equal(tui.inputRow(), "[#lobby]");
  assert.deepEqual(terminal.cursor, { row: 15, column: 9 });
  assert.equal(terminal.cursorVisible, true);
});

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

Deno.test("runTui() on Ctrl-C sends a quit command and restores the terminal", async () => {
  await using tui = await startTui();
  tui.terminal.type("unsent draft");
  tui.terminal.press(CTRL_C);
  const result = await tui.result;
  assert.deepEqual(result, {
    quit: true,
    bye: { type: "bye", reason: "quit", message: "Goodbye" },
  });
  assert.deepEqual(tui.session.sent, [{ type: "cmd", name: "quit", args: "" }]);
  assertRestored(tui.terminal);
  assert.deepEqual(tui.terminal.screenText(), Array(16).fill(""), "the main screen is untouched");
});

Deno.test("runTui() on Ctrl-D with an empty line quits too", async () => {
  await using tui = await startTui();
  tui.terminal.press("\x04");
  assert.equal((await tui.result).quit, true);
  assertRestored(tui.terminal);
});

Deno.test("runTui() restores the terminal when the event stream ends", async () => {
  await using tui = await startTui();
  tui.session.emit({ type: "bye", reason: "shutdown", message: "Server shutting down" });
  tui.session.end();
  const result = await tui.result;
  assert.equal(result.quit, false);
  assert.equal(result.bye?.reason, "shutdown");
  assertRestored(tui.terminal);
});

Deno.test("runTui() restores the terminal when the input closes", async () => {
  await using tui = await startTui();
  tui.terminal.endInput();
  assert.equal((await tui.result).quit, true);
  assertRestored(tui.terminal);
});

Deno.test("runTui() reports a failed connection and still restores the terminal", async () => {
  const terminal = new FakeTerminal(60, 16);
  const failure = new Error("connection reset");
  const session: TuiSession = {
    welcome: {
      type: "welcome",
      protocol: 1,
      server: "lan",
      nick: "ana",
      room: "#lobby",
      members: ["ana"],
      history: [],
    },
    // deno-lint-ignore require-yield
    async *events() {
      await Promise.resolve();
      throw failure;
    },
    send: () => Promise.resolve(),
  };
  const result = await runTui(session, terminal, { color: false, now: () => NOW });
  assert.equal(result.failure, failure);
  assert.equal(result.quit, false);
  assertRestored(terminal);
});

Deno.test("runTui() quits when asked to stop, as on SIGTERM", async () => {
  const terminal = new FakeTerminal(60, 16);
  const session = new FakeSession({
    type: "welcome",
    protocol: 1,
    server: "lan",
    nick: "ana",
    room: "#lobby",
    members: ["ana"],
    history: [],
  });
  const stop = Promise.withResolvers<void>();
  const result = runTui(session, terminal, { color: false, now: () => NOW, stop: stop.promise });
  await terminal.idle();
  stop.resolve();
  assert.equal((await result).quit, true);
  assert.deepEqual(session.sent, [{ type: "cmd", name: "quit", args: "" }]);
  assertRestored(terminal);
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

Deno.test("runTui() draws nothing once the terminal is given back, even if events keep coming", async () => {
  const tui = await startTui();
  tui.session.answerQuit = false;
  tui.terminal.press(CTRL_C);
  const result = await tui.result;
  assert.equal(result.quit, true);
  assertRestored(tui.terminal);
  const writes = tui.terminal.writes.length;
  tui.session.emit(msg("bob", "ana, late message"));
  tui.session.end();
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(tui.terminal.writes.length, writes, "no output after the restore");
  assert.equal(tui.terminal.bells, 0);
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
