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
