/**
 * A store that never answers (a disk that hangs, a cluster store whose
 * request is lost): while a member's request waits on it, the server reads
 * nothing more from that member, but closing the connection still ends it,
 * so shutdown, keepalive and the per-address limits keep working.
 */

import assert from "node:assert/strict";
import { MemoryStore } from "../lib/core/state/history_store.ts";
import type { MessageEvent } from "../lib/core/events.ts";
import { startServer } from "./_in_process_server.ts";
import { NativeClient, testKey } from "./_native_client.ts";
import { delay, until, within } from "./_waiting.ts";

/** A history store whose pages never come (`/history` reads through `range`; `page` uses it too). */
class StalledStore extends MemoryStore {
  asked = 0;
  override range(): Promise<MessageEvent[]> {
    this.asked++;
    return new Promise(() => {});
  }
}

Deno.test("shutdown finishes, with its goodbye, while a member's /history waits on a store that never answers", async () => {
  const store = new StalledStore();
  const server = await startServer({ store });
  try {
    await using ana = await NativeClient.connect(server.addr.port, "ana");
    await ana.send({ type: "input", line: "/history" });
    await until(() => store.asked === 1);
    await within(5000, server.shutdown(), "shutdown with a request waiting on the store");
    const bye = await ana.next("bye");
    assert.equal(bye.reason, "shutdown");
  } finally {
    await server.shutdown();
  }
});

Deno.test("a member kicked while its /history waits on a store that never answers frees its connection", async () => {
  const store = new StalledStore();
  const opKey = await testKey();
  await using server = await startServer({ store, operators: [opKey.fingerprint] });
  await using op = await NativeClient.connect(server.addr.port, "mod", { key: opKey });
  await using ana = await NativeClient.connect(server.addr.port, "ana");
  await ana.send({ type: "input", line: "/history" });
  await until(() => store.asked === 1);
  await op.send({ type: "input", line: "/kick ana" });
  assert.equal((await ana.next("bye")).reason, "kicked");
  await until(() => server.stats().members === 1);
  await until(() => server.stats().connections === 1, 3000);
});

Deno.test("a member whose /history waits on a store is not dropped by keepalive: nothing is read from it meanwhile", async () => {
  const store = new StalledStore();
  await using server = await startServer({ store, pingIntervalMs: 100, pingTimeoutMs: 100 });
  await using ana = await NativeClient.connect(server.addr.port, "ana");
  await ana.send({ type: "input", line: "/history" });
  await until(() => store.asked === 1);
  // Ten ping intervals and timeouts: its pong, unread, cannot count against it.
  await delay(1000);
  assert.equal(server.stats().members, 1);
  assert.ok(!ana.events.some((e) => e.type === "bye"));
});
