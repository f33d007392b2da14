import assert from "node:assert/strict";
import { knownHostName, KnownHosts } from "./known_hosts.ts";
import { ServerTrust, UntrustedServerError } from "./server_trust.ts";
import { fingerprintOf } from "../protocol/fingerprint.ts";

const certA = new TextEncoder().encode("certificate A");
const certB = new TextEncoder().encode("certificate B");

function tempKnownHosts(): KnownHosts {
  return KnownHosts.in(`${Deno.makeTempDirSync()}/config`);
}

Deno.test("knownHostName: lower-case host and port, IPv6 in brackets", () => {
  assert.equal(knownHostName("Chat.LAN", 7777), "chat.lan:7777");
  assert.equal(knownHostName("192.168.1.5", 7000), "192.168.1.5:7000");
  assert.equal(knownHostName("fe80::1", 7777), "[fe80::1]:7777");
});

Deno.test("KnownHosts: add, look up with line numbers, forget; the directory is created owner-only", () => {
  const known = tempKnownHosts();
  assert.equal(known.lookup("a:1"), undefined);
  known.add("a:1", "SHA256:aaa");
  known.add("b:2", "SHA256:bbb");
  assert.deepEqual(known.lookup("b:2"), { fingerprint: "SHA256:bbb", line: 3 });
  assert.equal(known.lookup("a:2"), undefined);
  if (Deno.build.os !== "windows") {
    assert.equal(Deno.statSync(known.path.replace(/\/known_hosts$/, "")).mode! & 0o777, 0o700);
  }
  assert.equal(known.forget("a:1"), 1);
  assert.equal(known.forget("a:1"), 0);
  assert.equal(known.lookup("a:1"), undefined);
  assert.deepEqual(known.lookup("b:2")?.fingerprint, "SHA256:bbb");
  assert.match(Deno.readTextFileSync(known.path), /^# .*\nb:2 SHA256:bbb\n$/);
});

Deno.test("ServerTrust: a new server is refused without acceptNew, with its fingerprint and the way out", async () => {
  const known = tempKnownHosts();
  const trust = new ServerTrust({ knownHosts: known, acceptNew: false });
  const error = await trust.check("h:1", certA).then(() => undefined, (e) => e);
  assert.ok(error instanceof UntrustedServerError);
  assert.equal(error.code, "untrusted_server");
  assert.ok(error.message.includes(await fingerprintOf(certA)));
  assert.match(error.message, /--accept-new/);
  assert.equal(known.lookup("h:1"), undefined);
});

Deno.test("ServerTrust: first use records and tells; the same certificate passes; another is refused loudly", async () => {
  const known = tempKnownHosts();
  const notices: string[] = [];
  const trust = new ServerTrust({
    knownHosts: known,
    acceptNew: true,
    onNotice: (n) => notices.push(n),
  });
  await trust.check("h:1", certA);
  assert.equal(known.lookup("h:1")?.fingerprint, await fingerprintOf(certA));
  assert.equal(notices.length, 1);
  assert.match(notices[0], /^New server h:1: trusting its certificate SHA256:/);
  await trust.check("h:1", certA);
  assert.equal(notices.length, 1);

  // A later run (a new ServerTrust) reads the file.
  const later = new ServerTrust({ knownHosts: known, acceptNew: true });
  const error = await later.check("h:1", certB).then(() => undefined, (e) => e);
  assert.ok(error instanceof UntrustedServerError);
  assert.match(error.message, /THE IDENTITY OF h:1 HAS CHANGED/);
  assert.ok(error.message.includes(`but you trusted ${await fingerprintOf(certA)}`));
  assert.match(error.message, /known_hosts line 2/);
  assert.match(error.message, /chat-client --forget-host h:1/);
  // acceptNew never overrides a mismatch.
  assert.equal(known.lookup("h:1")?.fingerprint, await fingerprintOf(certA));
});

Deno.test("ServerTrust: without a config directory a session still holds reconnects to the first certificate", async () => {
  const notices: string[] = [];
  const trust = new ServerTrust({ acceptNew: true, onNotice: (n) => notices.push(n) });
  await trust.check("h:1", certA);
  assert.match(notices[0], /not saved \(no config directory\)/);
  await assert.rejects(trust.check("h:1", certB), /HAS CHANGED[\s\S]*earlier in this session/);
});

Deno.test("ServerTrust: a pinned fingerprint is the only one trusted, whatever known_hosts says", async () => {
  const known = tempKnownHosts();
  known.add("h:1", await fingerprintOf(certB));
  const trust = new ServerTrust({
    knownHosts: known,
    pinned: await fingerprintOf(certA),
    acceptNew: true,
  });
  await trust.check("h:1", certA);
  await assert.rejects(trust.check("h:1", certB), /not SHA256:.* given with --fingerprint/);
});

Deno.test("ServerTrust: a server found by name presenting a certificate trusted at another address is trusted there too; others are still new", async () => {
  const known = tempKnownHosts();
  known.add("10.0.0.1:7777", await fingerprintOf(certA));
  const notices: string[] = [];
  const moving = new ServerTrust({
    knownHosts: known,
    acceptNew: false,
    mayMove: true,
    onNotice: (n) => notices.push(n),
  });
  await moving.check("10.0.0.5:7777", certA);
  assert.equal(known.lookup("10.0.0.5:7777")?.fingerprint, await fingerprintOf(certA));
  assert.match(notices[0], /trusted for 10\.0\.0\.1:7777 .*the same server at a new address/);
  // Another certificate at a new address is a first use, refused without --accept-new.
  await assert.rejects(moving.check("10.0.0.6:7777", certB), UntrustedServerError);
  // Without mayMove (an address given by hand), the known certificate does not carry over.
  const fixed = new ServerTrust({ knownHosts: known, acceptNew: false });
  await assert.rejects(fixed.check("10.0.0.7:7777", certA), UntrustedServerError);
});
