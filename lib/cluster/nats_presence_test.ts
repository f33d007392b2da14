/**
 * `NatsPresence` and `NodeRegistry` against a 3-node JetStream cluster on
 * loopback: two hubs, each with its own NATS connection, room log, node
 * heartbeat and presence, stand for two chat-server nodes.
 */

import assert from "node:assert/strict";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { NatsCluster, url } from "../../tests/_nats_cluster.ts";
import { raceWrites } from "../../tests/_racing_writes.ts";
import { delay, until } from "../../tests/_waiting.ts";
import { Hub } from "../core/hub.ts";
import type { Member } from "../core/member.ts";
import { RecordingSink } from "../core/_recording_sink.ts";
import { NatsRoomLog } from "./nats_room_log.ts";
import { NodeRegistry, openBucket } from "./node_registry.ts";
import { NatsPresence } from "./nats_presence.ts";
import { NICKS_BUCKET, NODE_DEAD_AFTER_MS } from "./cluster_names.ts";
import { nickKey } from "./nick_record.ts";
import { skeletonKeys } from "./nick_skeletons.ts";

interface Node extends AsyncDisposable {
  hub: Hub;
  nc: NatsConnection;
  presence: NatsPresence;
  registry: NodeRegistry;
  /** Drops the NATS connection with no goodbye, as kill -9 would. */
  kill(): Promise<void>;
}

/** The dead time of the test that waits for a death: 4 s (`--cluster-node-timeout 4`), not 12. */
const SHORT_DEAD_MS = 4_000;

async function startNode(
  url: string,
  name: string,
  operators: string[] = [],
  deadAfterMs = NODE_DEAD_AFTER_MS,
  sweepMs?: number,
): Promise<Node> {
  const nc = await connect({ servers: url });
  const roomLog = await NatsRoomLog.start({
    nc,
    node: name,
    onError: (e, room) => console.log(name, "append", room, e.message),
    onRestart: (e) => console.log(name, "reader restart", e.message),
  });
  const seen: { presence?: NatsPresence } = {};
  const registry = await NodeRegistry.start({
    nc,
    deadAfterMs,
    describe: () => ({
      node: name,
      server: "test",
      listen: [],
      started: 0,
      clients: seen.presence?.localSize ?? 0,
      version: "test",
    }),
  });
  const presence = seen.presence = await NatsPresence.start({
    nc,
    registry,
    sweepMs,
    onError: (e, what) => console.log(name, what, e.message),
    onExpired: (nick, node) => console.log(name, "expired", nick, node),
  });
  const hub = new Hub({ serverName: name, roomLog, presence, rateLimit: false, operators });
  let stopped = false;
  const stop = async (graceful: boolean) => {
    if (stopped) return;
    stopped = true;
    if (!graceful) await nc.close();
    await presence.stop();
    await registry.stop();
    await roomLog.stop();
    if (graceful) await nc.drain().catch(() => nc.close());
  };
  return {
    hub,
    nc,
    presence,
    registry,
    kill: () => stop(false),
    [Symbol.asyncDispose]: () => stop(true),
  };
}

async function enter(node: Node, nick: string, fingerprint?: string) {
  const sink = new RecordingSink();
  const member = await node.hub.enter({ nick, client: "test", fingerprint }, sink);
  return { member, sink };
}

function who(node: Node, member: Member, room = "#lobby"): string[] {
  const sink = member.sink as RecordingSink;
  sink.events = [];
  node.hub.command(member, "who", room);
  const event = sink.of("who")[0];
  return event ? [...event.members] : [];
}

Deno.test("NatsPresence: two nodes racing for one nick, exactly one wins each time", async () => {
  await using cluster = await NatsCluster.start();
  await using a = await startNode(cluster.urls[0], "node-a");
  await using b = await startNode(cluster.urls[1], "node-b");
  for (let i = 0; i < 10; i++) {
    const nick = `racer${i}`;
    const results = await Promise.allSettled([enter(a, nick), enter(b, nick)]);
    const won = results.filter((r) => r.status === "fulfilled");
    assert.equal(won.length, 1, `${nick}: ${JSON.stringify(results.map((r) => r.status))}`);
    const lost = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    assert.equal(lost.reason.code, "nick_taken");
  }
  // Both see the ten winners, whichever node each is on.
  await until(() => a.hub.size === 10 && b.hub.size === 10, 5_000);
  assert.equal(a.presence.localSize + b.presence.localSize, 10);
});

Deno.test("NatsPresence: two nodes racing for a nick someone had before, exactly one wins though NATS takes both writes", async () => {
  await using cluster = await NatsCluster.start();
  const first = await connect({ servers: cluster.urls[0] });
  await openBucket(first, NICKS_BUCKET, { history: 1 }); // Made here to find its leader.
  await first.close();
  let leader: string | undefined;
  while (!(leader = await cluster.streamLeader(`KV_${NICKS_BUCKET}`))) await delay(50);
  // Both on the bucket's leader, which raceWrites lets take both claims before applying either.
  await using a = await startNode(url(cluster.node(leader)), "node-a");
  await using b = await startNode(url(cluster.node(leader)), "node-b");
  const before = await enter(a, "bob");
  await until(() => b.hub.member("bob") !== undefined, 5_000);
  a.hub.quit(before.member); // Its key now holds a deletion: a claim writes on that revision.
  await until(() => a.hub.member("bob") === undefined && b.hub.member("bob") === undefined, 5_000);
  let results: PromiseSettledResult<Awaited<ReturnType<typeof enter>>>[];
  {
    // The nick's key, then each look-alike key: each taken by both nodes when nothing stops it.
    const keys = [nickKey("bob"), ...skeletonKeys("bob")];
    using _race = raceWrites(cluster, leader, (key) => keys.includes(key));
    results = await Promise.allSettled([enter(a, "bob"), enter(b, "bob")]);
  }
  const won = results.flatMap((r, i) => r.status === "fulfilled" ? [i] : []);
  assert.equal(won.length, 1, `both welcomed as bob: ${JSON.stringify(results)}`);
  const lost = results[1 - won[0]] as PromiseRejectedResult;
  assert.equal(lost.reason.code, "nick_taken");
  // The winner stays, and both nodes list it alone, on its node.
  const [there, elsewhere] = won[0] === 0 ? [a, b] : [b, a];
  const winner = (results[won[0]] as PromiseFulfilledResult<Awaited<ReturnType<typeof enter>>>)
    .value;
  await until(() => elsewhere.hub.member("bob")?.remote !== undefined, 5_000);
  await delay(300);
  assert.deepEqual(winner.sink.ended, []);
  assert.equal(there.hub.member("bob"), winner.member);
  assert.equal(elsewhere.hub.member("bob")?.remote?.node, there.presence.node);
});

Deno.test("NatsPresence: members of the other node in /who, /whois, /rooms, a DM across, an operator's /kick", async () => {
  await using cluster = await NatsCluster.start();
  await using a = await startNode(cluster.urls[0], "node-a", ["SHA256:op"]);
  await using b = await startNode(cluster.urls[2], "node-b");
  const op = await enter(a, "ana", "SHA256:op");
  const bob = await enter(b, "bob", "SHA256:bob");
  // A nick held on the other node is refused here.
  await assert.rejects(enter(a, "BOB"), { code: "nick_taken" });
  await until(() => who(a, op.member).includes("bob"), 5_000);
  assert.deepEqual(who(a, op.member), ["ana", "bob"]);
  await until(() => who(b, bob.member).includes("ana"), 5_000);

  // bob joins a room on B: A's /rooms counts him, /whois names it.
  b.hub.command(bob.member, "join", "#ops");
  await until(() => a.hub.room("#ops")?.members.size === 1, 5_000);
  op.sink.events = [];
  a.hub.command(op.member, "rooms", "");
  assert.deepEqual(op.sink.of("rooms")[0].rooms.map((r) => [r.room, r.members]), [
    ["#lobby", 2],
    ["#ops", 1],
  ]);
  a.hub.command(op.member, "whois", "bob");
  const whois = op.sink.of("whois")[0];
  assert.equal(whois.fingerprint, "SHA256:bob");
  assert.deepEqual(whois.rooms, ["#lobby", "#ops"]);

  // A DM from A to B, and back.
  a.hub.command(op.member, "msg", "bob hello over there");
  await until(() => bob.sink.of("dm").length === 1, 5_000);
  assert.equal(bob.sink.of("dm")[0].text, "hello over there");
  assert.equal(op.sink.of("dm").length, 1); // The sender's copy, at once.
  b.hub.command(bob.member, "msg", "ana hi");
  await until(() => op.sink.of("dm").length === 2, 5_000);
  assert.equal(op.sink.of("dm")[1].from, "bob");

  // A rename on B shows as a nick change on A.
  b.hub.command(bob.member, "nick", "robert");
  await until(() => op.sink.of("nick").length === 1, 5_000);
  assert.deepEqual(op.sink.of("nick")[0], {
    type: "nick",
    ts: op.sink.of("nick")[0].ts,
    old: "bob",
    new: "robert",
    rooms: ["#lobby"],
  });
  assert.equal(a.hub.member("bob"), undefined);
  await until(() => b.hub.member("bob") === undefined, 5_000);
  await enter(a, "bob"); // bob is free again.

  // The operator on A kicks robert on B: B disconnects him, both nodes drop him.
  a.hub.command(op.member, "kick", "robert spam");
  await until(() => bob.sink.ended.length === 1, 5_000);
  assert.equal(bob.sink.ended[0].reason, "kicked");
  assert.match(bob.sink.ended[0].message, /kicked by ana: spam/);
  await until(() => a.hub.member("robert") === undefined, 5_000);
  await until(
    () => op.sink.of("leave").some((e) => e.nick === "robert" && e.reason === "kicked"),
    5_000,
  );
});

Deno.test("NatsPresence: a node that dies has its members expire on the others within the dead time", async () => {
  await using cluster = await NatsCluster.start();
  await using a = await startNode(cluster.urls[0], "node-a", [], SHORT_DEAD_MS);
  const b = await startNode(cluster.urls[1], "node-b", [], SHORT_DEAD_MS);
  try {
    const ana = await enter(a, "ana");
    await enter(b, "bob");
    b.hub.command(b.hub.member("bob")!, "join", "#ops");
    await until(() => a.hub.room("#ops")?.members.size === 1, 5_000);
    await b.kill();
    const killed = Date.now();
    await until(() => a.hub.member("bob") === undefined, SHORT_DEAD_MS + 8_000);
    const expired = Date.now() - killed;
    console.log(`bob expired on node-a ${expired} ms after node-b was killed`);
    assert.ok(expired >= SHORT_DEAD_MS - 1_000, `${expired} ms: before the dead time`);
    assert.ok(expired < SHORT_DEAD_MS + 4_000, `${expired} ms`);
    await until(() => ana.sink.of("leave").some((e) => e.nick === "bob"), 10_000).catch((e) => {
      console.log(JSON.stringify(ana.sink.events));
      throw e;
    });
    assert.equal(ana.sink.of("leave").find((e) => e.nick === "bob")!.reason, "dropped");
    assert.equal(a.hub.room("#ops"), undefined); // Nobody left there, no history: forgotten.
    await enter(a, "bob"); // The nick is free.
  } finally {
    await b.kill();
  }
});

Deno.test("NatsPresence: a key taking its nick over on another node: everyone sees one leave, then the join", async () => {
  await using cluster = await NatsCluster.start();
  await using a = await startNode(cluster.urls[0], "node-a");
  await using b = await startNode(cluster.urls[1], "node-b");
  const c = await startNode(cluster.urls[2], "node-c");
  try {
    const onA = await enter(a, "ana");
    const onB = await enter(b, "bob");
    const ghost = await enter(a, "cy", "SHA256:cy");
    await until(() => b.hub.member("cy") !== undefined, 5_000);
    // Alive node A: cy's key comes back on B; A ends the old session without a leave of its own.
    const back = await enter(b, "cy", "SHA256:cy");
    await until(() => ghost.sink.ended.length === 1, 5_000);
    assert.equal(ghost.sink.ended[0].code, "session_replaced");
    const story = (sink: RecordingSink) =>
      sink.events.flatMap((e) =>
        (e.type === "join" || e.type === "leave") && e.nick === "cy" ? [`${e.type}`] : []
      );
    for (const sink of [onA.sink, onB.sink]) {
      await until(() => story(sink).length >= 3, 5_000);
      assert.deepEqual(story(sink), ["join", "leave", "join"]);
    }
    assert.equal(a.hub.member("cy")?.remote?.node, "node-b");

    // Dead node C: its member's key comes back on A at once (no wait for the expiry).
    await enter(c, "dee", "SHA256:dee");
    await until(() => a.hub.member("dee") !== undefined, 5_000);
    await c.kill();
    await enter(a, "dee", "SHA256:dee");
    const dees = (sink: RecordingSink) =>
      sink.events.flatMap((e) =>
        (e.type === "join" || e.type === "leave") && e.nick === "dee" ? [`${e.type}`] : []
      );
    for (const sink of [onA.sink, onB.sink, back.sink]) {
      await until(() => dees(sink).at(-1) === "join" && dees(sink).includes("leave"), 5_000);
    }
    assert.deepEqual(dees(onB.sink), ["join", "leave", "join"]);
    assert.deepEqual(dees(onA.sink), ["join", "leave", "join"]);
    const leave = onB.sink.of("leave").find((e) => e.nick === "dee")!;
    assert.equal(leave.message, "replaced by a new connection");
    assert.equal(b.hub.member("dee")?.remote?.node, "node-a");
  } finally {
    await c.kill();
  }
});

Deno.test("NatsPresence: two survivors whose sweeps of a dead node's member are both taken: its leave is seen once", async () => {
  await using cluster = await NatsCluster.start();
  const first = await connect({ servers: cluster.urls[0] });
  await openBucket(first, NICKS_BUCKET, { history: 1 }); // Made here to find its leader.
  await first.close();
  let leader: string | undefined;
  while (!(leader = await cluster.streamLeader(`KV_${NICKS_BUCKET}`))) await delay(50);
  // All on the bucket's leader, which raceWrites lets take both deletions before applying either;
  // survivors sweeping every 50 ms, so that both delete within raceWrites' wait for a second write
  // (2 s: their registries find the node dead within milliseconds of each other).
  const on = url(cluster.node(leader));
  await using a = await startNode(on, "node-a", [], SHORT_DEAD_MS, 50);
  await using b = await startNode(on, "node-b", [], SHORT_DEAD_MS, 50);
  const c = await startNode(on, "node-c", [], SHORT_DEAD_MS);
  try {
    const ana = await enter(a, "ana");
    const bob = await enter(b, "bob");
    await enter(c, "dee");
    await until(
      () => a.hub.member("dee") !== undefined && b.hub.member("dee") !== undefined,
      5_000,
    );
    const key = nickKey("dee");
    using race = raceWrites(cluster, leader, (k) => k === key, { aloneMs: 2_000 });
    await c.kill();
    await until(
      () => a.hub.member("dee") === undefined && b.hub.member("dee") === undefined,
      15_000,
    );
    assert.ok(race.raced.has(key), "the two sweeps' deletions were not sent together");
    const leaves = (sink: RecordingSink) => sink.of("leave").filter((e) => e.nick === "dee");
    await until(() => leaves(ana.sink).length > 0 && leaves(bob.sink).length > 0, 5_000);
    await delay(1_000); // A second leave, were there one, would have come by now.
    assert.deepEqual(leaves(ana.sink).map((e) => e.reason), ["dropped"]);
    assert.deepEqual(leaves(bob.sink).map((e) => e.reason), ["dropped"]);
  } finally {
    await c.kill();
  }
});

Deno.test("NatsPresence: a dead node's member taken over right after a survivor's sweep deleted it, both taken: its leave is seen once", async () => {
  await using cluster = await NatsCluster.start();
  const first = await connect({ servers: cluster.urls[0] });
  await openBucket(first, NICKS_BUCKET, { history: 1 }); // Made here to find its leader.
  await first.close();
  let leader: string | undefined;
  while (!(leader = await cluster.streamLeader(`KV_${NICKS_BUCKET}`))) await delay(50);
  // All on the bucket's leader; A sweeps every 50 ms, B not at all: its member's key comes back there.
  const on = url(cluster.node(leader));
  await using a = await startNode(on, "node-a", [], SHORT_DEAD_MS, 50);
  await using b = await startNode(on, "node-b", [], SHORT_DEAD_MS, 3_600_000);
  const c = await startNode(on, "node-c", [], SHORT_DEAD_MS);
  try {
    const ana = await enter(a, "ana");
    const bob = await enter(b, "bob");
    b.hub.command(bob.member, "join", "#ops");
    const dee = await enter(c, "dee", "SHA256:dee");
    c.hub.command(dee.member, "join", "#ops");
    const story = (sink: RecordingSink, room = "#lobby") =>
      sink.events.flatMap((e) =>
        (e.type === "join" || e.type === "leave") && e.nick === "dee" && e.room === room
          ? [e.type]
          : []
      );
    await until(() => story(bob.sink, "#ops").length === 1 && story(ana.sink).length === 1, 5_000);
    const key = nickKey("dee");
    // A's deletion, then B's takeover at the same revision: both taken, stored in that order, and
    // answered late, after the watches read both (B's withdraws dee before its takeover is answered).
    using race = raceWrites(cluster, leader, (k) => k === key, {
      ordered: true,
      aloneMs: 2_000,
      answerLateMs: 300,
    });
    await c.kill();
    await until(() => race.held(key) === 1, SHORT_DEAD_MS + 8_000);
    const back = await enter(b, "dee", "SHA256:dee").catch((error) => {
      // A's sweep of dee's look-alike keys, right after, may refuse B's taking them over (a race
      // of its own, not this test's): the second try claims them free.
      if (error.code !== "nick_taken") throw error;
      console.log("takeover refused once:", error.message);
      return enter(b, "dee", "SHA256:dee");
    });
    assert.ok(race.raced.has(key), "the deletion and the takeover were not sent together");
    for (const sink of [ana.sink, bob.sink]) {
      await until(() => story(sink).includes("leave") && story(sink).at(-1) === "join", 5_000);
    }
    await delay(1_000); // A second leave, were there one, would have come by now.
    assert.deepEqual(story(ana.sink), ["join", "leave", "join"]);
    assert.deepEqual(story(bob.sink), ["join", "leave", "join"]);
    // dee's rooms were taken before the sweep's deletion withdrew them: bob saw it leave #ops too.
    assert.deepEqual(story(bob.sink, "#ops"), ["join", "leave"]);
    assert.equal(a.hub.member("dee")?.remote?.node, "node-b");
    assert.deepEqual(back.sink.ended, []);
  } finally {
    await c.kill();
  }
});
