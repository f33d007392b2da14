/**
 * Look-alike nicks across nodes: skeleton keys in the nick bucket, on the
 * 3-node NATS harness with two in-process chat nodes.
 */

import assert from "node:assert/strict";
import { NatsCluster } from "../../tests/_nats_cluster.ts";
import { delay, until } from "../../tests/_waiting.ts";
import { enterNode, startClusterNode } from "./_cluster_node.ts";
import { isSkeletonKey, skeletonKeys } from "./nick_skeletons.ts";
import { Kvm } from "@nats-io/kv";
import { NICKS_BUCKET } from "./cluster_names.ts";

Deno.test("skeletonKeys() gives look-alike nicks a shared key, and different nicks none", () => {
  const plain = skeletonKeys("bob");
  const cyrillic = skeletonKeys("b\u043eb"); // Cyrillic "о"
  assert.ok(plain.some((key) => cyrillic.includes(key)));
  assert.ok(plain.every(isSkeletonKey));
  assert.deepEqual(plain, [...plain].sort());
  assert.ok(!skeletonKeys("ann").some((key) => plain.includes(key)));
});

Deno.test("NatsPresence: two look-alike nicks claimed at once on two nodes, exactly one wins (10 rounds); freed with the nick", async () => {
  await using cluster = await NatsCluster.start();
  await using a = await startClusterNode(cluster.urls[0], "node-a");
  await using b = await startClusterNode(cluster.urls[1], "node-b");
  const kv = await new Kvm(a.nc).open(NICKS_BUCKET);
  const winners = [];
  for (let i = 0; i < 10; i++) {
    // "rn" reads "m": two valid nicks (one script each) that look alike.
    const [onA, onB] = i % 2 ? [`mary${i}`, `rnary${i}`] : [`rnary${i}`, `mary${i}`];
    const results = await Promise.allSettled([enterNode(a, onA), enterNode(b, onB)]);
    const won = results.filter((r) => r.status === "fulfilled");
    assert.equal(
      won.length,
      1,
      `round ${i}: ${results.map((r) => r.status === "rejected" ? r.reason.message : "ok")}`,
    );
    const lost = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    assert.equal(lost.reason.code, "nick_taken");
    winners.push((won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof enterNode>>>).value);
  }
  // The losers left no key behind: only the winners' nick and skeleton keys are there.
  const keys = async () => {
    const all: string[] = [];
    for await (const key of await kv.keys()) all.push(key);
    return all;
  };
  const eventually = async (check: () => Promise<boolean>, what: string) => {
    for (const deadline = Date.now() + 5_000; !(await check());) {
      if (Date.now() > deadline) throw new Error(`not in time: ${what}`);
      await delay(50);
    }
  };
  const expected = winners.flatMap((w) => skeletonKeys(w.member.nick)).sort();
  await eventually(
    async () => (await keys()).filter(isSkeletonKey).sort().join() === expected.join(),
    "only the winners' skeleton keys",
  );
  // The look-alike of a winner is refused on the other node; once the winner quits it is free.
  const first = winners[0];
  const twin = first.member.nick === "mary0" ? "rnary0" : "mary0";
  await assert.rejects(enterNode(b, twin), { code: "nick_taken" });
  const home = a.hub.member(first.member.nick) && !a.hub.member(first.member.nick)!.remote ? a : b;
  home.hub.leave(first.member, "quit");
  const other = home === a ? b : a;
  await eventually(
    async () => !(await keys()).some((k) => skeletonKeys(first.member.nick).includes(k)),
    "the quitter's skeleton keys deleted",
  );
  await until(() => other.hub.member(first.member.nick) === undefined, 5_000);
  await enterNode(other, twin);
});
