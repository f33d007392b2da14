/**
 * What the IRC specifications (RFC 1459/2812, Modern IRC, IRCv3) say a
 * server answers, where lanchat answered otherwise before: one test per fix,
 * over raw sockets on 127.0.0.1. docs/irc_conformance.md is the checklist.
 *
 * "Nothing" is checked without waiting: a `PING` after the request is
 * answered in order, so the line after the request's own must be its PONG.
 */

import assert from "node:assert/strict";
import { startServer } from "./_in_process_server.ts";
import { IrcClient, ircCommand } from "./_irc_client.ts";
import { NativeClient, testKey } from "./_native_client.ts";

/** The lines `irc` gets for `lines`, up to the PONG of a PING sent after them. */
async function answers(irc: IrcClient, ...lines: string[]): Promise<string[]> {
  const from = irc.lines.length;
  const token = `sync${from}`;
  await irc.send(...lines, `PING ${token}`);
  await irc.command("PONG", from, (line) => line.endsWith(`:${token}`));
  return irc.lines.slice(from, -1);
}

Deno.test("a NOTICE is never answered: no 401, 442, 403 or 301 (RFC 2812 3.3.2)", async () => {
  await using server = await startServer();
  await using ana = await IrcClient.registered(server.addr.port, "ana");
  await using bob = await IrcClient.registered(server.addr.port, "bob");
  await ana.ask("AWAY :lunch", "306");
  assert.deepEqual(
    await answers(bob, "NOTICE nobody :hi", "NOTICE #nowhere :hi", "NOTICE ana :hi"),
    [],
  );
  // It still reaches ana, as a NOTICE (a lanchat notice).
  await ana.command("NOTICE", 0, (line) => line === ":bob!bob@lanchat NOTICE ana :hi");
  // A PRIVMSG still is.
  assert.deepEqual(await answers(bob, "PRIVMSG ana :hi"), [":lanchat 301 bob ana :lunch"]);
});

Deno.test("PRIVMSG to a room the sender is not in, or to none, is 404 ERR_CANNOTSENDTOCHAN", async () => {
  await using server = await startServer();
  await using ana = await IrcClient.registered(server.addr.port, "ana");
  await using bob = await IrcClient.registered(server.addr.port, "bob");
  await ana.ask("JOIN #dev", "366");
  const [dev, nowhere] = await answers(bob, "PRIVMSG #dev :hi", "PRIVMSG #nowhere :hi");
  assert.match(dev, /^:lanchat 404 bob #dev :/);
  assert.match(nowhere, /^:lanchat 404 bob #nowhere :/);
  // Elsewhere a room one is not in is still 442.
  assert.match((await answers(bob, "TOPIC #dev :x"))[0], /^:lanchat 442 bob #dev :/);
});

Deno.test("NAMES and WHO of a room that does not exist end an empty list (366, 315), no 403", async () => {
  await using server = await startServer();
  await using ana = await IrcClient.registered(server.addr.port, "ana");
  assert.deepEqual(await answers(ana, "NAMES #nowhere", "WHO #nowhere"), [
    ':lanchat 366 ana #nowhere :There is no room "#nowhere"',
    ':lanchat 315 ana #nowhere :There is no room "#nowhere"',
  ]);
  // JOIN of a name the core refuses is still 403, and NAMES of a room still lists it.
  const long = `#${"a".repeat(40)}`;
  assert.match(
    (await answers(ana, `JOIN ${long}`))[0] ?? "",
    new RegExp(`^:lanchat 403 ana ${long} :`),
  );
  assert.deepEqual(await answers(ana, "NAMES #lobby"), [
    ":lanchat 353 ana = #lobby :ana",
    ":lanchat 366 ana #lobby :End of /NAMES list",
  ]);
});

Deno.test("USER with an empty real name (or any empty parameter) is 461, and registration waits", async () => {
  await using server = await startServer();
  await using irc = await IrcClient.connect(server.addr.port);
  await irc.send("NICK ana", "USER ana 0 * :");
  assert.equal(await irc.command("461"), ":lanchat 461 * USER :Not enough parameters");
  await irc.send("USER ana 0 * :Ana Real");
  await irc.command("001");
  // WHOIS is the exception: RFC 2812 lists 431 for it, empty or missing.
  assert.equal(await irc.ask("WHOIS :", "431"), ":lanchat 431 ana :No nickname given");
});

Deno.test("UTF8ONLY: a line that is not UTF-8 is refused with FAIL <command> INVALID_UTF8, and the client stays", async () => {
  await using server = await startServer();
  await using ana = await IrcClient.registered(server.addr.port, "ana");
  await using bob = await IrcClient.registered(server.addr.port, "bob");
  await ana.write(new Uint8Array([...new TextEncoder().encode("PRIVMSG bob hi"), 0xaa, 13, 10]));
  assert.deepEqual(await answers(ana), [
    ":lanchat FAIL PRIVMSG INVALID_UTF8 :Line is not valid UTF-8",
  ]);
  assert.deepEqual(await answers(ana, "PRIVMSG bob :fine"), []);
  await bob.command("PRIVMSG", 0, (line) => line.endsWith("PRIVMSG bob :fine"));
  assert.ok(!bob.lines.some((line) => line.includes("hi\ufffd")));
});

Deno.test("USERHOST marks an away member with - and one who is here with +", async () => {
  await using server = await startServer();
  await using ana = await IrcClient.registered(server.addr.port, "ana");
  await using bob = await IrcClient.registered(server.addr.port, "bob");
  assert.deepEqual(await answers(bob, "USERHOST ana"), [":lanchat 302 bob :ana=+ana@lanchat"]);
  await ana.ask("AWAY :lunch", "306");
  assert.deepEqual(await answers(bob, "USERHOST ana bob"), [
    ":lanchat 302 bob :ana=-ana@lanchat bob=+bob@lanchat",
  ]);
});

Deno.test("WHO of a nick answers its 352 (G when away) and 315 with the mask as sent; an unknown nick only 315", async () => {
  await using server = await startServer();
  await using ana = await IrcClient.registered(server.addr.port, "ana");
  await using bob = await IrcClient.registered(server.addr.port, "bob");
  assert.deepEqual(await answers(bob, "WHO ANA"), [
    ":lanchat 352 bob * ana lanchat lanchat ana H :0 ana",
    ":lanchat 315 bob ANA :End of /WHO list",
  ]);
  await ana.ask("AWAY :lunch", "306");
  assert.deepEqual(await answers(bob, "WHO ana", "WHO nobody"), [
    ":lanchat 352 bob * ana lanchat lanchat ana G :0 ana",
    ":lanchat 315 bob ana :End of /WHO list",
    ":lanchat 315 bob nobody :End of /WHO list",
  ]);
  // A room's WHO is unchanged.
  assert.match((await answers(bob, "WHO #lobby"))[0], /^:lanchat 352 bob #lobby /);
});

Deno.test("LIST #room lists that room alone; LIST of a room that does not exist only 321 and 323", async () => {
  await using server = await startServer();
  await using ana = await IrcClient.registered(server.addr.port, "ana");
  await ana.ask("JOIN #dev", "366");
  assert.deepEqual(await answers(ana, "LIST #DEV"), [
    ":lanchat 321 ana Channel :Users  Name",
    ":lanchat 322 ana #dev 1 :",
    ":lanchat 323 ana :End of /LIST",
  ]);
  assert.deepEqual(await answers(ana, "LIST #nowhere"), [
    ":lanchat 321 ana Channel :Users  Name",
    ":lanchat 323 ana :End of /LIST",
  ]);
  // Without a room, every room, as before.
  assert.equal((await answers(ana, "LIST")).filter((line) => / 322 /.test(line)).length, 2);
});

Deno.test("JOIN of a name without # (CHANTYPES=#) is 403, the other names of the line are joined", async () => {
  await using server = await startServer();
  await using ana = await IrcClient.registered(server.addr.port, "ana");
  const lines = await answers(ana, "JOIN dev,#ops");
  assert.equal(lines[0], ":lanchat 403 ana dev :No such channel");
  assert.equal(lines[1], ":ana!ana@lanchat JOIN #ops");
  assert.ok(!lines.some((line) => line.includes("#dev")), lines.join("\n"));
});

Deno.test("005 says CLIENTTAGDENY=*: client-only tags are accepted, never relayed (IRCv3 message-tags)", async () => {
  await using server = await startServer();
  await using ana = await IrcClient.registered(server.addr.port, "ana", "message-tags");
  await using bob = await IrcClient.registered(server.addr.port, "bob", "message-tags");
  assert.match(await ana.command("005"), / CLIENTTAGDENY=\* /);
  assert.deepEqual(await answers(ana, "@+draft/react=x PRIVMSG #lobby :hi"), []);
  const relayed = await bob.command("PRIVMSG", 0, (line) => line.endsWith("PRIVMSG #lobby :hi"));
  assert.ok(!relayed.includes("+draft/react"), relayed);
});

Deno.test("005's NETWORK is ASCII even when the server's name is not", async () => {
  await using server = await startServer({ serverName: "Café Ünïcode" });
  await using ana = await IrcClient.registered(server.addr.port, "ana");
  const isupport = await ana.command("005");
  assert.match(isupport, / NETWORK=Caf___n_code /);
  assert.ok(/^[\x20-\x7e]*$/.test(isupport), isupport);
});

Deno.test("a message of several lines to a reader without draft/multiline: msgid on its first line only, time on each", async () => {
  await using server = await startServer();
  await using ana = await IrcClient.registered(
    server.addr.port,
    "ana",
    "message-tags batch draft/multiline",
  );
  await using bob = await IrcClient.registered(server.addr.port, "bob", "message-tags server-time");
  await ana.send(
    "BATCH +b1 draft/multiline #lobby",
    "@batch=b1 PRIVMSG #lobby :one",
    "@batch=b1 PRIVMSG #lobby :two",
    "BATCH -b1",
  );
  const second = await bob.command("PRIVMSG", 0, (line) => line.endsWith("PRIVMSG #lobby :two"));
  const first = bob.lines[bob.lines.indexOf(second) - 1];
  assert.match(first, /^@time=[^;]+;msgid=\S+ :ana!ana@lanchat PRIVMSG #lobby :one$/);
  assert.match(second, /^@time=[^; ]+ :ana!ana@lanchat PRIVMSG #lobby :two$/);
});

Deno.test("draft/multiline: a line of another batch, or concat on a blank line, is FAIL BATCH MULTILINE_INVALID; nothing is sent", async () => {
  await using server = await startServer();
  await using ana = await IrcClient.registered(
    server.addr.port,
    "ana",
    "message-tags batch draft/multiline echo-message",
  );
  const fail = ":lanchat FAIL BATCH MULTILINE_INVALID :";
  const stray = await answers(
    ana,
    "BATCH +b1 draft/multiline #lobby",
    "@batch=b1 PRIVMSG #lobby :one",
    "@batch=zz PRIVMSG #lobby :stray",
    "BATCH -b1",
  );
  assert.equal(stray.length, 1, stray.join("\n"));
  assert.ok(stray[0].startsWith(fail), stray[0]);
  const blank = await answers(
    ana,
    "BATCH +b2 draft/multiline #lobby",
    "@batch=b2 PRIVMSG #lobby :hi",
    "@batch=b2;draft/multiline-concat PRIVMSG #lobby :",
    "BATCH -b2",
  );
  assert.equal(blank.length, 1, blank.join("\n"));
  assert.ok(blank[0].startsWith(fail), blank[0]);
});

Deno.test("MODE of a room that does not exist is 403; of one that does, 324", async () => {
  await using server = await startServer();
  await using ana = await IrcClient.registered(server.addr.port, "ana");
  assert.deepEqual(await answers(ana, "MODE #nowhere", "MODE #LOBBY"), [
    ":lanchat 403 ana #nowhere :No such channel",
    ":lanchat 324 ana #LOBBY +n",
  ]);
});

Deno.test("MODE me asked is 221 +; +i (irssi's on connect), +w or -i change nothing, so no answer; an unknown mode is 501", async () => {
  await using server = await startServer();
  await using ana = await IrcClient.registered(server.addr.port, "ana");
  assert.deepEqual(await answers(ana, "MODE ana +i", "MODE ana +w", "MODE ana -i"), []);
  assert.deepEqual(await answers(ana, "MODE ana +z", "MODE ana", "MODE ANA"), [
    ":lanchat 501 ana :Unknown MODE flag",
    ":lanchat 221 ana +",
    ":lanchat 221 ana +",
  ]);
});

Deno.test("HELP is lanchat's /help as NOTICEs; HELP of a name that is no command is 524 saying so", async () => {
  await using server = await startServer();
  await using ana = await IrcClient.registered(server.addr.port, "ana");
  assert.deepEqual(await answers(ana, "HELP nope", "HELP jion", "HELP msg"), [
    ':lanchat 524 ana nope :No command "/nope" to explain; type /help alone for the list of commands',
    ':lanchat 524 ana jion :No command "/jion" to explain (did you mean /join?); type /help alone ' +
    "for the list of commands",
    ":lanchat NOTICE ana :/msg <nick> <text>: Send a private message that only you and <nick> see " +
    "(also /dm, /query)",
  ]);
  const all = await answers(ana, "HELP");
  assert.ok(all.length > 10 && all.every((line) => line.startsWith(":lanchat NOTICE ana :/")));
  assert.ok(all.some((line) => line.startsWith(":lanchat NOTICE ana :/help [command]: ")));
});

Deno.test("KICK in a room that does not exist is 403, before the operator check (482 stays for a real room)", async () => {
  await using server = await startServer();
  await using _ana = await IrcClient.registered(server.addr.port, "ana");
  await using bob = await IrcClient.registered(server.addr.port, "bob");
  const [nowhere, lobby] = await answers(bob, "KICK #nowhere ana", "KICK #lobby ana");
  assert.equal(nowhere, ":lanchat 403 bob #nowhere :No such channel");
  assert.match(lobby, /^:lanchat 482 bob #lobby :/);
});

Deno.test("WHO of a mask lists the members whose nick matches it, 315 with the mask as sent", async () => {
  await using server = await startServer();
  await using _ana = await IrcClient.registered(server.addr.port, "coolNick");
  await using bob = await IrcClient.registered(server.addr.port, "otherNick");
  assert.deepEqual(await answers(bob, "WHO coolni*"), [
    ":lanchat 352 otherNick * coolNick lanchat lanchat coolNick H :0 coolNick",
    ":lanchat 315 otherNick coolni* :End of /WHO list",
  ]);
  const all = await answers(bob, "WHO *");
  assert.deepEqual(all.slice(0, -1).map((line) => line.split(" ")[4]).sort(), [
    "coolNick",
    "otherNick",
  ]);
  assert.equal(all.at(-1), ":lanchat 315 otherNick * :End of /WHO list");
  assert.deepEqual(await answers(bob, "WHO zz*"), [":lanchat 315 otherNick zz* :End of /WHO list"]);
});

Deno.test("WHOIS of an unknown nick is 401 then 318, as every WHOIS ends", async () => {
  await using server = await startServer();
  await using irc = await IrcClient.registered(server.addr.port, "ana");
  const from = irc.lines.length;
  await irc.send("WHOIS nobody");
  assert.equal(await irc.command("318", from), ":lanchat 318 ana nobody :End of /WHOIS list");
  const answer = irc.lines.slice(from).map(ircCommand);
  assert.deepEqual(answer, ["401", "318"]);
  assert.match(irc.lines[from], /^:lanchat 401 ana nobody :/);
});

Deno.test("WHOWAS finds no past nick (lanchat keeps none): 406 then 369; 431 without a nick", async () => {
  await using server = await startServer();
  await using irc = await IrcClient.registered(server.addr.port, "ana");
  const from = irc.lines.length;
  await irc.send("WHOWAS bo");
  assert.equal(await irc.command("369", from), ":lanchat 369 ana bo :End of WHOWAS");
  assert.equal(irc.lines[from], ":lanchat 406 ana bo :There was no such nickname");
  assert.equal(await irc.ask("WHOWAS", "431"), ":lanchat 431 ana :No nickname given");
});

Deno.test("a NOTICE gets no automatic reply even when the core refuses it (too many lines, only formatting); a CTCP in a NOTICE is not relayed", async () => {
  await using server = await startServer({ maxMessageLines: 3 });
  await using ntc = await IrcClient.registered(server.addr.port, "ntc");
  await using bob = await IrcClient.registered(server.addr.port, "bob");
  const from = ntc.lines.length;
  const seen = bob.lines.length;
  await ntc.send(
    `NOTICE #lobby :${Array.from({ length: 10 }, (_, i) => `L${i}`).join("\r")}`,
    "NOTICE #lobby :\x02\x02",
    "NOTICE #lobby :\x01ACTION waves\x01",
    "NOTICE bob :\x01ACTION waves\x01",
    "PING :end",
  );
  await ntc.command("PONG", from);
  assert.deepEqual(ntc.lines.slice(from).map(ircCommand), ["PONG"], ntc.lines.join("\n"));
  await ntc.send("PRIVMSG #lobby :after");
  await bob.command("PRIVMSG", seen, (l) => l.endsWith(":after"));
  assert.ok(!bob.lines.slice(seen).some((l) => l.includes("ACTION")), bob.lines.join("\n"));
  // A PRIVMSG of formatting alone is 412, as an empty one is.
  assert.equal(
    await ntc.ask("PRIVMSG #lobby :\x02\x03", "412"),
    ":lanchat 412 ntc :Message is empty",
  );
});

Deno.test("WHOIS of a member in many rooms lists them all in 319 lines of at most 512 bytes", async () => {
  await using server = await startServer({ rateLimit: false });
  await using roomy = await IrcClient.registered(server.addr.port, "roomy");
  const rooms = Array.from(
    { length: 20 },
    (_, i) => `#r${String(i).padStart(2, "0")}${"x".repeat(29)}`,
  );
  await roomy.send(`JOIN ${rooms.slice(0, 10).join(",")}`, `JOIN ${rooms.slice(10).join(",")}`);
  await roomy.command("366", 0, (l) => l.includes(rooms[19]));
  await using asker = await IrcClient.registered(server.addr.port, "asker");
  const from = asker.lines.length;
  await asker.send("WHOIS roomy");
  await asker.command("318", from);
  const lists = asker.lines.slice(from).filter((l) => ircCommand(l) === "319");
  assert.ok(lists.length >= 2, lists.join("\n"));
  const listed = lists.flatMap((l) => l.slice(l.indexOf(" :") + 2).split(" "));
  assert.deepEqual(listed.sort(), ["#lobby", ...rooms].sort());
  for (const line of lists) assert.ok(new TextEncoder().encode(line).length + 2 <= 512, line);
});

Deno.test("a line that ends past IRC's bound but within the frame limit gets 417, and the client stays", async () => {
  await using server = await startServer();
  await using irc = await IrcClient.registered(server.addr.port, "longl");
  const from = irc.lines.length;
  await irc.send(
    `PRIVMSG #lobby :${"z".repeat(5000)}`,
    `@${"a=b;".repeat(1500)} PING :x`,
    "PING :alive",
  );
  await irc.command("PONG", from, (l) => l.endsWith(":alive"));
  assert.equal(irc.lines.slice(from).filter((l) => ircCommand(l) === "417").length, 2);
  assert.ok(!irc.lines.some((l) => l.startsWith("ERROR")), irc.lines.join("\n"));
});

Deno.test("WHO 0 is WHO *, the o flag lists only operators, and a mask with ! or @ matches nick!nick@lanchat", async () => {
  const opKey = await testKey();
  await using server = await startServer({ operators: [opKey.fingerprint] });
  await using _op = await NativeClient.connect(server.addr.port, "boss", { key: opKey });
  await using ana = await IrcClient.registered(server.addr.port, "ana");
  const nicks = (lines: string[]) => lines.slice(0, -1).map((l) => l.split(" ")[4]).sort();
  const zero = await answers(ana, "WHO 0");
  assert.deepEqual(nicks(zero), ["ana", "boss"]);
  assert.equal(zero.at(-1), ":lanchat 315 ana 0 :End of /WHO list");
  assert.deepEqual(await answers(ana, "WHO * o"), [
    ":lanchat 352 ana * boss lanchat lanchat boss H* :0 boss",
    ":lanchat 315 ana * :End of /WHO list",
  ]);
  assert.deepEqual(await answers(ana, "WHO ana o"), [":lanchat 315 ana ana :End of /WHO list"]);
  assert.deepEqual(nicks(await answers(ana, "WHO *!*@*")), ["ana", "boss"]);
  assert.deepEqual(nicks(await answers(ana, "WHO ana!*@*")), ["ana"]);
  assert.deepEqual(nicks(await answers(ana, "WHO *!boss@lanchat")), ["boss"]);
  assert.deepEqual(nicks(await answers(ana, "WHO ana!*@elsewhere")), []);
});

Deno.test("CAP REQ without a capability is 461, not an ACK of nothing", async () => {
  await using server = await startServer();
  await using irc = await IrcClient.registered(server.addr.port, "ana");
  assert.deepEqual(await answers(irc, "CAP REQ", "CAP REQ :"), [
    ":lanchat 461 ana CAP :Not enough parameters",
    ":lanchat 461 ana CAP :Not enough parameters",
  ]);
});

Deno.test("PART of a name without # is 403 (never the current room with the name as a reason); NICK : is 431", async () => {
  await using server = await startServer();
  await using gus = await IrcClient.registered(server.addr.port, "gus");
  await gus.send("JOIN #zz");
  await gus.command("366", 0, (l) => l.includes("#zz"));
  const from = gus.lines.length;
  assert.equal(await gus.ask("PART yy", "403"), ":lanchat 403 gus yy :No such channel");
  assert.ok(!gus.lines.slice(from).some((l) => ircCommand(l) === "PART"), gus.lines.join("\n"));
  assert.equal(await gus.ask("NICK :", "431"), ":lanchat 431 gus :No nickname given");
  // Still in #zz: a PART of it works.
  assert.match(await gus.ask("PART #zz", "PART"), /^:gus!gus@lanchat PART #zz$/);
});
