/**
 * What the cluster's room log will stand on: kill -9 of an R3 stream's
 * leader loses no acknowledged message, duplicates none, and a durable
 * consumer reads them all once and in order after the new leader is elected.
 */

import assert from "node:assert/strict";
import { killStreamLeader } from "./_nats_failover.ts";

Deno.test("kill -9 of a stream leader loses and duplicates no acknowledged message, and a durable consumer keeps order", async () => {
  const result = await killStreamLeader();
  assert.notEqual(result.new_leader, result.killed);
  assert.equal(result.acked, 600);
  assert.equal(result.read, 600);
  assert.ok(result.stream_seqs_contiguous, "the stream numbers acknowledged messages 1..600");
  assert.ok(result.consumer_in_order_no_dup, "the consumer reads m0..m599 once, in order");
  assert.ok(
    result.new_leader_ms < 20_000,
    `a new leader within 20 s, not ${result.new_leader_ms} ms`,
  );
});
