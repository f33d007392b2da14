import assert from "node:assert/strict";
import { runServer } from "./_entry_process.ts";
import { NativeClient, testKey } from "./_native_client.ts";
import { TextClient } from "./_text_client.ts";

Deno.test("end to end: look-alikes of an online nick are refused by server.ts, to nc and native clients alike", async () => {
  const { server, port } = await runServer();
  await using _server = server;
  await using _bob = await NativeClient.connect(port, "bob");
  await using text = await TextClient.connect(port);
  for (
    const [nick, error] of [
      ["ВОВ", '! Nick "ВОВ" looks like "bob", who is online'],
      [
        "bоb",
        '! Nick "bоb" mixes Latin ("b") and Cyrillic ("о"), scripts whose letters look alike; write it in one script',
      ],
      ["ѕerver", '! Nick "ѕerver" looks like "server", a reserved nick; pick another'],
      ["bob\u0323", '! Nick "bo\u1e05" looks like "bob", who is online'],
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
  await eve.send({ type: "hello", protocol: 1, nick: "ВоВ", client: "test" });
  const refused = await eve.next("error");
  assert.deepEqual(refused, {
    type: "error",
    code: "nick_taken",
    message: 'Nick "ВоВ" looks like "bob", who is online',
  });
});

Deno.test("end to end: with dave, eve, bob and kim online, a text client trying davɘ, eʋe, bⱺb, ĸim, daʌe is told why each is refused", async () => {
  const { server, port } = await runServer();
  await using _server = server;
  await using _dave = await NativeClient.connect(port, "dave");
  await using _eve = await NativeClient.connect(port, "eve");
  await using _bob = await NativeClient.connect(port, "bob");
  await using _kim = await NativeClient.connect(port, "kim");
  await using text = await TextClient.connect(port);
  for (
    const [nick, error] of [
      ["davɘ", '! Nick "davɘ" contains "ɘ" (U+0258), a character not used in names; pick another'],
      ["eʋe", '! Nick "eʋe" contains "ʋ" (U+028B), a character not used in names; pick another'],
      ["bⱺb", '! Nick "bⱺb" contains "ⱺ" (U+2C7A), a character not used in names; pick another'],
      ["ĸim", '! Nick "ĸim" looks like "kim", who is online'],
      ["daʌe", '! Nick "daʌe" contains "ʌ" (U+028C), a character not used in names; pick another'],
      [
        "ａｎａ",
        '! Nick "ａｎａ" contains "ａ" (U+FF41), a compatibility form of "a"; write "a" instead',
      ],
    ]
  ) {
    const from = text.lines.length;
    await text.sendLine(nick);
    assert.equal(await text.waitLine((l) => l.startsWith("! "), from), error);
  }
  // The prompt is still there, and a name in another script gets in.
  await text.sendLine("Даша");
  await text.waitLine((line) => line === "Welcome to lanchat, Даша!");
  await using native = await NativeClient.connect(port);
  await native.send({ type: "hello", protocol: 1, nick: "davɘ", client: "test" });
  assert.deepEqual(await native.next("error"), {
    type: "error",
    code: "bad_nick",
    message: 'Nick "davɘ" contains "ɘ" (U+0258), a character not used in names; pick another',
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
    await eve.send({ type: "hello", protocol: 1, nick: "ВОВ", client: "test" });
    assert.deepEqual(await eve.next("error"), {
      type: "error",
      code: "nick_registered",
      message: 'Nick "ВОВ" looks like "bob", a registered nick',
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
