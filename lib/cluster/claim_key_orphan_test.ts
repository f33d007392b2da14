/**
 * A claim whose write NATS took but whose confirmation (kv_settled.ts) got no
 * answer before the claim's deadline is refused `cluster_unavailable`; the
 * record it stored must not stay behind holding the nick (only the dead-node
 * sweep clears a live node's leftovers, so it would block the nick for as
 * long as this node lives).
 */

import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { Bucket, type KV, Kvm } from "@nats-io/kv";
import { soloNats } from "../../tests/_solo_nats.ts";
import { CLAIM_MS, claimKey, takeKey } from "./claim_key.ts";
import { delay } from "../../tests/_waiting.ts";

/** Makes every confirmation (a deletion expecting the key empty) go unanswered: NATS settling. */
function unansweredConfirmations(kv: KV): void {
  const js = (kv as Bucket).js;
  const publish = js.publish.bind(js);
  js.publish = (subject, data, options) => {
    if (
      options?.expect?.lastSubjectSequence === 0 && options.headers?.get("KV-Operation") === "DEL"
    ) {
      return new Promise((_, reject) =>
        setTimeout(() => reject(new Error("TIMEOUT")), options.timeout ?? 5_000)
      );
    }
    return publish(subject, data, options);
  };
}

/** Waits up to 3 s for `key` to stop holding `value`; whether it still does. */
async function stillHolds(kv: KV, key: string, value: string): Promise<boolean> {
  const holdsIt = async () => {
    const left = await kv.get(key);
    return left?.operation === "PUT" && left.string() === value;
  };
  for (let tries = 0; tries < 100 && await holdsIt(); tries++) await delay(30);
  return await holdsIt();
}

/** Runs `test` on a fresh bucket (one revision a key, as lanchat's) of a nats-server of its own. */
async function withBucket(test: (kv: KV) => Promise<void>): Promise<void> {
  await using nats = await soloNats();
  const nc = await connect({ servers: nats.url });
  try {
    await test(await new Kvm(nc).create("ORPHAN", { history: 1 }));
  } finally {
    await nc.close();
  }
}

Deno.test("claimKey: a write taken but never confirmed is not left holding the key", () =>
  withBucket(async (kv) => {
    const key = "nick.bob";
    await kv.put(key, JSON.stringify({ node: "old" }));
    await kv.delete(key); // A nick someone had: the claim writes on the deletion's revision.
    unansweredConfirmations(kv);
    const value = JSON.stringify({ node: "a", nick: "bob", claiming: true });
    await assert.rejects(
      claimKey(kv, key, value, (e) => e.string() === value, performance.now() + CLAIM_MS),
      (error: { code?: string }) => error.code === "cluster_unavailable",
    );
    assert.equal(await stillHolds(kv, key, value), false, "the refused claim's record holds it");
  }));

Deno.test("takeKey: a takeover taken but not confirmed by the claim's deadline is not left holding the key", () =>
  withBucket(async (kv) => {
    const key = "nick.bob";
    // A dead node's member: taken over at its revision.
    const revision = await kv.put(key, JSON.stringify({ node: "dead", nick: "bob" }));
    unansweredConfirmations(kv);
    const value = JSON.stringify({ node: "a", nick: "bob", claiming: true });
    const started = performance.now();
    await assert.rejects(takeKey(kv, key, value, revision, started + 500));
    assert.ok(performance.now() - started < 2_000, "the claim's deadline bounds the takeover");
    assert.equal(await stillHolds(kv, key, value), false, "the refused takeover's record holds it");
  }));
