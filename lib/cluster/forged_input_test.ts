/**
 * A node refuses or cleans what someone with write access to NATS forges
 * (the security review's F2): direct messages and notices on a node's
 * subject, room events in the stream, nick records and kicks. Two
 * in-process chat nodes on the 3-node harness, and a raw NATS connection
 * standing for the attacker. Each step ends with a valid value sent last
 * on the attacker's connection, so once it has arrived everything before
 * it was handled.
 */

import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { NatsCluster } from "../../tests/_nats_cluster.ts";
import { until } from "../../tests/_waiting.ts";
import { enterNode, startClusterNode } from "./_cluster_node.ts";
import { NICKS_BUCKET, nodeSubject } from "./cluster_names.ts";
import { nickKey } from "./nick_record.ts";
import { roomSubject } from "./room_subject.ts";

const ESC = "\x1b";
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/;

Deno.test("a node drops or cleans forged direct messages, room events, nick records and kicks from NATS", async () => {
  await using cluster = await NatsCluster.start();
  await using a = await startClusterNode(cluster.urls[0], "node-a");
  await using b = await startClusterNode(cluster.urls[1], "node-b");
  const ana = await enterNode(a, "ana");
  const bob = await enterNode(b, "bob");
  await until(() => a.hub.member("bob")?.remote !== undefined, 5_000);
  await until(() => b.hub.member("ana")?.remote !== undefined, 5_000);
  const rogue = await connect({ servers: cluster.urls[2] });
  try {
    // 1. Direct messages to ana on node A: a server notice, a dm from no member, one from a
    // member of another node than the one claimed, then bob's (node B) with escapes, cleaned.
    const dm = (message: unknown) =>
      rogue.publish(nodeSubject("node-a", "dm"), JSON.stringify(message));
    const event = { type: "dm", ts: Date.now(), from: "bob", to: "ana", kind: "say", text: "x" };
    dm({ to: "ana", node: "node-b", event: { type: "notice", message: `${ESC}[2JSERVER: hi` } });
    dm({ to: "ana", event: { type: "notice", message: "no node named" } });
    dm({ to: "ana", node: "node-b", event: { ...event, from: "nobody", text: "from nobody" } });
    dm({ to: "ana", node: "node-c", event: { ...event, text: "bob is not on node-c" } });
    dm({ to: "ana", node: "node-b", event: { ...event, text: `${ESC}[31mred${ESC}[0m\r\nx` } });
    await until(() => ana.sink.of("dm").length > 0, 5_000);
    assert.deepEqual(ana.sink.of("dm").map((e) => e.text), ["red\nx"]);
    assert.deepEqual(ana.sink.of("notice"), []);

    // 2. Room events in the stream, "from" bob: an unsafe nick, a room not the subject's, an
    // unknown type, then a message with escapes, CR LF and an extra field: cleaned.
    const js = jetstream(rogue);
    const lobby = roomSubject("#lobby");
    const body = { type: "msg", ts: Date.now(), from: "bob", kind: "say", text: "x" };
    await js.publish(
      lobby,
      JSON.stringify({ room: "#lobby", body: { ...body, from: `op${ESC}[7m` } }),
    );
    await js.publish(lobby, JSON.stringify({ room: "#other", body }));
    await js.publish(lobby, JSON.stringify({ room: "#lobby", body: { ...body, type: "welcome" } }));
    await js.publish(
      lobby,
      JSON.stringify({
        room: "#lobby",
        body: { ...body, text: `I never ${ESC}[5mblink\r\n:admin!a@b PRIVMSG carol :hi`, op: true },
      }),
    );
    await until(() => ana.sink.of("msg").length > 0, 5_000);
    const msgs = ana.sink.of("msg");
    assert.equal(msgs.length, 1, JSON.stringify(msgs));
    assert.equal(msgs[0].text, "I never blink\n:admin!a@b PRIVMSG carol :hi");
    assert.equal("op" in msgs[0], false);

    // 3. Nick records: an unsafe nick, operator as a string, a record under another nick's key,
    // then carl (node B) as an operator with escapes in his away: shown cleaned.
    const nicks = await new Kvm(rogue).open(NICKS_BUCKET);
    const record = { node: "node-b", since: Date.now(), client: "x", rooms: ["#lobby"] };
    await nicks.put(nickKey("fake"), JSON.stringify({ ...record, nick: `op${ESC}[7m` }));
    await nicks.put(nickKey("mal"), JSON.stringify({ ...record, nick: "mal", operator: "yes" }));
    await nicks.put(nickKey("fake2"), JSON.stringify({ ...record, nick: "dave" }));
    await nicks.put(
      nickKey("carl"),
      JSON.stringify({ ...record, nick: "carl", operator: true, away: `gone${ESC}[2J` }),
    );
    await until(() => a.hub.member("carl") !== undefined, 5_000);
    assert.equal(a.hub.member("carl")?.away, "gone");
    assert.equal(a.hub.member("mal"), undefined);
    assert.equal(a.hub.member("dave"), undefined);
    for (const member of a.presence.all()) assert.doesNotMatch(member.nick, CONTROL);

    // 4. Kicks of bob on node B: a goodbye with a code no node sends, then a ban with escapes.
    const kick = (message: unknown) =>
      rogue.publish(nodeSubject("node-b", "kick"), JSON.stringify(message));
    const bye = { type: "bye", reason: "kicked", message: "m" };
    kick({ to: "bob", reason: "kicked", bye: { ...bye, code: "flooding" } });
    kick({ to: "bob", reason: "exploded" });
    kick({
      to: "bob",
      reason: "kicked",
      message: `by op${ESC}[2J`,
      bye: { ...bye, code: "banned", message: `You were banned${ESC}]0;t\x07` },
      banned: true,
    });
    await until(() => bob.sink.ended.length > 0, 5_000);
    assert.deepEqual(bob.sink.ended, [
      { type: "bye", reason: "kicked", code: "banned", message: "You were banned" },
    ]);
  } finally {
    await rogue.close();
  }
});
