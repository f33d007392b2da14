/**
 * What an operator reads when nodes go away or NATS does, with real
 * chat-server processes on a 3-node NATS cluster: a clean stop logs no
 * `cluster_link state=down` with an empty server; a node killed with
 * `kill -9` is one `cluster_node_dead` line on a survivor (how long
 * unheard, how many members dropped); with every NATS server gone the
 * link's loss names the server, `/cluster` answers at once from what the
 * node knows, and the heartbeat's failures are not logged at every beat.
 */

import assert from "node:assert/strict";
import { ChatCluster } from "./_chat_cluster.ts";
import { testKey } from "./_native_client.ts";
import { delay, until } from "./_waiting.ts";

Deno.test("cluster logs and /cluster when nodes or NATS go away", async () => {
  const op = await testKey();
  await using chat = await ChatCluster.start({
    // C counts as dead 4 s unheard, not the default 12 (and the heartbeat is every 0.67 s).
    args: ["--no-rate-limit", "--op", op.fingerprint, "--cluster-node-timeout", "4"],
  });
  const a = chat.node("A").process!;
  const b = chat.node("B").process!;
  const boss = await chat.native("A", "boss", { key: op });
  await chat.native("C", "cid");
  await chat.native("C", "cal");
  await boss.next("join", (e) => e.nick === "cal");

  // B stops cleanly; C is killed: A says once that C is dead, with its two members.
  assert.equal((await chat.kill("B", "SIGTERM"))?.code, 0, b.stderr.join("\n"));
  assert.ok(
    !b.stderr.some((l) => l.includes("event=cluster_stop")),
    `a clean stop with NATS up tells it everything:\n${b.stderr.join("\n")}`,
  );
  assert.ok(
    !b.stderr.some((l) => /event=cluster_link state=down/.test(l)),
    `a clean stop is no lost link:\n${b.stderr.join("\n")}`,
  );
  await chat.kill("C");
  const dead = await a.waitStderr((l) => l.includes("event=cluster_node_dead"), 15_000);
  assert.match(dead, /node=nodeC-\S+ unheard=[4-9] dropped=2 /);
  assert.match(dead, /detail="node nodeC-\S+ unheard for [4-9] s: 2 members dropped"/);
  // Said once: counted at the end, over the rest of the test (more than the 1.5 s it waited here).
  const deaths = () => a.stderr.filter((l) => l.includes("event=cluster_node_dead"));

  // Every NATS server goes.
  for (const node of chat.nats.nodes) await chat.nats.kill(node.name);
  const down = await a.waitStderr((l) => l.includes("event=cluster_link state=down"), 10_000);
  assert.match(down, /server=\S+:\d+/, "the lost link names the server it was on");
  // That line may be from the first NATS server's end, the link then up again on one not yet
  // killed: /cluster answers from what the node knows once its link is down now (its last word).
  const lastLink = () => a.stderr.findLast((l) => l.includes("event=cluster_link")) ?? "";
  await until(() => lastLink().includes("state=down"), 10_000);

  const from = boss.events.length;
  const asked = performance.now();
  await boss.send({ type: "cmd", name: "cluster", args: "" });
  const nodes = await boss.next("notice", (e) => e.message.startsWith("Nodes:"), from);
  const took = performance.now() - asked;
  const shown = boss.events.slice(from).flatMap((e) => e.type === "notice" ? [e.message] : []);
  assert.ok(took < 1_000, `/cluster answered in ${Math.round(took)} ms:\n${shown.join("\n")}`);
  assert.match(shown.join("\n"), /^NATS: reconnecting \(last .+\) for \d+ s/m);
  assert.match(
    shown.join("\n"),
    /cannot read it \(the link to NATS is down since \d\d:\d\d:\d\d UTC\)/,
  );
  assert.match(nodes.message, /as last heard, before the link went down/);

  // The heartbeat fails every 0.67 s here: the first failure is written, the next ones counted.
  const beats = () => a.stderr.filter((l) => l.includes("event=cluster_heartbeat"));
  await a.waitStderr((l) => l.includes("event=cluster_heartbeat"), 15_000);
  await delay(2_000); // Two more failures at least.
  assert.equal(beats().length, 1, beats().join("\n"));
  assert.equal(deaths().length, 1, deaths().join("\n"));
  // A's clean stop does not wait on NATS, gone for good here (cluster_stop_outage_test.ts).
  const stopped = await chat.kill("A", "SIGTERM");
  assert.equal(stopped?.code, 0, a.stderr.join("\n"));
  assert.ok(a.stderr.some((l) => l.includes("event=cluster_stop skipped=")), a.stderr.join("\n"));
});
