/**
 * IRC clients that pipeline (bots, conformance suites): registration and the
 * first commands in ONE write, over real sockets on 127.0.0.1. The codec
 * holds the lines behind the hello until the member joined, then handles
 * them as the member's.
 */

import assert from "node:assert/strict";
import { startServer } from "./_in_process_server.ts";
import { IrcClient } from "./_irc_client.ts";

Deno.test("NICK, USER, JOIN and PRIVMSG in one write: joined, and the message reaches the room", async () => {
  await using server = await startServer();
  await using bo = await IrcClient.registered(server.addr.port, "bo");
  await bo.send("JOIN #x");
  await bo.command("366", 0, (line) => line.includes(" #x "));
  await using a = await IrcClient.connect(server.addr.port);
  await a.write("NICK a\r\nUSER a 0 * :a\r\nJOIN #x\r\nPRIVMSG #x :hi\r\n");
  await bo.command("PRIVMSG", 0, (line) => line === ":a!a@lanchat PRIVMSG #x :hi");
  await a.command("JOIN", 0, (line) => line === ":a!a@lanchat JOIN #x");
  assert.ok(
    a.lines.findIndex((l) => / 001 /.test(l)) < a.lines.findIndex((l) => / JOIN #x/.test(l)),
  );
  assert.ok(!a.lines.some((line) => / 451 /.test(line)), a.lines.join("\n"));
});

Deno.test("CAP LS 302, CAP REQ, NICK, USER, CAP END and JOIN in one write: acknowledged, joined", async () => {
  await using server = await startServer();
  await using a = await IrcClient.connect(server.addr.port);
  await a.write(
    "CAP LS 302\r\nCAP REQ :server-time\r\nNICK a\r\nUSER a 0 * :a\r\nCAP END\r\n" +
      "JOIN #x\r\nWHO #x\r\n",
  );
  await a.command("315");
  assert.ok(a.lines.some((line) => line === ":lanchat CAP * ACK :server-time"), a.lines.join("\n"));
  assert.ok(a.lines.some((line) => line.endsWith(":a!a@lanchat JOIN #x")), a.lines.join("\n"));
  assert.ok(a.lines.some((line) => / 352 a #x a /.test(line)), a.lines.join("\n"));
  assert.ok(!a.lines.some((line) => / 451 /.test(line)), a.lines.join("\n"));
});

Deno.test("what the codec answers itself behind a pipelined registration names the member, not *", async () => {
  await using server = await startServer();
  await using a = await IrcClient.connect(server.addr.port);
  await a.write("NICK ana\r\nUSER ana 0 * :ana\r\nMODE ana\r\nLUSERS\r\nQUIT :done\r\n");
  await a.command("ERROR");
  const numerics = a.lines.filter((line) => / (221|251|502) /.test(line))
    .map((line) => line.split(" ").slice(1, 3).join(" "));
  // The registration burst's LUSERS (251) first, then the answers to MODE and LUSERS.
  assert.deepEqual(numerics, ["251 ana", "221 ana", "251 ana"]);
  assert.ok(a.lines.some((line) => / 001 ana /.test(line)), a.lines.join("\n"));
});

Deno.test("a refused nick: the lines held behind it are 451, and the NICK among them is the next try", async () => {
  await using server = await startServer();
  await using _first = await IrcClient.registered(server.addr.port, "ana");
  await using second = await IrcClient.connect(server.addr.port);
  await second.write("NICK ana\r\nUSER ana 0 * :ana\r\nJOIN #dev\r\nNICK bo\r\nJOIN #dev\r\n");
  await second.command("JOIN", 0, (line) => line === ":bo!bo@lanchat JOIN #dev");
  const seen = second.lines.map((line) => line.split(" ")[1]).filter((word) =>
    ["433", "451", "001"].includes(word)
  );
  assert.deepEqual(seen, ["433", "451", "001"]);
});

Deno.test("pipelined after a request the core refuses, WHO is still answered as WHO (352), not NAMES", async () => {
  await using server = await startServer();
  await using ana = await IrcClient.registered(server.addr.port, "ana");
  const from = ana.lines.length;
  await ana.write("PRIVMSG #nowhere :x\r\nJOIN #!!\r\nWHO #lobby\r\nNAMES #lobby\r\n");
  await ana.command("366", from);
  const numerics = ana.lines.slice(from).map((line) => line.split(" ")[1]);
  assert.deepEqual(numerics, ["404", "403", "352", "315", "353", "366"]);
});

Deno.test("pipelined TOPIC names its own room in its numeric, not the one of the line before", async () => {
  await using server = await startServer();
  await using ana = await IrcClient.registered(server.addr.port, "ana");
  await using bo = await IrcClient.registered(server.addr.port, "bo");
  await bo.send("JOIN #elsewhere");
  await bo.command("366", 0, (line) => line.includes(" #elsewhere "));
  const from = ana.lines.length;
  await ana.write("JOIN #b\r\nTOPIC #elsewhere :mine now\r\n");
  const refused = await ana.command("442", from);
  assert.match(refused, / 442 ana #elsewhere :/);
});
