/**
 * Room topics, away status and the private /me over real sockets on
 * 127.0.0.1: native, text and IRC clients in one room see the same topic
 * and away changes, each in its own form; a topic survives a restart of the
 * real server.ts with a data directory.
 */

import assert from "node:assert/strict";
import { runServer } from "./_entry_process.ts";
import { startServer } from "./_in_process_server.ts";
import { IrcClient, ircCommand } from "./_irc_client.ts";
import { NativeClient } from "./_native_client.ts";
import { TextClient } from "./_text_client.ts";

/**
 * A server (no rate limit) and one client of each kind in #lobby: native
 * `ana`, text `tex`, and IRC `ric` registered with `registration`'s lines.
 */
async function oneOfEachKind(
  ...registration: string[]
): Promise<
  { port: number; ana: NativeClient; nc: TextClient; irc: IrcClient } & AsyncDisposable
> {
  await using stack = new AsyncDisposableStack();
  const server = stack.use(await startServer({ rateLimit: false }));
  const port = server.addr.port;
  const ana = stack.use(await NativeClient.connect(port, "ana"));
  const nc = stack.use(await TextClient.connect(port, "tex"));
  const irc = stack.use(await IrcClient.connect(port));
  await irc.send(...(registration.length ? registration : ["NICK ric", "USER ric 0 * :Ric"]));
  await irc.command("366");
  const all = stack.move();
  return { port, ana, nc, irc, [Symbol.asyncDispose]: () => all.disposeAsync() };
}

Deno.test("a topic set by any client reaches native, text and IRC clients; joiners get it", async () => {
  await using clients = await oneOfEachKind();
  const { port, ana, nc, irc } = clients;

  // Set from IRC, seen everywhere.
  await irc.send("TOPIC #lobby :release on friday");
  assert.equal(
    await irc.command("TOPIC"),
    ":ric!ric@lanchat TOPIC #lobby :release on friday",
  );
  const topic = await ana.next("topic");
  assert.deepEqual([topic.nick, topic.text, topic.room], ["ric", "release on friday", "#lobby"]);
  await nc.waitLine((l) => l.endsWith("* ric set the topic of #lobby: release on friday"));

  // Asked for from IRC: 332 and 333 (who set it, when, in seconds).
  let from = irc.lines.length;
  await irc.send("TOPIC #lobby");
  assert.equal(await irc.command("332", from), ":lanchat 332 ric #lobby :release on friday");
  assert.match(await irc.command("333", from), /^:lanchat 333 ric #lobby ric!ric@lanchat \d{10}$/);

  // Set from the text client; cleared from the native one; IRC sees both.
  from = irc.lines.length;
  await nc.sendLine("/topic lunch at noon");
  await irc.command("TOPIC", from, (l) => l.endsWith(":lunch at noon"));
  await ana.send({ type: "cmd", name: "topic", args: "--clear" });
  assert.equal(
    await irc.command("TOPIC", from, (l) => l.startsWith(":ana!")),
    ":ana!ana@lanchat TOPIC #lobby :",
  );
  from = irc.lines.length;
  await irc.send("TOPIC #lobby");
  assert.equal(await irc.command("331", from), ":lanchat 331 ric #lobby :No topic is set");

  // A joiner's welcome and JOIN burst carry the topic (332 before the names).
  await irc.send("TOPIC #lobby :be kind");
  await ana.next("topic", (e) => e.text === "be kind");
  await using bob = await NativeClient.connect(port, "bob");
  const welcome = bob.events[0];
  assert.equal(welcome.type === "welcome" && welcome.topic?.text, "be kind");
  await using late = await IrcClient.connect(port);
  await late.send("NICK late", "USER late 0 * :Late");
  await late.command("366");
  const burst = late.lines.map(ircCommand);
  assert.ok(burst.indexOf("332") > burst.indexOf("JOIN"), late.lines.join("\n"));
  assert.ok(burst.indexOf("332") < burst.indexOf("353"), late.lines.join("\n"));
  await using text2 = await TextClient.connect(port, "tex2");
  await text2.waitLine((l) => l === "Topic: be kind (set by ric)");
  // LIST shows it too.
  from = late.lines.length;
  await late.send("LIST");
  assert.equal(await late.command("322", from), ":lanchat 322 late #lobby 6 :be kind");
});

Deno.test("away reaches IRC clients that asked for away-notify, native and text clients, WHO and WHOIS", async () => {
  await using clients = await oneOfEachKind(
    "CAP LS 302",
    "NICK ric",
    "USER ric 0 * :Ric",
    "CAP REQ :away-notify",
    "CAP END",
  );
  const { port, ana, nc, irc } = clients;
  await using plain = await IrcClient.connect(port);
  await plain.send("NICK pla", "USER pla 0 * :Pla");
  await plain.command("366");

  // The native client goes away: others see it each in their form.
  await ana.send({ type: "cmd", name: "away", args: "lunch" });
  const own = await ana.next("away");
  assert.deepEqual([own.nick, own.message], ["ana", "lunch"]);
  assert.equal(await irc.command("AWAY"), ":ana!ana@lanchat AWAY :lunch");
  await nc.waitLine((l) => l.endsWith("* ana is away: lunch"));

  // WHO marks her G, WHOIS says 301; a PRIVMSG to her is answered with 301.
  let from = plain.lines.length;
  await plain.send("WHO #lobby");
  assert.match(await plain.command("352", from, (l) => l.endsWith(" ana")), / G :0 ana$/);
  assert.match(await plain.command("352", from, (l) => l.endsWith(" pla")), / H :0 pla$/);
  await plain.send("WHOIS ana");
  assert.equal(await plain.command("301", from), ":lanchat 301 pla ana :lunch");
  from = plain.lines.length;
  await plain.send("PRIVMSG ana :are you there?");
  assert.equal(await plain.command("301", from), ":lanchat 301 pla ana :lunch");
  await ana.next("dm", (e) => e.text === "are you there?");
  // The IRC client without away-notify was not sent the AWAY line.
  assert.ok(!plain.lines.some((l) => ircCommand(l) === "AWAY"), plain.lines.join("\n"));

  // IRC's own AWAY: 306, then 305; others see it; a second AWAY alone is still 305.
  from = irc.lines.length;
  await irc.send("AWAY :in a meeting");
  await irc.command("306", from);
  const away = await ana.next("away", (e) => e.nick === "ric");
  assert.equal(away.message, "in a meeting");
  await nc.waitLine((l) => l.endsWith("* ric is away: in a meeting"));
  await nc.sendLine("/who");
  await nc.waitLine((l) => l.startsWith("#lobby (4):") && l.includes("ric (away)"));
  await irc.send("AWAY");
  await irc.command("305", from);
  await ana.next("away", (e) => e.nick === "ric" && e.message === undefined);
  from = irc.lines.length;
  await irc.send("AWAY");
  await irc.command("305", from);

  // Away clears on disconnect: a new ana is here.
  await ana.send({ type: "cmd", name: "quit", args: "" });
  await ana.waitEnd();
  await using _again = await NativeClient.connect(port, "ana");
  from = plain.lines.length;
  await plain.send("WHO #lobby");
  assert.match(await plain.command("352", from, (l) => l.endsWith(" ana")), / H :0 ana$/);
});

Deno.test("a private /me crosses IRC, native and text clients as an action", async () => {
  await using clients = await oneOfEachKind();
  const { ana, nc, irc } = clients;

  await irc.send("PRIVMSG ana :\x01ACTION waves\x01");
  const dm = await ana.next("dm");
  assert.deepEqual([dm.from, dm.to, dm.text, dm.kind], ["ric", "ana", "waves", "action"]);
  await ana.send({ type: "cmd", name: "describe", args: "ric nods" });
  assert.equal(await irc.command("PRIVMSG"), ":ana!ana@lanchat PRIVMSG ric :\x01ACTION nods\x01");
  await nc.sendLine("/describe ana smiles");
  await nc.waitLine((l) => l.endsWith("[tex -> ana] * tex smiles"));
  const smile = await ana.next("dm", (e) => e.from === "tex");
  assert.equal(smile.kind, "action");
});

Deno.test("a topic survives a restart of the server with a data directory", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lanchat-data-" });
  try {
    const flags = ["--data-dir", dir, "--no-rate-limit"];
    const first = await runServer(flags);
    {
      await using ana = await NativeClient.connect(first.port, "ana");
      await ana.send({ type: "cmd", name: "join", args: "#dev" });
      await ana.send({ type: "cmd", name: "topic", args: "#dev kept across restarts" });
      await ana.next("topic");
    }
    first.server.kill("SIGTERM");
    assert.equal((await first.server.finished()).code, 0);

    const second = await runServer(flags);
    await using _ = second.server;
    await using bob = await NativeClient.connect(second.port, "bob");
    await bob.send({ type: "cmd", name: "join", args: "#dev" });
    const joined = await bob.next("joined");
    assert.deepEqual(
      [joined.topic?.text, joined.topic?.by],
      ["kept across restarts", "ana"],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
