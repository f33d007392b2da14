/**
 * NOTICE over real sockets on 127.0.0.1: an IRC NOTICE (to a room, to a
 * nick) is a lanchat notice, which every reader sees as one: IRC readers as
 * NOTICE (with echo-message, tags, multiline batches and the history
 * replay), native clients as kind "notice", text clients as `-nick- text`.
 */

import assert from "node:assert/strict";
import { startServer } from "./_in_process_server.ts";
import { IrcClient, ircCommand } from "./_irc_client.ts";
import { NativeClient } from "./_native_client.ts";
import { TextClient } from "./_text_client.ts";

Deno.test("an IRC NOTICE to a room and to a nick arrives as NOTICE, kind notice, and -nick- text", async () => {
  await using server = await startServer();
  const port = server.addr.port;
  await using nat = await NativeClient.connect(port, "nat");
  await using txt = await TextClient.connect(port, "txt");
  await using bob = await IrcClient.registered(port, "bob");
  await using ana = await IrcClient.registered(port, "ana", "echo-message");
  await ana.send("NOTICE #lobby :build \x02green\x02", "NOTICE bob :ping", "NOTICE nat :pong");
  // IRC readers: NOTICE, never PRIVMSG; the sender's own echoed as NOTICE too.
  await bob.command("NOTICE", 0, (l) => l === ":ana!ana@lanchat NOTICE #lobby :build green");
  await bob.command("NOTICE", 0, (l) => l === ":ana!ana@lanchat NOTICE bob :ping");
  await ana.command("NOTICE", 0, (l) => l === ":ana!ana@lanchat NOTICE #lobby :build green");
  await ana.command("NOTICE", 0, (l) => l === ":ana!ana@lanchat NOTICE bob :ping");
  await ana.command("NOTICE", 0, (l) => l === ":ana!ana@lanchat NOTICE nat :pong");
  for (const irc of [ana, bob]) {
    assert.ok(!irc.lines.some((l) => ircCommand(l) === "PRIVMSG"), irc.lines.join("\n"));
  }
  // A native client: kind notice, in the room and in private.
  const said = await nat.next("msg", (m) => m.from === "ana");
  assert.deepEqual([said.kind, said.text], ["notice", "build green"]);
  const told = await nat.next("dm", (m) => m.from === "ana");
  assert.deepEqual([told.kind, told.to, told.text], ["notice", "nat", "pong"]);
  // A text client: marked with the nick between dashes.
  await txt.waitLine((l) => / -ana- build green$/.test(l));
});

Deno.test("a native /notice reaches IRC readers as NOTICE with tags, batches and history", async () => {
  await using server = await startServer();
  const port = server.addr.port;
  await using nat = await NativeClient.connect(port, "nat");
  await using ml = await IrcClient.registered(
    port,
    "ml",
    "batch draft/multiline server-time message-tags",
  );
  await using plain = await IrcClient.registered(port, "pl");
  await nat.send({ type: "cmd", name: "notice", args: "#lobby one\ntwo" });
  const event = await nat.next("msg", (m) => m.text === "one\ntwo");
  assert.equal(event.kind, "notice");
  const open = await ml.command("BATCH", 0, (l) => l.includes("draft/multiline"));
  const at = ml.lines.indexOf(open);
  assert.match(open, /^@time=\S+;msgid=\S+ :nat!nat@lanchat BATCH \+m\d+ draft\/multiline #lobby$/);
  await ml.command("BATCH", at + 1);
  assert.deepEqual(ml.lines.slice(at + 1, at + 4), [
    `@batch=m${event.id} :nat!nat@lanchat NOTICE #lobby :one`,
    `@batch=m${event.id} :nat!nat@lanchat NOTICE #lobby :two`,
    `:nat!nat@lanchat BATCH -m${event.id}`,
  ]);
  // Without the batch: one NOTICE a line.
  await plain.command("NOTICE", 0, (l) => l === ":nat!nat@lanchat NOTICE #lobby :two");
  assert.ok(plain.lines.includes(":nat!nat@lanchat NOTICE #lobby :one"));
  // A private notice, with its time.
  await nat.send({ type: "cmd", name: "notice", args: "ml psst" });
  await ml.command("NOTICE", 0, (l) => /^@time=\S+ :nat!nat@lanchat NOTICE ml :psst$/.test(l));
  // Replayed on join (here: the welcome's history), a notice stays a NOTICE.
  await using late = await IrcClient.registered(port, "late", "batch server-time");
  await late.command("NOTICE", 0, (l) => / :nat!nat@lanchat NOTICE #lobby :two$/.test(l));
  assert.ok(!late.lines.some((l) => ircCommand(l) === "PRIVMSG"), late.lines.join("\n"));
});

Deno.test("a bot answering PRIVMSG never answers a NOTICE: a PRIVMSG stays a PRIVMSG", async () => {
  await using server = await startServer();
  const port = server.addr.port;
  await using bob = await IrcClient.registered(port, "bob");
  await using ana = await IrcClient.registered(port, "ana");
  await ana.send("PRIVMSG #lobby :question", "NOTICE #lobby :answer");
  const answer = await bob.command("NOTICE", 0, (l) => l.endsWith(":answer"));
  const question = await bob.command("PRIVMSG", 0, (l) => l.endsWith(":question"));
  assert.ok(bob.lines.indexOf(question) < bob.lines.indexOf(answer));
});
