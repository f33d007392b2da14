/**
 * A real `chat-client` in line mode against a hostile server on 127.0.0.1
 * that speaks enough of the chat protocol to announce a file, then answers
 * the `/get` with an endless body (issue 18, finding F2): the client stops
 * at the announced size, keeps nothing, says why, and exits 5.
 */

import assert from "node:assert/strict";
import { runClient } from "./_entry_process.ts";

const ID = "EEEEEEEEEEEEEEEEEEEEEE";
const SIZE = 100_000;
const encoder = new TextEncoder();

/** The chat side: welcome with an upload token and a shared file; pongs; a goodbye on /quit. */
async function chat(conn: Deno.Conn, first: string, port: number): Promise<void> {
  const send = (frame: Record<string, unknown>) =>
    conn.write(encoder.encode(JSON.stringify(frame) + "\n"));
  const ts = Date.now();
  const file = {
    id: ID,
    name: "endless.bin",
    size: SIZE,
    type: "application/octet-stream",
    url: `http://127.0.0.1:${port}/f/${ID}/endless.bin`,
  };
  const buffer = new Uint8Array(65536);
  let pending = first;
  let welcomed = false;
  while (true) {
    const lines = pending.split("\n");
    pending = lines.pop()!;
    for (const line of lines.filter((l) => l.trim() !== "")) {
      const frame = JSON.parse(line);
      if (frame.type === "hello" && !welcomed) {
        welcomed = true;
        await send({
          type: "welcome",
          protocol: 1,
          server: "hostile",
          motd: "",
          nick: "ana",
          room: "#lobby",
          members: ["ana", "bob"],
          memberCount: 2,
          rateLimit: { rate: 50, burst: 100 },
          history: [],
          files: { token: "t".repeat(22), maxFileBytes: 1_000_000 },
        });
        await send({
          type: "msg",
          room: "#lobby",
          id: 1,
          ts,
          from: "bob",
          text: "[file]",
          kind: "say",
          file,
        });
      }
      if (frame.type === "ping") await send({ type: "pong", token: frame.token });
      if (frame.type === "cmd" && frame.name === "quit") {
        await send({ type: "bye", reason: "quit", message: "bye" });
        await conn.closeWrite();
      }
    }
    const n = await conn.read(buffer);
    if (n === null) return;
    pending += new TextDecoder().decode(buffer.subarray(0, n));
  }
}

/** The file side: a 200 without a length, then bytes until the client goes away. */
async function endless(conn: Deno.Conn): Promise<number> {
  await conn.write(encoder.encode("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"));
  const chunk = new Uint8Array(65536).fill(0x41);
  let sent = 0;
  try {
    while (sent < 500_000_000) sent += await conn.write(chunk);
  } catch {
    // The client went away.
  }
  return sent;
}

Deno.test("chat-client /get stops at the announced size when the server sends without end, exit 5", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  const sentPerDownload: Promise<number>[] = [];
  const tasks: Promise<unknown>[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      tasks.push((async () => {
        try {
          const buffer = new Uint8Array(65536);
          const n = await conn.read(buffer);
          if (n === null) return;
          const first = new TextDecoder().decode(buffer.subarray(0, n));
          if (first.startsWith("GET /f/")) {
            const sending = endless(conn);
            sentPerDownload.push(sending);
            await sending;
          } else await chat(conn, first, port);
        } catch {
          // The client went away.
        } finally {
          try {
            conn.close();
          } catch { /* closed */ }
        }
      })());
    }
  })().catch(() => {});
  const downloads = await Deno.makeTempDir({ prefix: "lanchat_get_endless_" });
  try {
    await using cli = runClient(port, "ana", [], { stdin: "piped" });
    await cli.waitStdout((line) => line.includes(`/get ${ID}`));
    await cli.write(`/get ${ID} ${downloads}\n`);
    await cli.closeStdin();
    assert.equal((await cli.finished()).code, 5, cli.stderr.join("\n"));
    assert.ok(
      cli.stderr.includes(
        "chat-client: fetching endless.bin failed: the server sent more than the 100000 bytes " +
          "the file was announced with",
      ),
      cli.stderr.join("\n"),
    );
    // One try (a lying server is not retried), and nothing kept.
    assert.equal(sentPerDownload.length, 1);
    assert.deepEqual([...Deno.readDirSync(downloads)], []);
  } finally {
    listener.close();
    await accepting;
    await Promise.all(tasks);
    await Deno.remove(downloads, { recursive: true });
  }
});
