/**
 * The server's limits on shared files (issue 18), over real sockets: limits
 * that a reconnect does not reset, the per-nick quota, uploads slower than
 * the floor, an operator's /rmfile, and the hint a text client gets for
 * /send.
 */

import assert from "node:assert/strict";
import { MemoryFileIndex } from "../lib/core/state/file_index.ts";
import { FileStore } from "../lib/files/file_store.ts";
import type { ChatServer, ChatServerOptions, LogRecord } from "../lib/server/chat_server.ts";
import { startServer } from "./_in_process_server.ts";
import { NativeClient, type TestKey, testKey } from "./_native_client.ts";
import { IrcClient, ircCommand } from "./_irc_client.ts";
import { TextClient } from "./_text_client.ts";
import { until } from "./_waiting.ts";

const encoder = new TextEncoder();

interface Setup extends AsyncDisposable {
  server: ChatServer;
  base: string;
  dir: string;
  join(nick: string, key?: TestKey): Promise<{ client: NativeClient; auth: string }>;
  logged: LogRecord[];
}

async function setup(options: ChatServerOptions = {}): Promise<Setup> {
  const dir = await Deno.makeTempDir({ prefix: "lanchat_files_limits_" });
  const files = await FileStore.open(`${dir}/files`, new MemoryFileIndex());
  const logged: LogRecord[] = [];
  const server = await startServer({ ...options, files, log: (record) => logged.push(record) });
  const clients: NativeClient[] = [];
  return {
    server,
    logged,
    base: `http://127.0.0.1:${server.addr.port}`,
    dir: `${dir}/files`,
    async join(nick, key) {
      const client = await NativeClient.connect(server.addr.port, nick, key ? { key } : {});
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

function post(base: string, name: string, body: BodyInit, auth: string): Promise<Response> {
  return fetch(`${base}/f?${new URLSearchParams({ room: "#lobby", name })}`, {
    method: "POST",
    body,
    headers: { Authorization: auth },
  });
}

/** Everything a raw connection reads until the server closes it. */
async function readAll(conn: Deno.TcpConn): Promise<string> {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(4096);
  while (true) {
    const n = await conn.read(buffer).catch(() => null);
    if (n === null) break;
    chunks.push(buffer.slice(0, n));
  }
  return new TextDecoder().decode(Uint8Array.from(chunks.flatMap((chunk) => [...chunk])));
}

Deno.test("files: reconnecting does not reset a member's upload rate (counted by its address)", async () => {
  await using t = await setup({ fileLimits: { uploadRate: { rate: 0.0001, burst: 2 } } });
  const ana = await t.join("ana");
  for (const name of ["one", "two"]) {
    const response = await post(t.base, name, name, ana.auth);
    assert.equal(response.status, 201);
    await response.body?.cancel();
  }
  const third = await post(t.base, "three", "three", ana.auth);
  assert.equal(third.status, 429);
  assert.equal((await third.json()).error, "upload_rate");
  ana.client.close();
  await until(() => t.server.hub.member("ana") === undefined);
  const again = await t.join("ana2");
  const afterReconnect = await post(t.base, "four", "four", again.auth);
  assert.equal(afterReconnect.status, 429);
  assert.equal((await afterReconnect.json()).error, "upload_rate");
});

Deno.test("files: one nick fills its quota, not the budget; its own content again costs nothing", async () => {
  await using t = await setup({ fileLimits: { quotaBytes: 10 } });
  const ana = await t.join("ana");
  const bo = await t.join("bo");
  assert.equal((await post(t.base, "a", "123456", ana.auth)).status, 201);
  const over = await post(t.base, "b", "abcde", ana.auth);
  assert.equal(over.status, 507);
  assert.deepEqual(await over.json(), {
    error: "files_quota_full",
    message:
      "Your share of the server's space for files is used up: 6 B of 10 B, this file needs 5 B",
  });
  const same = await post(t.base, "a again", "123456", ana.auth);
  assert.equal(same.status, 201);
  await same.body?.cancel();
  const other = await post(t.base, "b", "abcde", bo.auth);
  assert.equal(other.status, 201);
  await other.body?.cancel();
  assert.deepEqual([...Deno.readDirSync(`${t.dir}/tmp`)], []);
  // Said in the server's log: what was stored, and the refusal.
  await until(() => t.logged.filter((r) => r.event === "file_stored").length === 3);
  const stored = t.logged.find((r) => r.event === "file_stored");
  assert.deepEqual({ ...stored, id: undefined }, {
    level: "info",
    event: "file_stored",
    nick: "ana",
    room: "#lobby",
    name: "a",
    size: 6,
    id: undefined,
  });
  assert.ok(
    t.logged.some((r) =>
      r.event === "file_refused" && r.level === "info" && r.nick === "ana" && r.status === 507 &&
      r.code === "files_quota_full"
    ),
  );
});

Deno.test("files: an upload that stops sending is cut with a clear error (408) and leaves nothing", async () => {
  await using t = await setup({
    fileLimits: { uploadFloor: { idleMs: 400, windowMs: 60_000, minBytesPerSecond: 1 } },
  });
  const ana = await t.join("ana");
  const from = ana.client.events.length;
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: t.server.addr.port });
  await conn.write(encoder.encode(
    `POST /f?room=%23lobby&name=stalled HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${ana.auth}\r\nContent-Length: 100000\r\n\r\n`,
  ));
  await conn.write(new Uint8Array(1000));
  const answer = await readAll(conn);
  conn.close();
  assert.match(answer, /^HTTP\/1\.1 408 /);
  assert.match(
    answer,
    /"error":"upload_too_slow","message":"The upload was cut: no data for 0\.4 s"/,
  );
  assert.deepEqual([...Deno.readDirSync(`${t.dir}/tmp`)], []);
  assert.deepEqual([...Deno.readDirSync(`${t.dir}/sha256`)], []);
  assert.equal(ana.client.events.slice(from).some((e) => e.type === "msg"), false);
  const cut = t.logged.find((r) => r.event === "file_cut");
  assert.equal(cut?.level, "info");
  assert.equal(cut?.nick, "ana");
  assert.equal(cut?.received, 1000);
  assert.equal(cut?.why, "The upload was cut: no data for 0.4 s");
});

Deno.test("files: the log says, at info, who cancelled an upload and how much had come; at debug, each download served", async () => {
  await using t = await setup();
  const ana = await t.join("ana");
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: t.server.addr.port });
  await conn.write(encoder.encode(
    `POST /f?room=%23lobby&name=half HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${ana.auth}\r\nContent-Length: 100000\r\n\r\n`,
  ));
  await conn.write(new Uint8Array(3000));
  // The upload is under way once its temporary file is there.
  await until(() => [...Deno.readDirSync(`${t.dir}/tmp`)].length > 0);
  conn.close();
  await until(() => t.logged.some((r) => r.event === "file_cut"));
  const cut = t.logged.find((r) => r.event === "file_cut")!;
  assert.equal(cut.level, "info");
  assert.equal(cut.nick, "ana");
  assert.equal(cut.name, "half");
  assert.equal(cut.why, "the sender closed the connection");
  assert.ok(Number(cut.received) <= 3000, `${cut.received}`);
  const file = await (await post(t.base, "a.txt", "twelve bytes", ana.auth)).json();
  const got = await fetch(file.url, { headers: { Range: "bytes=2-5" } });
  assert.equal(await got.text(), "elve");
  await until(() => t.logged.some((r) => r.event === "file_sent"));
  const sent = t.logged.find((r) => r.event === "file_sent")!;
  assert.equal(sent.level, "debug");
  assert.equal(sent.id, file.id);
  assert.equal(sent.bytes, "2-5/12");
  assert.equal(sent.how, "whole");
});

Deno.test("files: an upload that trickles under the floor on average is cut (408) and leaves nothing", async () => {
  await using t = await setup({
    fileLimits: { uploadFloor: { idleMs: 10_000, windowMs: 300, minBytesPerSecond: 100_000 } },
  });
  const ana = await t.join("ana");
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: t.server.addr.port });
  await conn.write(encoder.encode(
    `POST /f?room=%23lobby&name=trickle HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${ana.auth}\r\nContent-Length: 100000\r\n\r\n`,
  ));
  const answer = readAll(conn);
  let open = true;
  answer.finally(() => open = false);
  // A byte now and then: never idle, far under the floor.
  while (open) {
    await conn.write(new Uint8Array(10)).catch(() => open = false);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  conn.close();
  const text = await answer;
  assert.match(text, /^HTTP\/1\.1 408 /);
  assert.match(
    text,
    /The upload was cut: \d+ B\/s over the last 0\.3 s, the least taken is 98 KiB\/s/,
  );
  await until(() => [...Deno.readDirSync(`${t.dir}/tmp`)].length === 0, 5000);
});

Deno.test("files: /rmfile deletes a file and its content and tells the room; only for operators", async () => {
  const opKey = await testKey();
  await using t = await setup({ operators: [opKey.fingerprint] });
  const mod = await t.join("mod", opKey);
  const ana = await t.join("ana");
  const file = await (await post(t.base, "big.bin", "lots of bytes", ana.auth)).json();
  await ana.client.send({ type: "cmd", name: "rmfile", args: file.id });
  assert.equal((await ana.client.next("error")).code, "not_operator");
  const from = ana.client.events.length;
  await mod.client.send({ type: "cmd", name: "rmfile", args: file.url });
  const said = await ana.client.next("msg", (m) => m.kind === "action", from);
  assert.equal(said.from, "mod");
  assert.equal(said.text, "removed the file big.bin (13 B) sent by ana");
  assert.match((await mod.client.next("notice")).message, /^Removed the file big\.bin/);
  const gone = await fetch(file.url);
  assert.equal(gone.status, 404);
  await gone.body?.cancel();
  assert.deepEqual([...Deno.readDirSync(`${t.dir}/sha256`)].length, 1); // its empty 2-hex folder
  await mod.client.send({ type: "cmd", name: "rmfile", args: file.id });
  assert.match((await mod.client.next("error")).message, /^There is no shared file/);
});

Deno.test("files: a text client typing /send or /get is told where files are sent from", async () => {
  await using t = await setup();
  await using text = await TextClient.connect(t.server.addr.port, "tex");
  await text.sendLine("/send notes.txt");
  const line = await text.waitLine((l) => l.includes("cannot send files"));
  assert.match(line, /send them from the browser or chat-client; see http:\/\/127\.0\.0\.1:\d+/);
});

Deno.test("files: the /send and /get hints are for text and IRC clients; a native client neither sees nor runs them", async () => {
  await using t = await setup();
  const ana = await t.join("ana");
  await ana.client.send({ type: "cmd", name: "help", args: "" });
  const help = await ana.client.next("help");
  const names = help.commands.map((c) => c.name);
  assert.ok(
    names.includes("join") && !names.includes("send") && !names.includes("get"),
    `${names}`,
  );
  await ana.client.send({ type: "cmd", name: "send", args: "notes.txt" });
  assert.equal((await ana.client.next("error")).code, "unknown_command");
  const from = ana.client.events.length;
  await ana.client.send({ type: "cmd", name: "help", args: "get" });
  assert.equal(
    (await ana.client.next("error", () => true, from)).message,
    'No command "/get" to explain; type /help alone for the list of commands',
  );
  await using text = await TextClient.connect(t.server.addr.port, "tex");
  await text.sendLine("/help");
  await text.waitLine((l) => /\/get\b.*from the browser or chat-client/.test(l));
});

Deno.test("files: an IRC client's SEND, GET and DCC offer are answered with a NOTICE, not 421 or silence", async () => {
  await using t = await setup();
  await t.join("bob");
  await using irc = await IrcClient.registered(t.server.addr.port, "irc");
  const notice = (text: RegExp) => (line: string) => text.test(line);
  let from = irc.lines.length;
  await irc.send("SEND notes.txt");
  await irc.command("NOTICE", from, notice(/cannot send files: send them from the browser/));
  await irc.send("GET abc");
  await irc.command("NOTICE", from, notice(/cannot get files: open the link of a file/));
  from = irc.lines.length;
  await irc.send("PRIVMSG bob :\x01DCC SEND notes.txt 2130706433 5000 12\x01");
  await irc.command("NOTICE", from, notice(/DCC is not supported here: nothing was sent/));
  await irc.command("NOTICE", from, notice(/cannot send files/));
  assert.ok(!irc.lines.some((l) => ircCommand(l) === "421"), irc.lines.join("\n"));
});
