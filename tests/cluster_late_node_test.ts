/**
 * A chat-server node started after people joined elsewhere: they are in its
 * rooms from its start (welcome, `/who`, `/rooms`, `/whois`), and their later
 * joins and parts on their own node show there too. Real processes: two
 * chat-servers on a 3-node NATS cluster (tests/_chat_cluster.ts).
 */

import assert from "node:assert/strict";
import { ChatCluster } from "./_chat_cluster.ts";
import { delay } from "./_waiting.ts";
import type { NativeClient } from "./_native_client.ts";

async function command<T extends "who" | "whois" | "rooms">(
  client: NativeClient,
  name: string,
  args: string,
  type: T,
) {
  const from = client.events.length;
  await client.send({ type: "cmd", name, args });
  return await client.next(type, () => true, from);
}

Deno.test("cluster: a node started after members joined elsewhere has them in its rooms", async () => {
  await using chat = await ChatCluster.start({ size: 2, args: ["--no-rate-limit"] });
  // B goes away (a clean stop), people join on A, then B starts again.
  await chat.kill("B", "SIGTERM");
  const ana = await chat.native("A", "ana");
  const bob = await chat.native("A", "bob");
  await bob.send({ type: "cmd", name: "join", args: "#dev" });
  await bob.next("joined", (e) => e.room === "#dev");
  await bob.send({ type: "cmd", name: "away", args: "lunch" });
  await bob.next("away");
  await chat.startNodeRetrying("B");

  const cid = await chat.native("B", "cid");
  const welcome = cid.events.find((e) => e.type === "welcome");
  assert.ok(welcome?.type === "welcome");
  assert.deepEqual([...welcome.members].sort(), ["ana", "bob", "cid"], "the welcome's members");

  const who = await command(cid, "who", "#lobby", "who");
  assert.deepEqual([...who.members].sort(), ["ana", "bob", "cid"], "/who on B");
  assert.deepEqual(who.away, ["bob"], "/who on B shows bob away");
  const rooms = await command(cid, "rooms", "", "rooms");
  const counts = Object.fromEntries(rooms.rooms.map((r) => [r.room, r.members]));
  assert.equal(counts["#lobby"], 3, "/rooms counts #lobby on B");
  assert.equal(counts["#dev"], 1, "/rooms counts #dev on B");
  const whois = await command(cid, "whois", "ana", "whois");
  assert.deepEqual(whois.rooms, ["#lobby"], "/whois ana on B");

  // Later moves on A show on B.
  await ana.send({ type: "cmd", name: "join", args: "#dev" });
  await bob.send({ type: "cmd", name: "part", args: "#dev" });
  let dev = "";
  for (const deadline = Date.now() + 10_000; dev !== "ana";) {
    assert.ok(Date.now() < deadline, `B's /who #dev lists ana alone (last: ${dev})`);
    await delay(200);
    dev = (await command(cid, "who", "#dev", "who")).members.toSorted().join();
  }
  await ana.send({ type: "cmd", name: "nick", args: "anna" });
  let lobby = "";
  for (const deadline = Date.now() + 10_000; lobby !== "anna,bob,cid";) {
    assert.ok(Date.now() < deadline, `B's /who #lobby after a rename on A (last: ${lobby})`);
    await delay(200);
    lobby = (await command(cid, "who", "#lobby", "who")).members.toSorted().join();
  }
});
