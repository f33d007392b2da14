/**
 * Out of file descriptors (`EMFILE`): a server whose connections use up its
 * open files limit serves new clients again once they are freed, on the
 * TLS port (the default) as on the plain one. The limit (util-linux's
 * `prlimit`) is the server process's alone; the test opens its connections
 * from outside it.
 */

import assert from "node:assert/strict";
import { runServer } from "./_entry_process.ts";
import { NativeClient } from "./_native_client.ts";
import { delay, within } from "./_waiting.ts";

/** The server's open files limit: ~30 above what it holds idle (the store, the log, Deno's own). */
const NOFILE = 64;
/** Connections opened and held: more than the limit leaves room for. */
const HELD = 80;

/**
 * Opens `HELD` TCP connections to `port` and holds them until the server
 * has run out of descriptors (it accepts what it can; the rest wait in the
 * kernel's queue), then closes them all.
 */
async function exhaustThenFree(port: number): Promise<void> {
  const held: Deno.TcpConn[] = [];
  for (let i = 0; i < HELD; i++) held.push(await Deno.connect({ hostname: "127.0.0.1", port }));
  await delay(1000);
  for (const conn of held) conn.close();
}

/**
 * Says hello and waits for the welcome, within 5 s in all (a TLS
 * handshake the server never answers included: Deno.connectTls resolves
 * before it, and the hello's write waits for it).
 */
async function welcomed(client: NativeClient): Promise<void> {
  await within(
    5000,
    (async () => {
      await client.hello("late");
      await client.next("welcome", () => true, 0, 5000);
    })(),
    "the welcome",
  );
}

Deno.test("TLS port: after running out of file descriptors, a new client is welcomed once they are free", async () => {
  const dir = await Deno.makeTempDir();
  const { server, port } = await runServer(
    ["--data-dir", dir, "--max-per-ip", "1000", "--max-pending", "1000"],
    { tls: true, nofile: NOFILE },
  );
  await using _server = server;
  await exhaustThenFree(port);
  const certificate = await Deno.readTextFile(`${dir}/tls-cert.pem`);
  // Within a few seconds: the plain port retries a failed accept within 1 s.
  await using late = await NativeClient.connectTls(port, certificate);
  await welcomed(late);
});

Deno.test("plain port: after running out of file descriptors, a new client is welcomed once they are free", async () => {
  const { server, port } = await runServer(
    ["--max-per-ip", "1000", "--max-pending", "1000"],
    { nofile: NOFILE },
  );
  await using _server = server;
  await exhaustThenFree(port);
  await using late = await NativeClient.connect(port);
  await welcomed(late);
  // The setup did run the server out of descriptors: the plain port logs its failed accepts.
  assert.ok(
    server.stderr.some((line) => /level=error event=error .*Too many open files/.test(line)),
    server.stderr.join("\n"),
  );
});
