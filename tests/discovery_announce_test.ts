/**
 * chat-server on a LAN of two network namespaces of the test's own: seen
 * by a foreign DNS-SD browser (Debian's python3-zeroconf) in the other
 * namespace, gone when it says goodbye, renamed when its name is taken; and
 * silent, with no multicast socket at all, when bound to loopback or given
 * `--no-discovery`. No multicast ever leaves these namespaces.
 */

import assert from "node:assert/strict";
import { type EntryProcess, runEntry } from "./_entry_process.ts";
import { type NetNamespace, NetPair } from "./_net_namespace.ts";
import { ZeroconfBrowser } from "./_zeroconf_browser.ts";

/** Starts `server.ts` in `netns` with `args` and waits for its last start line. */
async function startServer(netns: NetNamespace, args: string[]): Promise<EntryProcess> {
  const server = runEntry("server", ["--port", "0", ...args], { netns, tls: true });
  await server.waitStdout((line) => line.startsWith("open "));
  return server;
}

function portOf(server: EntryProcess): number {
  const line = server.stdout.find((line) => line.startsWith("listening on "))!;
  return Number(line.split(":").at(-1));
}

/** Whether a UDP socket on port 5353 (mDNS) is open in `netns` (its /proc/net/udp). */
async function mdnsSocketOpen(netns: NetNamespace): Promise<boolean> {
  const [command, args] = netns.wrap("cat", ["/proc/net/udp"]);
  const out = await new Deno.Command(command, { args, stdout: "piped" }).output();
  assert.ok(out.success, "cannot read /proc/net/udp in the namespace");
  // "  12: 00000000:14E9 00000000:0000 07 ...": the local address and port, in hex.
  return new TextDecoder().decode(out.stdout).split("\n").some((line) =>
    /^\s*\d+: [0-9A-F]{8}:14E9 /.test(line)
  );
}

Deno.test("a server on every interface is found from the other namespace by python3-zeroconf, with its address, port and TXT, and goodbye removes it", async () => {
  await using lan = await NetPair.create();
  await using browser = new ZeroconfBrowser(lan.b.netns, lan.b.address, "_lanchat._tcp");
  await browser.ready();
  const started = performance.now();
  const server = await startServer(lan.a.netns, ["--name", "office"]);
  await using _server = server;
  const fingerprint = /^TLS fingerprint (\S+)$/.exec(
    server.stdout.find((line) => line.startsWith("TLS fingerprint "))!,
  )![1];
  const added = await browser.waitFor((event) => event.event === "added");
  console.log(`first announcement seen ${Math.round(added.at - started)} ms after the start`);
  assert.equal(added.name, "office._lanchat._tcp.local.");
  assert.ok(added.addresses!.includes(lan.a.address), JSON.stringify(added.addresses));
  assert.ok(!added.addresses!.some((a) => a.startsWith("127.") || a === "::1"));
  assert.equal(added.port, portOf(server));
  assert.deepEqual(added.txt, { v: "1", tls: "1", fp: fingerprint, pw: "0", web: "1" });
  assert.ok(server.stderr.some((line) => /event=announce name=office .*on=lanchat0/.test(line)));

  server.kill("SIGINT");
  assert.equal((await server.finished()).code, 0);
  await browser.waitFor((event) => event.event === "removed" && event.name === added.name, 5_000);
});

Deno.test("the web page is announced as _http._tcp under the same name with --plain, and a private server says pw=1", async () => {
  await using lan = await NetPair.create();
  await using chat = new ZeroconfBrowser(lan.b.netns, lan.b.address, "_lanchat._tcp");
  await using page = new ZeroconfBrowser(lan.b.netns, lan.b.address, "_http._tcp");
  await Promise.all([chat.ready(), page.ready()]);
  await using server = runEntry("server", ["--port", "0", "--name", "team", "--password", "pw"], {
    netns: lan.a.netns,
  });
  await server.waitStdout((line) => line.startsWith("open http://"));
  const web = await page.waitFor((event) => event.event === "added");
  assert.equal(web.name, "team._http._tcp.local.");
  assert.equal(web.port, portOf(server));
  const added = await chat.waitFor((event) => event.event === "added");
  assert.deepEqual(added.txt, { v: "1", tls: "0", pw: "1", web: "1" });
});

Deno.test("a second server with a taken name is renamed 'name (2)', as DNS-SD prescribes", async () => {
  await using lan = await NetPair.create();
  await using browser = new ZeroconfBrowser(lan.b.netns, lan.b.address, "_lanchat._tcp");
  await browser.ready();
  await using _first = await startServer(lan.a.netns, ["--name", "office"]);
  await browser.waitFor((event) => event.event === "added" && event.name!.startsWith("office."));
  await using second = await startServer(lan.b.netns, ["--name", "office"]);
  await second.waitStderr((line) =>
    /event=announce_renamed name="office \(2\)" taken=office/.test(line)
  );
  const renamed = await browser.waitFor((event) =>
    event.event === "added" && event.name === "office (2)._lanchat._tcp.local."
  );
  assert.ok(renamed.addresses!.includes(lan.b.address));
});

Deno.test("a server bound to loopback, or given --no-discovery, opens no multicast socket and announces nothing", async () => {
  await using lan = await NetPair.create();
  // The check can fail: a server on every interface has the mDNS socket open.
  {
    await using server = await startServer(lan.a.netns, []);
    assert.equal(await mdnsSocketOpen(lan.a.netns), true);
    server.kill("SIGINT");
    await server.finished();
  }
  assert.equal(await mdnsSocketOpen(lan.a.netns), false);
  for (const args of [["--host", "127.0.0.1"], ["--host", "::1"], ["--no-discovery"]]) {
    await using server = await startServer(lan.a.netns, args);
    assert.equal(await mdnsSocketOpen(lan.a.netns), false, args.join(" "));
    assert.ok(!server.stderr.some((line) => line.includes("event=announce")), args.join(" "));
    server.kill("SIGINT");
    assert.equal((await server.finished()).code, 0);
  }
});
