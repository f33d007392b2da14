/**
 * Registrations, bans and mutes in NATS KV buckets, against a 3-node
 * JetStream cluster on loopback: two hubs on two NATS nodes stand for two
 * chat-server nodes; a third set of stores, opened afterwards, stands for a
 * node started later (or every node restarted).
 */

import assert from "node:assert/strict";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Kvm } from "@nats-io/kv";
import { NatsCluster, url } from "../../tests/_nats_cluster.ts";
import { raceWrites } from "../../tests/_racing_writes.ts";
import { delay, until } from "../../tests/_waiting.ts";
import { ChatError } from "../core/errors.ts";
import { Hub } from "../core/hub.ts";
import { RecordingSink } from "../core/_recording_sink.ts";
import type { Member } from "../core/member.ts";
import { type NatsAccess, NatsAccessStore, openNatsAccess } from "./nats_access.ts";
import { NatsMuteStore } from "./nats_mutes.ts";
import type { MuteChange, MuteStore } from "../core/state/mute_store.ts";
import { BANS_BUCKET, MUTES_BUCKET, REGISTRATIONS_BUCKET } from "./cluster_names.ts";
import type { AccessChange } from "../core/state/access_store.ts";
import { bucketKey } from "./nats_access_mirror.ts";

const OP = "SHA256:opopopopopopopopopopopopopopopopopopopopopo";
const ANA = "SHA256:anaanaanaanaanaanaanaanaanaanaanaanaanaanaa";
const EVE = "SHA256:eveeveeveeveeveeveeveeveeveeveeveeveeveevee";
const BO = "SHA256:bobobobobobobobobobobobobobobobobobobobobob";
const CY = "SHA256:cycycycycycycycycycycycycycycycycycycycycycy";

interface Node {
  hub: Hub;
  access: NatsAccess;
  join(nick: string, fingerprint?: string, address?: string): [Member, RecordingSink];
}

async function nodeOn(nc: NatsConnection, name: string): Promise<Node> {
  const access = await openNatsAccess({ nc, node: name });
  const hub = new Hub({ ...access.hubOptions, operators: [OP], rateLimit: false });
  return {
    hub,
    access,
    join(nick, fingerprint, address = "10.0.0.1") {
      const sink = new RecordingSink();
      return [hub.join({ nick, client: "test", fingerprint, address }, sink), sink];
    },
  };
}

function refuses(action: () => unknown, code: string): void {
  assert.throws(action, (error: unknown) => error instanceof ChatError && error.code === code);
}

Deno.test("NATS access: a registration, ban or mute made on one node acts on the other at once and outlives both", async () => {
  await using cluster = await NatsCluster.start();
  const ncs = await Promise.all(cluster.urls.map((servers) => connect({ servers })));
  try {
    const a = await nodeOn(ncs[0], "node-a");
    const b = await nodeOn(ncs[1], "node-b");

    // A registration on A: B refuses the nick, and a look-alike of it, to another key.
    const [ana] = a.join("ana", ANA);
    assert.equal(await a.hub.input(ana, "/register"), true);
    const store = a.access.hubOptions.access!;
    const storeB = b.access.hubOptions.access!;
    assert.equal(store.registration("ana")?.fingerprint, ANA); // At once on A.
    await until(() => storeB.registration("ana") !== undefined);
    refuses(() => b.join("ana", CY), "nick_registered");
    refuses(() => b.join("ana\u0323", CY), "nick_registered"); // "anạ" looks like "ana".

    // A ban on A disconnects the same key on B, and B refuses it from then on.
    const [eve, eveSinkB] = b.join("eve", EVE, "10.0.0.9");
    const [op] = a.join("olga", OP);
    a.join("eve2", EVE, "10.0.0.9");
    assert.equal(await a.hub.input(op, "/ban eve2 spam"), true);
    await until(() => eveSinkB.ended.length > 0);
    assert.equal(eveSinkB.ended[0].code, "banned");
    assert.match(eveSinkB.ended[0].message, /banned by olga: spam/);
    assert.equal(b.hub.member("eve"), undefined);
    assert.equal(eve.gone, true);
    refuses(() => b.join("eve", EVE, "10.0.0.77"), "banned");
    // The address ban is a second write, after the key's: it may reach B a moment later.
    await until(() => storeB.findBan(undefined, "10.0.0.9") !== undefined);
    refuses(() => b.join("someone", undefined, "10.0.0.9"), "banned");

    // A mute on A silences the key on B, and B's member is told so.
    const [bo, boSinkB] = b.join("bo", BO, "10.0.0.2");
    a.join("bo2", BO, "10.0.0.2");
    assert.equal(await a.hub.input(op, "/mute bo2 --key-only 5"), true);
    await until(() =>
      boSinkB.of("notice").some((n) => /You were muted by olga for 5 minute/.test(n.message))
    );
    assert.equal(await b.hub.input(bo, "hello"), false);
    assert.equal(boSinkB.of("error").at(-1)?.code, "muted");

    // Every node stops; a new one (on the third NATS node) finds all of it in the buckets.
    await Promise.all([a.access.stop(), b.access.stop()]);
    const later = await nodeOn(ncs[2], "node-c");
    try {
      refuses(() => later.join("ana", CY), "nick_registered");
      refuses(() => later.join("eve", EVE), "banned");
      const [bo3] = later.join("bo3", BO, "10.0.0.3");
      assert.equal(await later.hub.input(bo3, "hi"), false);
      const [op3] = later.join("olga", OP);
      const bans = await later.access.hubOptions.access!.bans();
      assert.deepEqual(bans.map((ban) => ban.kind).sort(), ["ip", "key"]);
      // An unmute on the new node lets bo3 speak again.
      assert.equal(await later.hub.input(op3, "/unmute bo3"), true);
      assert.equal(await later.hub.input(bo3, "hi"), true);
    } finally {
      await later.access.stop();
    }
  } finally {
    await Promise.all(ncs.map((nc) => nc.close()));
  }
});

Deno.test("NATS access: two nodes registering one nick at once, exactly one wins", async () => {
  await using cluster = await NatsCluster.start();
  const ncA = await connect({ servers: cluster.urls[0] });
  const ncB = await connect({ servers: cluster.urls[1] });
  const a = await NatsAccessStore.open({ nc: ncA, node: "node-a" });
  const b = await NatsAccessStore.open({ nc: ncB, node: "node-b" });
  try {
    for (let round = 0; round < 5; round++) {
      const nick = `zed${round}`;
      const results = await Promise.allSettled([
        a.register(nick, { nick, fingerprint: ANA, ts: round }),
        b.register(nick, { nick, fingerprint: BO, ts: round }),
      ]);
      const won = results.filter((r) => r.status === "fulfilled");
      assert.equal(won.length, 1, `round ${round}: ${JSON.stringify(results)}`);
      const lost = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
      assert.equal((lost.reason as ChatError).code, "nick_registered");
      const winner = results[0].status === "fulfilled" ? ANA : BO;
      await until(() =>
        a.registration(nick)?.fingerprint === winner && b.registration(nick)?.fingerprint === winner
      );
    }
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    await Promise.all([ncA.close(), ncB.close()]);
  }
});

Deno.test("NATS access: two nodes registering a nick unregistered before, at once, exactly one wins though NATS takes both writes", async () => {
  await using cluster = await NatsCluster.start();
  const first = await connect({ servers: cluster.urls[0] });
  await (await NatsAccessStore.open({ nc: first, node: "node-0" })).stop(); // Makes the buckets.
  await first.close();
  let leader: string | undefined;
  while (!(leader = await cluster.streamLeader(`KV_${REGISTRATIONS_BUCKET}`))) await delay(50);
  // Both on the bucket's leader, which raceWrites lets take both writes before applying either.
  const nc = await connect({ servers: url(cluster.node(leader)) });
  const a = await NatsAccessStore.open({ nc, node: "node-a" });
  const b = await NatsAccessStore.open({ nc, node: "node-b" });
  try {
    await a.register("zed", { nick: "zed", fingerprint: ANA, ts: 1 });
    await a.unregister("zed"); // The key now holds its deletion: a create writes on that revision.
    await until(() => b.registration("zed") === undefined);
    let results: PromiseSettledResult<void>[];
    {
      using _race = raceWrites(cluster, leader, (key) => key === bucketKey("zed"));
      results = await Promise.allSettled([
        a.register("zed", { nick: "zed", fingerprint: ANA, ts: 2 }),
        b.register("zed", { nick: "zed", fingerprint: BO, ts: 2 }),
      ]);
    }
    const won = results.flatMap((r, i) => r.status === "fulfilled" ? [i] : []);
    assert.equal(won.length, 1, `both told "registered": ${JSON.stringify(results)}`);
    const lost = results[1 - won[0]] as PromiseRejectedResult;
    assert.equal((lost.reason as ChatError).code, "nick_registered");
    const winner = won[0] === 0 ? ANA : BO;
    await until(() =>
      a.registration("zed")?.fingerprint === winner && b.registration("zed")?.fingerprint === winner
    );
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    await nc.close();
  }
});

Deno.test("NATS access: an unban typed after a ban its node had not read yet lifts that ban too: the last typed wins", async () => {
  await using cluster = await NatsCluster.start();
  const first = await connect({ servers: cluster.urls[0] });
  await (await NatsAccessStore.open({ nc: first, node: "node-0" })).stop(); // Makes the buckets.
  await first.close();
  let leader: string | undefined;
  while (!(leader = await cluster.streamLeader(`KV_${BANS_BUCKET}`))) await delay(50);
  // A on a server of its own, paused while B bans: the leader and the third server store the ban.
  const away = cluster.nodes.find((node) => node.name !== leader)!;
  const ncA = await connect({ servers: url(away) });
  const ncB = await connect({ servers: url(cluster.node(leader)) });
  const a = await NatsAccessStore.open({ nc: ncA, node: "node-a" });
  const b = await NatsAccessStore.open({ nc: ncB, node: "node-b" });
  try {
    const heard: AccessChange[] = [];
    b.follow((change) => heard.push(change));
    await a.addBan({ kind: "key", value: EVE, by: "olga", ts: 1, reason: "spam" });
    await until(() => b.findBan(EVE, undefined)?.reason === "spam");
    let unban: Promise<boolean>;
    cluster.pause(away.name);
    try {
      await b.addBan({ kind: "key", value: EVE, by: "bo", ts: 2, reason: "flood" });
      assert.equal(a.findBan(EVE, undefined)?.reason, "spam"); // A has not read B's ban.
      unban = a.removeBan("key", EVE); // Typed after B's ban was stored.
    } finally {
      cluster.resume(away.name);
    }
    assert.equal(await unban, true);
    await until(() =>
      a.findBan(EVE, undefined) === undefined && b.findBan(EVE, undefined) === undefined
    );
    assert.deepEqual(await a.bans(), []);
    assert.deepEqual(await b.bans(), []);
    // B heard A's first ban; the lifted one is not heard as a ban (it would disconnect eve).
    assert.deepEqual(heard.map((change) => change.kind === "ban" && change.ban.reason), ["spam"]);
    // A node started now reads the key as not banned; a new ban acts again.
    const later = await NatsAccessStore.open({ nc: ncB, node: "node-c" });
    try {
      assert.equal(later.findBan(EVE, undefined), undefined);
      assert.deepEqual(await later.bans(), []);
      await a.addBan({ kind: "key", value: EVE, by: "olga", ts: 3, reason: "again" });
      await until(() => b.findBan(EVE, undefined)?.reason === "again");
      assert.deepEqual(heard.map((change) => change.kind === "ban" && change.ban.reason), [
        "spam",
        "again",
      ]);
    } finally {
      await later.stop();
    }
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    await Promise.all([ncA.close(), ncB.close()]);
  }
});

Deno.test("NATS mutes: a running mute deleted before a node read its unmute is heard there as an unmute", async () => {
  await using cluster = await NatsCluster.start();
  const ncs = await Promise.all(cluster.urls.slice(0, 2).map((servers) => connect({ servers })));
  const a = await NatsMuteStore.open({ nc: ncs[0], node: "node-a" });
  const b = await NatsMuteStore.open({ nc: ncs[1], node: "node-b" });
  // No node deletes a mute (nats_mutes.ts); an older node or `nats kv del` may.
  const kv = await new Kvm(ncs[0]).open(MUTES_BUCKET);
  try {
    const heard: MuteChange[] = [];
    b.follow((change) => heard.push(change));
    const until5 = Date.now() + 5 * 60_000;
    await a.set({ id: "ip 10.0.0.6", until: until5, by: "olga" });
    await until(() => heard.length === 1);
    assert.deepEqual(heard[0], {
      entry: { id: "ip 10.0.0.6", until: until5, by: "olga" },
      before: undefined,
    });
    // What B's watch reads when A's unmute (until 0) was replaced by its deletion before B read
    // it (the bucket keeps one revision a key): the deletion alone, of a mute still running.
    await kv.delete(bucketKey("ip 10.0.0.6"));
    await until(() => heard.length === 2 && b.until("ip 10.0.0.6") === undefined);
    assert.deepEqual(heard[1], { entry: { id: "ip 10.0.0.6", until: 0 }, before: until5 });
    // A mute that ran out and is deleted is heard with its past end: no member is told of that.
    await a.set({ id: "ip 10.0.0.7", until: 1 });
    await until(() => heard.length === 3);
    await kv.delete(bucketKey("ip 10.0.0.7"));
    await until(() => heard.length === 4);
    assert.deepEqual(heard[3], { entry: { id: "ip 10.0.0.7", until: 0 }, before: 1 });
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    await Promise.all(ncs.map((nc) => nc.close()));
  }
});

Deno.test("NATS mutes: a mute typed while another node reads the unmute before it as ended is kept", async () => {
  await using cluster = await NatsCluster.start();
  const first = await connect({ servers: cluster.urls[0] });
  const opened = await NatsMuteStore.open({ nc: first, node: "node-0" }); // Makes the bucket.
  await opened.stop();
  await first.close();
  let leader: string | undefined;
  while (!(leader = await cluster.streamLeader(`KV_${MUTES_BUCKET}`))) await delay(50);
  const others = cluster.nodes.filter((node) => node.name !== leader).map((node) => node.name);
  // Both nodes on the bucket's leader: with the other two paused, it takes writes it can neither
  // replicate nor apply, in the order they came.
  const nc = await connect({ servers: url(cluster.node(leader)) });
  const a = await NatsMuteStore.open({ nc, node: "node-a" });
  const b = await NatsMuteStore.open({ nc, node: "node-b" });
  const id = "fingerprint SHA256:mo";
  try {
    await a.set({ id, until: Infinity, by: "boss" });
    await a.set({ id, until: 0, by: "boss" }); // /unmute on A.
    await until(() => b.until(id) === 0);
    for (const name of others) cluster.pause(name);
    let muting: Promise<void>;
    try {
      muting = a.set({ id, until: Infinity, by: "boss" }); // /mute on A again: in flight.
      await delay(100);
      // B reads the unmute as ended, as `Mutes.until` does for each member it checks (B's hub
      // does so at once, telling its member of the unmute). A store that deleted the ended mute
      // here had the leader compare its revision with the unmute's, the last applied, and accept.
      (b as MuteStore).expire?.(id, 0);
      await delay(100);
    } finally {
      for (const name of others) cluster.resume(name);
    }
    await muting;
    const later = await NatsMuteStore.open({ nc, node: "node-c" }); // Reads the bucket as it is.
    try {
      assert.equal(later.until(id), Infinity, "the mute typed on A is still in the bucket");
    } finally {
      await later.stop();
    }
    await until(() => b.until(id) !== 0);
    assert.equal(b.until(id), Infinity);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    await nc.close();
  }
});
