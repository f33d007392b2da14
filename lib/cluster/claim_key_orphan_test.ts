/**
 * A claim whose write NATS took but whose confirmation (kv_settled.ts) got no
 * answer before the claim's deadline is refused `cluster_unavailable`; the
 * record it stored must not stay behind holding the nick (only the dead-node
 * sweep clears a live node's leftovers, so it would block the nick for as
 * long as this node lives).
 */

import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { Bucket, Kvm } from "@nats-io/kv";
import { soloNats } from "../../tests/_solo_nats.ts";
import { CLAIM_MS, claimKey } from "./claim_key.ts";
import { delay } from "../../tests/_waiting.ts";

Deno.test("claimKey: a write taken but never confirmed is not left holding the key", async () => {
  await using nats = await soloNats();
  const nc = await connect({ servers: nats.url });
  try {
    const kv = await new Kvm(nc).create("ORPHAN", { history: 1 });
    const key = "nick.bob";
    await kv.put(key, JSON.stringify({ node: "old" }));
    await kv.delete(key); // A nick someone had: the claim writes on the deletion's revision.
    const js = (kv as Bucket).js;
    const publish = js.publish.bind(js);
    // The confirmation (a deletion expecting the key empty) gets no answer: NATS settling.
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
    const value = JSON.stringify({ node: "a", nick: "bob", claiming: true });
    await assert.rejects(
      claimKey(kv, key, value, (e) => e.string() === value, performance.now() + CLAIM_MS),
      (error: { code?: string }) => error.code === "cluster_unavailable",
    );
    const holdsIt = async () => {
      const left = await kv.get(key);
      return left?.operation === "PUT" && left.string() === value;
    };
    for (let tries = 0; tries < 100 && await holdsIt(); tries++) await delay(30);
    assert.equal(await holdsIt(), false, "the refused claim's record still holds the nick");
  } finally {
    await nc.close();
  }
});
