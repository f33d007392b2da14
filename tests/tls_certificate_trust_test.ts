/**
 * TLS, the default: the server's certificate is made once and kept, the
 * client trusts on first use, refuses a changed certificate, and can be
 * told to forget a server or to pin its certificate.
 */

import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { runClient, runEntry } from "./_entry_process.ts";
import { NativeClient } from "./_native_client.ts";
import { stopped, tlsServer } from "./_tls_server.ts";

/** The fingerprint of a PEM certificate as ssh writes it, computed by node:crypto. */
function opensslFingerprint(pem: string): string {
  const hex = new X509Certificate(pem).fingerprint256.replaceAll(":", "");
  const bytes = Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16));
  return `SHA256:${btoa(String.fromCharCode(...bytes)).replace(/=+$/, "")}`;
}

Deno.test("TLS: the server makes its certificate once, keeps it owner-only, and prints its fingerprint", async () => {
  const dir = await Deno.makeTempDir();
  const first = await tlsServer(dir);
  assert.ok(first.server.stdout.some((l) => l === `made a TLS certificate: ${dir}/tls-cert.pem`));
  const pem = await Deno.readTextFile(`${dir}/tls-cert.pem`);
  assert.equal(first.fingerprint, opensslFingerprint(pem));
  assert.equal((await Deno.stat(`${dir}/tls-key.pem`)).mode! & 0o777, 0o600);
  assert.equal((await stopped(first.server)).code, 0);

  const second = await tlsServer(dir);
  assert.equal(second.fingerprint, first.fingerprint);
  assert.ok(!second.server.stdout.some((l) => l.startsWith("made a TLS certificate")));
  assert.equal((await stopped(second.server)).code, 0);
});

Deno.test("TLS: line mode refuses a server it never saw unless --accept-new, then remembers it", async () => {
  const dir = await Deno.makeTempDir();
  const config = await Deno.makeTempDir();
  const { server, port, fingerprint } = await tlsServer(dir);
  await using watcher = await NativeClient.connectTls(
    port,
    await Deno.readTextFile(`${dir}/tls-cert.pem`),
    "watcher",
  );

  const unknown = runClient(port, "ana", ["--config-dir", config], { tls: true, stdin: "piped" });
  await unknown.write("should not be sent\n");
  await unknown.closeStdin();
  assert.equal((await unknown.finished()).code, 1);
  const refusal = unknown.stderr.join("\n");
  assert.match(refusal, new RegExp(`127\\.0\\.0\\.1:${port} is a server you have not used before`));
  assert.ok(refusal.includes(fingerprint), refusal);
  assert.match(refusal, /--accept-new/);

  const accepting = runClient(port, "ana", ["--config-dir", config, "--accept-new"], {
    tls: true,
    stdin: "piped",
  });
  await accepting.write("first over tls\n");
  await watcher.next("msg", (m) => m.text === "first over tls");
  await accepting.closeStdin();
  assert.equal((await accepting.finished()).code, 0);
  assert.ok(accepting.stderr.some((l) => l.includes(`trusting its certificate ${fingerprint}`)));
  const knownHosts = await Deno.readTextFile(`${config}/known_hosts`);
  assert.ok(knownHosts.includes(`127.0.0.1:${port} ${fingerprint}`), knownHosts);

  // Known now: no flag needed, nothing said about trust.
  const again = runClient(port, "ana", ["--config-dir", config], { tls: true, stdin: "piped" });
  await again.write("second over tls\n");
  await watcher.next("msg", (m) => m.text === "second over tls");
  await again.closeStdin();
  assert.equal((await again.finished()).code, 0);
  assert.deepEqual(again.stderr.filter((l) => l.includes("certificate")), []);
  assert.ok(!watcher.events.some((e) => e.type === "msg" && e.text === "should not be sent"));
  await stopped(server);
});

Deno.test("TLS: a swapped server certificate makes the client refuse with the explanation, also on reconnect", async () => {
  const config = await Deno.makeTempDir();
  const original = await tlsServer(await Deno.makeTempDir());
  const port = original.port;
  const client = runClient(port, "ana", ["--config-dir", config, "--accept-new"], {
    tls: true,
    stdin: "piped",
  });
  await client.write("hello\n");
  await client.waitStdout((l) => l.includes("<ana> hello"));

  // The same address now answers with another certificate (another data
  // directory): what an impostor on the network would present.
  await stopped(original.server);
  const impostor = runEntry("server", [
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--data-dir",
    await Deno.makeTempDir(),
  ], { tls: true });
  const impostorLine = await impostor.waitStdout((l) => l.startsWith("TLS fingerprint "));
  const status = await client.finished(20_000);
  assert.equal(status.code, 1);
  const explanation = client.stderr.join("\n");
  assert.match(explanation, new RegExp(`THE IDENTITY OF 127\\.0\\.0\\.1:${port} HAS CHANGED`));
  assert.ok(explanation.includes(impostorLine.slice("TLS fingerprint ".length)), explanation);
  assert.ok(explanation.includes(`but you trusted ${original.fingerprint}`), explanation);
  assert.match(explanation, /man-in-the-middle/);
  // The way out, with the config directory this client runs with.
  assert.ok(
    explanation.includes(`chat-client --forget-host 127.0.0.1:${port} --config-dir '${config}'`),
    explanation,
  );

  // A fresh start is refused the same way, before anything is sent.
  const fresh = runClient(port, "ana", ["--config-dir", config], { tls: true });
  // Generous waits: each step starts a deno process, slow when the machine is busy.
  assert.equal((await fresh.finished(30_000)).code, 1);
  assert.match(fresh.stderr.join("\n"), /HAS CHANGED; refusing to connect/);

  // After --forget-host, the new certificate can be trusted.
  const forget = runEntry("client", ["--forget-host", `127.0.0.1:${port}`, "--config-dir", config]);
  assert.equal((await forget.finished(30_000)).code, 0);
  assert.match(forget.stdout.join("\n"), /^forgot 127\.0\.0\.1:\d+/);
  const trusted = runClient(port, "ana", ["--config-dir", config, "--accept-new"], {
    tls: true,
    stdin: "piped",
  });
  await trusted.write("hello again\n");
  await trusted.waitStdout((l) => l.includes("<ana> hello again"), 30_000);
  await trusted.closeStdin();
  assert.equal((await trusted.finished(30_000)).code, 0);
  await stopped(impostor);
});

Deno.test("TLS: --forget-host without a port names the entries of that host on other ports", async () => {
  const config = await Deno.makeTempDir();
  try {
    Deno.writeTextFileSync(
      `${config}/known_hosts`,
      [
        "# Servers chat-client trusts: host:port fingerprint",
        `127.0.0.1:17001 SHA256:${"a".repeat(43)}`,
        `127.0.0.10:17003 SHA256:${"c".repeat(43)}`,
        `127.0.0.1:17002 SHA256:${"b".repeat(43)}`,
        "",
      ].join("\n"),
    );
    const forget = runEntry("client", ["--forget-host", "127.0.0.1", "--config-dir", config]);
    assert.equal((await forget.finished()).code, 1);
    assert.deepEqual(forget.stderr, [
      `chat-client: 127.0.0.1:7777 is not in ${config}/known_hosts; on other ports it has 127.0.0.1:17001, 127.0.0.1:17002 (give the port: --forget-host 127.0.0.1:17001)`,
    ]);
    // Nothing was forgotten.
    assert.equal(Deno.readTextFileSync(`${config}/known_hosts`).split("\n").length, 5);
    const none = runEntry("client", ["--forget-host", "10.0.0.9", "--config-dir", config]);
    assert.equal((await none.finished()).code, 1);
    assert.deepEqual(none.stderr, [`chat-client: 10.0.0.9:7777 is not in ${config}/known_hosts`]);
  } finally {
    await Deno.remove(config, { recursive: true });
  }
});

Deno.test("TLS: --fingerprint pins the certificate: the right one joins, another is refused", async () => {
  const dir = await Deno.makeTempDir();
  const { server, port, fingerprint } = await tlsServer(dir);
  const pinned = runClient(port, "pin", ["--fingerprint", fingerprint], {
    tls: true,
    stdin: "piped",
  });
  await pinned.write("pinned\n");
  await pinned.waitStdout((l) => l.includes("<pin> pinned"));
  await pinned.closeStdin();
  assert.equal((await pinned.finished()).code, 0);

  const other = `SHA256:${"A".repeat(43)}`;
  const wrong = runClient(port, "pin", ["--fingerprint", other], { tls: true });
  assert.equal((await wrong.finished()).code, 1);
  const message = wrong.stderr.join("\n");
  assert.ok(message.includes(`presented the certificate ${fingerprint}, not ${other}`), message);

  const malformed = runClient(port, "pin", ["--fingerprint", "abc"], { tls: true });
  assert.equal((await malformed.finished()).code, 2);
  assert.match(malformed.stderr.join("\n"), /--fingerprint must look like SHA256:/);
  await stopped(server);
});
