/**
 * chat-client in line mode queues its uploads to the server's limits
 * (issue 18, review files_rev2 items 1 and 2): a script of six `/send`
 * lines, more than the 2 at once and the burst of 5 a server takes, all
 * arrive, exit 0; and `~/` in `/send` and `/get` paths is the home
 * directory.
 */

import assert from "node:assert/strict";
import { runClient, runServer } from "./_entry_process.ts";

const GET = /\[file\] (n\d\.txt) .*\/get ([A-Za-z0-9_-]{22})$/;

Deno.test("chat-client: six /send lines of ~/ paths all arrive (queued to the server's limits), exit 0; /get saves to ~/dir/", async () => {
  const started = await runServer(["--no-discovery"]);
  await using _server = started.server;
  const anaHome = await Deno.makeTempDir({ prefix: "lanchat_home_ana_" });
  const bobHome = await Deno.makeTempDir({ prefix: "lanchat_home_bob_" });
  try {
    for (let i = 1; i <= 6; i++) await Deno.writeTextFile(`${anaHome}/n${i}.txt`, `note ${i}\n`);
    await Deno.mkdir(`${bobHome}/dl`);
    await using bob = runClient(started.port, "bob", [], {
      stdin: "piped",
      env: { HOME: bobHome },
    });
    await bob.waitStdout((line) => line.includes("Type /help"));
    await using ana = runClient(started.port, "ana", [], {
      stdin: "piped",
      env: { HOME: anaHome },
    });
    await ana.waitStdout((line) => line.includes("Type /help"));
    let script = "";
    for (let i = 1; i <= 6; i++) script += `/send ~/n${i}.txt\n`;
    await ana.write(script);
    await ana.closeStdin();
    const ended = await ana.finished();
    const errors = ana.stderr.join("\n");
    assert.equal(ended.code, 0, errors);
    // The 6th waits for the rate (a burst of 5), saying so once.
    assert.match(errors, /waiting to send n\d\.txt: /);
    assert.doesNotMatch(errors, /failed/);
    for (let i = 1; i <= 6; i++) {
      assert.match(ana.stdout.join("\n"), new RegExp(`\\* sent n${i}\\.txt \\(7 B\\) to #lobby`));
    }
    // Bob sees all six, and fetches one into ~/dl/.
    const ids = new Map<string, string>();
    await bob.waitStdout((line) => {
      const match = GET.exec(line);
      if (match) ids.set(match[1], match[2]);
      return ids.size === 6;
    });
    await bob.write(`/get ${ids.get("n6.txt")} ~/dl/\n`);
    await bob.waitStdout((line) => line.includes("* saved n6.txt"));
    assert.equal(await Deno.readTextFile(`${bobHome}/dl/n6.txt`), "note 6\n");
    await bob.closeStdin();
    assert.equal((await bob.finished()).code, 0, bob.stderr.join("\n"));
  } finally {
    await Deno.remove(anaHome, { recursive: true });
    await Deno.remove(bobHome, { recursive: true });
  }
});
