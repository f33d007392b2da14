/**
 * A hostile or careless IRC user on the LAN, over real sockets on
 * 127.0.0.1: pipelined registration, numerics that must name the right
 * target when requests arrive together, and the rate limit on the commands
 * the IRC codec answers itself.
 */

import assert from "node:assert/strict";
import { startServer } from "./_in_process_server.ts";
import { IrcClient } from "./_irc_client.ts";

Deno.test("commands pipelined right after NICK and USER are handled once the member joined, not refused 451", async () => {
  await using server = await startServer();
  await using irc = await IrcClient.connect(server.addr.port);
  await irc.send("NICK pip", "USER pip 0 * :pip", "JOIN #dev", "PRIVMSG #dev :hello", "WHOIS pip");
  await irc.command("JOIN", 0, (line) => line.endsWith(" JOIN #dev"));
  await irc.command("318");
  assert.ok(!irc.lines.some((line) => / 451 /.test(line)), irc.lines.join("\n"));
});

Deno.test("a nick refused at registration still refuses the commands pipelined behind it with 451", async () => {
  await using server = await startServer();
  await using _first = await IrcClient.registered(server.addr.port, "ana");
  await using second = await IrcClient.connect(server.addr.port);
  await second.send("NICK ana", "USER ana 0 * :ana", "JOIN #dev");
  await second.command("433");
  await second.command("451");
  await second.send("NICK bo");
  await second.command("366");
  assert.ok(!second.lines.some((line) => line.endsWith(" JOIN #dev")), second.lines.join("\n"));
});

Deno.test("each numeric names its own target when requests arrive together", async () => {
  await using server = await startServer();
  await using irc = await IrcClient.registered(server.addr.port, "ana");
  await irc.send("PRIVMSG #one,#two :hi", "JOIN #!!,#three", "NICK #x");
  await irc.command("432");
  const numerics = irc.lines.filter((line) => / (404|403|432) /.test(line))
    .map((line) => line.split(" ").slice(1, 4).join(" "));
  assert.deepEqual(numerics, ["404 ana #one", "404 ana #two", "403 ana #!!", "432 ana #x"]);
});

Deno.test("queries the IRC codec answers itself (LUSERS) are charged to the rate limit like any command", async () => {
  await using server = await startServer({ rateLimit: { rate: 5, burst: 10, floodLimit: 20 } });
  await using irc = await IrcClient.registered(server.addr.port, "ana");
  const from = irc.lines.length;
  await irc.write("LUSERS\r\n".repeat(500));
  await irc.command("ERROR", from, (line) => line.includes("flooding"));
  const answered = irc.lines.slice(from).filter((line) => / 251 /.test(line)).length;
  assert.ok(answered <= 12, `${answered} LUSERS answered`);
});
