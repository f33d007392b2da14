/** Clients that stop reading are dropped; the send queues stay bounded; the others keep chatting. */

import assert from "node:assert/strict";
import type { LeaveEvent, MessageEvent } from "../lib/core/events.ts";
import type { ServerFrame } from "../lib/protocol/wire_frames.ts";
import { startServer } from "./_in_process_server.ts";
import { connectStalled, NativeClient } from "./_native_client.ts";
import { delay } from "./_waiting.ts";

/** Reads a client's lines once each, as they come, and keeps what the test checks. */
class Tally {
  /** Room messages, in the order received. */
  readonly messages: MessageEvent[] = [];
  /** Leave notices, by nick. */
  readonly leaves = new Map<string, LeaveEvent>();
  /** Every #lobby event id, in the order received. */
  readonly ids: number[] = [];
  /** Frames other than the room events this test expects. */
  readonly unexpected: ServerFrame[] = [];
  #cursor = 0;

  constructor(readonly client: NativeClient) {}

  /** Waits until `done()` holds, reading new lines as they arrive. */
  async until(done: () => boolean, ms = 10_000): Promise<void> {
    const deadline = performance.now() + ms;
    while (true) {
      this.#take();
      if (done()) return;
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`Timed out after ${ms} ms; ${this.messages.length} messages`);
      await this.client.waitLine(() => true, this.#cursor, left);
    }
  }

  #take(): void {
    const lines = this.client.lines;
    for (; this.#cursor < lines.length; this.#cursor++) {
      const event: ServerFrame = JSON.parse(lines[this.#cursor]);
      if (event.type === "msg") this.messages.push(event);
      else if (event.type === "leave") this.leaves.set(event.nick, event);
      else if (event.type !== "join" && event.type !== "welcome") this.unexpected.push(event);
      if ("id" in event && event.room === "#lobby") this.ids.push(event.id);
    }
  }
}

Deno.test("stalled readers are dropped with a reason, queues stay bounded, and three healthy clients get every message in order", async () => {
  const sendQueueBytes = 256 * 1024;
  // The biggest frame of this test: a message of at most 4000 characters, and its fields.
  const maxFrameBytes = 4096 + 256;
  await using server = await startServer({ sendQueueBytes, rateLimit: false });
  const port = server.addr.port;
  await using a = await NativeClient.connect(port, "ana");
  await using b = await NativeClient.connect(port, "bo");
  await using c = await NativeClient.connect(port, "cy");
  const healthy = [a, b, c];
  const tallies = healthy.map((client) => new Tally(client));
  const stalledNicks = ["stuck0", "stuck1", "stuck2", "stuck3", "stuck4"];
  const stalled: Deno.TcpConn[] = [];

  // Sample the queues often: every millisecond the event loop is free, and
  // after every batch.
  let samples = 0;
  let worst = { queuedBytes: 0, bound: 0, maxQueuedBytes: 0 };
  const violations: string[] = [];
  const sample = () => {
    const stats = server.stats();
    const bound = stats.connections * (sendQueueBytes + maxFrameBytes);
    samples++;
    if (stats.maxQueuedBytes > worst.maxQueuedBytes) worst = { ...stats, bound };
    if (stats.queuedBytes > bound || stats.maxQueuedBytes > sendQueueBytes + maxFrameBytes) {
      violations.push(JSON.stringify({ ...stats, bound }));
    }
  };
  const sampler = setInterval(sample, 1);
  try {
    for (const nick of stalledNicks) {
      stalled.push(await connectStalled(port, nick));
      await a.next("join", (e) => e.nick === nick);
    }
    // Round-robin senders, 2-4 KiB each, in batches the healthy readers
    // confirm, as people chat; until every stalled client is gone.
    const maxMessages = 8000;
    const batch = 30;
    let sent = 0;
    const allDropped = () => stalledNicks.every((nick) => tallies[0].leaves.has(nick));
    while (!allDropped()) {
      assert.ok(sent < maxMessages, `still not all dropped after ${sent} messages`);
      for (let i = 0; i < batch; i++, sent++) {
        const text = `${sent} ${"x".repeat(2000 + (sent * 977) % 1900)}`;
        await healthy[sent % 3].send({ type: "msg", text });
      }
      for (const tally of tallies) await tally.until(() => tally.messages.length >= sent);
      sample();
    }
    // One more batch after the last drop: the survivors still chat.
    for (let i = 0; i < batch; i++, sent++) {
      await healthy[sent % 3].send({ type: "msg", text: `${sent} end` });
    }
    for (const tally of tallies) await tally.until(() => tally.messages.length === sent);

    // Every message reached every healthy client once, in one room order that
    // keeps each sender's order.
    const order = tallies[0].messages.map((m) => `${m.id}:${m.text.split(" ")[0]}`);
    for (const [i, tally] of tallies.entries()) {
      assert.equal(tally.messages.length, sent, `client ${i} got every message`);
      assert.deepEqual(tally.messages.map((m) => `${m.id}:${m.text.split(" ")[0]}`), order);
      assert.deepEqual(
        tally.ids,
        [...tally.ids].sort((x, y) => x - y),
        `client ${i}: ids in order`,
      );
      assert.equal(new Set(tally.ids).size, tally.ids.length, `client ${i}: no id twice`);
      assert.deepEqual(tally.unexpected, [], `client ${i}: only room events`);
      for (const sender of ["ana", "bo", "cy"]) {
        const numbers = tally.messages.filter((m) => m.from === sender).map((m) =>
          Number.parseInt(m.text)
        );
        assert.deepEqual(numbers, [...numbers].sort((x, y) => x - y), `${sender}'s own order`);
      }
      for (const nick of stalledNicks) {
        const leave = tally.leaves.get(nick);
        assert.deepEqual([leave?.reason, leave?.message], ["dropped", "send queue exceeded"], nick);
      }
    }
    assert.equal(new Set(order.map((entry) => entry.split(":")[1])).size, sent);

    // The server closes the stalled sockets itself (1 s flush limit at most).
    const deadline = performance.now() + 3000;
    while (server.stats().connections > healthy.length && performance.now() < deadline) {
      await delay(20);
    }
    const stats = server.stats();
    assert.deepEqual([stats.connections, stats.members], [3, 3], "only the healthy clients remain");
    for (const nick of stalledNicks) assert.equal(server.hub.member(nick), undefined);
  } finally {
    clearInterval(sampler);
    for (const conn of stalled) conn.close();
  }
  assert.deepEqual(violations, [], "queued bytes stayed within connections × sendQueueBytes");
  assert.ok(samples > 50, `the queues were sampled (${samples} samples)`);
  // Each stalled queue grows about 90 KiB per batch once its socket is full,
  // so the sample after the batch before its drop sees it well past half.
  assert.ok(
    worst.maxQueuedBytes > sendQueueBytes / 2,
    `the stalled queues filled up (worst sample ${JSON.stringify(worst)})`,
  );
});
