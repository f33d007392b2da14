/**
 * What HexChat 2.16 sends, line for line as it was captured between a real
 * HexChat and chat-server, replayed over raw sockets on 127.0.0.1.
 *
 * HexChat answers every 904 with `AUTHENTICATE *` (its "abort"), before
 * registration and after. An abort answered with 904 again made the two
 * play ping-pong for as long as the connection lasted; an abort is
 * answered 906, so one failure is one 904.
 */

import assert from "node:assert/strict";
import { startServer } from "./_in_process_server.ts";
import { IrcClient, ircCommand } from "./_irc_client.ts";

/** HexChat's lines up to its SASL mechanism ("Login method: SASL EXTERNAL (cert)"). */
const HEXCHAT_SASL_EXTERNAL = [
  "CAP LS 302",
  "NICK hexana",
  "USER hexana 0 * :Hex Ana",
  "CAP REQ :away-notify cap-notify multi-prefix sasl server-time",
  "AUTHENTICATE EXTERNAL",
];

/** Plays HexChat: every 904 is answered `AUTHENTICATE *`, the first SASL answer is followed by CAP END. */
async function hexchatAnswers(irc: IrcClient, from: number, until: () => boolean): Promise<void> {
  let seen = from;
  let capEnd = false;
  while (!until()) {
    const line = await irc.waitLine(() => true, seen);
    seen = irc.lines.indexOf(line, seen) + 1;
    const command = ircCommand(line);
    if (command === "904") await irc.send("AUTHENTICATE *");
    if (/^90[3-7]$/.test(command) && !capEnd) {
      capEnd = true;
      await irc.send("CAP END");
    }
  }
}

Deno.test("HexChat's SASL EXTERNAL without a certificate: one 904, its aborts get 906, and it joins", async () => {
  await using server = await startServer();
  await using irc = await IrcClient.connect(server.addr.port);
  await irc.send(...HEXCHAT_SASL_EXTERNAL);
  await irc.command("AUTHENTICATE");
  await irc.send("AUTHENTICATE +");
  const registered = () => irc.lines.some((line) => ircCommand(line) === "366");
  await hexchatAnswers(irc, 0, registered);
  // Registered: one more abort (HexChat's answer to a 904 that came late) is 906 too.
  await irc.send("AUTHENTICATE *");
  await irc.command("906", irc.lines.findIndex((line) => ircCommand(line) === "366"));
  const from = irc.lines.length;
  await irc.send("PING :settled");
  await irc.command("PONG", from);
  const numerics = irc.lines.map(ircCommand).filter((c) => /^90\d$/.test(c));
  assert.deepEqual(numerics, ["904", "906", "906"], irc.lines.join("\n"));
  assert.match(irc.lines.find((line) => ircCommand(line) === "904")!, /No TLS client certificate/);
});

Deno.test("AUTHENTICATE * after registration is 906, any other AUTHENTICATE then still 904", async () => {
  await using server = await startServer();
  await using irc = await IrcClient.registered(server.addr.port, "ana");
  assert.match(
    await irc.ask("AUTHENTICATE *", "906"),
    /^:lanchat 906 ana :SASL authentication aborted$/,
  );
  assert.match(await irc.ask("AUTHENTICATE PLAIN", "904"), / 904 ana :SASL is only possible/);
});

Deno.test("HexChat's connect, and its /ban nick 3 mask (two spaces after +b) is a ban by nick", async () => {
  await using server = await startServer();
  await using _bob = await IrcClient.registered(server.addr.port, "bob");
  await using irc = await IrcClient.connect(server.addr.port);
  await irc.send(
    "CAP LS 302",
    "NICK hexana",
    "USER hexana 0 * :Hex Ana",
    "CAP REQ :away-notify cap-notify multi-prefix server-time",
    "CAP END",
  );
  await irc.command("366");
  await irc.send("JOIN #lobby", "MODE #lobby", "WHO #lobby");
  assert.equal(await irc.command("324"), ":lanchat 324 hexana #lobby +n");
  await irc.command("315");
  // HexChat's default ban type (*!*@host) names every IRC user on lanchat: refused with the forms that work.
  assert.match(await irc.ask("MODE #lobby +b  *!*@lanchat", "696"), /\*!\*nick@lanchat/);
  // `/ban bob 3` (*!*user@host): a ban of bob, refused here only because hexana is no operator.
  assert.match(await irc.ask("MODE #lobby +b  *!*bob@lanchat", "482"), /operators only/);
});
