/**
 * The terminal UI's pick among several servers found on the LAN, in a real
 * terminal (tmux) inside the client's network namespace of a
 * {@linkcode NetPair}: the arrow keys move, Enter joins.
 */

import assert from "node:assert/strict";
import { TmuxSession } from "./_tmux.ts";
import { ROOT, runEntry } from "./_entry_process.ts";
import { NetPair } from "./_net_namespace.ts";

Deno.test("terminal UI: with two servers on the LAN, Down and Enter join the second one", async () => {
  await using lan = await NetPair.create();
  await using office = runEntry("server", ["--port", "0", "--name", "office"], {
    netns: lan.a.netns,
  });
  await using lab = runEntry("server", ["--port", "0", "--name", "lab"], { netns: lan.a.netns });
  await office.waitStdout((line) => line.startsWith("open "));
  await lab.waitStdout((line) => line.startsWith("open "));
  const [command, args] = lan.b.netns.wrap(Deno.execPath(), [
    "run",
    "-q",
    "-P=client",
    "client.ts",
    // The servers run --plain: a client joins an unencrypted one only when told so.
    "--plain",
    "--nick",
    "ana",
    "--config-dir",
    Deno.makeTempDirSync({ prefix: "lanchat-client-" }),
  ]);
  await using tmux = await TmuxSession.start(
    `cd '${ROOT}' && ${command} ${args.map((a) => `'${a}'`).join(" ")}; sleep 600`,
    80,
    20,
  );
  let rows = await tmux.waitFor((rows) => rows.some((r) => r.includes("which one?")));
  assert.ok(rows.some((r) => r.startsWith("looking for servers on the LAN...")), rows.join("\n"));
  assert.ok(rows.some((r) => /^> lab {2}10\.77\.0\.1:\d+ {2}\(not encrypted\)$/.test(r)));
  assert.ok(rows.some((r) => /^ {2}office {2}10\.77\.0\.1:\d+/.test(r)), rows.join("\n"));
  await tmux.press("Down");
  await tmux.waitFor((rows) => rows.some((r) => r.startsWith("> office")));
  await tmux.press("Enter");
  rows = await tmux.waitFor((rows) => rows.some((r) => r.includes("Welcome to office, ana!")));
  assert.match(rows[0], /#lobby/);
});
