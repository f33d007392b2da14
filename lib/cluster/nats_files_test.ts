import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { FileStore } from "../files/file_store.ts";
import { soloNats } from "../../tests/_solo_nats.ts";
import { ROOM_STREAM } from "./cluster_names.ts";
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
