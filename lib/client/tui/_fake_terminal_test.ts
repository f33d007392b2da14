import assert from "node:assert/strict";
import { FakeTerminal } from "./_fake_terminal.ts";
import { ScreenWriter } from "./terminal.ts";

Deno.test("FakeTerminal starts blank, on the main screen, cursor at the top left", () => {
  const terminal = new FakeTerminal(10, 3);
  assert.deepEqual(terminal.size(), { columns: 10, rows: 3 });
  assert.deepEqual(terminal.screenText(), ["", "", ""]);
  assert.deepEqual(terminal.cursor, { row: 0, column: 0 });
  assert.equal(terminal.altScreen, false);
});

Deno.test("FakeTerminal places text at the cursor position sequences", () => {
  const terminal = new FakeTerminal(10, 3);
  terminal.write("\x1b[2;3Hhi\x1b[Htop\x1b[3;8Hend");
  assert.deepEqual(terminal.screenText(), ["top", "  hi", "       end"]);
});

Deno.test("FakeTerminal gives a wide character two cells and a combining mark none", () => {
  const terminal = new FakeTerminal(10, 1);
  terminal.write("中e\u0301x😀");
  assert.deepEqual(terminal.screenText(), ["中e\u0301x😀"]);
  assert.deepEqual(terminal.cursor, { row: 0, column: 6 });
  terminal.write("\x1b[1;2Hab");
  assert.deepEqual(terminal.screenText(), [" abx😀"], "overwriting half of 中 blanks it");
});

Deno.test("FakeTerminal erases to the end of the line, the whole line and the screen", () => {
  const terminal = new FakeTerminal(8, 2);
  terminal.write("abcdefgh\x1b[2;1Hxyz\x1b[1;4H\x1b[K");
  assert.deepEqual(terminal.screenText(), ["abc", "xyz"]);
  terminal.write("\x1b[2;1H\x1b[2K");
  assert.deepEqual(terminal.screenText(), ["abc", ""]);
  terminal.write("\x1b[2J");
  assert.deepEqual(terminal.screenText(), ["", ""]);
});

Deno.test("FakeTerminal accepts SGR attributes without showing them", () => {
  const terminal = new FakeTerminal(10, 1);
  terminal.write("\x1b[1;33mbold\x1b[0m \x1b[7mrev\x1b[m");
  assert.deepEqual(terminal.screenText(), ["bold rev"]);
});

Deno.test("FakeTerminal counts bells", () => {
  const terminal = new FakeTerminal(10, 1);
  terminal.write("\x07a\x07");
  assert.equal(terminal.bells, 2);
  assert.deepEqual(terminal.screenText(), ["a"]);
});

Deno.test("FakeTerminal tracks the alternate screen, bracketed paste and cursor visibility", () => {
  const terminal = new FakeTerminal(10, 2);
  terminal.write("shell$");
  terminal.enter();
  assert.deepEqual(
    [terminal.rawMode, terminal.altScreen, terminal.bracketedPaste],
    [true, true, true],
  );
  assert.deepEqual(terminal.screenText(), ["", ""], "the alternate screen starts clear");
  terminal.write("\x1b[?25lapp");
  assert.equal(terminal.cursorVisible, false);
  terminal.restore();
  assert.deepEqual(
    [terminal.rawMode, terminal.altScreen, terminal.bracketedPaste, terminal.cursorVisible],
    [false, false, false, true],
  );
  assert.deepEqual(terminal.screenText(), ["shell$", ""], "the main screen comes back as it was");
});

Deno.test("FakeTerminal.restore() writes nothing when not entered or already restored", () => {
  const terminal = new FakeTerminal(10, 2);
  terminal.restore();
  terminal.enter();
  terminal.restore();
  const writes = terminal.writes.length;
  terminal.restore();
  assert.equal(terminal.writes.length, writes);
});

Deno.test("FakeTerminal throws on an escape sequence it does not understand", () => {
  const terminal = new FakeTerminal(10, 2);
  for (
    const sequence of ["\x1b]0;title\x07", "\x1b[5A", "\x1b[?1000h", "\x1bc", "\x1b[3J", "\x1b"]
  ) {
    assert.throws(
      () => terminal.write(sequence),
      /Unknown escape sequence/,
      JSON.stringify(sequence),
    );
  }
});

Deno.test("FakeTerminal throws on control characters a full-screen UI never writes", () => {
  const terminal = new FakeTerminal(10, 2);
  for (const char of ["\t", "\n", "\r", "\b", "\x00", "\x7f", "\x9b"]) {
    assert.throws(() => terminal.write(`a${char}b`), /Unexpected control character/);
  }
});

Deno.test("FakeTerminal wraps like xterm: ESC[K after the last column erases that column", () => {
  const terminal = new FakeTerminal(5, 2);
  terminal.write("abcde");
  assert.deepEqual(terminal.cursor, { row: 0, column: 4 });
  assert.equal(terminal.autowraps, 0);
  terminal.write("\x1b[K");
  assert.deepEqual(terminal.screenText(), ["abcd", ""]);
  terminal.write("\x1b[1;1Habcdefg");
  assert.deepEqual(terminal.screenText(), ["abcde", "fg"]);
  assert.equal(terminal.autowraps, 1);
});

Deno.test("FakeTerminal scrolls when text wraps past the bottom row", () => {
  const terminal = new FakeTerminal(3, 2);
  terminal.write("abcdefgh");
  assert.deepEqual(terminal.screenText(), ["def", "gh"]);
});

Deno.test("FakeTerminal draws what ScreenWriter draws, row for row", () => {
  const terminal = new FakeTerminal(12, 3);
  const writer = new ScreenWriter(terminal);
  writer.draw({
    rows: ["one", "中文 two", "\x1b[1mthree"],
    cursor: { row: 2, column: 5 },
    maxScroll: 0,
    paneRows: 1,
  });
  assert.deepEqual(terminal.screenText(), ["one", "中文 two", "three"]);
  assert.deepEqual(terminal.cursor, { row: 2, column: 5 });
  writer.draw({
    rows: ["one", "2", "three"],
    cursor: { row: 1, column: 1 },
    maxScroll: 0,
    paneRows: 1,
  });
  assert.deepEqual(terminal.screenText(), ["one", "2", "three"]);
  assert.equal(terminal.cursorVisible, true);
});

Deno.test("FakeTerminal.resize() keeps what fits and calls the resize listeners", () => {
  const terminal = new FakeTerminal(6, 2);
  terminal.write("abcd中\x1b[2;1Hxy");
  let calls = 0;
  const unsubscribe = terminal.onResize(() => calls++);
  terminal.resize(5, 3);
  assert.deepEqual(terminal.size(), { columns: 5, rows: 3 });
  assert.deepEqual(terminal.screenText(), ["abcd", "xy", ""], "half a wide character is dropped");
  unsubscribe();
  terminal.resize(4, 4);
  assert.equal(calls, 1);
});

Deno.test("FakeTerminal feeds typed, pressed and pasted input to the reader", async () => {
  const terminal = new FakeTerminal(10, 2);
  terminal.type("hé");
  terminal.press("\x1b[A");
  terminal.paste("raw");
  terminal.write("\x1b[?2004h");
  terminal.paste("x");
  terminal.endInput();
  const decoder = new TextDecoder();
  const chunks: string[] = [];
  for await (const chunk of terminal.input()) chunks.push(decoder.decode(chunk));
  assert.deepEqual(chunks, ["h", "é", "\x1b[A", "raw", "\x1b[200~x\x1b[201~"]);
});

Deno.test("FakeTerminal.idle() resolves once the reader has taken every chunk", async () => {
  const terminal = new FakeTerminal(10, 2);
  const taken: number[] = [];
  const reading = (async () => {
    for await (const chunk of terminal.input()) taken.push(chunk.length);
  })();
  await terminal.idle();
  terminal.press("abc");
  terminal.press("de");
  await terminal.idle();
  assert.deepEqual(taken, [3, 2]);
  terminal.endInput();
  await reading;
});
