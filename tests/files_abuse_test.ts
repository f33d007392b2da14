/**
 * Abuse of shared files (issue 18, review files_rev3_attacker), over real
 * sockets from several loopback addresses: an upload whose sender left,
 * transfers under a flood of idle connections, uploads under way holding
 * the budget, quotas that belong to the person, and limits that throw-away
 * keys do not multiply.
 */

import assert from "node:assert/strict";
import * as net from "node:net";
import { MemoryFileIndex } from "../lib/core/state/file_index.ts";
import { FileStore } from "../lib/files/file_store.ts";
import type { ChatServer, ChatServerOptions } from "../lib/server/chat_server.ts";
import { startServer } from "./_in_process_server.ts";
import { NativeClient, testKey } from "./_native_client.ts";
import { until } from "./_waiting.ts";

interface Setup extends AsyncDisposable {
  server: ChatServer;
  port: number;
  dir: string;
}

async function setup(
  options: ChatServerOptions = {},
  store: { maxFileBytes?: number; budgetBytes?: number } = {},
): Promise<Setup> {
  const dir = await Deno.makeTempDir({ prefix: "lanchat_files_abuse_" });
  const files = await FileStore.open(`${dir}/files`, new MemoryFileIndex(), store);
  const server = await startServer({
    ...options,
    files,
    log: (r) => Deno.env.get("DEBUG_ABUSE") && console.log(JSON.stringify(r)),
  });
  return {
    server,
    port: server.addr.port,
    dir: `${dir}/files`,
    async [Symbol.asyncDispose]() {
      for (const socket of sockets) socket.destroy();
      sockets.length = 0;
      await server[Symbol.asyncDispose]();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Every socket a test opened, destroyed when its server goes. */
const sockets: net.Socket[] = [];

function connectFrom(port: number, localAddress: string): net.Socket {
  const socket = net.connect({ host: "127.0.0.1", port, localAddress });
  socket.on("error", () => {});
  sockets.push(socket);
  return socket;
}

/** A member joined from `localAddress` over the native protocol (answering pings). */
interface Joined {
  socket: net.Socket;
  token: string;
  frames: Record<string, unknown>[];
  say(frame: Record<string, unknown>): void;
}

function joinFrom(port: number, nick: string, localAddress = "127.0.0.1"): Promise<Joined> {
  return new Promise((resolve, reject) => {
    const socket = connectFrom(port, localAddress);
    const frames: Record<string, unknown>[] = [];
    const say = (frame: Record<string, unknown>) => socket.write(`${JSON.stringify(frame)}\n`);
    let buffered = "";
    socket.on("connect", () => say({ type: "hello", protocol: 1, nick, client: "abuse-test" }));
    socket.on("close", () => reject(new Error(`${nick} was closed before its welcome`)));
    socket.on("data", (data) => {
      buffered += data.toString();
      for (let end; (end = buffered.indexOf("\n")) >= 0;) {
        const frame = JSON.parse(buffered.slice(0, end));
        buffered = buffered.slice(end + 1);
        frames.push(frame);
        if (frame.type === "ping") {
          say({ type: "pong", ...(frame.token ? { token: frame.token } : {}) });
        }
        if (frame.type === "welcome") resolve({ socket, token: frame.files.token, frames, say });
        if (frame.type === "error" && frames.length === 1) reject(new Error(JSON.stringify(frame)));
      }
    });
  });
}

/** An upload of `length` bytes begun by hand from `localAddress`: its bytes sent as told. */
interface RawUpload {
  send(bytes: number): Promise<void>;
  readonly answer: string;
  readonly closed: boolean;
}

function uploadFrom(
  port: number,
  token: string,
  options: { name: string; length: number; localAddress?: string },
): RawUpload {
  const socket = connectFrom(port, options.localAddress ?? "127.0.0.1");
  let answer = "";
  let closed = false;
  socket.on("data", (data) => answer += data.toString());
  socket.on("close", () => closed = true);
  socket.write(
    `POST /f?room=%23lobby&name=${options.name} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
      `Authorization: Bearer ${token}\r\nContent-Length: ${options.length}\r\n\r\n`,
  );
  return {
    send: (bytes) =>
      new Promise((resolve) => {
        const chunk = new Uint8Array(bytes);
        crypto.getRandomValues(chunk.subarray(0, Math.min(bytes, 65536)));
        socket.write(chunk, () => resolve());
      }),
    get answer() {
      return answer;
    },
    get closed() {
      return closed;
    },
  };
}

/** How many files a directory holds (an upload taken has its temporary file, written in 1 MiB
 * batches, so maybe still empty). */
function entriesIn(dir: string): number {
  return [...Deno.readDirSync(dir)].length;
}

/** Bytes of the files under a directory. */
function filesIn(dir: string): number {
  let bytes = 0;
  for (const entry of Deno.readDirSync(dir)) {
    const path = `${dir}/${entry.name}`;
    bytes += entry.isDirectory ? filesIn(path) : Deno.statSync(path).size;
  }
  return bytes;
}

Deno.test("files: an upload whose sender left before its last byte is refused 409 and leaves nothing, its quota free", async () => {
  await using t = await setup({ fileLimits: { quotaBytes: 150_000 } });
  const ana = await joinFrom(t.port, "ana");
  const mal = await joinFrom(t.port, "mal", "127.0.0.12");
  const upload = uploadFrom(t.port, mal.token, {
    name: "orphan.bin",
    length: 100_000,
    localAddress: "127.0.0.12",
  });
  await upload.send(50_000);
  // The server took the upload (its bytes are arriving) before mal leaves.
  await until(() => entriesIn(`${t.dir}/tmp`) > 0);
  mal.socket.destroy();
  await until(() => ana.frames.some((f) => f.type === "leave"));
  await upload.send(50_000);
  await until(() => upload.closed);
  assert.match(upload.answer, /^HTTP\/1\.1 409 /);
  assert.match(upload.answer, /"error":"not_announced","message":"The file was not kept: /);
  assert.equal(filesIn(`${t.dir}/sha256`), 0);
  assert.equal(ana.frames.some((f) => f.type === "msg" && "file" in f), false);
  // Back under the same nick, the whole quota is free again.
  const back = await joinFrom(t.port, "mal", "127.0.0.12");
  const again = uploadFrom(t.port, back.token, {
    name: "kept.bin",
    length: 100_000,
    localAddress: "127.0.0.12",
  });
  await again.send(100_000);
  await until(() => again.closed);
  assert.match(again.answer, /^HTTP\/1\.1 201 /);
});

Deno.test("files: a flood of idle connections from many addresses evicts neither an upload nor a download under way", async () => {
  await using t = await setup({ maxPending: 4 });
  const ana = await joinFrom(t.port, "ana");
  const bob = await joinFrom(t.port, "bob", "127.0.0.13");
  const stored = uploadFrom(t.port, bob.token, {
    name: "big.bin",
    length: 4_000_000,
    localAddress: "127.0.0.13",
  });
  await stored.send(4_000_000);
  await until(() => stored.closed);
  const url = new URL(/"url":"([^"]+)"/.exec(stored.answer)![1]);
  // A download read slowly (paused), and an upload half sent.
  const download = connectFrom(t.port, "127.0.0.8");
  let got = 0;
  download.on("data", (data) => {
    got += data.length;
    download.pause();
  });
  download.write(`GET ${url.pathname} HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\n\r\n`);
  const upload = uploadFrom(t.port, ana.token, { name: "legit.bin", length: 200_000 });
  await upload.send(100_000);
  await until(() => got > 0 && entriesIn(`${t.dir}/tmp`) > 0);
  // Ten idle connections from ten addresses, past --max-pending 4: six must go.
  const flood: net.Socket[] = [];
  let closed = 0;
  for (let host = 2; host < 12; host++) {
    const socket = connectFrom(t.port, `127.0.0.${host}`);
    socket.on("close", () => closed++);
    socket.resume(); // Reads what it is told, so that it sees the server close it.
    flood.push(socket);
  }
  download.on("close", () => closed++);
  await until(() => closed + (upload.closed ? 1 : 0) >= 6);
  assert.equal(upload.closed, false, "the upload was evicted");
  await upload.send(100_000);
  await until(() => upload.closed);
  assert.match(upload.answer, /^HTTP\/1\.1 201 /);
  // The download goes on to its last byte.
  download.removeAllListeners("data");
  download.on("data", (data) => got += data.length);
  download.resume();
  await until(() => got >= 4_000_000);
});

Deno.test("files: throw-away keys from one address do not multiply its uploads at once: a registered nick's limits are the address's too", async () => {
  await using t = await setup({ fileLimits: { maxConcurrent: 1 } });
  const registered: { client: NativeClient; token: string }[] = [];
  for (const nick of ["key1", "key2"]) {
    const client = await NativeClient.connect(t.port, nick, { key: await testKey() });
    const welcome = await client.next("welcome");
    await client.send({ type: "input", line: "/register" });
    await client.next("notice", (e) => e.message.includes("is now registered"));
    registered.push({ client, token: welcome.files!.token });
  }
  try {
    const held = uploadFrom(t.port, registered[0].token, { name: "held.bin", length: 100_000 });
    await held.send(1000);
    await until(() => entriesIn(`${t.dir}/tmp`) > 0);
    const second = uploadFrom(t.port, registered[1].token, { name: "second.bin", length: 10 });
    await second.send(10);
    await until(() => second.closed);
    assert.match(second.answer, /^HTTP\/1\.1 429 /);
    assert.match(
      second.answer,
      /"too_many_uploads","message":"At most 1 uploads at once from 127\.0\.0\.1; wait for one to finish"/,
    );
    await held.send(99_000);
    await until(() => held.closed);
    assert.match(held.answer, /^HTTP\/1\.1 201 /);
  } finally {
    for (const { client } of registered) await client[Symbol.asyncDispose]();
  }
});

Deno.test("files: uploads under way are bounded on the whole server, whatever the number of addresses", async () => {
  await using t = await setup({ fileLimits: { maxUploadsInAll: 2 } });
  const held: RawUpload[] = [];
  for (const [nick, address] of [["one", "127.0.0.2"], ["two", "127.0.0.3"]]) {
    const member = await joinFrom(t.port, nick, address);
    const upload = uploadFrom(t.port, member.token, {
      name: `${nick}.bin`,
      length: 100_000,
      localAddress: address,
    });
    await upload.send(1000);
    held.push(upload);
  }
  await until(() => entriesIn(`${t.dir}/tmp`) === 2);
  const third = await joinFrom(t.port, "three", "127.0.0.4");
  const refused = uploadFrom(t.port, third.token, {
    name: "three.bin",
    length: 10,
    localAddress: "127.0.0.4",
  });
  await refused.send(10);
  await until(() => refused.closed);
  assert.match(refused.answer, /^HTTP\/1\.1 429 /);
  assert.match(refused.answer, /The server has 2 uploads under way; wait for one to finish/);
  // One ends: the next is taken.
  await held[0].send(99_000);
  await until(() => held[0].closed);
  assert.match(held[0].answer, /^HTTP\/1\.1 201 /);
  const again = uploadFrom(t.port, third.token, {
    name: "three.bin",
    length: 10,
    localAddress: "127.0.0.4",
  });
  await again.send(10);
  await until(() => again.closed);
  assert.match(again.answer, /^HTTP\/1\.1 201 /);
});
