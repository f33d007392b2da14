import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { FileStore } from "../files/file_store.ts";
import { soloNats } from "../../tests/_solo_nats.ts";
import { freePort, NatsCluster, url } from "../../tests/_nats_cluster.ts";
import { raceWrites } from "../../tests/_racing_writes.ts";
import { delay } from "../../tests/_waiting.ts";
import { FILES_BUCKET, FILES_OBJECT_STORE, ROOM_STREAM } from "./cluster_names.ts";
import { CHUNK_BYTES } from "./nats_file_content.ts";
import { openNatsFiles } from "./nats_files.ts";
import { ROOM_SUBJECT_PREFIX, roomSubject } from "./room_subject.ts";

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield new TextEncoder().encode(part);
}

async function text(content: AsyncIterable<Uint8Array>): Promise<string> {
  let all = "";
  for await (const chunk of content) all += new TextDecoder().decode(chunk);
  return all;
}

Deno.test("cluster files retention: a file past the grace that no message of the room stream announces goes, its content once no file holds it", async () => {
  await using nats = await soloNats();
  const nc = await connect({ servers: nats.url });
  const dir = await Deno.makeTempDir({ prefix: "lanchat_nats_files_" });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: ROOM_STREAM, subjects: [`${ROOM_SUBJECT_PREFIX}.>`] });
    const { index, content } = await openNatsFiles({ nc, replicas: 1 });
    const store = await FileStore.open(dir, index, { content, now: () => 1_000 });
    const room = { uploader: "ana", room: "#lobby" };
    const kept = await store.put(chunks("announced"), { ...room, name: "kept.txt" });
    const gone = await store.put(chunks("forgotten"), { ...room, name: "gone.txt" });
    // The same content as the kept one, announced by nothing: its record goes, the content stays.
    const twin = await store.put(chunks("announced"), { ...room, name: "twin.txt" });
    assert.equal(twin.sha256, kept.sha256);
    const file = {
      id: kept.id,
      name: kept.name,
      size: kept.size,
      type: kept.type,
      url: `http://127.0.0.1:1/f/${kept.id}/kept.txt`,
    };
    const body = { type: "msg", ts: 1_000, from: "ana", kind: "say", text: "[file] kept", file };
    await jetstream(nc).publish(roomSubject("#lobby"), JSON.stringify({ room: "#lobby", body }));

    // Newer than the grace: nothing goes.
    assert.equal(await store.prune(500), 0);
    assert.equal(await store.prune(Date.now()), 1);
    assert.deepEqual(await store.get(kept.id), kept);
    assert.equal(await store.get(gone.id), undefined);
    assert.equal(await store.get(twin.id), undefined);
    assert.equal(await text(store.read(kept, 0, kept.size - 1)), "announced");
    await assert.rejects(() => text(store.read(gone, 0, gone.size - 1)), /not stored/);
    assert.equal(await text(store.read(kept, 2, 4)), "nou");
  } finally {
    await nc.close();
    await Deno.remove(dir, { recursive: true });
  }
});

/** A solo NATS with its monitoring port, the files opened on it, and a scratch directory. */
async function natsFiles() {
  const http = freePort();
  const nats = await soloNats(`http: "127.0.0.1:${http}"`);
  const nc = await connect({ servers: nats.url });
  const dir = await Deno.makeTempDir({ prefix: "lanchat_nats_files_" });
  const { index, content } = await openNatsFiles({ nc, replicas: 1 });
  const jsm = await jetstreamManager(nc);
  return {
    nc,
    index,
    content,
    dir,
    /** The chunk subjects of the object store, with their message counts. */
    async chunkSubjects(): Promise<Record<string, number>> {
      const info = await jsm.streams.info(OBJECT_STREAM, { subjects_filter: "$O.*.C.>" });
      return info.state.subjects ?? {};
    },
    /** Bytes NATS has sent to its clients so far. */
    async outBytes(): Promise<number> {
      return (await (await fetch(`http://127.0.0.1:${http}/varz`)).json()).out_bytes;
    },
    async [Symbol.asyncDispose]() {
      await nc.close();
      await Deno.remove(dir, { recursive: true });
      await nats[Symbol.asyncDispose]();
    },
  };
}

const OBJECT_STREAM = `OBJ_${FILES_OBJECT_STORE}`;

function randomBytes(size: number): Uint8Array {
  const data = new Uint8Array(size);
  for (let at = 0; at < size; at += 65_536) {
    crypto.getRandomValues(data.subarray(at, Math.min(size, at + 65_536)));
  }
  return data;
}

Deno.test("cluster files: the same content put three times at once is stored once, no chunk left over (with the lock: without it, three sets of chunks)", async () => {
  await using t = await natsFiles();
  const data = randomBytes(5 * CHUNK_BYTES + 77);
  const path = `${t.dir}/upload`;
  await Deno.writeFile(path, data);
  const sha256 = "a".repeat(64);
  const added = await Promise.all([1, 2, 3].map(() => t.content.place(path, sha256, data.length)));
  assert.deepEqual(added.sort(), [0, 0, data.length]);
  const subjects = await t.chunkSubjects();
  assert.deepEqual(Object.values(subjects), [6], JSON.stringify(subjects));
  // The lock is gone with the put.
  assert.equal(await t.index.bucket.get(`put.${sha256}`).then((e) => e?.operation), "DEL");
});

Deno.test("cluster files: the same content put on two nodes at once after its lock was released once is put once, though NATS takes both locks", async () => {
  await using cluster = await NatsCluster.start();
  const first = await connect({ servers: cluster.urls[0] });
  await openNatsFiles({ nc: first }); // Makes the bucket and the store.
  await first.close();
  let leader: string | undefined;
  while (!(leader = await cluster.streamLeader(`KV_${FILES_BUCKET}`))) await delay(50);
  // Both on the bucket's leader, which raceWrites lets take both locks before applying either.
  const ncs = await Promise.all([0, 1].map(() => connect({ servers: url(cluster.node(leader)) })));
  const dir = await Deno.makeTempDir({ prefix: "lanchat_nats_files_" });
  try {
    const [a, b] = await Promise.all(ncs.map((nc) => openNatsFiles({ nc })));
    const path = `${dir}/upload`;
    await Deno.writeTextFile(path, "twice");
    const sha256 = "b".repeat(64);
    assert.equal(await a.content.place(path, sha256, 5), 5);
    await a.content.remove(sha256); // Gone (a day old): its lock key holds the release's deletion.
    let added: number[];
    {
      using _race = raceWrites(cluster, leader, (key) => key === `put.${sha256}`);
      added = await Promise.all([a, b].map(({ content }) => content.place(path, sha256, 5)));
    }
    assert.deepEqual(added.sort(), [0, 5], "both nodes held the lock and put the content");
  } finally {
    await Promise.all(ncs.map((nc) => nc.close()));
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cluster files: the sweep purges chunks of no object once older than its grace, never an object's", async () => {
  await using t = await natsFiles();
  const path = `${t.dir}/upload`;
  await Deno.writeFile(path, randomBytes(CHUNK_BYTES + 5));
  await t.content.place(path, "b".repeat(64), CHUNK_BYTES + 5);
  const alone = await t.content.storedBytes();
  // What a put cut by NATS losing its majority leaves: chunks, and no meta naming them.
  const js = jetstream(t.nc);
  for (let i = 0; i < 3; i++) {
    await js.publish(`$O.${FILES_OBJECT_STORE}.C.cutput`, randomBytes(CHUNK_BYTES));
  }
  assert.ok(await t.content.storedBytes() > alone + 3 * CHUNK_BYTES);
  assert.equal(await t.content.sweep(), 0, "a put may still be under way");
  assert.equal(await t.content.sweep(0), 1);
  assert.equal(await t.content.storedBytes(), alone);
  assert.equal(Object.keys(await t.chunkSubjects()).length, 1);
  assert.equal((await t.content.read("b".repeat(64), 0, CHUNK_BYTES + 4).next()).done, false);
});

Deno.test("cluster files: a Range at the end of a large object fetches its last chunk, not all before it", async () => {
  await using t = await natsFiles();
  const data = randomBytes(16 * CHUNK_BYTES + 10);
  const path = `${t.dir}/upload`;
  await Deno.writeFile(path, data);
  const sha256 = "c".repeat(64);
  await t.content.place(path, sha256, data.length);
  const before = await t.outBytes();
  let tail = "";
  for await (const bytes of t.content.read(sha256, data.length - 20, data.length - 1)) {
    tail += Array.from(bytes).join(",") + ",";
  }
  assert.equal(tail, Array.from(data.subarray(data.length - 20)).join(",") + ",");
  const sent = (await t.outBytes()) - before;
  // The first chunk (where the object starts) and the last two: not 2 MiB.
  assert.ok(sent < 4 * CHUNK_BYTES, `NATS sent ${sent} bytes for 20`);
});

Deno.test("cluster files retention: a record unreadable when the prune looks again keeps every content (it may hold any)", async () => {
  await using t = await natsFiles();
  await jetstreamManager(t.nc).then((jsm) =>
    jsm.streams.add({ name: ROOM_STREAM, subjects: [`${ROOM_SUBJECT_PREFIX}.>`] })
  );
  let now = 1_000;
  const store = await FileStore.open(t.dir, t.index, { content: t.content, now: () => now });
  const room = { uploader: "ana", room: "#lobby" };
  const old = await store.put(chunks("shared bytes"), { ...room, name: "old.txt" });
  now = Date.now();
  const fresh = await store.put(chunks("shared bytes"), { ...room, name: "fresh.txt" });
  const get = t.index.get.bind(t.index);
  t.index.get = (id) => id === fresh.id ? Promise.reject(new Error("timeout")) : get(id);
  await assert.rejects(() => store.prune(now - 1), /unreadable/);
  t.index.get = get;
  assert.equal(await store.get(old.id), undefined);
  assert.equal(await text(store.read(fresh, 0, fresh.size - 1)), "shared bytes");
});
