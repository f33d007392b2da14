/**
 * Issue 17's acceptance tests, end to end: a 3-node NATS JetStream cluster
 * (room stream with 3 replicas) on free loopback ports, three chat-server
 * processes against it (tests/_chat_cluster.ts), clients on every node:
 * raw native JSON sockets and real `client.ts` processes in line mode.
 * The failover times they measure are in docs/cluster_progress.md
 * (`tests/cluster_e2e_measure_main.ts` runs them several times).
 */

import assert from "node:assert/strict";
import { ChatCluster } from "./_chat_cluster.ts";
import {
  eventsOf,
  messages,
  ordered,
  printed,
  sendAccepted,
  welcomed,
  when,
} from "./_cluster_chat.ts";
import { killChatNode, killStreamLeader } from "./_cluster_failovers.ts";
import { type NativeClient, testKey } from "./_native_client.ts";
import { ROOM_STREAM } from "../lib/cluster/cluster_names.ts";

const NODE_ARGS = ["--no-rate-limit"];

/** Sends a command as a native client and returns the first event of `type` it answers with. */
async function command<T extends "who" | "whois" | "rooms" | "notice" | "error">(
  client: NativeClient,
  name: string,
  args: string,
  type: T,
) {
  const from = client.events.length;
  await client.send({ type: "cmd", name, args });
  return await client.next(type, () => true, from);
}

Deno.test("cluster: clients on three nodes see one order, one nick wins a race, DMs, /who, /whois, /rooms, kicks, bans and mutes reach across nodes", async (t) => {
  const op = await testKey();
  // Three chat-servers started at once on a fresh NATS cluster all start, the first time.
  await using chat = await ChatCluster.start({ args: [...NODE_ARGS, "--op", op.fingerprint] });
  const ana = await chat.native("A", "ana");
  const bob = await chat.native("B", "bob");
  const cid = await chat.native("C", "cid");
  const lee = chat.lineClient("C", "lee", [], false);
  await chat.welcomed(lee);
  const everyone = [ana, bob, cid];
  for (const client of everyone) await client.send({ type: "cmd", name: "join", args: "#dev" });
  // Each learns of the two others: in its own join's member list (a join that reached its node
  // first) or as a join after it. Which, depends on how the three concurrent joins interleave.
  const devSeenBy = (client: NativeClient) => {
    const joined = eventsOf(client, "joined").find((e) => e.room === "#dev");
    const later = eventsOf(client, "join").filter((e) => e.room === "#dev").map((e) => e.nick);
    return new Set([...(joined?.members ?? []), ...later]);
  };
  await when(
    () => everyone.every((c) => devSeenBy(c).size === 3),
    10_000,
    "each told that the two others joined #dev",
  );
  for (const client of everyone) {
    assert.deepEqual([...devSeenBy(client)].sort(), ["ana", "bob", "cid"]);
    // Never told twice: a member in its join's list is not announced to it again.
    const joined = eventsOf(client, "joined").find((e) => e.room === "#dev")!;
    const later = eventsOf(client, "join").filter((e) => e.room === "#dev").map((e) => e.nick);
    assert.equal(joined.members.length + later.length, 3, JSON.stringify({ joined, later }));
  }

  await t.step(
    "concurrent senders on different nodes: every client sees each room in one order",
    async () => {
      const sends = everyone.map(async (client, n) => {
        for (let i = 0; i < 30; i++) {
          await client.send({
            type: "msg",
            text: `${"abc"[n]}${i}`,
            room: i % 2 ? "#dev" : "#lobby",
          });
        }
      });
      await Promise.all(sends);
      await when(
        () => everyone.every((c) => messages(c).length === 45 && messages(c, "#dev").length === 45),
        20_000,
        "45 messages in each room at each client",
      );
      for (const room of ["#lobby", "#dev"]) {
        for (const client of everyone) assert.deepEqual(ordered(client, room), ordered(ana, room));
        const ids = messages(ana, room).map((m) => m.id);
        assert.ok(ids.every((id, i) => i === 0 || id > ids[i - 1]), `${room} ids increase: ${ids}`);
        for (const letter of "abc") {
          const mine = messages(ana, room).map((m) => m.text).filter((x) => x.startsWith(letter));
          const sorted = [...mine].sort((x, y) => Number(x.slice(1)) - Number(y.slice(1)));
          assert.deepEqual(mine, sorted, `${letter}'s messages in the order sent`);
        }
      }
      // The real client on C printed #lobby in the same order too.
      await when(() => printed(lee).length >= 45, 10_000, "lee printed #lobby's 45 messages");
      assert.deepEqual(
        printed(lee).map((p) => p.text),
        messages(ana).map((m) => m.text),
      );
    },
  );

  await t.step("two nodes racing for one nick: exactly one wins, five times", async () => {
    for (let round = 0; round < 5; round++) {
      const nick = `racer${round}`;
      const [onA, onB] = [await chat.native("A"), await chat.native("B")];
      await Promise.all([onA.hello(nick), onB.hello(nick)]);
      const answers = await Promise.all([onA, onB].map(async (c) => {
        await when(
          () => c.events.some((e) => e.type === "welcome" || e.type === "error"),
          10_000,
          `an answer to ${nick}'s hello`,
        );
        const e = c.events.find((e) => e.type === "welcome" || e.type === "error")!;
        return e.type === "welcome" ? "welcome" : e.code;
      }));
      assert.deepEqual(answers.toSorted(), ["nick_taken", "welcome"], `round ${round}`);
      await onA[Symbol.asyncDispose]();
      await onB[Symbol.asyncDispose]();
    }
  });

  await t.step("a DM, /who, /whois, /rooms and a join snapshot across nodes", async () => {
    const fromCid = cid.events.length;
    await ana.send({ type: "cmd", name: "msg", args: "cid hello from A" });
    const dm = await cid.next("dm", (e) => e.from === "ana", fromCid);
    assert.equal(dm.text, "hello from A");
    await cid.send({ type: "cmd", name: "msg", args: "ana hello from C" });
    await ana.next("dm", (e) => e.from === "cid" && e.text === "hello from C");

    const who = await command(ana, "who", "#dev", "who");
    assert.deepEqual(who.members.toSorted(), ["ana", "bob", "cid"]);
    const whois = await command(ana, "whois", "cid", "whois");
    assert.equal(whois.nick, "cid");
    assert.deepEqual(whois.rooms.toSorted(), ["#dev", "#lobby"]);
    const rooms = await command(bob, "rooms", "", "rooms");
    assert.equal(rooms.rooms.find((r) => r.room === "#dev")?.members, 3);
    assert.equal(rooms.rooms.find((r) => r.room === "#lobby")?.members, 4, "with lee");

    const dan = await chat.native("B", "dan");
    await dan.send({ type: "cmd", name: "join", args: "#dev" });
    const joined = await dan.next("joined", (e) => e.room === "#dev");
    assert.deepEqual(joined.members.toSorted(), ["ana", "bob", "cid", "dan"]);
  });

  await t.step("an operator on A kicks, bans and mutes members on C, at once", async () => {
    const [kimKey, eveKey] = [await testKey(), await testKey()];
    const boss = await chat.native("A", "boss", { key: op });
    const kim = await chat.native("C", "kim", { key: kimKey });
    const eve = await chat.native("C", "eve", { key: eveKey });
    const mo = await chat.native("C", "mo", { key: await testKey() });
    await when(
      () => ["kim", "eve", "mo"].every((n) => eventsOf(boss, "join").some((e) => e.nick === n)),
      10_000,
      "boss on A told that kim, eve and mo joined on C",
    );
    const fromBob = bob.events.length;
    await boss.send({ type: "cmd", name: "kick", args: "kim enough" });
    assert.equal((await kim.next("bye")).reason, "kicked");
    await boss.send({ type: "cmd", name: "ban", args: "eve --key-only spam" });
    assert.equal((await eve.next("bye")).code, "banned");
    await when(
      () =>
        eventsOf(bob, "leave", fromBob).some((e) => e.nick === "kim" && e.reason === "kicked") &&
        eventsOf(bob, "leave", fromBob).some((e) => e.nick === "eve" && e.code === "banned"),
      10_000,
      "bob on B sees kim kicked and eve banned",
    );
    const banned = await chat.native("B");
    await banned.hello("eve", { key: eveKey });
    await when(
      () =>
        banned.events.some((e) => (e.type === "error" || e.type === "bye") && e.code === "banned"),
      10_000,
      "eve's key refused on B too",
    );
    await boss.send({ type: "cmd", name: "mute", args: "mo --key-only" });
    await mo.next("notice", (e) => e.message.startsWith("You were muted"));
    const from = mo.events.length;
    await mo.send({ type: "msg", text: "muted on C" });
    assert.equal((await mo.next("error", () => true, from)).code, "muted");
  });
});

Deno.test("cluster: kill -9 of a chat-server node: its clients fail over keeping their nicks, the others see them leave and come back, nothing accepted is lost", async () => {
  // The leave and the free nick wait for C to count as dead: 4 s unheard, not the default 12.
  const result = await killChatNode(["--cluster-node-timeout", "4"]);
  console.log(`cluster_e2e node_kill ${JSON.stringify(result)}`);
});

Deno.test("cluster: kill -9 of the NATS stream leader while chatting: the chat goes on, nothing accepted lost or duplicated", async () => {
  const result = await killStreamLeader();
  console.log(`cluster_e2e leader_kill ${JSON.stringify(result)}`);
});

Deno.test("cluster: everything restarted (NATS and every chat-server, fresh data dirs): history, topic, registrations, bans and mutes are there", async () => {
  const [op, regKey, eveKey, mutKey] = await Promise.all([
    testKey(),
    testKey(),
    testKey(),
    testKey(),
  ]);
  await using chat = await ChatCluster.start({ args: [...NODE_ARGS, "--op", op.fingerprint] });
  const boss = await chat.native("B", "boss", { key: op });
  const reg = await chat.native("A", "reg", { key: regKey });
  const eve = await chat.native("B", "eve", { key: eveKey });
  const mut = await chat.native("B", "mut", { key: mutKey });
  const ana = await chat.native("B", "ana");
  const notice = await command(reg, "register", "", "notice");
  assert.match(notice.message, /registered/);
  const kept = [];
  for (let i = 0; i < 5; i++) kept.push(await sendAccepted(ana, "ana", `kept ${i}`));
  await boss.send({ type: "cmd", name: "topic", args: "#lobby the cluster survives" });
  await when(() => eventsOf(ana, "topic").length > 0, 10_000, "the topic set");
  // A ban and a mute (across nodes at once: the first test).
  await boss.send({ type: "cmd", name: "ban", args: "eve --key-only spam" });
  const bye = await eve.next("bye");
  assert.equal(bye.code, "banned");
  await boss.send({ type: "cmd", name: "mute", args: "mut --key-only" });
  await mut.next("notice", (e) => e.message.startsWith("You were muted"));
  const refused = mut.events.length;
  await mut.send({ type: "msg", text: "muted" });
  assert.equal((await mut.next("error", () => true, refused)).code, "muted");

  // Everything stops: the chat-servers, then the NATS servers (stores kept).
  for (const node of chat.nodes) await chat.kill(node.name, "SIGTERM");
  for (const node of chat.nats.nodes) await chat.nats.kill(node.name, "SIGTERM");
  for (const node of chat.nats.nodes) chat.nats.restart(node.name);
  // Elections after a restart of all three take 5 to 10 s here, much longer under a loaded CI.
  await chat.nats.waitForMetaLeader(60_000);
  const deadline = performance.now() + 60_000;
  while (!await chat.nats.streamLeader(ROOM_STREAM)) {
    assert.ok(performance.now() < deadline, "the room stream has a leader again within 60 s");
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  // New, empty data dirs: whatever comes back comes from NATS.
  for (const node of chat.nodes) node.dataDir = chat.tempDir();
  // Each starts the first time: a node waits for JetStream to serve its streams and buckets.
  await Promise.all(chat.nodes.map((node) => chat.startNode(node.name)));

  // The first join may be told cluster_unavailable while a bucket still elects: tried again.
  await using newbie = await welcomed(chat.node("B").port, "newbie");
  const welcome = newbie.events.find((e) => e.type === "welcome")!;
  assert.equal(welcome.type, "welcome");
  const replay = welcome.history.filter((m) => m.text.startsWith("kept "));
  assert.deepEqual(
    replay.map((m) => `${m.id}:${m.text}`),
    kept.map((k) => `${k.id}:${k.text}`),
    "history from the stream, same ids",
  );
  assert.equal(welcome.topic?.text, "the cluster survives");

  const impostor = await chat.native("C");
  await impostor.hello("reg");
  assert.equal((await impostor.next("error")).code, "nick_registered");
  await chat.native("A", "reg", { key: regKey }); // Its owner still gets it.

  const eveAgain = await chat.native("A");
  await eveAgain.hello("eve", { key: eveKey });
  await when(
    () =>
      eveAgain.events.some((e) => (e.type === "error" || e.type === "bye") && e.code === "banned"),
    10_000,
    "eve refused as banned after the restart",
  );

  const mutAgain = await chat.native("C", "mut", { key: mutKey });
  const from = mutAgain.events.length;
  await mutAgain.send({ type: "msg", text: "still muted?" });
  assert.equal((await mutAgain.next("error", () => true, from)).code, "muted");
  assert.ok(!messages(newbie).some((m) => m.text === "still muted?"));
});
