/**
 * What the README promises about /ban and /unban on a shared address,
 * checked against the real server.
 */

import assert from "node:assert/strict";
import { runServer } from "./_entry_process.ts";
import { NativeClient, testKey } from "./_native_client.ts";

Deno.test("README: /ban shuts out everyone behind the address; /unban of the address lets the others back and keeps the key out; --key-only bans the key alone", async () => {
  const opKey = await testKey();
  const bobKey = await testKey();
  const carolKey = await testKey();
  // Every test client comes from 127.0.0.1: one shared address, like a NAT.
  const { server, port } = await runServer(["--op", opKey.fingerprint]);
  await using _server = server;
  await using mod = await NativeClient.connect(port, "mod", { key: opKey });
  await using bob = await NativeClient.connect(port, "bob", { key: bobKey });
  await using carol = await NativeClient.connect(port, "carol", { key: carolKey });
  await mod.send({ type: "cmd", name: "ban", args: "bob spamming" });
  await mod.next(
    "notice",
    (e) =>
      e.message ===
        `Banned bob: key ${bobKey.fingerprint} and IP 127.0.0.1; that also disconnected 1 other: carol`,
  );
  assert.equal((await bob.next("bye")).code, "banned");
  // carol did nothing, but shares bob's address.
  assert.deepEqual(await carol.next("bye"), {
    type: "bye",
    reason: "kicked",
    code: "banned",
    message: "You were banned by mod: spamming",
  });
  await using carolAgain = await NativeClient.connect(port);
  await carolAgain.hello("carol", { key: carolKey });
  assert.equal((await carolAgain.next("error")).code, "banned");

  // The README's advice: lift the address part at once.
  await mod.send({ type: "cmd", name: "unban", args: "127.0.0.1" });
  await mod.next("notice", (e) => e.message === "Unbanned IP 127.0.0.1");
  await using carolBack = await NativeClient.connect(port, "carol", { key: carolKey });
  await using _keyless = await NativeClient.connect(port, "dave");
  await using bobAgain = await NativeClient.connect(port);
  await bobAgain.hello("bob", { key: bobKey });
  assert.deepEqual(await bobAgain.next("error"), {
    type: "error",
    code: "banned",
    message: "You are banned from this server: spamming",
  });

  // The README's way to ban one person on a shared address: --key-only.
  const erinKey = await testKey();
  await using erin = await NativeClient.connect(port, "erin", { key: erinKey });
  await mod.send({ type: "input", line: "/ban erin --key-only flooding" });
  await mod.next("notice", (e) => e.message === `Banned erin: key ${erinKey.fingerprint}`);
  assert.equal((await erin.next("bye")).message, "You were banned by mod: flooding");
  // carol, on the same address, is still connected and another newcomer gets in.
  await carolBack.send({ type: "ping", token: "still here" });
  await carolBack.next("pong", (e) => e.token === "still here");
  assert.deepEqual(carolBack.events.filter((e) => e.type === "bye"), []);
  await using _erinsNeighbour = await NativeClient.connect(port, "frank");
});
