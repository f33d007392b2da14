/**
 * Addresses as people write them: IPv6 in brackets everywhere (or not, as
 * typed), an address the machine does not have refused before anything is
 * written, and text clients given a person's time to type.
 */

import assert from "node:assert/strict";
import { runEntry } from "./_entry_process.ts";
import { startServer } from "./_in_process_server.ts";
import { TextClient } from "./_text_client.ts";

Deno.test("chat-server --host ::1 listens on IPv6 loopback and prints it in brackets; chat-client joins with [::1] and ::1 alike", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lanchat-v6-" });
  try {
    const server = runEntry("server", ["--host", "::1", "--port", "0", "--data-dir", dir], {
      tls: true,
    });
    await using _ = server;
    const line = await server.waitStdout((line) => line.startsWith("listening on "));
    assert.match(line, /^listening on \[::1\]:\d+$/);
    const port = Number(line.split(":").at(-1));
    const config = await Deno.makeTempDir({ prefix: "lanchat-v6-client-" });
    for (const host of ["[::1]", "::1", `[::1]:${port}`]) {
      const args = ["--host", host, "--nick", "ana", "--config-dir", config, "--accept-new"];
      const client = runEntry(
        "client",
        host.includes("]:") ? args : [...args, "--port", `${port}`],
        {
          tls: true,
          stdin: "piped",
        },
      );
      await using _client = client;
      await client.write("hi\n");
      await client.closeStdin();
      const status = await client.finished();
      assert.equal(status.code, 0, client.stderr.join("\n"));
      assert.ok(client.stdout.includes("Welcome to lanchat, ana!"), client.stdout.join("\n"));
    }
    // One entry, in brackets, however the host was written.
    const known = (await Deno.readTextFile(`${config}/known_hosts`)).split("\n")
      .filter((line) => line && !line.startsWith("#"));
    assert.equal(known.length, 1, known.join("\n"));
    assert.match(known[0], new RegExp(`^\\[::1\\]:${port} SHA256:`));
    await Deno.remove(config, { recursive: true });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("chat-client names an IPv6 server in brackets when it cannot reach it", async () => {
  const probe = Deno.listen({ hostname: "::1", port: 0 });
  const port = probe.addr.port;
  probe.close(); // Nothing listens there now.
  const client = runEntry("client", ["--host", "::1", "--port", `${port}`, "--nick", "ana"], {
    stdin: "piped",
  });
  await using _ = client;
  await client.closeStdin();
  const status = await client.finished();
  assert.equal(status.code, 1);
  assert.deepEqual(client.stderr, [
    `chat-client: cannot reach [::1]:${port}: connection refused`,
  ]);
});

Deno.test("chat-server --host with an address this machine does not have exits 2 before writing anything", async () => {
  const home = await Deno.makeTempDir({ prefix: "lanchat-nohost-" });
  try {
    const dataDir = `${home}/data`;
    const server = runEntry("server", ["--host", "10.99.99.99", "--data-dir", dataDir], {
      tls: true,
    });
    await using _ = server;
    const status = await server.finished();
    assert.equal(status.code, 2);
    assert.deepEqual(server.stderr, [
      "chat-server: --host 10.99.99.99: this machine has no address 10.99.99.99",
    ]);
    assert.deepEqual(server.stdout, []);
    // No certificate, no database, not even the directory.
    await assert.rejects(Deno.stat(dataDir), Deno.errors.NotFound);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("a person at nc gets --prompt-timeout to type a nick; a program gets --handshake-timeout", async () => {
  await using server = await startServer({
    handshakeTimeoutMs: 300,
    promptTimeoutMs: 3000,
    textPromptDelayMs: 50,
  });
  const port = server.addr.port;
  await using person = await TextClient.connect(port);
  await person.waitLine((line) => line.includes("Pick a nick"));
  // A program that says nothing useful is closed after the handshake timeout.
  await using program = await TextClient.connect(port);
  const native = await Deno.connect({ hostname: "127.0.0.1", port });
  await native.write(new TextEncoder().encode('{"type":"ping"}\n'));
  const buffer = new Uint8Array(4096);
  let answer = "";
  for (let n; (n = await native.read(buffer).catch(() => null)) !== null;) {
    answer += new TextDecoder().decode(buffer.subarray(0, n));
  }
  native.close();
  assert.match(answer, /Did not join within 0\.3 s/);
  // The person, slower than that, still gets in.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await person.sendLine("ana");
  await person.waitLine((line) => line === "Welcome to lanchat, ana!");
  // And a person who never answers is told why, after the prompt timeout.
  await program.waitLine((line) => line === "! Did not join within 3 s; closing", 0, 6000);
  await program.waitEnd();
});
