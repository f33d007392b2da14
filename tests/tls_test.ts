/**
 * TLS, the default: the server's certificate is made once and kept, the
 * client trusts on first use and refuses a changed certificate, a relay on
 * the path sees no message text, and foreign text clients (ncat --ssl,
 * openssl s_client) join in text mode.
 */

import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { createSelfSigned, loadCertificate } from "../lib/server/tls_certificate.ts";
import { ChatSession, RefusedError } from "../lib/client/chat_session.ts";
import { ServerTrust } from "../lib/client/server_trust.ts";
import { type EntryProcess, runClient, runEntry, runServer } from "./_entry_process.ts";
import { startServer } from "./_in_process_server.ts";
import { NativeClient, testKey } from "./_native_client.ts";
import { delay, within } from "./_waiting.ts";

const encoder = new TextEncoder();

/** A TLS server with its data in a fresh directory; returns the fingerprint it printed. */
async function tlsServer(dir: string, args: string[] = []) {
  const { server, port } = await runServer(["--data-dir", dir, ...args], { tls: true });
  const line = server.stdout.find((l) => l.startsWith("TLS fingerprint "));
  assert.ok(line, `no fingerprint line in:\n${server.stdout.join("\n")}`);
  return { server, port, fingerprint: line.slice("TLS fingerprint ".length) };
}

/** The fingerprint of a PEM certificate as ssh writes it, computed by node:crypto. */
function opensslFingerprint(pem: string): string {
  const hex = new X509Certificate(pem).fingerprint256.replaceAll(":", "");
  const bytes = Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16));
  return `SHA256:${btoa(String.fromCharCode(...bytes)).replace(/=+$/, "")}`;
}

async function stopped(process: EntryProcess): Promise<Deno.CommandStatus> {
  process.kill("SIGTERM");
  return await process.finished();
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

/**
 * A TCP relay that records every byte it passes on, both ways: what anyone
 * on the network path would see.
 */
async function withRelay(
  target: number,
  body: (port: number) => Promise<void>,
): Promise<Uint8Array> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const recorded: Uint8Array[] = [];
  const pipes: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const inbound of listener) {
      const outbound = await Deno.connect({ hostname: "127.0.0.1", port: target });
      const pump = async (from: Deno.Conn, to: Deno.Conn) => {
        const buffer = new Uint8Array(16 * 1024);
        try {
          while (true) {
            const n = await from.read(buffer);
            if (n === null) break;
            recorded.push(buffer.slice(0, n));
            await to.write(buffer.subarray(0, n));
          }
        } catch {
          // One side went away.
        }
        for (const conn of [from, to]) {
          try {
            conn.close();
          } catch {
            // Already closed.
          }
        }
      };
      pipes.push(pump(inbound, outbound), pump(outbound, inbound));
    }
  })();
  try {
    await body((listener.addr as Deno.NetAddr).port);
  } finally {
    listener.close();
    await accepting.catch(() => {});
    await Promise.all(pipes);
  }
  const all = new Uint8Array(recorded.reduce((n, chunk) => n + chunk.length, 0));
  let offset = 0;
  for (const chunk of recorded) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  return all;
}

function contains(haystack: Uint8Array, needle: string): boolean {
  const bytes = encoder.encode(needle);
  outer: for (let i = 0; i + bytes.length <= haystack.length; i++) {
    for (let j = 0; j < bytes.length; j++) if (haystack[i + j] !== bytes[j]) continue outer;
    return true;
  }
  return false;
}

/** Sends `secret` through a relay to a server, from a client started with `clientFlags`. */
async function relayedConversation(
  serverArgs: string[],
  clientFlags: string[],
  tls: boolean,
  secret: string,
  watcherFor: (port: number) => Promise<NativeClient>,
): Promise<Uint8Array> {
  // A private server: the password must not cross in clear either.
  const passwordFile = await Deno.makeTempFile();
  await Deno.writeTextFile(passwordFile, `${PASSWORD}\n`);
  const { server, port } = await runServer([...serverArgs, "--password-file", passwordFile], {
    tls,
  });
  clientFlags = [...clientFlags, "--password-file", passwordFile];
  await using watcher = await watcherFor(port);
  const recorded = await withRelay(port, async (relayPort) => {
    const client = runClient(relayPort, "whisperer", clientFlags, { tls, stdin: "piped" });
    await client.write(`${secret}\n`);
    await watcher.next("msg", (m) => m.text === secret);
    await watcher.send({ type: "msg", text: `reply to ${secret}` });
    await client.waitStdout((l) => l.includes(`reply to ${secret}`));
    await client.closeStdin();
    assert.equal((await client.finished()).code, 0);
  });
  await stopped(server);
  return recorded;
}

const PASSWORD = "correct horse battery staple";

Deno.test("TLS: a relay between client and server records no message text, no nick, no reply, no password", async () => {
  const dir = await Deno.makeTempDir();
  const secret = "the launch code is 0000";
  const recorded = await relayedConversation(
    ["--data-dir", dir],
    ["--accept-new"],
    true,
    secret,
    async (port) =>
      await NativeClient.connectTls(
        port,
        await Deno.readTextFile(`${dir}/tls-cert.pem`),
        "watcher",
        { password: PASSWORD },
      ),
  );
  assert.ok(recorded.length > 1000, `only ${recorded.length} bytes passed the relay`);
  assert.equal(recorded[0], 0x16, "the first byte is not a TLS handshake record");
  for (
    const text of [secret, "launch code", "whisperer", "reply to", '"type"', "hello", PASSWORD]
  ) {
    assert.ok(!contains(recorded, text), `"${text}" crossed the relay in clear`);
  }

  // The same conversation with --plain: the relay does see it, so the check above can fail.
  const plain = await relayedConversation(
    [],
    [],
    false,
    secret,
    (port) => NativeClient.connect(port, "watcher", { password: PASSWORD }),
  );
  assert.ok(contains(plain, secret) && contains(plain, "whisperer") && contains(plain, PASSWORD));
});

/** Runs a foreign text client over TLS, typing `lines` one by one. */
function foreignClient(command: string, args: string[]) {
  return new Deno.Command(command, {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function readUntil(
  stream: ReadableStream<Uint8Array>,
  match: RegExp,
): Promise<{ text: string; reader: ReadableStreamDefaultReader<string> }> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  await within(
    10_000,
    (async () => {
      while (!match.test(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended; got: ${text}`);
        text += value;
      }
    })(),
    `output matching ${match}; got: ${text}`,
  );
  return { text, reader };
}

for (
  const [tool, args] of [
    ["ncat", (port: number) => ["--ssl", "127.0.0.1", String(port)]],
    ["openssl", (port: number) => ["s_client", "-quiet", "-connect", `127.0.0.1:${port}`]],
  ] as const
) {
  Deno.test(`TLS: ${tool} joins a private server in text mode and talks with a native client`, async () => {
    const dir = await Deno.makeTempDir();
    const { server, port } = await tlsServer(dir, ["--password", PASSWORD]);
    await using native = await NativeClient.connectTls(
      port,
      await Deno.readTextFile(`${dir}/tls-cert.pem`),
      "native",
      { password: PASSWORD },
    );
    const child = foreignClient(tool, args(port));
    const stdin = child.stdin.getWriter();
    try {
      const greeting = await readUntil(child.stdout, /Password\? $/);
      assert.match(greeting.text, /Welcome to lanchat\. This server is private\./);
      await stdin.write(encoder.encode(`${PASSWORD}\r\n${tool}user\r\n`));
      await native.next("join", (j) => j.nick === `${tool}user`);
      await stdin.write(encoder.encode(`hello from ${tool}\r\n`));
      const said = await native.next("msg", (m) => m.from === `${tool}user`);
      assert.equal(said.text, `hello from ${tool}`);
      await native.send({ type: "msg", text: "hello back" });
      let seen = greeting.text;
      await within(
        10_000,
        (async () => {
          while (!seen.includes("<native> hello back")) {
            const { value, done } = await greeting.reader.read();
            if (done) throw new Error(`${tool} output ended: ${seen}`);
            seen += value;
          }
        })(),
        `"hello back" at ${tool}`,
      );
      await stdin.write(encoder.encode("/quit\r\n"));
      await native.next("leave", (l) => l.nick === `${tool}user`);
      greeting.reader.cancel().catch(() => {});
    } finally {
      await stdin.close().catch(() => {});
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
      await child.status;
      await child.stderr.cancel().catch(() => {});
    }
    await stopped(server);
  });
}

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

/**
 * A rogue TLS server with its own certificate that relays everything, in
 * clear on its side, to the real server: what a man in the middle, or any
 * server a user happens to visit, could do with a key proof.
 */
async function rogueRelay(realPort: number, realCertificate: string) {
  const own = await loadCertificate({ kind: "memory" });
  const listener = Deno.listenTls({ hostname: "127.0.0.1", port: 0, ...own });
  const pipes: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const victim of listener) {
      const real = await Deno.connectTls({
        hostname: "127.0.0.1",
        port: realPort,
        caCerts: [realCertificate],
      });
      const pump = async (from: Deno.Conn, to: Deno.Conn) => {
        try {
          await from.readable.pipeTo(to.writable);
        } catch {
          // One side went away.
        }
      };
      pipes.push(pump(victim, real), pump(real, victim));
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting.catch(() => {});
    },
  };
}

Deno.test("TLS: a key proof relayed by a rogue server is refused by the real one", async () => {
  const certificate = await loadCertificate({ kind: "memory" });
  const key = await testKey();
  await using server = await startServer({ tls: certificate, operators: [key.fingerprint] });
  const connect = (port: number) =>
    ChatSession.connect({
      host: "127.0.0.1",
      port,
      nick: "ana",
      client: "test",
      identity: key,
      tls: new ServerTrust({ acceptNew: true }),
    });
  // Directly: the key proves itself.
  const direct = await connect(server.addr.port);
  assert.equal(direct.welcome.nick, "ana");
  direct.close();
  await delay(50);
  // Through the rogue: the signature names the rogue's certificate, not the real one's.
  await using rogue = await rogueRelay(server.addr.port, certificate.cert);
  const relayed = await connect(rogue.port).then(() => undefined, (error) => error);
  assert.ok(relayed instanceof RefusedError, String(relayed));
  assert.equal(relayed.code, "access_denied");
  assert.match(relayed.message, /the key proof did not verify/);
  assert.equal(server.hub.size, 0);
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
