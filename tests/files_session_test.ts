/**
 * Shared files tied to chat sessions (issue 18), over real sockets: the
 * upload token of the welcome, the announcing message every client sees,
 * DM files and private servers behind capability tokens, per-member limits.
 */

import assert from "node:assert/strict";
import { MemoryFileIndex } from "../lib/core/state/file_index.ts";
import { FileStore } from "../lib/files/file_store.ts";
import type { ChatServer, ChatServerOptions } from "../lib/server/chat_server.ts";
import { startServer } from "./_in_process_server.ts";
import { NativeClient } from "./_native_client.ts";
import { TextClient } from "./_text_client.ts";
import { until } from "./_waiting.ts";

const encoder = new TextEncoder();

interface Setup extends AsyncDisposable {
  server: ChatServer;
  base: string;
  dir: string;
  join(nick: string): Promise<{ client: NativeClient; auth: string }>;
}

async function setup(options: ChatServerOptions = {}, password?: string): Promise<Setup> {
  const dir = await Deno.makeTempDir({ prefix: "lanchat_files_session_" });
  const files = await FileStore.open(`${dir}/files`, new MemoryFileIndex());
  const server = await startServer({ ...options, files });
  const clients: NativeClient[] = [];
  return {
    server,
    base: `http://127.0.0.1:${server.addr.port}`,
    dir: `${dir}/files`,
    async join(nick) {
      const client = await NativeClient.connect(server.addr.port, nick, { password });
      clients.push(client);
      const welcome = await client.next("welcome");
      return { client, auth: `Bearer ${welcome.files!.token}` };
    },
    async [Symbol.asyncDispose]() {
      for (const client of clients) await client[Symbol.asyncDispose]();
      await server[Symbol.asyncDispose]();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

function post(
  base: string,
  query: Record<string, string>,
  body: BodyInit,
  auth?: string,
): Promise<Response> {
  return fetch(`${base}/f?${new URLSearchParams(query)}`, {
    method: "POST",
    body,
    headers: auth ? { Authorization: auth } : {},
  });
}

Deno.test("files: an upload needs a live session's token; none, a forged one or a gone session's is 401", async () => {
  await using t = await setup();
  const ana = await t.join("ana");
  for (const auth of [undefined, "Bearer AAAAAAAAAAAAAAAAAAAAAA", "Basic x", ana.auth + "x"]) {
    const response = await post(t.base, { room: "#lobby", name: "a.txt" }, "hello", auth);
    assert.equal(response.status, 401, String(auth));
    assert.equal((await response.json()).error, "no_session");
  }
  ana.client.close();
  await until(() => t.server.hub.member("ana") === undefined);
  const gone = await post(t.base, { room: "#lobby", name: "a.txt" }, "hello", ana.auth);
  assert.equal(gone.status, 401);
  await gone.body?.cancel();
  assert.deepEqual([...Deno.readDirSync(`${t.dir}/sha256`)], []);
});

Deno.test("files: a file is announced to the room: native clients get the field, text clients a line with the link", async () => {
  await using t = await setup();
  const ana = await t.join("ana");
  const bob = await t.join("bob");
  await using text = await TextClient.connect(t.server.addr.port, "tex");
  const from = bob.client.events.length;
  const response = await post(
    t.base,
    { room: "#lobby", name: "../notes CON.txt" },
    "x".repeat(1536),
    ana.auth,
  );
  assert.equal(response.status, 201);
  const file = await response.json();
  const seen = await bob.client.next("msg", (m) => m.file !== undefined, from);
  assert.equal(seen.from, "ana");
  assert.deepEqual(seen.file, file);
  assert.equal(file.size, 1536);
  assert.equal(file.url, `${t.base}/f/${file.id}/${encodeURIComponent(file.name)}`);
  assert.ok(!file.name.includes("/"));
  const line = await text.waitLine((l) => l.includes("[file]"));
  assert.match(line, /ana.*\[file\] .*notes CON\.txt \(1\.5 KiB\) http:\/\/127\.0\.0\.1:\d+\/f\//);
  // Someone joining later has it in the room's history.
  const carol = await t.join("carol");
  const welcome = await carol.client.next("welcome");
  assert.equal(welcome.history.at(-1)?.file?.id, file.id);
  // Not a member of #other: refused before a byte is stored.
  const elsewhere = await post(t.base, { room: "#other", name: "x" }, "x", ana.auth);
  assert.equal(elsewhere.status, 403);
  assert.equal((await elsewhere.json()).error, "not_in_room");
});

Deno.test("files: a file in a DM reaches the two only, and its link works only with its token", async () => {
  await using t = await setup();
  const ana = await t.join("ana");
  const bob = await t.join("bob");
  const carol = await t.join("carol");
  const response = await post(t.base, { to: "bob", name: "secret.txt" }, "for bob", ana.auth);
  assert.equal(response.status, 201);
  const file = await response.json();
  const dm = await bob.client.next("dm", (m) => m.file !== undefined);
  assert.equal(dm.file?.url, file.url);
  await ana.client.next("dm", (m) => m.file?.id === file.id);
  assert.equal(carol.client.events.some((e) => JSON.stringify(e).includes(file.id)), false);
  const url = new URL(file.url);
  assert.match(url.search, /^\?k=[A-Za-z0-9_-]{22}$/);
  assert.equal(await (await fetch(url)).text(), "for bob");
  // Carol, with the id but not the token, or with a wrong token: no such file.
  for (const search of ["", "?k=AAAAAAAAAAAAAAAAAAAAAA"]) {
    const refused = await fetch(`${url.origin}${url.pathname}${search}`);
    assert.equal(refused.status, 404);
    await refused.body?.cancel();
  }
  const nobody = await post(t.base, { to: "nobody", name: "x" }, "x", ana.auth);
  assert.equal(nobody.status, 404);
  assert.equal((await nobody.json()).error, "no_such_nick");
});

Deno.test("files: on a private server a room's file needs its token too", async () => {
  await using t = await setup({ password: "pw" }, "pw");
  const ana = await t.join("ana");
  const file = await (await post(t.base, { room: "#lobby", name: "r.txt" }, "room", ana.auth))
    .json();
  assert.match(file.url, /\?k=/);
  assert.equal(await (await fetch(file.url)).text(), "room");
  const bare = await fetch(file.url.replace(/\?.*/, ""));
  assert.equal(bare.status, 404);
  await bare.body?.cancel();
});

Deno.test("files: a member has at most two uploads under way; the third is 429 and leaves nothing", async () => {
  await using t = await setup();
  const ana = await t.join("ana");
  const conns: Deno.TcpConn[] = [];
  for (const name of ["one", "two"]) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: t.server.addr.port });
    conns.push(conn);
    await conn.write(encoder.encode(
      `POST /f?room=%23lobby&name=${name} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${ana.auth}\r\nContent-Length: 100000\r\n\r\n`,
    ));
    await conn.write(new Uint8Array(1000));
  }
  await until(() => [...Deno.readDirSync(`${t.dir}/tmp`)].length === 2, 5000);
  const third = await post(t.base, { room: "#lobby", name: "three" }, "x", ana.auth);
  assert.equal(third.status, 429);
  assert.equal((await third.json()).error, "too_many_uploads");
  for (const conn of conns) conn.close();
  await until(() => [...Deno.readDirSync(`${t.dir}/tmp`)].length === 0, 5000);
  // The cut uploads ended: ana may upload again.
  const again = await post(t.base, { room: "#lobby", name: "four" }, "x", ana.auth);
  assert.equal(again.status, 201);
  await again.body?.cancel();
});
