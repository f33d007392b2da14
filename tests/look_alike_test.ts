import assert from "node:assert/strict";
import { NativeClient, runServer, testKey, TextClient } from "./test_util.ts";

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

Deno.test("end to end: a look-alike of a registered nick is refused after the server restarts on its data directory", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lanchat-look-alike-" });
  try {
    const key = await testKey();
    {
      const { server, port } = await runServer(["--data-dir", dir]);
      await using _server = server;
      await using bob = await NativeClient.connect(port, "bob", { key });
      await bob.send({ type: "cmd", name: "register", args: "" });
      await bob.next("notice", (notice) => /registered/i.test(notice.message));
    }
    const { server, port } = await runServer(["--data-dir", dir]);
    await using _server = server;
    await using eve = await NativeClient.connect(port);
    await eve.send({ type: "hello", protocol: 1, nick: "bоb", client: "test" });
    assert.deepEqual(await eve.next("error"), {
      type: "error",
      code: "nick_registered",
      message: 'Nick "bоb" looks like "bob", a registered nick',
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
