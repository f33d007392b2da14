import assert from "node:assert/strict";
import type { ClientFrame } from "../protocol/client_frames.ts";
import { FrameQueue } from "./frame_queue.ts";
import { until } from "../../tests/_waiting.ts";

const REFUSED = { type: "error", code: "cluster_unavailable" };

/** A connection that records what it is sent. */
function sink() {
  const sent: ClientFrame[] = [];
  return {
    sent,
    texts: () => sent.flatMap((f) => f.type === "msg" ? [f.text] : []),
    send: (frame: ClientFrame) => (sent.push(frame), Promise.resolve()),
  };
}

Deno.test("FrameQueue.retryRefused() puts the message the cluster refused back in line, in order, and writes it again after a pause", async () => {
  const connection = sink();
  const queue = new FrameQueue(10, () => connection);
  queue.push({ type: "cmd", name: "join", args: "#b" }, false, undefined);
  queue.push({ type: "msg", text: "one" }, false, undefined);
  queue.push({ type: "msg", text: "two" }, false, undefined);
  await until(() => connection.texts().length === 2, 1_000);
  // The server answers in order: the join (no error), "one" refused, "two" refused.
  const started = performance.now();
  assert.equal(queue.retryRefused(REFUSED), 1_000);
  assert.equal(queue.retryRefused(REFUSED), 2_000);
  assert.equal(queue.retryRefused({ type: "error", code: "muted" }), undefined);
  // Typed meanwhile: it waits behind the refused ones.
  queue.push({ type: "msg", text: "three" }, false, undefined);
  assert.equal(queue.unsentLines, 3);
  assert.deepEqual(connection.texts(), ["one", "two"]);
  await until(() => connection.texts().length === 5, 5_000);
  assert.ok(performance.now() - started >= 1_900, "held for the longer pause");
  assert.deepEqual(connection.texts(), ["one", "two", "one", "two", "three"]);
  queue.close();
});

Deno.test("FrameQueue.retryRefused() finds nothing to send again when no message is in flight", () => {
  const queue = new FrameQueue(10, () => sink());
  assert.equal(queue.retryRefused(REFUSED), undefined);
  queue.close();
});
