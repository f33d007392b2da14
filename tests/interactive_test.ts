/**
 * The interactive client in a real terminal (tmux): incoming messages never
 * corrupt the line being typed, and the terminal is restored on exit.
 */

import assert from "node:assert/strict";
import { TmuxSession } from "./tmux.ts";
import { NativeClient, ROOT, startServer } from "./test_util.ts";

function clientCommand(port: number, nick: string): string {
  const client =
    `'${Deno.execPath()}' run -q -P=client client.ts --host 127.0.0.1 --port ${port} --nick ${nick}`;
  // After the client exits: its status and the terminal's canonical-mode flag.
  return `cd '${ROOT}' && ${client}; echo "EXIT=$?"; stty -a | tr ' ' '\\n' | grep -x -- '-\\?icanon'; sleep 600`;
}

Deno.test("interactive client: a half-typed line survives incoming messages and is sent intact", async () => {
  await using server = await startServer();
  await using tmux = await TmuxSession.start(clientCommand(server.addr.port, "ana"), 60, 12);
  await tmux.waitFor((rows) => rows.some((r) => r.startsWith("[#lobby] >")));
  await using bob = await NativeClient.connect(server.addr.port, "bob");
  await tmux.type("half typed ünïcode");
  await tmux.waitFor((rows) => rows.some((r) => r === "[#lobby] > half typed ünïcode"));
  for (let i = 1; i <= 3; i++) await bob.send({ type: "msg", text: `incoming ${i}` });
  const rows = await tmux.waitFor((rows) =>
    rows.some((r) => r.endsWith("<bob> incoming 3")) &&
    rows.some((r) => r.startsWith("[#lobby] > half"))
  );
  const used = rows.filter((r) => r !== "");
  assert.equal(used.at(-1), "[#lobby] > half typed ünïcode", rows.join("\n"));
  // Each message on a row of its own, nothing of the typed line mixed in.
  const incoming = used.filter((r) => r.includes("incoming"));
  assert.equal(incoming.length, 3, rows.join("\n"));
  for (const row of incoming) assert.match(row, /^\[\d\d:\d\d\] <bob> incoming \d$/);
  await tmux.type(" and done");
  await tmux.press("Enter");
  const got = await bob.next("msg", (e) => e.from === "ana");
  assert.equal(got.text, "half typed ünïcode and done");
  await tmux.waitFor((rows) => rows.some((r) => r.endsWith("<ana> half typed ünïcode and done")));
});

Deno.test("interactive client: Ctrl-C quits cleanly and leaves the terminal in canonical mode", async () => {
  await using server = await startServer();
  await using tmux = await TmuxSession.start(clientCommand(server.addr.port, "ana"), 60, 12);
  await tmux.waitFor((rows) => rows.some((r) => r.startsWith("[#lobby] >")));
  await using bob = await NativeClient.connect(server.addr.port, "bob");
  await tmux.type("unsent");
  await tmux.press("C-c");
  const rows = await tmux.waitFor((rows) =>
    rows.includes("EXIT=0") && rows.some((r) => /icanon/.test(r))
  );
  assert.ok(rows.includes("icanon"), `terminal left in raw mode:\n${rows.join("\n")}`);
  const leave = await bob.next("leave", (e) => e.nick === "ana");
  assert.equal(leave.reason, "quit");
  assert.ok(!bob.events.some((e) => e.type === "msg" && e.text === "unsent"));
});
