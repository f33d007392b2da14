/**
 * SASL over real TLS sockets on 127.0.0.1: PLAIN carries a private server's
 * password; EXTERNAL takes the key of the TLS client certificate (made by
 * openssl here: Ed25519, RSA, ECDSA; and from a lanchat identity) as the
 * member's key, so a registered nick is refused without the certificate
 * and accepted with it.
 */

import assert from "node:assert/strict";
import { loadIdentity } from "../lib/client/identity.ts";
import { ircCertificate } from "../lib/client/irc_certificate.ts";
import { fingerprintOf } from "../lib/protocol/fingerprint.ts";
import { startServer } from "./_in_process_server.ts";
import { clientCertificate, Irc, serverCertificate } from "./_irc_tls.ts";
import { NativeClient } from "./_native_client.ts";

const b64 = (text: string) => new TextEncoder().encode(text).toBase64();

Deno.test("SASL PLAIN carries a private server's password: right gets 903, wrong gets 904 and ERROR", async () => {
  await using server = await startServer({
    tls: serverCertificate,
    password: "hunter2",
    passwordGate: { baseDelayMs: 1, maxDelayMs: 2 },
  });
  await using good = await Irc.tls(server);
  await good.send("CAP LS 302");
  const ls = await good.command("CAP");
  assert.match(ls, / sasl=PLAIN,EXTERNAL(\s|$)/);
  await good.saslStart("ana", "PLAIN");
  await good.send(`AUTHENTICATE ${b64("\0ana\0hunter2")}`);
  assert.match(await good.command("903"), /^:lanchat 903 \* :SASL authentication successful$/);
  assert.ok(!good.lines.some((l) => l.split(" ")[1] === "001"), "no 001 before CAP END");
  await good.send("CAP END");
  await good.command("001");

  await using bad = await Irc.tls(server);
  await bad.saslStart("bo", "PLAIN");
  await bad.send(`AUTHENTICATE ${b64("bo\0bo\0wrong")}`);
  assert.match(await bad.command("904"), /wrong password/);
  await bad.waitLine((l) => l.startsWith("ERROR "));
  await bad.waitEnd();
});

Deno.test("SASL PLAIN refuses an authzid other than the authcid, an unknown mechanism, and a too long chunk", async () => {
  await using server = await startServer({ tls: serverCertificate });
  await using irc = await Irc.tls(server);
  await irc.saslStart("ana", "PLAIN");
  await irc.send(`AUTHENTICATE ${b64("root\0ana\0x")}`);
  assert.match(await irc.command("904"), /authorization identities/);
  let from = irc.lines.length;
  await irc.send("AUTHENTICATE SCRAM-SHA-256");
  assert.equal(
    await irc.command("908", from),
    ":lanchat 908 * PLAIN,EXTERNAL :are available SASL mechanisms",
  );
  await irc.command("904", from);
  from = irc.lines.length;
  await irc.send("AUTHENTICATE PLAIN", `AUTHENTICATE ${"A".repeat(401)}`);
  await irc.command("905", from);
  from = irc.lines.length;
  await irc.send("AUTHENTICATE PLAIN", "AUTHENTICATE *");
  await irc.command("906", from);
  // On an open server there is no password to check: PLAIN succeeds, nobody is logged in.
  from = irc.lines.length;
  await irc.send("AUTHENTICATE PLAIN", `AUTHENTICATE ${b64("\0ana\0anything")}`, "CAP END");
  await irc.command("903", from);
  await irc.command("001", from);
  assert.ok(!irc.lines.some((l) => l.split(" ")[1] === "900"));
  from = irc.lines.length;
  await irc.send("AUTHENTICATE PLAIN");
  await irc.command("907", from);
});

Deno.test("SASL EXTERNAL with an Ed25519 certificate: its raw key is the lanchat key; a registered nick needs it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const ed = await clientCertificate(dir, "ana", ["-newkey", "ed25519"]);
    const fingerprint = await fingerprintOf(ed.spki.subarray(ed.spki.length - 32));
    await using server = await startServer({ tls: serverCertificate });
    await using owner = await Irc.tls(server, ed);
    await owner.saslStart("ana", "EXTERNAL");
    await owner.send("AUTHENTICATE +");
    assert.equal(
      await owner.command("900"),
      `:lanchat 900 * ana!ana@lanchat ${fingerprint} :You are now logged in as ${fingerprint}`,
    );
    await owner.command("903");
    await owner.send("CAP END");
    await owner.command("001");
    await owner.send("REGISTER", "WHOIS ana");
    await owner.waitLine((l) => l.includes("is now registered to your key"));
    assert.match(await owner.command("276"), new RegExp(fingerprint.replace(/[+/]/g, "\\$&")));

    // Without the certificate: EXTERNAL fails (904), and the nick is refused (433) with lanchat's reason.
    await using stranger = await Irc.tls(server);
    await stranger.saslStart("ana", "EXTERNAL");
    await stranger.send("AUTHENTICATE +");
    assert.match(await stranger.command("904"), /No TLS client certificate/);
    await stranger.send("CAP END");
    assert.match(await stranger.command("433"), /Nick "ana" is registered/);

    // With it, from a second connection: the same key takes the nick back (the ghost is replaced).
    await using again = await Irc.tls(server, ed);
    await again.saslStart("ana", "EXTERNAL");
    await again.send("AUTHENTICATE +", "CAP END");
    await again.command("903");
    assert.match(await again.command("001"), / 001 ana /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SASL EXTERNAL with RSA and ECDSA certificates: the SHA-256 of the SubjectPublicKeyInfo names the key", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using server = await startServer({ tls: serverCertificate });
    for (
      const [name, args] of [
        ["rsa", ["-newkey", "rsa:2048"]],
        ["ec", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]],
      ] as const
    ) {
      const made = await clientCertificate(dir, name, [...args]);
      const fingerprint = await fingerprintOf(made.spki);
      await using irc = await Irc.tls(server, made);
      await irc.saslStart(name, "EXTERNAL");
      // An authzid other than the key's fingerprint is refused; the fingerprint itself is accepted.
      await irc.send(`AUTHENTICATE ${b64("someone")}`);
      assert.match(await irc.command("904"), /authzid must be empty/);
      const from = irc.lines.length;
      await irc.send("AUTHENTICATE EXTERNAL", `AUTHENTICATE ${b64(fingerprint)}`);
      assert.ok((await irc.command("900", from)).includes(` ${fingerprint} `));
      await irc.send("CAP END");
      await irc.command("001");
      await irc.send(`WHOIS ${name}`);
      assert.ok((await irc.command("276")).includes(fingerprint));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a certificate made from a chat-client identity owns the nick that chat-client registered", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const identity = await loadIdentity(dir);
    const pem = await ircCertificate(await Deno.readTextFile(identity.path!), "ana");
    await using server = await startServer({ tls: serverCertificate });
    const native = await NativeClient.connectTls(server.addr.port, serverCertificate.cert, "ana", {
      key: identity,
    });
    await native.send({ type: "cmd", name: "register", args: "" });
    await native.next("notice", (e) => e.message.includes("now registered"));
    await native.close();
    // irssi reads certificate and key from one file; Deno wants them apart.
    const cert = pem.slice(0, pem.indexOf("-----BEGIN PRIVATE KEY-----"));
    await using irc = await Irc.tls(server, { cert, key: pem.slice(cert.length) });
    await irc.saslStart("ana", "EXTERNAL");
    await irc.send("AUTHENTICATE +", "CAP END");
    assert.ok((await irc.command("900")).includes(` ${identity.fingerprint} `));
    assert.match(await irc.command("001"), / 001 ana /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a plain connection cannot use SASL EXTERNAL: 904, and registration goes on without a key", async () => {
  await using server = await startServer();
  await using plain = await Irc.plain(server);
  await plain.saslStart("ana", "EXTERNAL");
  await plain.send("AUTHENTICATE +");
  assert.match(await plain.command("904"), /No TLS client certificate/);
  await plain.send("CAP END");
  await plain.command("001");
  await plain.send("WHOIS ana");
  await plain.command("318");
  assert.ok(!plain.lines.some((l) => l.split(" ")[1] === "276"), plain.lines.join("\n"));
});

Deno.test("a native client cannot ask for the TLS certificate's key: the frame is not part of its protocol", async () => {
  await using server = await startServer({ tls: serverCertificate });
  const native = await NativeClient.connectTls(server.addr.port, serverCertificate.cert);
  await native.send({ type: "external", authzid: "" } as never);
  await native.next("error", (e) => e.code === "unknown_type");
  await native.close();
});
