/**
 * Shared files on a cluster when NATS loses its majority (issue 18, review
 * files_rev1 findings 2, 3, 12): three nats-servers, the files' store of a
 * node on them, two of the three killed while an upload's content is being
 * put and while a download is under way, then started again. The upload is
 * refused `files_unavailable` in words and nothing of it is recorded; a
 * download is refused before its first byte, or completes byte-identical,
 * never partial; once NATS is back the sweep leaves the store's bytes (the
 * budget) as they were before the cut upload.
 */

import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { openNatsFiles } from "../lib/cluster/nats_files.ts";
import { FILES_OBJECT_STORE } from "../lib/cluster/cluster_names.ts";
import { FileStore, FileStoreError } from "../lib/files/file_store.ts";
import { NatsCluster } from "./_nats_cluster.ts";
import { delay } from "./_waiting.ts";

const STREAM = `OBJ_${FILES_OBJECT_STORE}`;

function randomBytes(size: number): Uint8Array {
  const data = new Uint8Array(size);
  for (let at = 0; at < size; at += 65_536) {
    crypto.getRandomValues(data.subarray(at, Math.min(size, at + 65_536)));
  }
  return data;
}

async function* body(data: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < data.length; at += 1 << 20) yield data.subarray(at, at + (1 << 20));
}

async function all(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk.slice());
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) out.set(part, (at += part.length) - part.length);
  return out;
}

/** Polls `check` (which may throw while NATS elects) until it gives true, generously. */
async function eventually(check: () => Promise<boolean>, ms: number, what: string) {
  const deadline = performance.now() + ms;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (performance.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await delay(100);
  }
}

Deno.test({
  name:
    "cluster files: NATS losing its majority during an upload and a download: refused in words or complete, nothing partial, nothing left in the budget once NATS is back",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using nats = await NatsCluster.start();
    const nc = await connect({ servers: nats.urls, maxReconnectAttempts: -1 });
    const dir = await Deno.makeTempDir({ prefix: "lanchat_files_outage_" });
    try {
      const { index, content } = await openNatsFiles({ nc, replicas: 3 });
      const store = await FileStore.open(dir, index, { content, maxFileBytes: 64 << 20 });
      const meta = { uploader: "ana", room: "#lobby" };
      const keptBytes = randomBytes(3 * 128 * 1024 + 11);
      const kept = await store.put(body(keptBytes), { ...meta, name: "kept.bin" });
      const before = await content.storedBytes();
      const jsm = await jetstreamManager(nc);
      const messages = async () => (await jsm.streams.info(STREAM)).state.messages;
      const stored = await messages();

      // A download under way: its first chunk taken before NATS loses its majority.
      const reading = store.read(kept, 0, kept.size - 1)[Symbol.asyncIterator]();
      const first = await reading.next();
      assert.equal(first.done, false);

      // An upload whose content is being put when two of the three nats-servers die.
      const big = randomBytes(40 << 20);
      const cut = store.put(body(big), { ...meta, name: "big.bin" }).then(
        () => undefined,
        (error) => error,
      );
      await eventually(async () => await messages() > stored + 2, 60_000, "the put began");
      const survivor = nc.info!.server_name;
      const others = nats.nodes.filter((node) => node.name !== survivor).map((node) => node.name);
      for (const name of others) await nats.kill(name);

      const error = await cut;
      assert.ok(error instanceof FileStoreError, `the cut upload: ${error}`);
      assert.equal(error.code, "files_unavailable");
      assert.match(error.message, /^Files cannot be stored now \(.+\); try again later$/);

      // The download goes on from the replica left, or fails: never wrong bytes.
      const rest = await all({ [Symbol.asyncIterator]: () => reading }).catch(() => undefined);
      if (rest) {
        const whole = new Uint8Array([...first.value!, ...rest]);
        assert.deepEqual(whole, keptBytes);
      }
      // A new download fails before its first byte (file_routes answers 503 then), or, when
      // the replica left still answers direct gets (it may, without a majority), is whole.
      const again = await all(store.read(kept, 0, kept.size - 1)).catch(() => undefined);
      if (again) assert.deepEqual(new Uint8Array(again), keptBytes);
      // A new upload is refused in words.
      await assert.rejects(
        () => store.put(body(randomBytes(1000)), { ...meta, name: "small.bin" }),
        (e) => e instanceof FileStoreError && e.code === "files_unavailable",
      );

      // NATS back: the cut put's chunks are swept, the budget is what it was.
      for (const name of others) nats.restart(name);
      await eventually(
        async () => (await nats.streamLeader(STREAM)) !== undefined,
        60_000,
        "a leader",
      );
      await eventually(async () => (await content.sweep(0), true), 60_000, "the sweep");
      assert.equal(await content.storedBytes(), before);
      assert.equal(await index.hasContentOfSize(big.length), false);
      assert.deepEqual(await all(store.read(kept, 0, kept.size - 1)), keptBytes);
    } finally {
      await nc.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
