/** Private servers and identities through the real entry points (server.ts, client.ts). */

import assert from "node:assert/strict";
import { runClient, runEntry, runServer } from "./_entry_process.ts";
import { startServer } from "./_in_process_server.ts";
import { NativeClient, testKey } from "./_native_client.ts";
import { TextClient } from "./_text_client.ts";

async function withTempDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "lanchat-access-" });
  try {
    await run(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a ban survives a server restart; an operator's key still gets in and can lift it", () =>
  withTempDir(async (dir) => {
    const opKey = await testKey();
    const boKey = await testKey();
    const flags = ["--data-dir", dir, "--op", opKey.fingerprint];
    const first = await runServer(flags);
    {
      await using _server = first.server;
      await using mod = await NativeClient.connect(first.port, "mod", { key: opKey });
      await using bo = await NativeClient.connect(first.port, "bo", { key: boKey });
      await mod.send({ type: "cmd", name: "ban", args: "bo flooding #lobby" });
      const bye = await bo.next("bye");
      assert.deepEqual(bye, {
        type: "bye",
        reason: "kicked",
        code: "banned",
        message: "You were banned by mod: flooding #lobby",
      });
      await mod.next("notice", (e) => e.message.startsWith("Banned bo: key SHA256:"));
      first.server.kill("SIGTERM");
      assert.equal((await first.server.finished()).code, 0);
    }

    const second = await runServer(flags);
    await using _second = second.server;
    await using again = await NativeClient.connect(second.port);
    await again.hello("bo", { key: boKey });
    assert.deepEqual(await again.next("error"), {
      type: "error",
      code: "banned",
      message: "You are banned from this server: flooding #lobby",
    });
    assert.equal((await again.next("bye")).reason, "denied");
    // The IP is banned too (every test client is 127.0.0.1), so a keyless hello is refused...
    await using keyless = await NativeClient.connect(second.port);
    await keyless.hello("someone");
    assert.equal((await keyless.next("error")).code, "banned");
    // ...but an operator is named by its key, not its address.
    await using mod = await NativeClient.connect(second.port, "mod", { key: opKey });
    await mod.send({ type: "cmd", name: "bans", args: "" });
    const bans = await mod.next("bans");
    assert.deepEqual(bans.bans.map((b) => [b.kind, b.value, b.nick, b.reason, b.by]), [
      ["key", boKey.fingerprint, "bo", "flooding #lobby", "mod"],
      ["ip", "127.0.0.1", "bo", "flooding #lobby", "mod"],
    ]);
    await mod.send({ type: "cmd", name: "unban", args: boKey.fingerprint });
    await mod.send({ type: "cmd", name: "unban", args: "127.0.0.1" });
    await mod.next("notice", (e) => e.message === "Unbanned IP 127.0.0.1");
    await using _bo = await NativeClient.connect(second.port, "bo", { key: boKey });
  }));

Deno.test("chat-client creates its identity file with mode 0600 on first use and reuses it", () =>
  withTempDir(async (dir) => {
    const configDir = `${dir}/lanchat`;
    const first = runEntry("client", ["--whoami", "--config-dir", configDir]);
    assert.equal((await first.finished()).code, 0, first.stderr.join("\n"));
    const [fingerprint] = first.stdout;
    assert.match(fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
    assert.deepEqual(first.stderr, [`chat-client: created your key in ${configDir}/identity`]);
    assert.equal((await Deno.stat(`${configDir}/identity`)).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(configDir)).mode! & 0o777, 0o700);

    const second = runEntry("client", ["--whoami", "--config-dir", configDir]);
    assert.equal((await second.finished()).code, 0);
    assert.deepEqual(second.stdout, [fingerprint]);
    assert.deepEqual(second.stderr, [], "nothing created the second time");

    // Chatting with it: the server sees the same key, and names it an operator.
    await using server = await startServer({ operators: [fingerprint] });
    const chat = runClient(server.addr.port, "ci", ["--config-dir", configDir], {
      stdin: "piped",
    });
    await using _chat = chat;
    await chat.write("/whois ci\n/bans\n");
    await chat.closeStdin();
    assert.equal((await chat.finished()).code, 0, chat.stderr.join("\n"));
    assert.ok(
      chat.stdout.includes(
        `ci: key ${fingerprint}, operator, client "chat-client/0.1.0", from 127.0.0.1, in #lobby`,
      ),
      chat.stdout.join("\n"),
    );
    assert.ok(chat.stdout.includes("No bans"), chat.stdout.join("\n"));
  }));

Deno.test("chat-client names the path of a corrupt identity file and exits 1", () =>
  withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/identity`, "garbage", { mode: 0o600 });
    const client = runEntry("client", ["--whoami", "--config-dir", dir]);
    assert.equal((await client.finished()).code, 1);
    assert.match(client.stderr.join("\n"), new RegExp(`your identity key ${dir}/identity is not`));
  }));

Deno.test("chat-client gives a private server its password from a file; without one it says how", () =>
  withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/pw`, "s3cret\n");
    const { server, port } = await runServer(["--password-file", `${dir}/pw`]);
    await using _server = server;

    const none = runClient(port, "ci", [], { stdin: "piped" });
    await using _none = none;
    await none.closeStdin();
    assert.equal((await none.finished()).code, 1);
    assert.deepEqual(none.stderr, [
      `chat-client: cannot join 127.0.0.1:${port}: This server needs a password`,
      "chat-client: give the password with --password-file <path>, --password <pw> or LANCHAT_PASSWORD",
    ]);

    const wrong = runClient(port, "ci", ["--password", "guess"], { stdin: "piped" });
    await using _wrong = wrong;
    await wrong.closeStdin();
    assert.equal((await wrong.finished()).code, 1);
    assert.deepEqual(wrong.stderr, [
      `chat-client: cannot join 127.0.0.1:${port}: Access denied: wrong password`,
    ]);

    const right = runClient(port, "ci", ["--password-file", `${dir}/pw`], { stdin: "piped" });
    await using _right = right;
    await right.write("hello, private world\n");
    await right.closeStdin();
    assert.equal((await right.finished(15_000)).code, 0, right.stderr.join("\n"));
    assert.ok(right.stdout.some((l) => l.endsWith("<ci> hello, private world")));
  }));

Deno.test("chat-server refuses a malformed --op and an unreadable --password-file", async () => {
  const op = runEntry("server", ["--op", "SHA256:short"]);
  assert.equal((await op.finished()).code, 2);
  assert.match(op.stderr.join("\n"), /--op must be a key fingerprint like SHA256:/);
  const pw = runEntry("server", ["--password-file", "/nonexistent/pw"]);
  assert.equal((await pw.finished()).code, 2);
  assert.match(pw.stderr.join("\n"), /cannot read --password-file "\/nonexistent\/pw": /);
});

Deno.test("/mute by address spares the operator who typed it, and names the others it mutes", () =>
  withTempDir(async (dir) => {
    // The reported setup: a private server; the operator, the target and a
    // text client all on 127.0.0.1, as behind one NAT.
    await Deno.writeTextFile(`${dir}/pw`, "s3cret\n");
    const opKey = await testKey();
    const { server, port } = await runServer([
      "--password-file",
      `${dir}/pw`,
      "--op",
      opKey.fingerprint,
    ]);
    await using _server = server;
    await using opana = await NativeClient.connect(port, "opana", {
      key: opKey,
      password: "s3cret",
    });
    await using mallory = await NativeClient.connect(port, "mallory", {
      key: await testKey(),
      password: "s3cret",
    });
    await using eve = await TextClient.connect(port, "eve", "s3cret");

    await opana.send({ type: "input", line: "/mute mallory 1" });
    await opana.next("notice", (e) =>
      e.message ===
        "Muted mallory for 1 minute(s), by key and by address 127.0.0.1; that also mutes 1 other: eve");
    await eve.waitLine((line) =>
      line ===
        "* You were muted by opana for 1 minute(s): mallory was muted by address, and you connect from the same address"
    );

    // The operator still talks: its line reaches eve, and no error comes back
    // before the pong that follows it.
    const from = opana.events.length;
    await opana.send({ type: "input", line: "I am not muted" });
    await opana.send({ type: "ping", token: "after" });
    await opana.next("pong", (e) => e.token === "after", from);
    assert.deepEqual(
      opana.events.slice(from).filter((e) => e.type === "error"),
      [],
      "the operator was muted by its own /mute",
    );
    await eve.waitLine((line) => line.endsWith("<opana> I am not muted"));

    // The target and the other one on its address are muted.
    await mallory.send({ type: "input", line: "hello?" });
    assert.match(
      (await mallory.next("error", (e) => e.code === "muted")).message,
      /^You are muted for 1 more minute\(s\); your message was not sent$/,
    );
    await eve.sendLine("me too?");
    await eve.waitLine((line) =>
      line === "! You are muted for 1 more minute(s); your message was not sent"
    );
  }));

Deno.test("a /ban shows as 'was banned' to an nc user and in chat-client's line mode", async () => {
  const opKey = await testKey();
  const { server, port } = await runServer(["--op", opKey.fingerprint]);
  await using _server = server;
  await using opana = await NativeClient.connect(port, "opana", { key: opKey });
  await using eve = await NativeClient.connect(port, "eve", { key: await testKey() });
  await using nc = await TextClient.connect(port, "watcher");
  await using cli = runClient(port, "ci", [], { stdin: "piped" });
  await opana.next("join", (e) => e.nick === "ci");
  // Everyone here shares 127.0.0.1, so the ban is by key: the watchers stay.
  await opana.send({ type: "input", line: "/ban eve --key-only spamming" });
  assert.equal((await eve.next("bye")).message, "You were banned by opana: spamming");
  await nc.waitLine((line) => /^\[\d\d:\d\d\] <- eve was banned by opana: spamming$/.test(line));
  await cli.waitStdout((line) => /^\[\d\d:\d\d\] <- eve was banned by opana: spamming$/.test(line));
  // A kick still says kicked.
  await opana.send({ type: "input", line: "/kick watcher" });
  await cli.waitStdout((line) => /^\[\d\d:\d\d\] <- watcher was kicked by opana$/.test(line));
  await cli.closeStdin();
  assert.equal((await cli.finished()).code, 0, cli.stderr.join("\n"));
});
