/**
 * The two failovers of issue 17, end to end, for the test and for the
 * measurements (`tests/cluster_e2e_measure_main.ts`): `kill -9` of a
 * chat-server node with a real `client.ts` on it, and `kill -9` of the NATS
 * node that leads the room stream while clients on every node chat. Each
 * asserts what the issue demands and returns the times it measured.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ROOM_STREAM } from "../lib/cluster/cluster_names.ts";
import { ChatCluster } from "./_chat_cluster.ts";
import {
  type Accepted,
  eventsOf,
  messages,
  notExactlyOnce,
  ordered,
  printed,
  sendAccepted,
  when,
} from "./_cluster_chat.ts";
import { type NativeClient, testKey } from "./_native_client.ts";

/** Flags of every node in these runs: join/leave lines and messages are not rate-limited. */
const NODE_ARGS = ["--no-rate-limit"];

/** What one `kill -9` of a chat-server node measured (ms after the kill). */
export interface NodeKillResult {
  /** Until both observers (on the other nodes) were told the killed node's member left. */
  leave_seen_ms: number;
  /** Until both observers saw it join again (on another node, same nick). */
  back_ms: number;
  /** Until a line typed into its client just after the kill reached both observers. */
  typed_line_delivered_ms: number;
  /** Until a raw native client with a key, on the killed node, was welcomed with its nick on B. */
  key_nick_back_ms: number;
  /** Until a client without a key on the killed node got its nick again on another node. */
  nick_free_ms: number;
}

const joinedAfter = (client: NativeClient, nick: string, from: number) =>
  eventsOf(client, "join", from).some((e) => e.nick === nick && e.room === "#lobby");

/**
 * Three chat-server nodes; observers `ana` (A) and `bob` (B); on C a real
 * `client.ts` (`cy`, `--host C,A,B`, its own key) and a native client
 * without a key (`nat`). Messages before the kill; `kill -9` of C; `cy`
 * types two lines and `ana` sends five at once. Then: the observers see
 * `cy` leave and come back as `cy`; its lines arrive once, from `cy`;
 * every message `ana` and `bob` had accepted reaches `cy` once; `nat`
 * gets its nick back on A once its presence expired; C started again
 * serves a newcomer who sees the others' messages. `args`: more flags for
 * every node (the test shortens `--cluster-node-timeout`; the measurement
 * keeps the default).
 */
export async function killChatNode(args: string[] = []): Promise<NodeKillResult> {
  await using chat = await ChatCluster.start({ args: [...NODE_ARGS, ...args] });
  const ana = await chat.native("A", "ana");
  const bob = await chat.native("B", "bob");
  await chat.native("C", "nat"); // Without a key: it asks for its nick again below.
  const kayKey = await testKey();
  await chat.native("C", "kay", { key: kayKey }); // A raw client with a key: back on B at once.
  const cy = chat.lineClient("C", "cy", ["--give-up-after", "45"]);
  await chat.welcomed(cy);
  await when(
    () => [ana, bob].every((c) => ["cy", "nat", "kay"].every((n) => joinedAfter(c, n, 0))),
    10_000,
    "ana and bob told that cy, nat and kay (on C) joined",
  );
  const accepted: Accepted[] = [];
  for (let i = 0; i < 3; i++) {
    accepted.push(await sendAccepted(ana, "ana", `ana before ${i}`));
    accepted.push(await sendAccepted(bob, "bob", `bob before ${i}`));
  }
  await cy.write("cy before the kill\n");
  await when(
    () => [ana, bob].every((c) => messages(c).some((m) => m.from === "cy")),
    10_000,
    "cy's line before the kill at ana and bob",
  );
  const fromA = ana.events.length;
  const fromB = bob.events.length;

  const killedAt = performance.now();
  await chat.kill("C");
  const typed = ["cy typed while C was dead 1", "cy typed while C was dead 2"];
  await cy.write(typed.map((line) => line + "\n").join(""));
  const reclaiming = reclaimNick(chat, "nat");
  // The same key takes its nick over on B at once (its ghost on dead C is replaced).
  await chat.native("B", "kay", { key: kayKey });
  const kayBack = performance.now();
  for (let i = 0; i < 5; i++) accepted.push(await sendAccepted(ana, "ana", `ana during ${i}`));

  const leaveSeen = await when(
    () =>
      [[ana, fromA], [bob, fromB]].every(([c, from]) =>
        eventsOf(c as NativeClient, "leave", from as number).some((e) => e.nick === "cy")
      ),
    45_000,
    "ana and bob told that cy left (its node was killed)",
  );
  const back = await when(
    () =>
      [[ana, fromA], [bob, fromB]].every(([c, from]) => {
        const client = c as NativeClient;
        const events = client.events.slice(from as number);
        const left = events.findIndex((e) => e.type === "leave" && e.nick === "cy");
        return left >= 0 &&
          events.slice(left).some((e) => e.type === "join" && e.nick === "cy");
      }),
    45_000,
    "ana and bob see cy come back after its leave",
  );
  const delivered = await when(
    () =>
      [ana, bob].every((c) =>
        typed.every((t) => messages(c).some((m) => m.from === "cy" && m.text === t))
      ),
    45_000,
    "the lines cy typed while its node was dead, from cy (nick kept), at ana and bob",
  );
  for (const [client, from] of [[ana, fromA], [bob, fromB]] as const) {
    // One leave, then one join, for each member of C that came back: never the other way round.
    for (const nick of ["cy", "kay"]) {
      const story = () =>
        client.events.slice(from).flatMap((e) =>
          (e.type === "join" || e.type === "leave") && e.nick === nick ? [e.type] : []
        );
      await when(() => story().length >= 2, 10_000, `${nick}'s leave and join`);
      assert.deepEqual(story(), ["leave", "join"], `${nick} at ${client === ana ? "ana" : "bob"}`);
    }
    const texts = messages(client).filter((m) => m.from === "cy").map((m) => m.text);
    assert.deepEqual(notExactlyOnce(typed, texts), [], "each typed line once");
  }
  // Nothing accepted is lost for the client that failed over: each message once, in its output.
  const want = accepted.map((a) => a.text);
  await when(
    () => want.every((t) => printed(cy).some((p) => p.text === t)),
    20_000,
    `every accepted message printed by cy; it printed:\n${cy.stdout.join("\n")}`,
  );
  assert.deepEqual(notExactlyOnce(want, printed(cy).map((p) => p.text)), []);
  const natBack = await reclaiming;

  // The killed node comes back and serves a newcomer who is part of the same chat.
  await chat.startNode("C");
  const dee = await chat.native("C", "dee");
  await sendAccepted(ana, "ana", "welcome back C");
  await when(
    () => messages(dee).some((m) => m.text === "welcome back C"),
    10_000,
    "dee on the restarted C gets ana's message",
  );
  await cy.closeStdin();
  const status = await cy.finished(30_000);
  assert.equal(status.code, 0, `cy delivered every line: ${cy.stderr.join("\n")}`);
  return {
    leave_seen_ms: Math.round(leaveSeen - killedAt),
    back_ms: Math.round(back - killedAt),
    typed_line_delivered_ms: Math.round(delivered - killedAt),
    key_nick_back_ms: Math.round(kayBack - killedAt),
    nick_free_ms: Math.round(natBack - killedAt),
  };
}

/**
 * A client without a key whose node died asks for its nick again on node
 * A every 500 ms: refused (`nick_taken`) while the dead node's presence
 * lasts, welcomed once it expired. When it got it.
 */
async function reclaimNick(chat: ChatCluster, nick: string): Promise<number> {
  const deadline = performance.now() + 45_000;
  while (performance.now() < deadline) {
    const client = await chat.native("A");
    await client.hello(nick);
    let answer: string | undefined;
    await when(
      () => {
        const e = client.events.find((e) => e.type === "welcome" || e.type === "error");
        answer = e?.type === "welcome" ? "welcome" : e?.type === "error" ? e.code : undefined;
        return answer !== undefined;
      },
      10_000,
      `an answer to ${nick}'s hello`,
    );
    if (answer === "welcome") return performance.now();
    assert.equal(answer, "nick_taken");
    await client[Symbol.asyncDispose]();
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`${nick} was not free again within 45 s of its node's death`);
}

/** What one `kill -9` of the room stream's leader measured. */
export interface LeaderKillResult {
  /** The NATS node killed. */
  killed: string;
  /** Until the first message sent after the kill was accepted (ms after the kill). */
  first_accepted_ms: number;
  /** Until each sender (one per chat-server node) had one accepted again: the slowest node. */
  every_node_accepted_ms: number;
  /** Messages accepted in all, and refused (`cluster_unavailable`) then retried. */
  accepted: number;
  refusals: number;
}

/**
 * Three chat-server nodes, a native sender on each (`ana`, `bob`, `cid`,
 * one message in flight each, retried when refused) and a line-mode
 * `client.ts` (`lin`); `kill -9` of the NATS node leading the room stream
 * after five messages each; they go on until each had five more accepted.
 * Then: every client saw the same messages in the same order with the same
 * ids, each accepted message once, and `lin`'s lines (typed after the
 * kill) once.
 */
export async function killStreamLeader(): Promise<LeaderKillResult> {
  await using chat = await ChatCluster.start({ args: NODE_ARGS });
  const senders = [
    { nick: "ana", client: await chat.native("A", "ana") },
    { nick: "bob", client: await chat.native("B", "bob") },
    { nick: "cid", client: await chat.native("C", "cid") },
  ];
  const lin = chat.lineClient("B", "lin", ["--give-up-after", "45"], false);
  await chat.welcomed(lin);
  const ana = senders[0].client;
  await when(
    () => ["bob", "cid", "lin"].every((nick) => joinedAfter(ana, nick, 0)),
    10_000,
    "ana told of bob, cid and lin joining",
  );
  const accepted: Accepted[] = [];
  let killedAt = Infinity;
  let stop = false;
  const loops = senders.map(async ({ nick, client }) => {
    for (let i = 0; !stop; i++) {
      accepted.push(await sendAccepted(client, nick, `${nick} ${i}`, { silentMs: 30_000 }));
    }
  });
  const failed = Promise.all(loops).then(() => undefined);
  const afterKill = (nick: string) =>
    accepted.filter((a) => a.text.startsWith(nick + " ") && a.sentAt > killedAt).length;
  await Promise.race([
    failed,
    when(
      () => senders.every(({ nick }) => accepted.some((a) => a.text === `${nick} 4`)),
      20_000,
      "5 each",
    ),
  ]);
  const leader = await chat.nats.streamLeader(ROOM_STREAM);
  assert.ok(leader, "the room stream has a leader");
  killedAt = performance.now();
  await chat.nats.kill(leader);
  const typed = ["lin after the kill 1", "lin after the kill 2", "lin after the kill 3"];
  await lin.write(typed.map((line) => line + "\n").join(""));
  await Promise.race([
    failed,
    when(() => senders.every(({ nick }) => afterKill(nick) >= 5), 45_000, "5 each after the kill"),
  ]);
  stop = true;
  await failed;
  const want = [...accepted.map((a) => a.text), ...typed];
  const clients = senders.map((s) => s.client);
  await when(
    () => clients.every((c) => want.every((t) => messages(c).some((m) => m.text === t))),
    20_000,
    "every accepted message and lin's lines at every client",
  );
  for (const { nick, client } of senders) {
    assert.deepEqual(ordered(client), ordered(ana), `${nick} saw ana's order`);
    assert.deepEqual(notExactlyOnce(want, messages(client).map((m) => m.text)), [], nick);
  }
  const ids = messages(ana).map((m) => m.id);
  assert.ok(ids.every((id, i) => i === 0 || id > ids[i - 1]), `ids increase: ${ids}`);
  await lin.closeStdin();
  assert.equal((await lin.finished(30_000)).code, 0, `lin delivered: ${lin.stderr.join("\n")}`);
  const firstAfter = Math.min(
    ...accepted.filter((a) => a.sentAt > killedAt).map((a) => a.acceptedAt),
  );
  const everyNode = Math.max(...senders.map(({ nick }) =>
    Math.min(
      ...accepted.filter((a) => a.text.startsWith(nick + " ") && a.sentAt > killedAt)
        .map((a) => a.acceptedAt),
    )
  ));
  return {
    killed: leader,
    first_accepted_ms: Math.round(firstAfter - killedAt),
    every_node_accepted_ms: Math.round(everyNode - killedAt),
    accepted: accepted.length,
    refusals: accepted.reduce((sum, a) => sum + a.refusals, 0),
  };
}
