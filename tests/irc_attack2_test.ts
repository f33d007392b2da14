/**
 * A second hostile IRC user on the LAN, over real sockets on 127.0.0.1:
 * lines held behind a registration on its way, topics and away messages as
 * they reach IRC readers, and the codec's leftovers (batches, empty targets).
 */

import assert from "node:assert/strict";
import { startServer } from "./_in_process_server.ts";
import { IrcClient, ircCommand } from "./_irc_client.ts";
import { TextClient } from "./_text_client.ts";

const encoder = new TextEncoder();

/** The lines longer than IRC's 512 bytes (CR LF included, tags not). */
function overlong(lines: readonly string[]): string[] {
  return lines.filter((line) => encoder.encode(line.replace(/^@\S+ /, "")).length + 2 > 512);
}

Deno.test("a topic and an away message of 4-byte characters reach IRC readers in lines of at most 512 bytes", async () => {
  await using server = await startServer();
  const nick = "n".repeat(24);
  const room = `#${"r".repeat(32)}`;
  await using text = await TextClient.connect(server.addr.port, nick);
  await text.sendLine(`/join ${room}`);
  await text.sendLine(`/topic ${room} ${"𝕏".repeat(300)}`);
  await text.sendLine(`/away ${"𝕏".repeat(200)}`);
  await text.waitLine((line) => line.includes("marked as being away") || line.includes("away"));
  await using irc = await IrcClient.registered(server.addr.port, "b", "away-notify");
  await irc.send(`JOIN ${room}`);
  await irc.command("366", 0, (line) => line.includes(room));
  await text.sendLine(`/topic ${room} ${"𝕐".repeat(300)}`);
  await irc.command("TOPIC");
  await text.sendLine("/back");
  await text.sendLine(`/away ${"𝕐".repeat(200)}`);
  await irc.command("AWAY", 0, (line) => line.includes("𝕐"));
  await irc.send(`PRIVMSG ${nick} :hi`, `TOPIC ${room}`, "LIST", `WHOIS ${nick}`);
  await irc.command("318");
  for (const numeric of ["332", "322", "301"]) {
    assert.ok(irc.lines.some((line) => line.split(" ")[1] === numeric), numeric);
  }
  assert.deepEqual(overlong(irc.lines).map((line) => line.slice(0, 60)), []);
  // Cut at a character, not inside one.
  assert.ok(!irc.lines.some((line) => line.includes("\ufffd")));
});

Deno.test("lines pipelined past the held budget behind a registration are never answered 451 after the welcome", async () => {
  await using server = await startServer({ rateLimit: false });
  await using irc = await IrcClient.connect(server.addr.port);
  const joins = Array.from({ length: 24 }, (_, i) => `JOIN #r${i}`);
  await irc.send("NICK pip", "USER pip 0 * :pip", ...joins);
  await irc.command("366", 0, (line) => line.includes("#r23"));
  assert.ok(!irc.lines.some((line) => / 451 /.test(line)), irc.lines.join("\n"));
});

Deno.test("a registration followed by a flood in the same write is dropped as a flood, not answered 451 after the welcome", async () => {
  await using server = await startServer();
  await using irc = await IrcClient.connect(server.addr.port);
  await irc.write("NICK fl\r\nUSER fl 0 * :fl\r\n" + "PRIVMSG #lobby :x\r\n".repeat(500));
  await irc.command("ERROR", 0, (line) => line.includes("flood"));
  await irc.waitEnd();
  assert.ok(!irc.lines.some((line) => / 451 /.test(line)), irc.lines.join("\n"));
});

Deno.test("an empty target (PART :, TOPIC :, JOIN #a,) is never the current room", async () => {
  await using server = await startServer();
  await using irc = await IrcClient.registered(server.addr.port, "ana");
  const from = irc.lines.length;
  await irc.send("JOIN #x,", "PART :", "PART ,", "TOPIC : :hijacked", "WHOIS :", "JOIN :");
  await irc.send("TOPIC :#x --clear", "PRIVMSG :#x --x :hi");
  await irc.send("PING :end");
  await irc.command("PONG", from);
  const lines = irc.lines.slice(from);
  const commands = lines.map(ircCommand);
  assert.ok(!["PART", "TOPIC", "332"].some((c) => commands.includes(c)), lines.join("\n"));
  assert.ok(!lines.some((line) => line.includes("Usage")), lines.join("\n"));
  assert.equal(lines.filter((line) => / 461 /.test(line)).length, 5, lines.join("\n"));
  assert.equal(lines.filter((line) => / 431 /.test(line)).length, 1, lines.join("\n"));
});

Deno.test("a NUL in an unknown command is not echoed back in 421", async () => {
  await using server = await startServer();
  await using irc = await IrcClient.registered(server.addr.port, "ana");
  const line = await irc.ask("FOO\0BAR", "421");
  assert.ok(!line.includes("\0"), JSON.stringify(line));
  const invalid = await irc.ask("CAP X\0", "410");
  assert.equal(invalid, ":lanchat 410 ana X :Invalid CAP command");
  // CAP with nothing after it (the NUL gone): 461, never a 410 with an empty parameter.
  assert.equal(await irc.ask("CAP \0", "461"), ":lanchat 461 ana CAP :Not enough parameters");
});

Deno.test("a loop of CAP LS before registration ends in an excess-flood ERROR, not thousands of answers", async () => {
  await using server = await startServer();
  await using irc = await IrcClient.connect(server.addr.port);
  await irc.send(...Array.from({ length: 2000 }, () => "CAP LS 302"));
  assert.match(await irc.command("ERROR"), /Excess flood: more than 100 lines before registration/);
  await irc.waitEnd();
  assert.ok(irc.lines.filter((l) => ircCommand(l) === "CAP").length <= 100, irc.lines.length + "");
  // Registration itself (CAP, SASL, a few NICK retries) is far below the bound.
  await using fine = await IrcClient.connect(server.addr.port);
  await fine.send("CAP LS 302", ...Array.from({ length: 20 }, (_, i) => `NICK n${i}`));
  await fine.send("USER n 0 * :n", "CAP END");
  await fine.command("001");
});

Deno.test("lines that are not UTF-8 count against the bound before registration, and wait behind a hello", async () => {
  await using server = await startServer();
  await using irc = await IrcClient.connect(server.addr.port);
  const bad = new Uint8Array([...encoder.encode("PRIVMSG #x :"), 0xff, 0xfe, 32, 98, 13, 10]);
  const flood = new Uint8Array(bad.length * 2000);
  for (let i = 0; i < 2000; i++) flood.set(bad, i * bad.length);
  await irc.send("CAP LS 302");
  await irc.write(flood);
  assert.match(await irc.command("ERROR"), /Excess flood: more than 100 lines before registration/);
  await irc.waitEnd();
  assert.ok(irc.lines.filter((l) => ircCommand(l) === "FAIL").length <= 100, irc.lines.length + "");
  // Behind a hello on its way, in order with the lines around it: after the welcome.
  await using a = await IrcClient.connect(server.addr.port);
  await a.write(
    new Uint8Array([...encoder.encode("NICK a\r\nUSER a 0 * :a\r\nJOIN #x\r\n"), ...bad]),
  );
  await a.command("FAIL");
  const at = (command: string) => a.lines.findIndex((l) => ircCommand(l) === command);
  assert.ok(at("001") < at("JOIN") && at("JOIN") < at("FAIL"), a.lines.join("\n"));
});
