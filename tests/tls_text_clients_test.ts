/**
 * TLS with foreign text clients: ncat --ssl and openssl s_client join a
 * private server in text mode and talk with a native client.
 */

import assert from "node:assert/strict";
import { NativeClient } from "./_native_client.ts";
import { stopped, tlsServer } from "./_tls_server.ts";
import { within } from "./_waiting.ts";

const encoder = new TextEncoder();

const PASSWORD = "correct horse battery staple";

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
