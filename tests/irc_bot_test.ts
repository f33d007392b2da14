/**
 * Scripted IRC bots on real minimal clients, ii (files) and sic (stdin and
 * stdout), in tests/bots/: each joins #lobby and answers `!ping` with
 * `pong`, which a native and a text client in the room see, and nothing
 * else it is sent. Fails under CI=true where ii or sic is missing.
 */

import assert from "node:assert/strict";
import { ROOT } from "./_entry_process.ts";
import { startServer } from "./_in_process_server.ts";
import { toolTest } from "./_irc_clients.ts";
import { NativeClient } from "./_native_client.ts";
import { TextClient } from "./_text_client.ts";
import { until } from "./_waiting.ts";

/** A bot script running, stopped (SIGTERM: it stops its client too) when the test ends. */
function runBot(script: string, args: string[]): AsyncDisposable {
  const child = new Deno.Command(`${ROOT}tests/bots/${script}`, {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  return {
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGTERM");
      } catch {
        // Already gone.
      }
      await child.status;
    },
  };
}

/** The room's view of the bot: it joins, ignores chatter, and answers each `!ping` once. */
async function pingPong(port: number, nick: string, start: () => AsyncDisposable): Promise<void> {
  await using nat = await NativeClient.connect(port, "nat");
  await using txt = await TextClient.connect(port, "txt");
  await using _bot = start();
  await txt.waitLine((l) => l.includes(`${nick} joined`), 0, 10_000);
  await txt.sendLine("ping, but not for a bot");
  await txt.sendLine("!ping");
  const pong = await nat.next("msg", (e) => e.from === nick);
  assert.deepEqual([pong.room, pong.text], ["#lobby", "pong"]);
  const pongs = () => txt.lines.filter((l) => l.endsWith(`<${nick}> pong`)).length;
  await until(() => pongs() === 1);
  await nat.send({ type: "msg", text: "!ping" });
  await until(() => pongs() === 2);
  // A barrier after the bot's answers: nothing more came from it.
  await nat.send({ type: "msg", text: "barrier" });
  await txt.waitLine((l) => l.endsWith("<nat> barrier"));
  assert.deepEqual(txt.lines.filter((l) => l.includes(`<${nick}>`)).map((l) => l.slice(8)), [
    `<${nick}> pong`,
    `<${nick}> pong`,
  ]);
}

toolTest("a bot on ii joins #lobby and answers !ping with pong", ["ii"], async () => {
  await using server = await startServer();
  const dir = await Deno.makeTempDir({ prefix: "lanchat-ii-" });
  try {
    await pingPong(
      server.addr.port,
      "iibot",
      () => runBot("ping_bot_ii.sh", [String(server.addr.port), "iibot", dir]),
    );
  } finally {
    await removeWhenDone(dir);
  }
});

/** Removes `dir` once the bot has stopped writing into it (ii writes its files as it exits). */
async function removeWhenDone(dir: string): Promise<void> {
  for (let attempt = 1;; attempt++) {
    try {
      return await Deno.remove(dir, { recursive: true });
    } catch (error) {
      if (attempt === 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

toolTest("a bot on sic joins #lobby and answers !ping with pong", ["sic", "bash"], async () => {
  await using server = await startServer();
  await pingPong(
    server.addr.port,
    "sicbot",
    () => runBot("ping_bot_sic.sh", [String(server.addr.port), "sicbot"]),
  );
});
