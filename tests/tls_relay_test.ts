/**
 * TLS against whoever sits on the path: a relay sees no message text, no
 * nick and no password, and a rogue server cannot reuse a key proof it
 * relays to the real one.
 */

import assert from "node:assert/strict";
import { loadCertificate } from "../lib/server/tls_certificate.ts";
import { ChatSession, RefusedError } from "../lib/client/chat_session.ts";
import { ServerTrust } from "../lib/client/server_trust.ts";
import { runClient, runServer } from "./_entry_process.ts";
import { startServer } from "./_in_process_server.ts";
import { NativeClient, testKey } from "./_native_client.ts";
import { stopped } from "./_tls_server.ts";
import { delay } from "./_waiting.ts";

const encoder = new TextEncoder();

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
