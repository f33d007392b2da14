/**
 * IRC on lanchat's port, over real sockets on 127.0.0.1: a raw IRC client
 * registers (with and without CAP), joins, and talks with native and text
 * clients in the same order they see.
 */

import assert from "node:assert/strict";
import { startServer } from "./_in_process_server.ts";
import { IrcClient, ircCommand } from "./_irc_client.ts";
import { NativeClient } from "./_native_client.ts";
import { TextClient } from "./_text_client.ts";
import { until } from "./_waiting.ts";

Deno.test("an IRC client registers with NICK and USER and gets 001-005, LUSERS, the MOTD and #lobby", async () => {
  await using server = await startServer({ motd: "be nice" });
  await using irc = await IrcClient.registered(server.addr.port, "ana");
  const numerics = irc.lines.map(ircCommand);
  // In this order (RFC 2812's burst): LUSERS after 005, before the MOTD, then the channel.
  assert.deepEqual(
    numerics.slice(0, numerics.indexOf("JOIN")),
    ["001", "002", "003", "004", "005", "251", "252", "254", "255", "375", "372", "376"],
    irc.lines.join("\n"),
  );
  assert.ok(irc.lines.includes(":lanchat 251 ana :There are 1 users and 0 invisible on 1 servers"));
  assert.ok(irc.lines.includes(":lanchat 254 ana 1 :channels formed"));
  assert.ok(numerics.includes("353") && numerics.includes("366"), irc.lines.join("\n"));
  assert.ok(
    irc.lines.some((l) => l === ":lanchat 001 ana :Welcome to lanchat, a lanchat server, ana"),
  );
  // User modes o; channel modes b (bans, for operators) and n, as CHANMODES says.
  assert.match(irc.lines.find((l) => ircCommand(l) === "004")!, / o bn$/);
  const isupport = irc.lines.find((l) => ircCommand(l) === "005")!;
  assert.match(isupport, / CASEMAPPING=rfc7613 /);
  assert.match(isupport, / NICKLEN=24 /);
  assert.match(isupport, / UTF8ONLY /);
  assert.ok(irc.lines.includes(":ana!ana@lanchat JOIN #lobby"));
  assert.ok(irc.lines.includes(":lanchat 353 ana = #lobby :ana"));
  // Nothing of the text mode's greeting reached it.
  assert.ok(!irc.lines.some((l) => l.includes("Nick?")), irc.lines.join("\n"));
  // The next one's LUSERS counts both, as the LUSERS command would.
  await using second = await IrcClient.registered(server.addr.port, "bo");
  assert.ok(
    second.lines.includes(":lanchat 251 bo :There are 2 users and 0 invisible on 1 servers"),
  );
  assert.ok(second.lines.includes(":lanchat 255 bo :I have 2 clients and 0 servers"));
});

Deno.test("CAP LS 302, REQ and END hold registration until the end, and ACK what is offered", async () => {
  await using server = await startServer();
  await using irc = await IrcClient.connect(server.addr.port);
  await irc.send("CAP LS 302", "NICK bo", "USER bo 0 * :Bo");
  const ls = await irc.command("CAP");
  assert.equal(
    ls,
    ":lanchat CAP * LS :away-notify batch cap-notify draft/chathistory draft/multiline=max-bytes=4000,max-lines=20 " +
      "echo-message message-tags multi-prefix sasl=PLAIN,EXTERNAL server-time",
  );
  await irc.send("CAP REQ :server-time bogus-cap");
  await irc.command("CAP", 0, (l) => l.includes(" NAK "));
  await irc.send("CAP REQ :server-time echo-message");
  await irc.command("CAP", 0, (l) => l.includes(" ACK "));
  // Not registered while negotiating.
  assert.ok(!irc.lines.some((l) => ircCommand(l) === "001"));
  await irc.send("CAP END");
  await irc.command("001");
  await irc.command("366");
  await irc.send("PRIVMSG #lobby :echoed");
  const echo = await irc.command("PRIVMSG");
  assert.match(
    echo,
    /^@time=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z :bo!bo@lanchat PRIVMSG #lobby :echoed$/,
  );
});

Deno.test("433 and 432 carry lanchat's reasons, and a new NICK registers", async () => {
  await using server = await startServer();
  const port = server.addr.port;
  await using ana = await NativeClient.connect(port, "ana");
  await using irc = await IrcClient.connect(port);
  await irc.send("NICK ANA", "USER x 0 * :x");
  const taken = await irc.command("433");
  assert.match(taken, /^:lanchat 433 \* ANA :.*ana/i);
  await irc.send("NICK bad!nick");
  const bad = await irc.command("432");
  assert.match(bad, /^:lanchat 432 \* bad!nick :Nick "bad!nick" may only contain/);
  await irc.send("NICK cy");
  await irc.command("001");
  assert.ok(ana);
});

Deno.test("IRC, native and text clients see one room's messages in the same order", async () => {
  await using server = await startServer();
  const port = server.addr.port;
  await using irc = await IrcClient.registered(port, "ircy");
  await using nat = await NativeClient.connect(port, "nat");
  await using txt = await TextClient.connect(port, "txt");
  await irc.command("JOIN", 0, (l) => l.startsWith(":txt!"));
  for (let i = 0; i < 10; i++) {
    if (i % 3 === 0) await irc.send(`PRIVMSG #lobby :m${i} \x02bold\x02 \x0304red\x03`);
    else if (i % 3 === 1) await nat.send({ type: "msg", text: `m${i}` });
    else await txt.sendLine(`m${i}`);
  }
  // Each sees the others' messages; the order of ids is one order.
  const natSeen = () => nat.events.flatMap((e) => e.type === "msg" ? [e.text.split(" ")[0]] : []);
  await until(() => natSeen().length === 10);
  const order = natSeen();
  const ircSeen = () =>
    irc.lines.filter((l) => ircCommand(l) === "PRIVMSG").map((l) => l.split(" :")[1].split(" ")[0]);
  await until(() => ircSeen().length === 6);
  assert.deepEqual(ircSeen(), order.filter((m) => Number(m.slice(1)) % 3 !== 0));
  // Formatting codes never reached the others.
  const fromIrc = nat.events.find((e) => e.type === "msg" && e.from === "ircy");
  assert.equal(fromIrc?.type === "msg" && fromIrc.text, "m0 bold red");
  await txt.waitLine((l) => l.includes("<ircy> m9 bold red"));
  assert.ok(
    irc.lines.some((l) => l === ":nat!nat@lanchat PRIVMSG #lobby :m1"),
    irc.lines.join("\n"),
  );
});

Deno.test("JOIN, PART, NAMES, CTCP ACTION, private messages and NICK map onto the core", async () => {
  await using server = await startServer();
  const port = server.addr.port;
  await using irc = await IrcClient.registered(port, "ircy");
  await using nat = await NativeClient.connect(port, "nat");
  await irc.send("JOIN #dev,#ops");
  await irc.command("366", 0, (l) => l.includes("#ops"));
  assert.ok(irc.lines.includes(":ircy!ircy@lanchat JOIN #dev"));
  await nat.send({ type: "cmd", name: "join", args: "#dev" });
  await irc.command("JOIN", 0, (l) => l === ":nat!nat@lanchat JOIN #dev");
  await irc.send("PRIVMSG #dev :\x01ACTION waves\x01");
  const action = await nat.next("msg", (e) => e.room === "#dev");
  assert.deepEqual([action.kind, action.text], ["action", "waves"]);
  await nat.send({ type: "cmd", name: "me", args: "nods", room: "#dev" });
  await irc.command(
    "PRIVMSG",
    0,
    (l) => l === ":nat!nat@lanchat PRIVMSG #dev :\x01ACTION nods\x01",
  );
  await irc.send("PRIVMSG NAT :psst");
  const dm = await nat.next("dm");
  assert.deepEqual([dm.from, dm.to, dm.text], ["ircy", "nat", "psst"]);
  await nat.send({ type: "cmd", name: "msg", args: "ircy back" });
  await irc.command("PRIVMSG", 0, (l) => l === ":nat!nat@lanchat PRIVMSG ircy :back");
  await irc.send("NAMES #dev");
  await irc.command("353", 0, (l) => l.includes("#dev :") && l.includes("nat"));
  await irc.send("PART #dev :bye now");
  await irc.command("PART", 0, (l) => l === ":ircy!ircy@lanchat PART #dev :bye now");
  const left = await nat.next("leave", (e) => e.room === "#dev");
  assert.equal(left.nick, "ircy");
  await irc.send("NICK ircz");
  await irc.command("NICK", 0, (l) => l === ":ircy!ircy@lanchat NICK :ircz");
  await irc.send("PRIVMSG #nowhere :x", "FOO bar", "PRIVMSG #lobby");
  await irc.command("404", 0, (l) => l.includes("#nowhere"));
  await irc.command("421", 0, (l) => l === ":lanchat 421 ircz FOO :Unknown command");
  await irc.command("412");
});

Deno.test("PING and PONG both ways; QUIT ends with ERROR and one QUIT for the others", async () => {
  await using server = await startServer({ pingIntervalMs: 200 });
  const port = server.addr.port;
  await using irc = await IrcClient.connect(port);
  // PING is answered before registration (the first line must be a registration command).
  await irc.send("NICK ircy", "PING :early");
  await irc.command("PONG", 0, (l) => l === ":lanchat PONG lanchat :early");
  await irc.send("USER ircy 0 * :I");
  await irc.command("366");
  const ping = await irc.command("PING");
  await irc.send(`PONG ${ping.split(" ")[1]}`);
  await using nat = await NativeClient.connect(port, "nat");
  await nat.send({ type: "cmd", name: "join", args: "#dev" });
  await nat.next("joined");
  await irc.send("JOIN #dev");
  await irc.command("353", 0, (l) => l === ":lanchat 353 ircy = #dev :ircy nat");
  const before = irc.lines.length;
  await nat.send({ type: "cmd", name: "quit", args: "off" });
  await irc.command("QUIT", before);
  await irc.send("PING :after");
  await irc.command("PONG", before, (l) => l.endsWith(":after"));
  // nat was in #lobby and #dev with ircy: one QUIT.
  assert.equal(irc.lines.slice(before).filter((l) => ircCommand(l) === "QUIT").length, 1);
  await irc.send("QUIT :done");
  await irc.command("ERROR");
  await irc.waitEnd();
});

Deno.test("a line over 512 bytes gets 417 and the connection stays", async () => {
  await using server = await startServer();
  await using irc = await IrcClient.registered(server.addr.port, "ircy");
  await irc.send(`PRIVMSG #lobby :${"x".repeat(600)}`, "PING :still");
  await irc.command("417");
  await irc.command("PONG", 0, (l) => l.endsWith(":still"));
});

Deno.test("a text client whose nick is NICK stays a text client", async () => {
  await using server = await startServer();
  await using txt = await TextClient.connect(server.addr.port, "NICK");
  assert.ok(txt.lines.some((l) => l.startsWith("Welcome to")));
});

Deno.test("a private server: PASS lets an IRC client in, none gets 464 and ERROR", async () => {
  await using server = await startServer({ password: "correct horse" });
  const port = server.addr.port;
  await using good = await IrcClient.connect(port);
  // irssi sends a password given after the port without a colon: every word is the password.
  await good.send("PASS correct horse", "NICK ana", "USER ana 0 * :Ana");
  await good.command("001");
  await using quoted = await IrcClient.connect(port);
  await quoted.send("PASS :correct horse", "NICK cy", "USER cy 0 * :Cy");
  await quoted.command("001");
  await using none = await IrcClient.connect(port);
  await none.send("NICK bo", "USER bo 0 * :Bo");
  const refused = await none.command("464");
  assert.match(refused, /^:lanchat 464 \* :/);
  await none.command("ERROR");
  await none.waitEnd();
});

Deno.test("registration dribbled one byte at a time is still told to be IRC", async () => {
  await using server = await startServer();
  await using irc = await IrcClient.connect(server.addr.port);
  for (const byte of "NICK ana\r\nUSER ana 0 * :Ana\r\n") await irc.write(byte);
  await irc.command("001");
  assert.ok(!irc.lines.some((l) => l.includes("Nick?")), irc.lines.join("\n"));
});

Deno.test("a first line that stops where IRC is still possible is a text client's after the hold", async () => {
  await using server = await startServer();
  await using txt = new TextClient(
    await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port }),
  );
  await txt.write("N");
  // The greeting comes once the hold is over (the first bytes are kept).
  await txt.waitLine((l) => l.startsWith("Welcome to lanchat. Pick a nick."));
  await txt.write("ed\r\n");
  await txt.waitLine((l) => l.startsWith("Welcome to lanchat, Ned!"));
});
