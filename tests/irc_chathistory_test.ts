/**
 * IRCv3 `draft/chathistory` over real sockets on 127.0.0.1: every
 * subcommand by msgid and by timestamp, limits, a nick target, the errors;
 * and `/history --after` from a text client (`nc`).
 */

import assert from "node:assert/strict";
import type { MessageEvent } from "../lib/core/events.ts";
import { msgid } from "../lib/protocol/irc_batch.ts";
import { startServer } from "./_in_process_server.ts";
import { IrcClient, ircCommand } from "./_irc_client.ts";
import { NativeClient } from "./_native_client.ts";
import { TextClient } from "./_text_client.ts";

const CAPS = "batch server-time message-tags draft/chathistory";

/** Ten messages from a native client, each in a millisecond of its own. */
async function tenMessages(port: number, nat: NativeClient): Promise<MessageEvent[]> {
  const sent: MessageEvent[] = [];
  for (let i = 0; i < 10; i++) {
    await nat.send({ type: "msg", text: `message ${i}` });
    const event = await nat.next("msg", (m) => m.text === `message ${i}`);
    sent.push(event as MessageEvent);
    // The next message's time must differ, for the queries by timestamp: wait for the clock.
    while (Date.now() <= event.ts) await new Promise((resolve) => setTimeout(resolve, 1));
  }
  assert.equal(new Set(sent.map((m) => m.ts)).size, 10, `port ${port}`);
  return sent;
}

/** The answer to `line`: the texts of the batch's messages (checking its tags), or the FAIL line. */
async function ask(irc: IrcClient, line: string, target = "#lobby"): Promise<string[] | string> {
  const from = irc.lines.length;
  await irc.send(line);
  const first = await irc.waitLine(
    (l) => ircCommand(l) === "BATCH" || ircCommand(l) === "FAIL",
    from,
  );
  if (ircCommand(first) === "FAIL") return first;
  const [, , open, type, named] = first.split(" ");
  assert.equal(type, "chathistory");
  assert.equal(named, target);
  const ref = open.slice(1);
  const end = await irc.waitLine((l) => l === `:lanchat BATCH -${ref}`, from);
  const inside = irc.lines.slice(irc.lines.indexOf(first) + 1, irc.lines.indexOf(end, from));
  return inside.map((l) => {
    assert.match(l, new RegExp(`^@batch=${ref};time=[^;]+Z;msgid=\\d+-\\w+ :\\S+ PRIVMSG `), l);
    return l.slice(l.indexOf(" :", l.indexOf("PRIVMSG")) + 2);
  });
}

Deno.test("CHATHISTORY LATEST, BEFORE, AFTER, AROUND and BETWEEN by msgid and timestamp", async () => {
  await using server = await startServer({ rateLimit: false });
  const port = server.addr.port;
  await using nat = await NativeClient.connect(port, "nat");
  const m = await tenMessages(port, nat);
  const texts = (from: number, to = 10) => m.slice(from, to).map((e) => e.text);
  const id = (i: number) => `msgid=${msgid("#lobby", m[i].id)}`;
  const time = (i: number) => `timestamp=${new Date(m[i].ts).toISOString()}`;
  await using irc = await IrcClient.registered(port, "ana", CAPS);
  // With draft/chathistory the client asks itself: no batch replayed on JOIN.
  assert.ok(!irc.lines.some((l) => / BATCH \+\S+ chathistory/.test(l)), irc.lines.join("\n"));
  const isupport = irc.lines.filter((l) => ircCommand(l) === "005").join(" ");
  assert.match(isupport, / CHATHISTORY=500 MSGREFTYPES=msgid,timestamp /);

  const cases: [string, string[]][] = [
    ["LATEST #lobby * 20", texts(0)],
    ["LATEST #lobby * 3", texts(7)],
    ["LATEST #lobby * 1", texts(9)],
    [`LATEST #lobby ${id(4)} 20`, texts(5)],
    [`LATEST #lobby ${time(4)} 20`, texts(5)],
    [`BEFORE #lobby ${id(6)} 20`, texts(0, 6)],
    [`BEFORE #lobby ${time(6)} 20`, texts(0, 6)],
    [`BEFORE #lobby ${time(6)} 2`, texts(4, 6)],
    [`AFTER #lobby ${id(3)} 20`, texts(4)],
    [`AFTER #lobby ${time(3)} 20`, texts(4)],
    [`AFTER #lobby ${time(3)} 3`, texts(4, 7)],
    [`AFTER #lobby ${id(9)} 3`, []],
    [`BETWEEN #lobby ${id(0)} ${id(9)} 20`, texts(1, 9)],
    [`BETWEEN #lobby ${id(9)} ${id(0)} 20`, texts(1, 9)],
    [`BETWEEN #lobby ${id(0)} ${id(9)} 3`, texts(1, 4)],
    [`BETWEEN #lobby ${id(9)} ${id(0)} 3`, texts(6, 9)],
    [`BETWEEN #lobby ${time(0)} ${time(9)} 3`, texts(1, 4)],
    [`BETWEEN #lobby ${time(9)} ${time(0)} 3`, texts(6, 9)],
    [`BETWEEN #lobby ${time(9)} ${id(0)} 3`, texts(6, 9)],
    [`AROUND #lobby ${id(7)} 1`, texts(7, 8)],
    [`AROUND #lobby ${id(7)} 3`, texts(6, 9)],
    [`AROUND #lobby ${time(7)} 3`, texts(6, 9)],
    // More than CHATHISTORY= allows is served up to it; the subcommand in lower case too.
    ["latest #lobby * 100000", texts(0)],
  ];
  for (const [line, expected] of cases) {
    assert.deepEqual(await ask(irc, `CHATHISTORY ${line}`), expected, line);
  }
  // A msgid and time in the batch are those the message had when it was sent.
  await irc.send(`CHATHISTORY AROUND #lobby ${id(2)} 1`);
  const line = await irc.waitLine((l) => l.endsWith(":message 2") && l.includes("batch="));
  assert.ok(line.includes(`time=${new Date(m[2].ts).toISOString()};${id(2)} `), line);
});

Deno.test("CHATHISTORY errors: FAIL with the spec's codes; a nick target gets an empty batch", async () => {
  await using server = await startServer({ rateLimit: false });
  const port = server.addr.port;
  await using nat = await NativeClient.connect(port, "nat");
  await nat.send({ type: "cmd", name: "join", args: "#secret" });
  await nat.send({ type: "msg", text: "members only", room: "#secret" });
  const secret = await nat.next("msg", (m) => m.text === "members only");
  await using irc = await IrcClient.registered(port, "ana", CAPS);
  const fails: [string, string][] = [
    ["CHATHISTORY", "FAIL CHATHISTORY NEED_MORE_PARAMS * :"],
    ["CHATHISTORY LATEST #lobby *", "FAIL CHATHISTORY NEED_MORE_PARAMS LATEST :"],
    ["CHATHISTORY BETWEEN #lobby * 10", "FAIL CHATHISTORY NEED_MORE_PARAMS BETWEEN :"],
    ["CHATHISTORY SOMETIME #lobby * 10", "FAIL CHATHISTORY UNKNOWN_COMMAND SOMETIME :"],
    ["CHATHISTORY LATEST #nowhere * 10", "FAIL CHATHISTORY INVALID_TARGET LATEST #nowhere :"],
    ["CHATHISTORY LATEST #secret * 10", "FAIL CHATHISTORY INVALID_TARGET LATEST #secret :"],
    ["CHATHISTORY BEFORE #lobby * 10", "FAIL CHATHISTORY INVALID_PARAMS BEFORE * :"],
    ["CHATHISTORY LATEST #lobby * 0", "FAIL CHATHISTORY INVALID_PARAMS LATEST 0 :"],
    ["CHATHISTORY LATEST #lobby * ten", "FAIL CHATHISTORY INVALID_PARAMS LATEST ten :"],
    ["CHATHISTORY AFTER #lobby id=3 10", "FAIL CHATHISTORY INVALID_PARAMS AFTER id=3 :"],
    ["CHATHISTORY AFTER #lobby timestamp=yesterday 10", "FAIL CHATHISTORY INVALID_PARAMS AFTER"],
    [
      "CHATHISTORY AFTER #lobby timestamp=2024-02-30T00:00:00.000Z 10",
      "FAIL CHATHISTORY INVALID_PARAMS AFTER",
    ],
    [
      "CHATHISTORY BEFORE #lobby timestamp=2024-05-01T24:00:00.000Z 10",
      "FAIL CHATHISTORY INVALID_PARAMS BEFORE",
    ],
    // The msgid of another room's message names no place in this one.
    [
      `CHATHISTORY AFTER #lobby msgid=${msgid("#secret", secret.id)} 10`,
      "FAIL CHATHISTORY INVALID_PARAMS AFTER",
    ],
  ];
  for (const [line, expected] of fails) {
    const answer = await ask(irc, line);
    assert.equal(typeof answer, "string", `${line}: ${answer}`);
    assert.ok((answer as string).startsWith(`:lanchat ${expected}`), `${line}: ${answer}`);
  }
  // Private conversations are not served: an empty batch, not an error.
  assert.deepEqual(await ask(irc, "CHATHISTORY LATEST nat * 10", "nat"), []);
  // The connection still works, and a request after the FAILs is answered in its turn.
  assert.deepEqual(await ask(irc, "CHATHISTORY LATEST #lobby * 10"), []);
});

Deno.test("/history --after pages forward in a text client (nc)", async () => {
  await using server = await startServer({ rateLimit: false });
  const port = server.addr.port;
  await using nat = await NativeClient.connect(port, "nat");
  const m = await tenMessages(port, nat);
  await using nc = await TextClient.connect(port, "bo");
  const from = nc.lines.length;
  await nc.sendLine(`/history --after ${m[2].id} 3`);
  const hint = await nc.waitLine((l) => l.startsWith("-- newer messages"), from);
  assert.equal(hint, `-- newer messages: /history --after ${m[5].id} 3 --`);
  const shown = nc.lines.slice(from).filter((l) => l.includes("(history)"));
  assert.deepEqual(shown.map((l) => l.replace(/^.*<nat> /, "")), [
    "message 3",
    "message 4",
    "message 5",
  ]);
  const at = nc.lines.length;
  await nc.sendLine(`/history --after ${new Date(m[7].ts).toISOString()}`);
  await nc.waitLine((l) => l.startsWith("-- 2 messages of #lobby --"), at);
  assert.deepEqual(
    nc.lines.slice(at).filter((l) => l.includes("(history)")).map((l) =>
      l.replace(/^.*<nat> /, "")
    ),
    ["message 8", "message 9"],
  );
});
