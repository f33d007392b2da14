/**
 * An operator on IRC: the key of a TLS client certificate (SASL EXTERNAL)
 * is named with `--op`, so KICK and MODE +b/-b act as /kick, /ban and
 * /unban do; the IRC port (`--irc-port`) over TLS is the way in.
 */

import assert from "node:assert/strict";
import { fingerprintOf } from "../lib/protocol/fingerprint.ts";
import { startServer } from "./_in_process_server.ts";
import { clientCertificate, Irc, serverCertificate } from "./_irc_tls.ts";

/** NICK, USER and CAP END (no SASL); waits for the 001. */
async function join(irc: Irc, nick: string): Promise<void> {
  await irc.send(`NICK ${nick}`, `USER ${nick} 0 * :${nick}`);
  await irc.command("001");
  await irc.command("366");
}

Deno.test("an operator's certificate on the TLS IRC port: KICK and MODE +b/-b act as /kick, /ban and /unban", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const op = await clientCertificate(dir, "op", ["-newkey", "ed25519"]);
    const fingerprint = await fingerprintOf(op.spki.subarray(op.spki.length - 32));
    await using server = await startServer({
      tls: serverCertificate,
      ircPort: 0,
      operators: [fingerprint],
    });
    await using boss = await Irc.tls(server, op, server.ircAddr!.port);
    await boss.saslStart("boss", "EXTERNAL");
    await boss.send("AUTHENTICATE +", "CAP END");
    await boss.command("900");
    await boss.command("366");
    await using bo = await Irc.tls(server);
    await join(bo, "bo");
    await using cy = await Irc.tls(server);
    await join(cy, "cy");

    // An unknown nick: 401 names the nick, not the room.
    let from = boss.lines.length;
    await boss.send("KICK #lobby ghost :x");
    assert.match(await boss.command("401", from), /^:lanchat 401 boss ghost :/);
    from = cy.lines.length;
    await boss.send("KICK #lobby bo :spam");
    await bo.waitLine((l) => l.startsWith("ERROR :") && l.includes("spam"));
    await bo.waitEnd();
    assert.match(await cy.command("QUIT", from), /^:bo!bo@lanchat QUIT :.*kicked.*spam/);

    from = boss.lines.length;
    // The mask irssi's /ban makes: every user is nick!nick@lanchat.
    await boss.send("MODE #lobby +b *!*cy@lanchat");
    await cy.waitLine((l) => l.startsWith("ERROR :") && /banned/i.test(l));
    await cy.waitEnd();
    await using again = await Irc.tls(server);
    await again.send("NICK cy2", "USER cy2 0 * :cy");
    assert.match(await again.command("465"), /banned/i);
    await again.waitEnd();

    // The ban named cy's address (127.0.0.1): lifting it lets people from there in again.
    from = boss.lines.length;
    await boss.send("MODE #lobby -b 127.0.0.1");
    await boss.waitLine((l) => l === ":lanchat NOTICE boss :Unbanned IP 127.0.0.1", from);
    await using back = await Irc.tls(server);
    await join(back, "cy3");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
