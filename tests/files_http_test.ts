/**
 * Shared files over real sockets on the chat port (issue 18, step 2):
 * upload, download, resume, hostile types, limits, cut uploads. Every upload
 * carries the upload token a native client's welcome handed it.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { type FileContent, MemoryFileIndex } from "../lib/core/state/file_index.ts";
import { DiskContent } from "../lib/files/disk_content.ts";
import { FileStore } from "../lib/files/file_store.ts";
import type { ChatServer } from "../lib/server/chat_server.ts";
import { FILE_CSP } from "../lib/server/file_routes.ts";
import { DOWNLOAD_CHUNK_BYTES } from "../lib/files/disk_content.ts";
import { createSelfSigned } from "../lib/server/tls_certificate.ts";
import { startServer } from "./_in_process_server.ts";
import { NativeClient } from "./_native_client.ts";
import { delay, until } from "./_waiting.ts";

const encoder = new TextEncoder();

interface FilesServer extends AsyncDisposable {
  server: ChatServer;
  base: string;
  dir: string;
  /** `Authorization` of ana, a native client in #lobby. */
  auth: Record<string, string>;
  ana: NativeClient;
}

async function filesServer(
  options: { maxFileBytes?: number; budgetBytes?: number; content?: FileContent } = {},
): Promise<FilesServer> {
  const dir = await Deno.makeTempDir({ prefix: "lanchat_files_http_" });
  const files = await FileStore.open(`${dir}/files`, new MemoryFileIndex(), options);
  const server = await startServer({ files });
  const ana = await NativeClient.connect(server.addr.port, "ana");
  const welcome = await ana.next("welcome");
  return {
    server,
    base: `http://127.0.0.1:${server.addr.port}`,
    dir: `${dir}/files`,
    auth: { Authorization: `Bearer ${welcome.files!.token}` },
    ana,
    async [Symbol.asyncDispose]() {
      await ana[Symbol.asyncDispose]();
      await server[Symbol.asyncDispose]();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Every file under `dir` (relative), temporary ones included. */
async function filesUnder(dir: string, prefix = ""): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(`${dir}/${prefix}`)) {
    const path = `${prefix}${entry.name}`;
    if (entry.isDirectory) found.push(...await filesUnder(dir, `${path}/`));
    else found.push(path);
  }
  return found.sort();
}

function randomBytes(size: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  for (let at = 0; at < size; at += 65536) crypto.getRandomValues(bytes.subarray(at, at + 65536));
  return bytes;
}

async function upload(
  t: FilesServer,
  body: BodyInit,
  query: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return await fetch(`${t.base}/f?${new URLSearchParams(query)}`, {
    method: "POST",
    body,
    headers: { ...t.auth, ...headers },
  });
}

Deno.test("files: an upload comes back byte-identical, named as cleaned, with its SHA-256", async () => {
  await using t = await filesServer();
  const bytes = randomBytes(3 * 1024 * 1024 + 17);
  const response = await upload(t, bytes, { room: "#lobby", name: "../data.bin" });
  assert.equal(response.status, 201);
  const record = await response.json();
  assert.equal(record.size, bytes.length);
  assert.equal(record.name, "_data.bin");
  assert.equal(record.url, `${t.base}/f/${record.id}/_data.bin`);
  const got = await fetch(record.url);
  assert.equal(got.headers.get("etag"), `"${createHash("sha256").update(bytes).digest("hex")}"`);
  assert.equal(got.status, 200);
  assert.equal(got.headers.get("content-length"), String(bytes.length));
  assert.equal(got.headers.get("accept-ranges"), "bytes");
  assert.deepEqual(new Uint8Array(await got.arrayBuffer()), bytes);
  const missing = await fetch(`${t.base}/f/nosuchid/x`);
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
});

Deno.test("files: a download cut short resumes with Range (206), and a range past the end is 416", async () => {
  await using t = await filesServer();
  const bytes = randomBytes(1024 * 1024);
  const record = await (await upload(t, bytes, { room: "#lobby", name: "big.bin" })).json();
  // The first part, then the connection is dropped.
  const first = await fetch(record.url);
  const etag = first.headers.get("etag")!;
  const reader = first.body!.getReader();
  const parts: Uint8Array<ArrayBuffer>[] = [];
  let have = 0;
  while (have < 100_000) {
    const { value } = await reader.read();
    parts.push(value!);
    have += value!.length;
  }
  await reader.cancel();
  const rest = await fetch(record.url, {
    headers: { Range: `bytes=${have}-`, "If-Range": etag },
  });
  assert.equal(rest.status, 206);
  assert.equal(
    rest.headers.get("content-range"),
    `bytes ${have}-${bytes.length - 1}/${bytes.length}`,
  );
  parts.push(new Uint8Array(await rest.arrayBuffer()));
  const whole = new Uint8Array(await new Blob(parts).arrayBuffer());
  assert.deepEqual(whole, bytes);
  const past = await fetch(record.url, {
    headers: { Range: `bytes=${bytes.length}-` },
  });
  assert.equal(past.status, 416);
  assert.equal(past.headers.get("content-range"), `bytes */${bytes.length}`);
  await past.body?.cancel();
  // A stale If-Range gets the whole file.
  const stale = await fetch(record.url, {
    headers: { Range: "bytes=10-", "If-Range": '"other"' },
  });
  assert.equal(stale.status, 200);
  await stale.body?.cancel();
});

Deno.test("files: curl uploads, downloads and resumes (-C -) byte-identical", async () => {
  await using t = await filesServer();
  const bytes = randomBytes(2 * 1024 * 1024);
  const source = `${t.dir}/../source.bin`;
  const target = `${t.dir}/../target.bin`;
  await Deno.writeFile(source, bytes);
  const curl = async (...args: string[]) => {
    const { code, stdout, stderr } = await new Deno.Command("curl", { args: ["-sS", ...args] })
      .output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    return new TextDecoder().decode(stdout);
  };
  const record = JSON.parse(
    await curl(
      "-H",
      `Authorization: ${t.auth.Authorization}`,
      "--data-binary",
      `@${source}`,
      `${t.base}/f?room=%23lobby&name=source.bin`,
    ),
  );
  // Half of it "downloaded before the cut", then curl resumes.
  await Deno.writeFile(target, bytes.subarray(0, 777_777));
  await curl("-C", "-", "-o", target, record.url);
  assert.deepEqual(await Deno.readFile(target), bytes);
});

Deno.test("files: SVG and HTML are attachments, never inline; only a real PNG is shown inline", async () => {
  await using t = await filesServer();
  const svg =
    '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"><script>alert(1)</script></svg>';
  for (
    const [name, type, body] of [
      ["evil.svg", "image/svg+xml", svg],
      ["evil.html", "text/html", "<script>alert(1)</script>"],
      ["fake.png", "image/png", "<html><script>alert(1)</script>"],
    ]
  ) {
    const record = await (await upload(t, body, { room: "#lobby", name }, { "Content-Type": type }))
      .json();
    const got = await fetch(record.url);
    assert.equal(got.status, 200);
    assert.match(got.headers.get("content-disposition")!, /^attachment; /, name);
    assert.equal(got.headers.get("content-type"), "application/octet-stream", name);
    assert.equal(got.headers.get("x-content-type-options"), "nosniff");
    assert.equal(got.headers.get("content-security-policy"), FILE_CSP);
    assert.match(FILE_CSP, /sandbox/);
    assert.equal(await got.text(), body);
  }
  const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
  const record = await (await upload(t, png, { room: "#lobby", name: "shot.png" })).json();
  const got = await fetch(record.url);
  assert.equal(got.headers.get("content-type"), "image/png");
  assert.match(got.headers.get("content-disposition")!, /^inline; filename="shot.png"/);
  await got.body?.cancel();
});

Deno.test("files: a file over the limit is refused with a clear error and nothing is left on disk", async () => {
  await using t = await filesServer({ maxFileBytes: 64 * 1024 });
  // Announced too large: refused before its bytes.
  const response = await upload(t, randomBytes(64 * 1024 + 1), {
    room: "#lobby",
    name: "big",
  });
  assert.equal(response.status, 413);
  const error = await response.json();
  assert.equal(error.error, "file_too_large");
  assert.equal(error.message, "File too large: 65537 bytes, the limit is 65536 bytes");
  // Streamed without a length: cut off once over.
  const stream = ReadableStream.from((function* () {
    for (let i = 0; i < 8; i++) yield randomBytes(16 * 1024);
  })());
  const streamed = await upload(t, stream, { room: "#lobby", name: "big" }).catch((e) => e);
  if (streamed instanceof Response) {
    assert.equal(streamed.status, 413);
    await streamed.body?.cancel();
  }
  await delay(50);
  assert.deepEqual(await filesUnder(t.dir), []);
});

Deno.test("files: an upload whose connection is cut leaves nothing, and is never served", async () => {
  await using t = await filesServer();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: t.server.addr.port });
  await conn.write(encoder.encode(
    `POST /f?room=%23lobby&name=cut.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${t.auth.Authorization}\r\nContent-Length: 1000000\r\n\r\n`,
  ));
  await conn.write(randomBytes(300_000));
  // The partial upload is on its way to disk...
  await until(() => {
    try {
      return [...Deno.readDirSync(`${t.dir}/tmp`)].length === 1;
    } catch {
      return false;
    }
  }, 5000);
  conn.close();
  // ...and gone once the connection is.
  await until(() => [...Deno.readDirSync(`${t.dir}/tmp`)].length === 0, 5000);
  assert.deepEqual(await filesUnder(t.dir), []);
});

Deno.test("files: a content that cannot be read (a cluster's NATS without its majority) is refused 503 in words, no header of the file sent", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lanchat_files_http_content_" });
  const disk = await DiskContent.open(dir);
  let readable = true;
  const content: FileContent = {
    where: disk.where,
    place: (path, sha256, size) => disk.place(path, sha256, size),
    read: (sha256, start, end) => {
      if (readable) return disk.read(sha256, start, end);
      return (async function* () {
        yield* [];
        throw new Error("file content: no answer from NATS in 10000 ms");
      })();
    },
    remove: (sha256) => disk.remove(sha256),
  };
  try {
    await using t = await filesServer({ content });
    const response = await upload(t, encoder.encode("held in NATS"), {
      room: "#lobby",
      name: "n.txt",
    });
    assert.equal(response.status, 201);
    const { url } = await response.json();
    readable = false;
    for (const range of [undefined, "bytes=3-5"]) {
      const got = await fetch(url, range ? { headers: { Range: range } } : {});
      assert.equal(got.status, 503);
      assert.equal(got.headers.get("content-disposition"), null);
      assert.equal(got.headers.get("cache-control"), null);
      const body = await got.json();
      assert.equal(body.error, "files_unavailable");
      assert.match(
        body.message,
        /^Files cannot be read now \(.*no answer from NATS.*\); try again later$/,
      );
    }
    readable = true;
    assert.equal(await (await fetch(url)).text(), "held in NATS");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("files: an upload the server cannot write to its disk is refused 503 in words, not cut", async () => {
  await using t = await filesServer();
  // Where uploads go is not a directory: every write fails, as on a full disk.
  await Deno.remove(`${t.dir}/tmp`, { recursive: true });
  await Deno.writeTextFile(`${t.dir}/tmp`, "");
  const response = await upload(t, randomBytes(10_000), { room: "#lobby", name: "x.bin" });
  assert.equal(response.status, 503);
  const body = await response.json();
  assert.equal(body.error, "files_unavailable");
  assert.match(
    body.message,
    /^The server cannot write the upload to its disk \(.+\); try again later$/,
  );
});

Deno.test("files: a request to /f without a room, or with another method, is refused", async () => {
  await using t = await filesServer();
  const noRoom = await upload(t, "x", { name: "x" });
  assert.equal(noRoom.status, 400);
  assert.equal((await noRoom.json()).error, "bad_upload");
  const badRoom = await upload(t, "x", { name: "x", room: "lobby with spaces" });
  assert.equal(badRoom.status, 400);
  assert.equal((await badRoom.json()).error, "bad_room");
  const put = await fetch(`${t.base}/f/abc/x`, { method: "DELETE" });
  assert.equal(put.status, 405);
  await put.body?.cancel();
  assert.deepEqual(await filesUnder(t.dir), []);
});

Deno.test("files: without a file store the server has no file routes", async () => {
  await using server = await startServer();
  const response = await fetch(`http://127.0.0.1:${server.addr.port}/f/abc/x`);
  assert.equal(response.status, 404);
  await response.body?.cancel();
});

Deno.test("files: over TLS, a download of many read chunks and a range across them come back byte-identical", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lanchat_files_tls_" });
  const files = await FileStore.open(`${dir}/files`, new MemoryFileIndex());
  const certificate = await createSelfSigned();
  const server = await startServer({ files, tls: certificate });
  const client = Deno.createHttpClient({ caCerts: [certificate.cert] });
  const ana = await NativeClient.connectTls(server.addr.port, certificate.cert, "ana");
  try {
    const welcome = await ana.next("welcome");
    // Several of the server's read chunks (DOWNLOAD_CHUNK_BYTES), and an odd tail.
    const bytes = randomBytes(4 * DOWNLOAD_CHUNK_BYTES + 4321);
    const base = `https://127.0.0.1:${server.addr.port}`;
    const uploaded = await fetch(`${base}/f?room=%23lobby&name=tls.bin`, {
      method: "POST",
      body: bytes,
      headers: { Authorization: `Bearer ${welcome.files!.token}` },
      client,
    });
    assert.equal(uploaded.status, 201);
    const record = await uploaded.json();
    const url = `${base}${new URL(record.url).pathname}`;
    const whole = await fetch(url, { client });
    assert.equal(whole.status, 200);
    assert.deepEqual(new Uint8Array(await whole.arrayBuffer()), bytes);
    const [from, to] = [DOWNLOAD_CHUNK_BYTES - 5, 3 * DOWNLOAD_CHUNK_BYTES + 7];
    const part = await fetch(url, { client, headers: { Range: `bytes=${from}-${to}` } });
    assert.equal(part.status, 206);
    assert.deepEqual(new Uint8Array(await part.arrayBuffer()), bytes.subarray(from, to + 1));
  } finally {
    client.close();
    await ana[Symbol.asyncDispose]();
    await server[Symbol.asyncDispose]();
    await Deno.remove(dir, { recursive: true });
  }
});
