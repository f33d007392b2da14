/**
 * The cluster tests' sender ({@linkcode sendAccepted}) against a scripted
 * node: what a node does when a publish's ack times out although
 * JetStream stored it (seen under load when the stream's leader is
 * killed): the sender is refused, its own copy comes back while it waits
 * to try again, and the retry, a duplicate JetStream drops, is answered
 * with nothing.
 */

import assert from "node:assert/strict";
import { sendAccepted } from "./_cluster_chat.ts";
import type { NativeClient } from "./_native_client.ts";

/** A client whose node answers the n-th send of a message with `answers[n]`, one event each 20 ms. */
function scripted(answers: Record<string, unknown>[][]): NativeClient {
  const events: Record<string, unknown>[] = [];
  let sends = 0;
  return {
    get events() {
      return events.map((e) => structuredClone(e));
    },
    send() {
      const answer = answers[sends++] ?? [];
      answer.forEach((event, i) => setTimeout(() => events.push(event), 20 * (i + 1)));
      return Promise.resolve();
    },
  } as unknown as NativeClient;
}

const refused = { type: "error", code: "cluster_unavailable", message: "Not stored" };
const own = { type: "msg", room: "#lobby", from: "bob", text: "bob 6", id: 42, ts: 0, kind: "say" };

Deno.test("sendAccepted: its own copy coming back after the refusal of an earlier attempt accepts it (the retry is a dropped duplicate: no answer)", async () => {
  const client = scripted([[refused, own], []]);
  const accepted = await sendAccepted(client, "bob", "bob 6", { retryMs: 50, silentMs: 1_000 });
  assert.equal(accepted.id, 42);
  assert.equal(accepted.refusals, 1);
});

Deno.test("sendAccepted: refused, then stored on the retry", async () => {
  const client = scripted([[refused], [refused], [own]]);
  const accepted = await sendAccepted(client, "bob", "bob 6", { retryMs: 10, silentMs: 1_000 });
  assert.equal(accepted.refusals, 2);
});

Deno.test("sendAccepted: neither accepted nor refused throws", async () => {
  const client = scripted([[]]);
  await assert.rejects(
    sendAccepted(client, "bob", "bob 6", { silentMs: 200 }),
    /neither accepted nor refused/,
  );
});
