/**
 * A hostile server against the client: the corpus of tests/hostile_server.ts
 * in every string field of every frame type, and malformed frames. Nothing
 * of it may reach a screen as anything but plain text: not in line mode (the
 * real client.ts), not in the terminal UI (on the fake terminal, which throws
 * on any sequence the UI itself does not write, and in a real tmux).
 */

import assert from "node:assert/strict";
import {
  frameTemplates,
  HOSTILE_CORPUS,
  type HostilePeer,
  hostileRun,
  HostileServer,
  MALFORMED_LINES,
} from "./_hostile_server.ts";
import { ROOT, runClient } from "./_entry_process.ts";
import { TmuxSession } from "./_tmux.ts";
import { ReconnectingSession } from "../lib/client/reconnecting_session.ts";
import { FakeTerminal } from "../lib/client/tui/_fake_terminal.ts";
import { runTui } from "../lib/client/tui/tui_app.ts";

/** What must never reach a terminal from the wire: controls (but LF), C1, bidi controls, separators. */
const UNSAFE =
  /[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;
/** What a renderer prints when it was handed something it did not expect. */
const GARBAGE = /\bNaN\b|\bundefined\b|Invalid Date|\[object Object\]/;
/** The tag at the start of each corpus entry: it must arrive, cleaned. */
const TAGS = HOSTILE_CORPUS.map((text) => /^[a-z0-9-]+/.exec(text)![0]);

function firstUnsafe(lines: string[]): string | undefined {
  const line = lines.find((l) => UNSAFE.test(l) || !l.isWellFormed() || GARBAGE.test(l));
  return line === undefined ? undefined : JSON.stringify(line.slice(0, 300));
}

Deno.test("line mode: a hostile server's corpus in every field of every frame reaches stdout and stderr as plain lines", async () => {
  await using server = new HostileServer(hostileRun);
  await using cli = runClient(server.port, "ana", [], { stdin: "piped" });
  await cli.closeStdin();
  const status = await cli.finished(60_000);
  assert.deepEqual(server.errors, []);
  const { stdout, stderr } = cli;
  assert.equal(firstUnsafe(stdout), undefined, "stdout");
  assert.equal(firstUnsafe(stderr), undefined, "stderr");
  const all = [...stdout, ...stderr].join("\n");
  assert.ok(!unquoted(all).includes("pwned"), "an escape sequence's payload got through");
  // It arrived, cleaned: the server's name, the history, the final goodbye.
  assert.match(stdout[0], /^Welcome to hostileclear/);
  for (const tag of TAGS) {
    assert.ok(stdout.some((l) => l.includes(`<bob> ${tag}`) || l.includes(`* bob ${tag}`)), tag);
  }
  assert.match(stdout.at(-1)!, /^\* clear/);
  // The goodbye came after the quit, but the server's "error" frames count as refused lines.
  assert.equal(status.code, 3, stderr.slice(-3).join("\n"));
  // Every malformed line and every frame with a field that cannot be cleaned
  // (a nick, a room, a code, a number) got its one-line notice on stderr.
  const notices = stderr.filter((l) =>
    l.startsWith("chat-client: the server sent an invalid frame: ")
  );
  assert.ok(notices.length >= MALFORMED_LINES.length + 100, `${notices.length} notices`);
  assert.ok(notices.every((l) => l.endsWith("(ignored)")));
  assert.ok(notices.some((l) => l.includes('"members" of a "who" frame is null, not a list')));
  assert.ok(notices.some((l) => l.includes('"ts" of a "msg" frame is 1e+308, not a time')));
  // One line per event: the further lines of a message start with " | ".
  assert.ok(stdout.filter((l) => l.startsWith(" ")).every((l) => l.startsWith(" | ")));
  assert.ok(
    !stdout.some((l) => l.startsWith("[12:00] <admin> forged line")),
    "a forged event line",
  );
});

Deno.test("terminal UI: a hostile server's corpus draws nothing but the UI's own output", async () => {
  await using server = new HostileServer(hostileRun);
  const session = await ReconnectingSession.connect({
    host: "127.0.0.1",
    port: server.port,
    nick: "ana",
    client: "test",
    reconnect: false,
  });
  // The fake terminal throws on any control or escape sequence the UI does not write itself.
  const terminal = new FakeTerminal(120, 40);
  const result = runTui(session, terminal, { color: true });
  try {
    // The last malformed line is the last thing before the goodbye.
    const deadline = Date.now() + 60_000;
    while (!terminal.screenText().some((r) => r.includes('no "type" in "{"type":null}"'))) {
      if (Date.now() > deadline) throw new Error(terminal.screenText().join("\n"));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const screen = terminal.screenText();
    assert.equal(firstUnsafe(screen), undefined);
    assert.ok(!screen.join("\n").includes("pwned"));
    assert.equal(terminal.bells, 0, "the bell rings for mentions only");
    terminal.press("\x03");
    const ended = await result;
    assert.ok(ended.quit);
  } finally {
    session.close();
    await result.catch(() => {});
  }
  assert.deepEqual(server.errors, []);
  assert.ok(!terminal.rawMode && !terminal.altScreen, "the terminal is restored");
  for (const write of terminal.writes) {
    assert.ok(!write.includes("\x1b]") && !write.includes("\x07"), JSON.stringify(write));
  }
});

/** The UI's own sequences between entering and leaving the full screen; anything else leaked. */
const UI_SEQUENCE = /\x1b\[(?:\?25[lh]|H|2J|2K|\d+;\d+H|[0-9;]*m)/g;

Deno.test("terminal UI in tmux: a hostile server neither sets the title nor writes a byte the UI did not mean", async () => {
  await using server = new HostileServer(hostileRun);
  const configDir = Deno.makeTempDirSync();
  const output = Deno.makeTempFileSync({ suffix: ".out" });
  await using tmux = await TmuxSession.start(
    `cd '${ROOT}' && '${Deno.execPath()}' run -q -P=client client.ts --host 127.0.0.1 ` +
      `--port ${server.port} --nick ana --plain --config-dir '${configDir}'; echo "EXIT=$?"; sleep 600`,
    120,
    40,
  );
  await tmux.recordOutput(output);
  const titleBefore = await tmux.title();
  // The last malformed line's notice, or the client gave up.
  const shown = await tmux.waitFor(
    (rows) => rows.some((r) => r.includes('no "type" in') || r.startsWith("EXIT=")),
    60_000,
  );
  assert.ok(!shown.some((r) => r.startsWith("EXIT=")), shown.join("\n"));
  await tmux.press("C-c");
  const rows = await tmux.waitFor((rows) => rows.some((r) => r.startsWith("EXIT=")), 20_000);
  assert.ok(rows.includes("EXIT=0"), rows.join("\n"));
  assert.equal(await tmux.title(), titleBefore);
  assert.ok(!titleBefore.includes("pwned"));
  const raw = Deno.readTextFileSync(output);
  const start = raw.indexOf("\x1b[?1049h\x1b[H\x1b[2J\x1b[?2004h");
  const end = raw.lastIndexOf("\x1b[0m\x1b[?2004l\x1b[?25h\x1b[?1049l");
  assert.ok(start >= 0 && end > start, "the UI entered and left the full screen");
  const inside = raw.slice(start + "\x1b[?1049h\x1b[H\x1b[2J\x1b[?2004h".length, end);
  const leftover = inside.replace(UI_SEQUENCE, "");
  const leak = /[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/.exec(leftover);
  assert.equal(
    leak,
    null,
    leak ? JSON.stringify(leftover.slice(Math.max(0, leak.index - 80), leak.index + 80)) : "",
  );
  assert.ok(!unquoted(inside).includes("pwned"));
  assert.ok(inside.includes(" hostileclear"), "the server's name was drawn (the header), cleaned");
});

Deno.test("line mode: a malformed welcome or a hostile refusal ends the client with status 1 and one clean line", async () => {
  const welcome = (peer: HostilePeer) =>
    peer.send({ ...frameTemplates()[0], members: null, server: "x\x1b]0;pwned\x07" });
  const refusal = (peer: HostilePeer) =>
    peer.send({
      type: "error",
      code: "nick_taken",
      message: "taken\x1b[2J\r\n[12:00] <admin> yes",
    });
  for (
    const [script, expected] of [
      [
        welcome,
        'the server sent an invalid frame: "members" of a "welcome" frame is null, not a list',
      ],
      [refusal, "taken [12:00] <admin> yes"],
    ] as const
  ) {
    await using server = new HostileServer(script);
    await using cli = runClient(server.port, "ana", [], { stdin: "piped" });
    await cli.closeStdin();
    assert.equal((await cli.finished(15_000)).code, 1, cli.stderr.join("\n"));
    assert.deepEqual(cli.stderr, [
      `chat-client: cannot join 127.0.0.1:${server.port}: ${expected}`,
    ]);
    assert.deepEqual(cli.stdout, []);
  }
});

/**
 * The text without the escape sequences that invalid-frame notices quote
 * in backslash notation (`\x1b]0;pwned\x07`, harmless characters): what is
 * left must not carry an escape's payload.
 */
function unquoted(text: string): string {
  return text.replace(/\\x1b\](?:[^\\\s]|\\(?!x07|x1b))*/g, "");
}
