/**
 * IRC beyond registration, over real sockets on 127.0.0.1: CAP values,
 * message ids, the history batch on join, draft/multiline both ways, and the
 * queries (LUSERS, MOTD, USERHOST, ISON, TIME, VERSION), KICK and MODE, 461.
 */

import assert from "node:assert/strict";
import { startServer } from "./_in_process_server.ts";
import { IrcClient } from "./_irc_client.ts";
import { runServer } from "./_entry_process.ts";
import { NativeClient } from "./_native_client.ts";

Deno.test("CAP LS 302 lists draft/multiline with lanchat's limits; plain CAP LS lists names only", async () => {
  await using server = await startServer({ maxMessageLines: 5 });
  await using irc = await IrcClient.connect(server.addr.port);
  assert.equal(
    await irc.ask("CAP LS 302", "CAP"),
    ":lanchat CAP * LS :away-notify batch cap-notify draft/chathistory draft/multiline=max-bytes=4000,max-lines=5 " +
      "echo-message message-tags multi-prefix sasl=PLAIN,EXTERNAL server-time",
  );
  assert.equal(
    await irc.ask("CAP LS", "CAP"),
    ":lanchat CAP * LS :away-notify batch cap-notify draft/chathistory draft/multiline echo-message message-tags " +
      "multi-prefix sasl server-time",
  );
  assert.equal(
    await irc.ask("CAP REQ :multi-prefix message-tags batch", "CAP"),
    ":lanchat CAP * ACK :multi-prefix message-tags batch",
  );
});

Deno.test("history on join is a chathistory batch with time and msgid; without batch, plain lines", async () => {
  await using server = await startServer();
  const port = server.addr.port;
  await using nat = await NativeClient.connect(port, "nat");
  await nat.send({ type: "msg", text: "first" });
  await nat.send({ type: "msg", text: "second" });
  const second = await nat.next("msg", (m) => m.text === "second");
  await using irc = await IrcClient.registered(port, "ana", "batch server-time message-tags");
  const start = irc.lines.findIndex((l) => / BATCH \+\S+ chathistory #lobby$/.test(l));
  assert.ok(start !== -1, irc.lines.join("\n"));
  const ref = irc.lines[start].split(" ")[2].slice(1);
  const inside = irc.lines.slice(start + 1, start + 3);
  assert.match(
    inside[0],
    new RegExp(`^@batch=${ref};time=\\S+;msgid=\\d+-\\w+ :nat!nat@lanchat PRIVMSG #lobby :first$`),
  );
  assert.ok(inside[1].includes(`;msgid=${second.id}-`), inside[1]);
  assert.ok(inside[1].includes(`;time=${new Date(second.ts).toISOString()};`), inside[1]);
  assert.equal(irc.lines[start + 3], `:lanchat BATCH -${ref}`);
  await using old = await IrcClient.registered(port, "bo");
  assert.ok(!old.lines.some((l) => l.includes("BATCH")));
  assert.ok(old.lines.some((l) => /PRIVMSG #lobby :\[\d\d:\d\d UTC\] second$/.test(l)));
  // A live message carries its msgid too.
  await nat.send({ type: "msg", text: "live" });
  const live = await nat.next("msg", (m) => m.text === "live");
  const line = await irc.command("PRIVMSG", 0, (l) => l.endsWith(":live"));
  assert.ok(line.includes(`msgid=${live.id}-`), line);
});

Deno.test("draft/multiline: a multi-line message arrives as one batch where negotiated, lines otherwise", async () => {
  await using server = await startServer();
  const port = server.addr.port;
  await using nat = await NativeClient.connect(port, "nat");
  await using ml = await IrcClient.registered(port, "ml", "batch draft/multiline");
  await using plain = await IrcClient.registered(port, "pl");
  await nat.send({ type: "msg", text: "one\ntwo" });
  const event = await nat.next("msg", (m) => m.text === "one\ntwo");
  const open = await ml.command("BATCH", 0, (l) => l.includes("draft/multiline"));
  const at = ml.lines.indexOf(open);
  assert.equal(open, `:nat!nat@lanchat BATCH +m${event.id} draft/multiline #lobby`);
  await ml.command("BATCH", at + 1);
  assert.deepEqual(ml.lines.slice(at + 1, at + 4), [
    `@batch=m${event.id} :nat!nat@lanchat PRIVMSG #lobby :one`,
    `@batch=m${event.id} :nat!nat@lanchat PRIVMSG #lobby :two`,
    `:nat!nat@lanchat BATCH -m${event.id}`,
  ]);
  await plain.command("PRIVMSG", 0, (l) => l.endsWith(":two"));
  assert.ok(plain.lines.includes(":nat!nat@lanchat PRIVMSG #lobby :one"));
});

Deno.test("draft/multiline: a client's batch is ONE lanchat message; over the line limit it FAILs", async () => {
  await using server = await startServer({ maxMessageLines: 3 });
  const port = server.addr.port;
  await using nat = await NativeClient.connect(port, "nat");
  await using irc = await IrcClient.registered(port, "ana", "batch draft/multiline");
  await irc.send(
    "BATCH +b1 draft/multiline #lobby",
    "@batch=b1 PRIVMSG #lobby :hello",
    "@batch=b1 PRIVMSG #lobby :wor",
    "@batch=b1;draft/multiline-concat PRIVMSG #lobby :ld",
    "BATCH -b1",
  );
  const got = await nat.next("msg", (m) => m.from === "ana");
  assert.equal(got.text, "hello\nworld");
  // Opening a batch answers nothing: the PONG after it is the next line.
  const opened = irc.lines.length;
  await irc.send("BATCH +b2 draft/multiline #lobby", "PING mark");
  await irc.command("PONG", opened);
  assert.ok(!irc.lines.slice(opened).some((l) => l.includes("FAIL")), irc.lines.join("\n"));
  await irc.send(...["a", "b", "c", "d"].map((t) => `@batch=b2 PRIVMSG #lobby :${t}`));
  assert.equal(
    await irc.ask("BATCH -b2", "FAIL"),
    ":lanchat FAIL BATCH MULTILINE_MAX_LINES 3 :Multiline batch max-lines exceeded",
  );
  assert.equal(
    await irc.ask("BATCH -nope", "FAIL"),
    ":lanchat FAIL BATCH INVALID_REFTAG -nope :No such batch is open",
  );
  await irc.ask("PING still", "PONG");
});

Deno.test("LUSERS, MOTD, USERHOST, ISON, TIME and VERSION answer with their numerics", async () => {
  await using server = await startServer({ motd: "be nice" });
  const port = server.addr.port;
  await using nat = await NativeClient.connect(port, "Nat");
  await using irc = await IrcClient.registered(port, "ana");
  let from = irc.lines.length;
  await irc.send("LUSERS");
  await irc.command("255", from);
  assert.deepEqual(irc.lines.slice(from), [
    ":lanchat 251 ana :There are 2 users and 0 invisible on 1 servers",
    ":lanchat 252 ana 0 :operator(s) online",
    ":lanchat 254 ana 1 :channels formed",
    ":lanchat 255 ana :I have 2 clients and 0 servers",
  ]);
  from = irc.lines.length;
  await irc.send("MOTD");
  await irc.command("376", from);
  assert.deepEqual(irc.lines.slice(from), [
    ":lanchat 375 ana :- lanchat Message of the day -",
    ":lanchat 372 ana :- be nice",
    ":lanchat 376 ana :End of /MOTD command",
  ]);
  assert.equal(
    await irc.ask("USERHOST nat zed ana", "302"),
    ":lanchat 302 ana :Nat=+Nat@lanchat ana=+ana@lanchat",
  );
  assert.equal(await irc.ask("ISON zed NAT ana", "303"), ":lanchat 303 ana :Nat ana");
  assert.equal(await irc.ask("ISON :zed nat", "303"), ":lanchat 303 ana :Nat");
  assert.match(
    await irc.ask("TIME", "391"),
    /^:lanchat 391 ana lanchat :\w{3}, \d\d \w{3} \d{4} [\d:]{8} GMT$/,
  );
  assert.match(await irc.ask("VERSION", "351"), /^:lanchat 351 ana lanchat-\S+ lanchat :/);
  await irc.command("005", irc.lines.length - 1);
  await nat.send({ type: "cmd", name: "quit", args: "" });
  assert.equal(await irc.ask("ISON nat", "303"), ":lanchat 303 ana :");
});

Deno.test("KICK and MODE +b by a member who is no operator get 482; other modes 472; missing parameters 461", async () => {
  // Twelve answers in a row: each costs the rate limit (irc_attack_test.ts), not tested here.
  await using server = await startServer({ rateLimit: false });
  await using irc = await IrcClient.registered(server.addr.port, "ana");
  await using bo = await IrcClient.registered(server.addr.port, "bo");
  assert.match(await irc.ask("KICK #lobby bo :go", "482"), /^:lanchat 482 ana #lobby :.+/);
  assert.match(await irc.ask("MODE #lobby +b bo", "482"), /^:lanchat 482 ana #lobby :.+/);
  assert.equal(
    await irc.ask("MODE #lobby +m", "472"),
    ":lanchat 472 ana m :is unknown mode char to me",
  );
  assert.equal(
    await irc.ask("MODE #lobby +b *!*@10.0.0.1", "696"),
    ":lanchat 696 ana #lobby b *!*@10.0.0.1 :lanchat bans a member by nick (its key and address): use a nick, nick!*@* or *!*nick@lanchat",
  );
  assert.equal(
    await irc.ask("MODE #lobby b", "368"),
    ":lanchat 368 ana #lobby :End of channel ban list",
  );
  for (
    const [line, command] of [
      ["KICK #lobby", "KICK"],
      ["USERHOST", "USERHOST"],
      ["ISON", "ISON"],
      ["MODE", "MODE"],
      ["TAGMSG", "TAGMSG"],
      ["JOIN", "JOIN"],
    ]
  ) {
    assert.equal(await irc.ask(line, "461"), `:lanchat 461 ana ${command} :Not enough parameters`);
  }
  // WHOIS without a nick: 431, as RFC 2812 lists for it.
  assert.equal(await irc.ask("WHOIS", "431"), ":lanchat 431 ana :No nickname given");
  assert.equal(await irc.ask("FROB x", "421"), ":lanchat 421 ana FROB :Unknown command");
  // TAGMSG is accepted and dropped: nothing reaches bo, the connection stays.
  await irc.send("@+typing=active TAGMSG #lobby");
  await irc.ask("PING still", "PONG");
  assert.ok(!bo.lines.some((l) => l.includes("TAGMSG")));
});

Deno.test("--irc-port: every connection there is IRC from the first byte, lower case and PING first included", async () => {
  await using server = await startServer({ ircPort: 0 });
  const port = server.ircAddr!.port;
  assert.notEqual(port, server.addr.port);
  await using irc = await IrcClient.connect(port);
  // No sniffing: "nick" in lower case and a PING first would make a text client on the shared port.
  assert.equal(await irc.ask("PING early", "PONG"), ":lanchat PONG lanchat :early");
  assert.equal(await irc.ask("JOIN #x", "451"), ":lanchat 451 * :You have not registered");
  await irc.send("nick ana", "user ana 0 * :Ana");
  await irc.command("366");
  assert.ok(!irc.lines.some((l) => l.includes("Nick?")), irc.lines.join("\n"));
  await using nat = await NativeClient.connect(server.addr.port, "nat");
  await irc.send("PRIVMSG #lobby :from the irc port");
  assert.equal((await nat.next("msg", (m) => m.from === "ana")).text, "from the irc port");
});

Deno.test("chat-server --irc-port 0 prints the port it picked, and an IRC client registers there", async () => {
  const { server } = await runServer(["--irc-port", "0"]);
  await using _ = server;
  const line = await server.waitStdout((l) => l.startsWith("IRC clients only: 127.0.0.1:"));
  await using irc = await IrcClient.connect(Number(line.split(":").at(-1)));
  await irc.register("ana");
  assert.ok(irc.lines.some((l) => l.startsWith(":lanchat 001 ana ")), irc.lines.join("\n"));
});
