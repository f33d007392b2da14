/**
 * weechat-headless, a real IRC client, in one room with the line-mode
 * `client.ts`, a text client (as `nc`) and the web page in Chromium:
 * messages, `/me` and private messages cross every way with their UTF-8
 * intact, and IRC formatting codes reach the others stripped. Over TLS,
 * weechat pins the fingerprint chat-server prints, and refuses another.
 * Fails under CI=true where weechat-headless or chromium is missing.
 */

import assert from "node:assert/strict";
import { BrowserHost } from "./_browser.ts";
import { joinPage, openConversation, say, shownLines, waitLine } from "./_chat_page.ts";
import { runClient, runServer } from "./_entry_process.ts";
import { toolTest, Weechat, type WeechatLine } from "./_irc_clients.ts";
import { TextClient } from "./_text_client.ts";

const joined = (nick: string) => (l: WeechatLine) =>
  l.prefix === "-->" && l.text.startsWith(`${nick} (`) && l.text.includes("has joined #lobby");
const said = (nick: string, text: string) => (l: WeechatLine) =>
  l.prefix.endsWith(nick) && l.text === text;
const acted = (nick: string, text: string) => (l: WeechatLine) =>
  l.prefix.trim() === "*" && l.text === `${nick} ${text}`;

toolTest(
  "weechat-headless, client.ts, a text client and a browser: messages, /me and DMs cross every way",
  ["weechat-headless", "chromium"],
  async () => {
    const { server, port } = await runServer();
    await using _server = server;
    await using wee = await Weechat.start({ port, nick: "wee" });
    await wee.waitLog("server", (l) => l.text === "Welcome to lanchat, a lanchat server, wee");
    // lanchat puts every newcomer in #lobby; joining it again, as a person would, is harmless.
    await wee.type("server", "/join #lobby");
    await wee.waitLog("#lobby", joined("wee"));
    await using browser = await BrowserHost.launch();
    await using web = await browser.person();
    await joinPage(web, `http://127.0.0.1:${port}/`, "web");
    await using cli = runClient(port, "cli", [], { stdin: "piped" });
    await cli.waitStdout((line) => line.startsWith("Welcome to lanchat, cli!"));
    await using txt = await TextClient.connect(port, "txt");
    for (const nick of ["web", "cli", "txt"]) await wee.waitLog("#lobby", joined(nick));

    // weechat to the room: UTF-8 intact; formatting stripped before the others see it.
    await wee.type("#lobby", "héllo from weechat ç 😀 中文");
    await wee.type("#lobby", "\x02bold\x02 \x0304,01red\x03 \x1ditalic\x1d \x1funder\x1f plain");
    await wee.type("#lobby", "/me waves 👋");
    const plain = "bold red italic under plain";
    await cli.waitStdout((l) => /^\[\d\d:\d\d\] \* wee waves 👋$/.test(l));
    assert.ok(cli.stdout.some((l) => l.endsWith("<wee> héllo from weechat ç 😀 中文")));
    assert.ok(cli.stdout.some((l) => l.endsWith(`<wee> ${plain}`)), cli.stdout.join("\n"));
    await txt.waitLine((l) => l.endsWith("* wee waves 👋"));
    assert.ok(txt.lines.some((l) => l.endsWith("<wee> héllo from weechat ç 😀 中文")));
    assert.ok(txt.lines.some((l) => l.endsWith(`<wee> ${plain}`)), txt.lines.join("\n"));
    await waitLine(web, "héllo from weechat ç 😀 中文", "say");
    await waitLine(web, plain, "say");
    await waitLine(web, "waves 👋", "action");
    // Nothing raw: no control character reached a terminal or the page.
    const controls = /[\x00-\x08\x0b-\x1f\x7f]/;
    assert.ok(!cli.stdout.some((l) => controls.test(l)), cli.stdout.join("\n"));
    assert.ok(!txt.lines.some((l) => controls.test(l.replace(/\r$/, ""))), txt.lines.join("\n"));
    assert.ok(!(await shownLines(web)).some((l) => controls.test(l.text)));

    // The others to weechat, in the room.
    await cli.write("from cli, ñ\n/me nods\n");
    await txt.sendLine("from txt, ü");
    await txt.sendLine("/me shrugs");
    await say(web, "from web, ø 🎉");
    await say(web, "/me smiles");
    await wee.waitLog("#lobby", said("cli", "from cli, ñ"));
    await wee.waitLog("#lobby", acted("cli", "nods"));
    await wee.waitLog("#lobby", said("txt", "from txt, ü"));
    await wee.waitLog("#lobby", acted("txt", "shrugs"));
    await wee.waitLog("#lobby", said("web", "from web, ø 🎉"));
    await wee.waitLog("#lobby", acted("web", "smiles"));

    // Private messages, both ways with each.
    await wee.type("server", "/msg cli psst cli ✓");
    await wee.type("server", "/msg txt psst txt ✓");
    await wee.type("server", "/msg web psst web ✓");
    await cli.waitStdout((l) => l.includes("wee") && l.endsWith("psst cli ✓"));
    await txt.waitLine((l) => l.includes("wee") && l.endsWith("psst txt ✓"));
    await openConversation(web, "wee");
    await waitLine(web, "psst web ✓");
    await cli.write("/msg wee back from cli\n");
    await txt.sendLine("/msg wee back from txt");
    await say(web, "/msg wee back from web");
    await wee.waitLog("cli", said("cli", "back from cli"));
    await wee.waitLog("txt", said("txt", "back from txt"));
    await wee.waitLog("web", said("web", "back from web"));
    // Private stays private: nothing of it in the room's log.
    assert.ok(!wee.log("#lobby").some((l) => /psst|back from/.test(l.text)));
    assert.ok(!txt.lines.some((l) => l.includes("psst cli")));
  },
);

toolTest(
  "weechat over TLS pins the fingerprint chat-server prints, and refuses another",
  ["weechat-headless"],
  async () => {
    const { server, port } = await runServer([], { tls: true });
    await using _server = server;
    const line = await server.waitStdout((l) => l.startsWith("in weechat: tls_fingerprint "));
    const fingerprint = line.split(" ").at(-1)!;
    assert.match(fingerprint, /^[0-9a-f]{64}$/);
    await using good = await Weechat.start({ port, nick: "pinned", fingerprint });
    await good.waitLog("server", (l) => l.text === "Welcome to lanchat, a lanchat server, pinned");
    assert.ok(good.log("server").some((l) => l.text.includes("certificate fingerprint matches")));
    // One digit changed: weechat refuses the server before saying anything to it.
    const wrong = (fingerprint[0] === "0" ? "1" : "0") + fingerprint.slice(1);
    await using bad = await Weechat.start({ port, nick: "mallory", fingerprint: wrong });
    await bad.waitLog("server", (l) => l.text.includes("Error in the certificate"));
    assert.ok(!bad.log("server").some((l) => l.text.startsWith("Welcome to lanchat")));
  },
);

toolTest(
  "weechat on a private server gives the password as PASS; a wrong one is refused",
  ["weechat-headless"],
  async () => {
    const { server, port } = await runServer(["--password", "correct horse"]);
    await using _server = server;
    await using good = await Weechat.start({ port, nick: "insider", password: "correct horse" });
    await good.waitLog("server", (l) => l.text === "Welcome to lanchat, a lanchat server, insider");
    await using bad = await Weechat.start({ port, nick: "outsider", password: "wrong horse" });
    await bad.waitLog("server", (l) => l.text.includes("Access denied: wrong password"));
    assert.ok(!bad.log("server").some((l) => l.text.startsWith("Welcome to lanchat")));
  },
);
