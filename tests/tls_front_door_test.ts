/**
 * TLS at the door: plain and TLS mixed up each get a clear error, a peer
 * that does not start the handshake is told how to join, and connections
 * still in their handshake count against the per-address limit.
 */

import assert from "node:assert/strict";
import { createSelfSigned } from "../lib/server/tls_certificate.ts";
import { runClient, runServer } from "./_entry_process.ts";
import { startServer } from "./_in_process_server.ts";
import { NativeClient } from "./_native_client.ts";
import { stopped, tlsServer } from "./_tls_server.ts";
import { delay, within } from "./_waiting.ts";

const encoder = new TextEncoder();

Deno.test("TLS: plain and TLS mixed up each get a clear error", async () => {
  const tls = await tlsServer(await Deno.makeTempDir());
  const plainToTls = runClient(tls.port, "mixed", []);
  assert.equal((await plainToTls.finished()).code, 1);
  assert.match(
    plainToTls.stderr.join("\n"),
    /cannot join 127\.0\.0\.1:\d+: the server speaks TLS; connect without --plain/,
  );
  await stopped(tls.server);

  const plain = await runServer([]);
  const tlsToPlain = runClient(plain.port, "mixed", ["--accept-new"], { tls: true });
  assert.equal((await tlsToPlain.finished()).code, 1);
  // Reached, so not "cannot reach", and no OpenSSL internals.
  assert.deepEqual(tlsToPlain.stderr, [
    `chat-client: cannot connect to 127.0.0.1:${plain.port} with TLS: the server does not speak TLS (started with --plain?); connect with --plain`,
  ]);
  await stopped(plain.server);
});

Deno.test("TLS: a peer that never starts the handshake, or sends plain text, is told how to join and closed; others chat on", async () => {
  const certificate = await createSelfSigned();
  await using server = await startServer({ tls: certificate, handshakeTimeoutMs: 300 });
  const port = server.addr.port;
  const silent = await Deno.connect({ hostname: "127.0.0.1", port });
  const garbage = await Deno.connect({ hostname: "127.0.0.1", port });
  await garbage.write(encoder.encode("ana\r\nhello in clear\r\n"));
  const plainNative = await Deno.connect({ hostname: "127.0.0.1", port });
  await plainNative.write(
    encoder.encode('{"type":"hello","protocol":1,"nick":"x","client":"c"}\n'),
  );
  await using ana = await NativeClient.connectTls(port, certificate.cert, "ana");
  await using bob = await NativeClient.connectTls(port, certificate.cert, "bob");
  const answers: Uint8Array[] = [];
  for (const conn of [silent, garbage, plainNative]) {
    const buffer = new Uint8Array(1024);
    const chunks: number[] = [];
    // Whatever the server answers, the connection ends.
    await within(
      5000,
      (async () => {
        for (let n; (n = await conn.read(buffer).catch(() => null)) !== null;) {
          chunks.push(...buffer.subarray(0, n));
        }
      })(),
      "the server to close the connection",
    );
    conn.close();
    answers.push(new Uint8Array(chunks));
  }
  // nc users (silent, or typing) read how to join; a native client with --plain gets a TLS alert,
  // which chat-client explains as "the server speaks TLS".
  const hint = `! This server speaks TLS. Join with: ncat --ssl 127.0.0.1 ${port}` +
    ` (or openssl s_client -connect 127.0.0.1:${port}, or chat-client)\r\n`;
  assert.equal(new TextDecoder().decode(answers[0]), hint);
  assert.equal(new TextDecoder().decode(answers[1]), hint);
  assert.deepEqual([...answers[2].subarray(0, 3)], [0x15, 0x03, 0x03]);
  await ana.send({ type: "msg", text: "still here" });
  await bob.next("msg", (m) => m.text === "still here");
  await delay(50);
  assert.equal(server.hub.size, 2);
});

Deno.test("TLS: connections still in their handshake count against --max-per-ip; the refused one is told why, inside TLS", async () => {
  const certificate = await createSelfSigned();
  await using server = await startServer({ tls: certificate, maxPerIp: 2 });
  const port = server.addr.port;
  const silent = [
    await Deno.connect({ hostname: "127.0.0.1", port }),
    await Deno.connect({ hostname: "127.0.0.1", port }),
  ];
  await delay(100);
  // The third from the same address is refused, and told so where a TLS client can read it.
  const third = await Deno.connectTls({ hostname: "127.0.0.1", port, caCerts: [certificate.cert] });
  const buffer = new Uint8Array(256);
  let said = "";
  await within(
    3000,
    (async () => {
      for (let n; (n = await third.read(buffer).catch(() => null)) !== null;) {
        said += new TextDecoder().decode(buffer.subarray(0, n));
      }
    })(),
    "the third to be told and closed",
  );
  third.close();
  assert.equal(said, "! Too many connections from 127.0.0.1 (the limit is 2)\r\n");
  // A fourth right after is closed at once: telling costs a handshake, once per address in 10 s.
  const fourth = await Deno.connect({ hostname: "127.0.0.1", port });
  assert.equal(
    await within(1000, fourth.read(buffer).catch(() => null), "the fourth to close"),
    null,
  );
  fourth.close();
  // The first two are still held (their 3 s handshake time is not over).
  const stillOpen = await Promise.race([
    silent[0].read(buffer).then(() => false, () => false),
    delay(200).then(() => true),
  ]);
  assert.ok(stillOpen, "a pending handshake was closed too early");
  for (const conn of silent) conn.close();
  await delay(100);
  await using ana = await NativeClient.connectTls(port, certificate.cert, "ana");
  assert.equal(server.hub.size, 1);
  await ana.send({ type: "msg", text: "in" });
  await ana.next("msg", (m) => m.text === "in");
});
