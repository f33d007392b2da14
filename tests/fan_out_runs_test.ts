/**
 * Room events go out in runs (lib/core/delivery_batch.ts): what one read of a
 * client caused reaches every member as one run per room. Over real sockets,
 * the order must be what it was event by event: each reader's lines in the
 * order the sender wrote them, a reply (pong) after the echoes it followed,
 * another room's lines marked as such, and a newcomer not sent what was said
 * before its welcome.
 */

import assert from "node:assert/strict";
import { startServer } from "./_in_process_server.ts";
import { NativeClient } from "./_native_client.ts";
import { TextClient } from "./_text_client.ts";

const frame = (value: unknown) => JSON.stringify(value) + "\n";

Deno.test("runs: messages and a ping in one write come back in order, to every wire format", async () => {
  await using server = await startServer({ rateLimit: false });
  const port = server.addr.port;
  await using ana = await NativeClient.connect(port, "ana");
  await using bob = await NativeClient.connect(port, "bob");
  await using cid = await TextClient.connect(port, "cid");
  await ana.next("join", (e) => e.nick === "cid");
  const from = ana.events.length;
  const texts = Array.from({ length: 50 }, (_, i) => `line ${i}`);
  // One write: fifty messages, then a ping, then one more message.
  await ana.write(
    texts.map((text) => frame({ type: "msg", text })).join("") + frame({ type: "ping" }) +
      frame({ type: "msg", text: "after the ping" }),
  );
  await ana.next("msg", (e) => e.text === "after the ping", from);
  const mine = ana.events.slice(from).map((e) => e.type === "msg" ? e.text : e.type);
  assert.deepEqual(mine, [...texts, "pong", "after the ping"], "ana's echoes, then the pong");
  await bob.next("msg", (e) => e.text === "after the ping");
  const bobs = bob.events.filter((e) => e.type === "msg").map((e) => e.type === "msg" && e.text);
  assert.deepEqual(bobs, [...texts, "after the ping"]);
  const ids = bob.events.flatMap((e) => e.type === "msg" ? [e.id] : []);
  assert.deepEqual(ids, ids.toSorted((a, b) => a - b), "ids increase");
  await cid.waitLine((line) => line.endsWith("<ana> after the ping"));
  const cids = cid.lines.filter((line) => line.includes("<ana> ")).map((line) =>
    line.slice(line.indexOf("<ana> ") + 6)
  );
  assert.deepEqual(cids, [...texts, "after the ping"]);
});

Deno.test("runs: a text client's lines across a /join switch keep their order and their room marks", async () => {
  await using server = await startServer({ rateLimit: false });
  const port = server.addr.port;
  await using ana = await TextClient.connect(port, "ana");
  await using bob = await TextClient.connect(port, "bob");
  for (const client of [ana, bob]) {
    for (const room of ["#dev", "#lobby"]) {
      const before = client.lines.length;
      await client.sendLine(`/join ${room}`);
      await client.waitLine((line) => line.startsWith(`You are in ${room}`), before);
    }
  }
  const from = bob.lines.length;
  // One write: two lobby lines, a switch to #dev and two lines there, back, and one more.
  await ana.write("l1\r\nl2\r\n/join #dev\r\nd1\r\nd2\r\n/join #lobby\r\nl3\r\n");
  await bob.waitLine((line) => line.endsWith("<ana> l3"), from);
  const said = bob.lines.slice(from).filter((line) => line.includes("<ana> "));
  assert.equal(said.length, 5, said.join("\n"));
  assert.deepEqual(said.map((line) => line.slice(line.indexOf("<ana> ") + 6)), [
    "l1",
    "l2",
    "d1",
    "d2",
    "l3",
  ]);
  // bob stayed in #lobby: only the #dev lines carry their room's name.
  assert.deepEqual(said.map((line) => line.includes("#dev")), [false, false, true, true, false]);
});

Deno.test("runs: a newcomer whose hello shares a read with the room's talk gets only what follows its welcome", async () => {
  await using server = await startServer({ rateLimit: false });
  const port = server.addr.port;
  await using ana = await NativeClient.connect(port, "ana");
  await using bob = await NativeClient.connect(port);
  // bob's hello and two messages in one write: the messages follow bob's welcome for everyone.
  await bob.write(
    frame({ type: "hello", protocol: 1, nick: "bob", client: "test" }) +
      frame({ type: "msg", text: "first" }) + frame({ type: "msg", text: "second" }),
  );
  await bob.next("msg", (e) => e.text === "second");
  const bobs = bob.events.map((e) => e.type === "msg" ? e.text : e.type);
  assert.deepEqual(bobs, ["welcome", "first", "second"]);
  await ana.next("msg", (e) => e.text === "second");
  const anas = ana.events.slice(1).map((e) => e.type === "msg" ? e.text : e.type);
  assert.deepEqual(anas, ["join", "first", "second"]);
});

Deno.test("runs: a text client's own topic before a /join of a new room is not marked as another room's", async () => {
  await using server = await startServer({ rateLimit: false });
  await using ana = await TextClient.connect(server.addr.port, "ana");
  const from = ana.lines.length;
  // One write: a topic for the current room (#lobby), then a room that is new.
  await ana.write("/topic hello\r\n/join #fresh\r\n");
  await ana.waitLine((line) => line.startsWith("You are in #fresh"), from);
  const topic = ana.lines.slice(from).find((line) => line.includes("set the topic"));
  // Set while #lobby was ana's current room: no room mark, as event by event.
  assert.match(topic ?? "", /^\[[^\]]*\] \* ana set the topic of #lobby: hello$/);
});

Deno.test("runs: a text client's topic of another room before a silent /part keeps that room's mark", async () => {
  // A room past the announce limit is not told of a leave: nothing else sends the held run first.
  await using server = await startServer({ rateLimit: false, announceLimit: 1 });
  const port = server.addr.port;
  await using ana = await TextClient.connect(port, "ana");
  await using bob = await TextClient.connect(port, "bob");
  for (const client of [bob, ana]) {
    const before = client.lines.length;
    await client.sendLine("/join #dev");
    await client.waitLine((line) => line.startsWith("You are in #dev"), before);
  }
  const from = ana.lines.length;
  // One write: a topic for #lobby while #dev is current, then leave #dev (back to #lobby).
  await ana.write("/topic #lobby hello\r\n/part\r\n");
  await ana.waitLine((line) => line.includes("#dev"), from + 1);
  await ana.waitLine((line) => line.includes("set the topic"), from);
  const topic = ana.lines.slice(from).find((line) => line.includes("set the topic"));
  // Set while #dev was ana's current room: marked as #lobby's, as event by event.
  assert.match(topic ?? "", /^\[[^\]]*\] #lobby \* ana set the topic of #lobby: hello$/);
});

Deno.test("runs: a run bigger than a reader's send queue drops it as the same events one by one would", async () => {
  // 8 KiB of queue; one write of 100 lines of 150 bytes is ~20 KB for each reader at once.
  await using server = await startServer({ rateLimit: false, sendQueueBytes: 8192 });
  const port = server.addr.port;
  await using bob = await NativeClient.connect(port, "bob");
  await using ana = await TextClient.connect(port, "ana");
  await bob.next("join", (e) => e.nick === "ana");
  const text = "x".repeat(150);
  await ana.write(Array.from({ length: 100 }, () => `${text}\r\n`).join(""));
  const bye = await bob.next("bye");
  assert.deepEqual([bye.reason, bye.code], ["dropped", "send_queue_exceeded"]);
  await ana.waitLine((line) => line.includes("bob") && line.includes("dropped"));
});
