/**
 * chat-client finds chat-server on a LAN of two network namespaces of the
 * test's own (server in one, client in the other): `--list` shows it with
 * its port and TXT, `chat-client` with no address joins it, `--server`
 * follows it to a new address after a restart, and an announcement whose
 * fingerprint is not the certificate the server presents is refused. No
 * multicast ever leaves these namespaces.
 */

import assert from "node:assert/strict";
import { type EntryProcess, ROOT, runEntry } from "./_entry_process.ts";
import { type LanSide, NetPair } from "./_net_namespace.ts";

/** Starts a TLS `server.ts` on `side` with `args` and waits until it is announced. */
async function startServer(side: LanSide, args: string[]): Promise<EntryProcess> {
  const server = runEntry("server", ["--port", "0", ...args], { netns: side.netns, tls: true });
  await server.waitStdout((line) => line.startsWith("open "));
  return server;
}

/**
 * Stops "office" on side a and starts it again, with the same data, on
 * 10.77.0.9 instead of side a's address (a new DHCP lease).
 */
async function moveServer(
  lan: NetPair,
  first: EntryProcess,
  dataDir: string,
): Promise<EntryProcess> {
  first.kill("SIGINT");
  assert.equal((await first.finished()).code, 0);
  await first[Symbol.asyncDispose]();
  // (In this order: deleting an interface's first address deletes the others of its subnet.)
  await lan.removeAddress(lan.a, lan.a.address);
  await lan.addAddress(lan.a, "10.77.0.9");
  const args = ["--name", "office", "--data-dir", dataDir, "--host", "10.77.0.9"];
  return await startServer(lan.a, args);
}

function portOf(server: EntryProcess): number {
  const line = server.stdout.find((line) => line.startsWith("listening on "))!;
  return Number(line.split(":").at(-1));
}

function fingerprintOf(server: EntryProcess): string {
  return /^TLS fingerprint (\S+)$/.exec(
    server.stdout.find((line) => line.startsWith("TLS fingerprint "))!,
  )![1];
}

/** A client on `side`, TLS on, in a fresh config directory. */
function client(side: LanSide, args: string[], stdin: "piped" | "null" = "null"): EntryProcess {
  return runEntry("client", args, { netns: side.netns, tls: true, stdin });
}

Deno.test("chat-client --list finds the server in the other namespace with its port and TXT, as lines and as JSON", async () => {
  await using lan = await NetPair.create();
  await using server = await startServer(lan.a, ["--name", "office"]);
  const port = portOf(server);
  const fingerprint = fingerprintOf(server);
  const started = performance.now();
  const list = client(lan.b, ["--list"]);
  assert.equal((await list.finished()).code, 0, list.stderr.join("\n"));
  console.log(
    `--list answered in ${Math.round(performance.now() - started)} ms (process start included)`,
  );
  assert.deepEqual(list.stdout, [`office\t${lan.a.address}:${port}\ttls\topen\t${fingerprint}`]);

  const json = client(lan.b, ["--list", "--json"]);
  assert.equal((await json.finished()).code, 0, json.stderr.join("\n"));
  assert.deepEqual(JSON.parse(json.stdout.join("\n")), [{
    name: "office",
    addresses: [lan.a.address],
    port,
    tls: true,
    fingerprint,
    password: false,
    web: true,
    version: 1,
  }]);
});

Deno.test("chat-client --list with no server on the LAN says so and exits 1", async () => {
  await using lan = await NetPair.create();
  await using _server = await startServer(lan.a, ["--no-discovery"]);
  const list = client(lan.b, ["--list"]);
  assert.equal((await list.finished()).code, 1);
  assert.deepEqual(list.stdout, []);
  assert.match(
    list.stderr.join("\n"),
    /no lanchat server answered on the LAN within 1 s; give --host/,
  );
  assert.match(list.stderr.join("\n"), /without --no-discovery/);
});

Deno.test("chat-client with no --host says it is looking, finds the only server and joins it", async () => {
  await using lan = await NetPair.create();
  await using _server = await startServer(lan.a, ["--name", "office"]);
  await using ana = client(lan.b, ["--nick", "ana", "--accept-new"], "piped");
  await ana.write("hello from the other namespace\n");
  await ana.waitStdout((line) => line.endsWith("<ana> hello from the other namespace"));
  assert.equal(ana.stderr[0], "looking for servers on the LAN...");
  const found = ana.stderr.find((line) => line.startsWith("found "));
  assert.match(found ?? "", /^found "office" at 10\.77\.0\.1:\d+ \(in \d+ ms\)$/);
  console.log(found);
  await ana.closeStdin();
  assert.equal((await ana.finished()).code, 0, ana.stderr.join("\n"));
});

Deno.test("in line mode, several servers are listed with how to choose; --server picks one by name", async () => {
  await using lan = await NetPair.create();
  await using _office = await startServer(lan.a, ["--name", "office"]);
  await using lab = await startServer(lan.a, ["--name", "lab"]);
  const refused = client(lan.b, ["--nick", "ana", "--accept-new"]);
  assert.equal((await refused.finished()).code, 1);
  const said = refused.stderr.join("\n");
  assert.match(said, /chat-client: 2 servers answered on the LAN; choose one with --server <name>/);
  assert.match(said, /^ {2}lab\t/m);
  assert.match(said, /^ {2}office\t/m);

  await using ana = client(lan.b, ["--server", "lab", "--nick", "ana", "--accept-new"], "piped");
  await ana.write("/quit\n");
  assert.equal((await ana.finished()).code, 0, ana.stderr.join("\n"));
  assert.ok(
    ana.stderr.some((line) => line.startsWith(`found "lab" at ${lan.a.address}:${portOf(lab)} `)),
    ana.stderr.join("\n"),
  );
});

Deno.test("--server follows the server to its new address and port after a restart", async () => {
  await using lan = await NetPair.create();
  const dataDir = Deno.makeTempDirSync({ prefix: "lanchat-moving-" });
  const first = await startServer(lan.a, ["--name", "office", "--data-dir", dataDir]);
  await using ana = client(lan.b, ["--server", "office", "--nick", "ana", "--accept-new"], "piped");
  await ana.write("before the move\n");
  await ana.waitStdout((line) => line.endsWith("<ana> before the move"));

  // A new DHCP lease: the server comes back on another address (and port).
  await using second = await moveServer(lan, first, dataDir);
  await ana.write("after the move\n");
  await ana.waitStdout((line) => line.endsWith("<ana> after the move"), 40_000);
  assert.ok(second.stdout.some((line) => line.startsWith("listening on 10.77.0.9:")));
  await ana.closeStdin();
  assert.equal((await ana.finished()).code, 0, ana.stderr.join("\n"));
});

Deno.test("an announcement with another fingerprint than the server's certificate is refused, with the explanation", async () => {
  await using lan = await NetPair.create();
  await using server = await startServer(lan.a, ["--no-discovery"]);
  const port = portOf(server);
  const spoofed = "SHA256:5hukloa7MPlonWd4lc8QvhibOvLMtW6Wh6FOM3yPhCg";
  assert.notEqual(fingerprintOf(server), spoofed);
  const publisher = await spoofAnnounce(lan.a, port, ["tls=1", `fp=${spoofed}`]);
  try {
    const ana = client(lan.b, ["--nick", "ana", "--accept-new"], "piped");
    await ana.write("a secret\n");
    assert.equal((await ana.finished()).code, 1, ana.stderr.join("\n"));
    const said = ana.stderr.join("\n");
    assert.match(
      said,
      /DOES NOT PRESENT THE CERTIFICATE ANNOUNCED FOR "office"; refusing to connect/,
    );
    assert.ok(said.includes(`says its certificate is ${spoofed}`), said);
    assert.ok(said.includes(`presented ${fingerprintOf(server)}`), said);
    assert.ok(!server.stderr.some((line) => /event=join/.test(line)), "nothing was sent");
  } finally {
    await stopAnnouncing(publisher);
  }
});

/**
 * Announces "office" at `side`'s address and `port` with the TXT pairs
 * given (after v=1, and before pw=0 web=1), as a stranger's script on the LAN
 * could; resolves once it is published.
 */
async function spoofAnnounce(
  side: LanSide,
  port: number,
  pairs: string[],
): Promise<Deno.ChildProcess> {
  const script = new URL("./_spoof_announce.ts", import.meta.url).pathname;
  const [command, args] = side.netns.wrap(Deno.execPath(), [
    "run",
    "-q",
    "-A",
    script,
    side.address,
    String(port),
    "office",
    "v=1",
    ...pairs,
    "pw=0",
    "web=1",
  ]);
  const publisher = new Deno.Command(command, {
    args,
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = publisher.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const first = await reader.read();
  assert.match(first.value ?? "", /published/);
  reader.releaseLock();
  return publisher;
}

async function stopAnnouncing(publisher: Deno.ChildProcess): Promise<void> {
  await publisher.stdin.close().catch(() => {});
  await publisher.stdout.cancel().catch(() => {});
  await publisher.status;
}

Deno.test("an announcement of an unencrypted server does not turn TLS off: refused unless --plain", async () => {
  await using lan = await NetPair.create();
  const plain = runEntry("server", ["--port", "0", "--plain", "--no-discovery"], {
    netns: lan.a.netns,
  });
  await using _plain = plain;
  await plain.waitStdout((line) => line.startsWith("open "));
  const publisher = await spoofAnnounce(lan.a, portOf(plain), ["tls=0"]);
  try {
    const ana = client(lan.b, ["--server", "office", "--nick", "ana", "--accept-new"], "piped");
    await ana.write("a secret\n");
    assert.equal((await ana.finished()).code, 1, ana.stderr.join("\n"));
    assert.match(
      ana.stderr.join("\n"),
      /announces itself as unencrypted .*refusing to join it without TLS/s,
    );
    assert.ok(!plain.stderr.some((line) => /event=join/.test(line)), "nothing was sent");
    // Asked for, it joins.
    const bob = client(lan.b, ["--server", "office", "--nick", "bob", "--plain"], "piped");
    await bob.waitStdout((line) => line.startsWith("Welcome to lanchat, bob!"));
    await bob.closeStdin();
    assert.equal((await bob.finished()).code, 0, bob.stderr.join("\n"));
  } finally {
    await stopAnnouncing(publisher);
  }
});

Deno.test("chat-client alone goes back to the last server, and finds it by its name when its address changed", async () => {
  await using lan = await NetPair.create();
  const dataDir = Deno.makeTempDirSync({ prefix: "lanchat-moving-" });
  const configDir = Deno.makeTempDirSync({ prefix: "lanchat-client-" });
  const first = await startServer(lan.a, ["--name", "office", "--data-dir", dataDir]);
  {
    await using ana = client(
      lan.b,
      ["--config-dir", configDir, "--nick", "ana", "--accept-new"],
      "piped",
    );
    await ana.write("/join #dev\nbefore the move\n");
    await ana.closeStdin();
    assert.equal((await ana.finished()).code, 0, ana.stderr.join("\n"));
  }
  await using _second = await moveServer(lan, first, dataDir);
  // No address, no name, no --accept-new: the remembered server, found again, same nick and rooms.
  await using again = client(lan.b, ["--config-dir", configDir], "piped");
  await again.write("after the move\n");
  await again.closeStdin();
  assert.equal((await again.finished()).code, 0, again.stderr.join("\n"));
  const said = again.stderr.join("\n");
  assert.match(said, /the last server, 10\.77\.0\.1:\d+, does not answer; looking for "office"/);
  assert.match(said, /the same server at a new address/);
  assert.ok(again.stdout.includes("Welcome to office, ana!"), again.stdout.join("\n"));
  assert.ok(
    again.stdout.some((line) => line.endsWith("<ana> after the move")),
    again.stdout.join("\n"),
  );
  assert.ok(
    again.stdout.some((line) => line.startsWith("You are in #dev")),
    again.stdout.join("\n"),
  );
});
