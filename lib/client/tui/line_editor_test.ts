import assert from "node:assert/strict";
import { LineEditor } from "./line_editor.ts";

const E_ACUTE = "e\u0301";
const FAMILY = "👨‍👩‍👧";
const FLAG = "🇫🇷";

/** An editor holding `text` with the cursor at cluster `cursor` (default: the end). */
function editorWith(text: string, cursor?: number): LineEditor {
  const editor = new LineEditor();
  editor.set(text);
  if (cursor !== undefined) {
    editor.home();
    for (let i = 0; i < cursor; i++) editor.right();
  }
  return editor;
}

/** The text with `|` at the cursor, for readable assertions. */
function show(editor: LineEditor): string {
  const chars = [...editor.chars];
  chars.splice(editor.cursor, 0, "|");
  return chars.join("");
}

Deno.test("LineEditor starts empty with the cursor at 0", () => {
  const editor = new LineEditor();
  assert.equal(editor.text, "");
  assert.equal(editor.cursor, 0);
  assert.equal(editor.empty, true);
});

Deno.test("LineEditor.insert() types at the cursor and moves it past the text", () => {
  const editor = new LineEditor();
  editor.insert("helo");
  editor.left();
  editor.insert("l");
  assert.equal(show(editor), "hell|o");
  assert.equal(editor.empty, false);
});

Deno.test("LineEditor.insert() joins a combining mark to the letter before the cursor", () => {
  const editor = new LineEditor();
  editor.insert("cafe");
  editor.insert("\u0301");
  assert.deepEqual(editor.chars, ["c", "a", "f", E_ACUTE]);
  assert.equal(editor.cursor, 4);
});

Deno.test("LineEditor.insert() of a combining mark mid-line joins the cluster on its left", () => {
  const editor = editorWith("eb", 1);
  editor.insert("\u0301");
  assert.deepEqual(editor.chars, [E_ACUTE, "b"]);
  assert.equal(editor.cursor, 1);
});

Deno.test("LineEditor.insert() builds a ZWJ emoji and a flag typed piece by piece", () => {
  const editor = new LineEditor();
  for (const piece of ["👨", "\u200d", "👩", "\u200d", "👧"]) editor.insert(piece);
  editor.insert("🇫");
  editor.insert("🇷");
  assert.deepEqual(editor.chars, [FAMILY, FLAG]);
  assert.equal(editor.cursor, 2);
});

Deno.test("LineEditor moves left and right by whole clusters", () => {
  const editor = editorWith(`a${FAMILY}${E_ACUTE}${FLAG}`, 0);
  const seen: string[] = [];
  for (let i = 0; i < 5; i++) {
    editor.right();
    seen.push(show(editor));
  }
  assert.deepEqual(seen, [
    `a|${FAMILY}${E_ACUTE}${FLAG}`,
    `a${FAMILY}|${E_ACUTE}${FLAG}`,
    `a${FAMILY}${E_ACUTE}|${FLAG}`,
    `a${FAMILY}${E_ACUTE}${FLAG}|`,
    `a${FAMILY}${E_ACUTE}${FLAG}|`,
  ]);
  editor.left();
  editor.left();
  assert.equal(show(editor), `a${FAMILY}|${E_ACUTE}${FLAG}`);
});

Deno.test("LineEditor does not move left past the start", () => {
  const editor = editorWith("ab", 0);
  editor.left();
  assert.equal(editor.cursor, 0);
});

Deno.test("LineEditor.backspace() deletes a whole emoji or accented letter", () => {
  const editor = editorWith(`x${FAMILY}${E_ACUTE}`);
  editor.backspace();
  assert.equal(editor.text, `x${FAMILY}`);
  editor.backspace();
  assert.equal(editor.text, "x");
  assert.equal(editor.cursor, 1);
});

Deno.test("LineEditor.backspace() at the start does nothing", () => {
  const editor = editorWith("ab", 0);
  editor.backspace();
  assert.equal(show(editor), "|ab");
});

Deno.test("LineEditor.deleteForward() deletes the cluster under the cursor", () => {
  const editor = editorWith(`a${FLAG}b`, 1);
  editor.deleteForward();
  assert.equal(show(editor), "a|b");
  editor.end();
  editor.deleteForward();
  assert.equal(show(editor), "ab|");
});

Deno.test("LineEditor Home and End (Ctrl-A, Ctrl-E) go to the ends of the line", () => {
  const editor = editorWith("hello world", 3);
  editor.home();
  assert.equal(editor.cursor, 0);
  editor.end();
  assert.equal(editor.cursor, 11);
});

Deno.test("LineEditor.killToStart() (Ctrl-U) deletes before the cursor only", () => {
  const editor = editorWith("hello world", 6);
  editor.killToStart();
  assert.equal(show(editor), "|world");
});

Deno.test("LineEditor.killToEnd() (Ctrl-K) deletes from the cursor and keeps it in place", () => {
  const editor = editorWith("hello world", 5);
  editor.killToEnd();
  assert.equal(show(editor), "hello|");
});

Deno.test("LineEditor.deleteWordBack() (Ctrl-W) deletes the word before the cursor and the spaces after it", () => {
  const editor = editorWith("say hello  world", 11);
  editor.deleteWordBack();
  assert.equal(show(editor), "say |world");
  editor.deleteWordBack();
  assert.equal(show(editor), "|world");
  editor.deleteWordBack();
  assert.equal(show(editor), "|world");
});

Deno.test("LineEditor.deleteWordBack() removes a word of emoji and accents whole", () => {
  const editor = editorWith(`hi caf${E_ACUTE}${FAMILY}`);
  editor.deleteWordBack();
  assert.equal(editor.text, "hi ");
});

Deno.test("LineEditor word moves jump over spaces and whole words", () => {
  const editor = editorWith("one  two three", 0);
  editor.wordRight();
  assert.equal(show(editor), "one|  two three");
  editor.wordRight();
  assert.equal(show(editor), "one  two| three");
  editor.wordRight();
  editor.wordRight();
  assert.equal(show(editor), "one  two three|");
  editor.wordLeft();
  assert.equal(show(editor), "one  two |three");
  editor.wordLeft();
  assert.equal(show(editor), "one  |two three");
  editor.wordLeft();
  editor.wordLeft();
  assert.equal(show(editor), "|one  two three");
});

Deno.test("LineEditor word moves treat a line break as a space", () => {
  const editor = editorWith("one\ntwo");
  editor.wordLeft();
  assert.equal(show(editor), "one\n|two");
});

Deno.test("LineEditor.submit() returns the text, empties the line and records history", () => {
  const editor = editorWith("hello");
  assert.equal(editor.submit(), "hello");
  assert.equal(editor.text, "");
  assert.equal(editor.cursor, 0);
  editor.historyUp();
  assert.equal(editor.text, "hello");
});

Deno.test("LineEditor history Up goes back, Down comes forward, and the end is the draft", () => {
  const editor = new LineEditor();
  for (const line of ["first", "second", "third"]) {
    editor.set(line);
    editor.submit();
  }
  editor.insert("half typ");
  editor.historyUp();
  assert.equal(editor.text, "third");
  assert.equal(editor.cursor, 5);
  editor.historyUp();
  editor.historyUp();
  assert.equal(editor.text, "first");
  editor.historyUp();
  assert.equal(editor.text, "first", "Up at the oldest entry stays there");
  editor.historyDown();
  assert.equal(editor.text, "second");
  editor.historyDown();
  editor.historyDown();
  assert.equal(editor.text, "half typ", "the draft comes back after the newest entry");
  editor.historyDown();
  assert.equal(editor.text, "half typ", "Down at the draft stays there");
});

Deno.test("LineEditor history Up with no history keeps the line", () => {
  const editor = editorWith("draft");
  editor.historyUp();
  assert.equal(editor.text, "draft");
});

Deno.test("LineEditor history skips blank lines and an immediate repeat", () => {
  const editor = new LineEditor();
  for (const line of ["same", "same", "   ", "other"]) {
    editor.set(line);
    editor.submit();
  }
  editor.historyUp();
  assert.equal(editor.text, "other");
  editor.historyUp();
  assert.equal(editor.text, "same");
  editor.historyUp();
  assert.equal(editor.text, "same", "only one 'same' was recorded");
  editor.historyDown();
  assert.equal(editor.text, "other");
});

Deno.test("LineEditor.submit() after browsing history starts the next Up from the newest entry", () => {
  const editor = new LineEditor();
  for (const line of ["a", "b", "c"]) {
    editor.set(line);
    editor.submit();
  }
  editor.historyUp();
  editor.historyUp();
  assert.equal(editor.submit(), "b");
  editor.historyUp();
  assert.equal(editor.text, "b");
  editor.historyUp();
  assert.equal(editor.text, "c");
});

Deno.test("LineEditor.wordAtCursor() returns the word being typed and where it starts", () => {
  assert.deepEqual(editorWith("hello wo").wordAtCursor(), { start: 6, word: "wo" });
  assert.deepEqual(editorWith("hello ").wordAtCursor(), { start: 6, word: "" });
  assert.deepEqual(editorWith("/jo").wordAtCursor(), { start: 0, word: "/jo" });
  assert.deepEqual(editorWith("hello world", 8).wordAtCursor(), { start: 6, word: "wo" });
  assert.deepEqual(editorWith(`x caf${E_ACUTE}`).wordAtCursor(), {
    start: 2,
    word: `caf${E_ACUTE}`,
  });
});

Deno.test("LineEditor.replaceBeforeCursor() swaps the word for a completion and keeps the rest", () => {
  const editor = editorWith("hi ma, there", 5);
  const { start } = editor.wordAtCursor();
  editor.replaceBeforeCursor(start, "mallory");
  assert.equal(show(editor), "hi mallory|, there");
  // Cycling to another match replaces the previous completion.
  editor.replaceBeforeCursor(start, "马克");
  assert.equal(show(editor), "hi 马克|, there");
});
