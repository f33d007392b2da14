import assert from "node:assert/strict";
import { NativeClient, runServer, TextClient } from "./test_util.ts";

Deno.test("end to end: look-alikes of an online nick are refused by server.ts, to nc and native clients alike", async () => {
  const { server, port } = await runServer();
  await using _server = server;
  await using _bob = await NativeClient.connect(port, "bob");
  await using text = await TextClient.connect(port);
  for (
    const [nick, error] of [
      ["bоb", '! Nick "bоb" looks like "bob", who is online'],
      ["ѕerver", '! Nick "ѕerver" looks like "server", a reserved nick; pick another'],
      ["bob\u0345", '! Nick "bob\u0345" looks like "bob", who is online'],
      ["龙".repeat(24), /^! Nick "龙+" is 48 columns wide; the limit is 24/],
    ] as const
  ) {
    const from = text.lines.length;
    await text.sendLine(nick);
    const line = await text.waitLine((l) => l.startsWith("! "), from);
    if (typeof error === "string") assert.equal(line, error);
    else assert.match(line, error);
  }
  await text.sendLine("robert");
  await text.waitLine((line) => line === "Welcome to lanchat, robert!");
  await using eve = await NativeClient.connect(port);
  await eve.send({ type: "hello", protocol: 1, nick: "Воb", client: "test" });
  const refused = await eve.next("error");
  assert.deepEqual(refused, {
    type: "error",
    code: "nick_taken",
    message: 'Nick "Воb" looks like "bob", who is online',
  });
});
