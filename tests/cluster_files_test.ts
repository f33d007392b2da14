/**
 * Shared files on a cluster (issue 18, docs/cluster.md): three chat-server
 * processes on a 3-node NATS JetStream cluster. A file sent to node A is
 * announced everywhere (the `file` field through the stream and a DM
 * between nodes), served byte-identical, with `Range`, by B and C, also
 * after A is killed; a DM's file is refused to a third party on another
 * node; the files budget counts every node's files.
 */

import assert from "node:assert/strict";
import { ChatCluster } from "./_chat_cluster.ts";
import { welcomed } from "./_cluster_chat.ts";
import type { NativeClient } from "./_native_client.ts";
import type { ServerFrame } from "../lib/protocol/wire_frames.ts";
import { until } from "./_waiting.ts";

/** The first event of `client` that `where` takes, waited for generously (a loaded CI). */
async function seen(
  client: NativeClient,
  where: (event: ServerFrame) => boolean,
): Promise<ServerFrame> {
  await until(() => client.events.some(where), 30_000);
  return client.events.find(where)!;
}

/** A member welcomed on a node (retrying `cluster_unavailable`), with its upload token. */
async function member(cluster: ChatCluster, node: string, nick: string) {
  const client = await welcomed(cluster.node(node).port, nick, 60_000);
  const welcome = client.events.find((e) => e.type === "welcome");
  assert.ok(welcome?.type === "welcome" && welcome.files, `${nick} got no upload token`);
  return { client, auth: `Bearer ${welcome.files.token}`, port: cluster.node(node).port };
}

/** POSTs `body` to `/f` on `port`, again while the cluster says it is not ready (503). */
async function upload(
  port: number,
  query: Record<string, string>,
  body: Uint8Array<ArrayBuffer>,
  auth: string,
): Promise<Response> {
  const deadline = performance.now() + 60_000;
  for (;;) {
    const response = await fetch(`http://127.0.0.1:${port}/f?${new URLSearchParams(query)}`, {
      method: "POST",
      body,
      headers: { Authorization: auth },
    });
    if (response.status !== 503 || performance.now() > deadline) return response;
    await response.body?.cancel();
  }
}

/** The file's path and query on another node. */
function on(port: number, url: string, search = new URL(url).search): string {
  return `http://127.0.0.1:${port}${new URL(url).pathname}${search}`;
}

async function bytes(response: Response): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await response.arrayBuffer());
}

function randomBytes(size: number): Uint8Array<ArrayBuffer> {
  const data = new Uint8Array(size);
  for (let at = 0; at < size; at += 65_536) {
    crypto.getRandomValues(data.subarray(at, Math.min(size, at + 65_536)));
  }
  return data;
}

function closeAll(clients: NativeClient[]): void {
  for (const client of clients) client.close();
}

Deno.test({
  name:
    "cluster files: sent on A, announced and served byte-identical (and by Range) on B and C, also after A is killed; a DM's file only with its token; one budget for all",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using cluster = await ChatCluster.start({
      args: ["--files-budget", "1M", "--max-file-bytes", "1M"],
    });
    const ana = await member(cluster, "A", "ana");
    const bob = await member(cluster, "B", "bob");
    const carol = await member(cluster, "C", "carol");
    try {
      // Not a whole number of the object store's 128 KiB chunks.
      const content = randomBytes(400_003);
      const sent = await upload(ana.port, { room: "#lobby", name: "data.bin" }, content, ana.auth);
      assert.equal(sent.status, 201, await sent.clone().text());
      const file = await sent.json();
      // The upload went through A's data directory (emptied at every start), and left nothing.
      assert.deepEqual([...Deno.readDirSync(`${cluster.node("A").dataDir}/files/tmp`)], []);

      // The announcement goes through the stream with its `file`, to members of every node.
      for (const who of [bob, carol]) {
        const told = await seen(who.client, (e) => e.type === "msg" && e.file?.id === file.id);
        assert.equal(told.type === "msg" && told.file?.size, content.length);
      }

      for (const port of [bob.port, carol.port]) {
        const whole = await fetch(on(port, file.url));
        assert.equal(whole.status, 200);
        assert.equal(whole.headers.get("content-length"), String(content.length));
        assert.deepEqual(await bytes(whole), content);
        // Across chunk boundaries (131072, 262144), and the last bytes.
        const part = await fetch(on(port, file.url), { headers: { Range: "bytes=131000-262200" } });
        assert.equal(part.status, 206);
        assert.equal(part.headers.get("content-range"), `bytes 131000-262200/${content.length}`);
        assert.deepEqual(await bytes(part), content.subarray(131_000, 262_201));
        const tail = await fetch(on(port, file.url), { headers: { Range: "bytes=-5" } });
        assert.equal(tail.status, 206);
        assert.deepEqual(await bytes(tail), content.subarray(content.length - 5));
      }

      // A DM's file from ana (A) to bob (B): bob gets it with its key from C; carol without it: 404.
      const secret = new TextEncoder().encode("for bob only");
      const dm = await upload(ana.port, { to: "bob", name: "secret.txt" }, secret, ana.auth);
      assert.equal(dm.status, 201, await dm.clone().text());
      const dmFile = await dm.json();
      const told = await seen(bob.client, (e) => e.type === "dm" && e.file?.id === dmFile.id);
      assert.equal(told.type === "dm" && told.file?.url, dmFile.url);
      assert.match(new URL(dmFile.url).search, /^\?k=[A-Za-z0-9_-]{22}$/);
      assert.deepEqual(await bytes(await fetch(on(carol.port, dmFile.url))), secret);
      for (const search of ["", "?k=AAAAAAAAAAAAAAAAAAAAAA"]) {
        const refused = await fetch(on(carol.port, dmFile.url, search));
        assert.equal(refused.status, 404);
        await refused.body?.cancel();
      }
      assert.equal(carol.client.events.some((e) => JSON.stringify(e).includes(dmFile.id)), false);

      // The budget (1 MiB) counts what A stored: 700 kB more sent to B is refused.
      const over = await upload(
        bob.port,
        { room: "#lobby", name: "big.bin" },
        randomBytes(700_000),
        bob.auth,
      );
      assert.equal(over.status, 507, await over.clone().text());
      assert.equal((await over.json()).error, "files_budget_full");

      // A dies: B and C still serve the file it took.
      closeAll([ana.client]);
      await cluster.kill("A");
      for (const port of [bob.port, carol.port]) {
        const after = await fetch(on(port, file.url));
        assert.equal(after.status, 200);
        assert.deepEqual(await bytes(after), content);
      }
    } finally {
      closeAll([ana.client, bob.client, carol.client]);
    }
  },
});
