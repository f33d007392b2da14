/**
 * PART with a reason over real sockets on 127.0.0.1: the parting IRC user's
 * own PART carries the reason it gave, as the others see it.
 */

import assert from "node:assert/strict";
import { startServer } from "./_in_process_server.ts";
import { IrcClient } from "./_irc_client.ts";

Deno.test("PART #dev :bye comes back to the parting IRC user with its reason, as the room sees it", async () => {
  await using server = await startServer();
  await using ana = await IrcClient.registered(server.addr.port, "ana");
  await using bo = await IrcClient.registered(server.addr.port, "bo");
  await ana.send("JOIN #dev");
  await ana.command("366", 0, (line) => line.includes(" #dev "));
  await bo.send("JOIN #dev");
  await ana.command("JOIN", 0, (line) => line.startsWith(":bo!"));
  await ana.send("PART #dev :see you \x02soon\x02");
  const own = await ana.command("PART");
  const seen = await bo.command("PART", 0, (line) => line.startsWith(":ana!"));
  assert.equal(own, ":ana!ana@lanchat PART #dev :see you soon");
  assert.equal(seen, own);
  // Without a reason: the bare PART, as before.
  await bo.send("PART #dev");
  assert.equal(
    await bo.command("PART", 0, (line) => line.startsWith(":bo!")),
    ":bo!bo@lanchat PART #dev",
  );
});

Deno.test("PART of a room that does not exist is 403, of one the member is not in 442; a JOIN before it in the same write counts", async () => {
  await using server = await startServer();
  await using ana = await IrcClient.registered(server.addr.port, "ana");
  await using bo = await IrcClient.registered(server.addr.port, "bo");
  await bo.send("JOIN #dev");
  await bo.command("366", 0, (line) => line.includes(" #dev "));
  const from = ana.lines.length;
  await ana.send("PART #nope", "PART #dev", "JOIN #new", "PART #new", "PING :end");
  await ana.command("PONG", from);
  const numerics = ana.lines.slice(from).filter((line) => / (403|442) /.test(line));
  assert.deepEqual(numerics, [
    ':lanchat 403 ana #nope :There is no room "#nope"',
    ":lanchat 442 ana #dev :You are not in #dev",
  ]);
  assert.ok(ana.lines.some((line) => line === ":ana!ana@lanchat PART #new"), ana.lines.join("\n"));
});
