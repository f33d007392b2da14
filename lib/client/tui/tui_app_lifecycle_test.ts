/** runTui(): taking the terminal over and always giving it back (quit, end of stream, failure, stop). */

import assert from "node:assert/strict";
import { FakeTerminal } from "./_fake_terminal.ts";
import { runTui, type TuiSession } from "./tui_app.ts";
import { assertRestored, CTRL_C, FakeSession, msg, NOW, startTui } from "./_tui_app_harness.ts";

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
