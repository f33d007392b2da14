/**
 * irssi, a real IRC client, in a real terminal (tmux) on lanchat's port:
 * it registers (CAP, server-time), is put in #lobby, and talks with a
 * native and a text client both ways: messages, /me and private messages,
 * its bold reaching the others stripped. Over TLS it pins the certificate
 * chat-server prints, or its public key as openssl shows it. Fails under
 * CI=true where irssi or tmux is missing (`.ci/run` installs both). A
 * line-mode `client.ts` and the web page talk with irssi the same ways.
 */

import assert from "node:assert/strict";
import { BrowserHost } from "./_browser.ts";
import { joinPage, openConversation, say, waitLine } from "./_chat_page.ts";
import { runClient, runServer } from "./_entry_process.ts";
import { startServer } from "./_in_process_server.ts";
import { toolTest } from "./_irc_clients.ts";
import { NativeClient } from "./_native_client.ts";
import { TextClient } from "./_text_client.ts";
import { TmuxSession } from "./_tmux.ts";

toolTest(
  "irssi joins #lobby and talks with a native and a text client both ways",
  ["irssi", "tmux"],
  async () => {
    await using server = await startServer();
    const port = server.addr.port;
    const home = await Deno.makeTempDir({ prefix: "lanchat-irssi-" });
    try {
      await using irssi = await TmuxSession.start(`irssi --home=${home} -n irssiana`, 120, 30);
      const shows = (text: string) =>
        irssi.waitFor((rows) => rows.some((row) => row.includes(text)));
      // irssi spaces its commands 2.2 s apart after the first few (flood control): not here.
      await irssi.type("/set cmd_queue_speed 0");
      await irssi.press("Enter");
      await shows("cmd_queue_speed 0");
      await irssi.type(`/connect 127.0.0.1 ${port}`);
      await irssi.press("Enter");
      await shows("Welcome to lanchat, a lanchat server, irssiana");
      // irssi asks for away-notify and multi-prefix by themselves.
      await shows("Capabilities acknowledged: multi-prefix away-notify server-time");
      await using nat = await NativeClient.connect(port, "nat");
      await using txt = await TextClient.connect(port, "txt");
      // Window 2 is #lobby, which lanchat put irssi in.
      await irssi.type("/window 2");
      await irssi.press("Enter");
      await shows("txt [txt@lanchat] has joined #lobby");
      await nat.send({ type: "msg", text: "hello from native" });
      await shows("< nat> hello from native");
      await txt.sendLine("hello from nc");
      await shows("< txt> hello from nc");
      await irssi.type("hi from irssi, ç 😀");
      await irssi.press("Enter");
      const said = await nat.next("msg", (e) => e.from === "irssiana");
      assert.equal(said.text, "hi from irssi, ç 😀");
      await txt.waitLine((l) => l.endsWith("<irssiana> hi from irssi, ç 😀"));
      // Ctrl-B around a word is irssi's bold: the others get the word alone.
      await irssi.type("plain ");
      await irssi.press("C-b");
      await irssi.type("bold");
      await irssi.press("C-b");
      await irssi.press("Enter");
      const bold = await nat.next(
        "msg",
        (e) => e.from === "irssiana" && e.text.startsWith("plain"),
      );
      assert.equal(bold.text, "plain bold");
      await txt.waitLine((l) => l.endsWith("<irssiana> plain bold"));
      await irssi.type("/me waves");
      await irssi.press("Enter");
      const action = await nat.next("msg", (e) => e.kind === "action");
      assert.deepEqual([action.from, action.text], ["irssiana", "waves"]);
      await txt.sendLine("/me nods");
      await shows("* txt nods");
      await irssi.type("/msg nat psst");
      await irssi.press("Enter");
      const dm = await nat.next("dm");
      assert.deepEqual([dm.from, dm.to, dm.text], ["irssiana", "nat", "psst"]);
      await txt.sendLine("/msg irssiana back at you");
      // The private message opened a query window: show it.
      await irssi.type("/query txt");
      await irssi.press("Enter");
      await shows("<txt> back at you");
      // A topic set by the native client, and irssi's /away, cross both ways.
      await irssi.type("/window 2");
      await irssi.press("Enter");
      await nat.send({ type: "cmd", name: "topic", args: "#lobby ship it friday" });
      await shows("nat changed the topic of #lobby to: ship it friday");
      await irssi.type("/away lunch");
      await irssi.press("Enter");
      const away = await nat.next("away", (e) => e.nick === "irssiana");
      assert.equal(away.message, "lunch");
      await irssi.type("/quit bye all");
      await irssi.press("Enter");
      const left = await nat.next("leave", (e) => e.nick === "irssiana");
      assert.equal(left.reason, "quit");
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  },
);

toolTest(
  "irssi, a line-mode client.ts and a browser: messages, /me and DMs cross both ways",
  ["irssi", "tmux", "chromium"],
  async () => {
    await using server = await startServer();
    const port = server.addr.port;
    const home = await Deno.makeTempDir({ prefix: "lanchat-irssi-" });
    try {
      await using irssi = await TmuxSession.start(`irssi --home=${home} -n irc`, 120, 30);
      const shows = (text: string) =>
        irssi.waitFor((rows) => rows.some((row) => row.includes(text)));
      const enter = async (line: string) => {
        await irssi.type(line);
        await irssi.press("Enter");
      };
      await enter("/set cmd_queue_speed 0");
      await shows("cmd_queue_speed 0");
      await enter(`/connect 127.0.0.1 ${port}`);
      await shows("Welcome to lanchat, a lanchat server, irc");
      await enter("/window 2");
      await using browser = await BrowserHost.launch();
      await using web = await browser.person();
      await joinPage(web, `http://127.0.0.1:${port}/`, "web");
      await using cli = runClient(port, "cli", [], { stdin: "piped" });
      await cli.waitStdout((line) => line.startsWith("Welcome to lanchat, cli!"));
      await shows("cli [cli@lanchat] has joined #lobby");

      await enter("from irssi, ß 🙂");
      await cli.waitStdout((l) => l.endsWith("<irc> from irssi, ß 🙂"));
      await waitLine(web, "from irssi, ß 🙂", "say");
      await enter("/me bows");
      await cli.waitStdout((l) => l.endsWith("* irc bows"));
      await waitLine(web, "bows", "action");
      await cli.write("from cli, å\n/me claps\n");
      await say(web, "from web, ŋ");
      await say(web, "/me cheers");
      await shows("< cli> from cli, å");
      await shows("* cli claps");
      await shows("< web> from web, ŋ");
      await shows("* web cheers");

      await enter("/msg web only for web");
      await enter("/msg cli only for cli");
      await openConversation(web, "irc");
      await waitLine(web, "only for web");
      await cli.waitStdout((l) => l.includes("irc") && l.endsWith("only for cli"));
      await say(web, "/msg irc web answers");
      await cli.write("/msg irc cli answers\n");
      await enter("/query web");
      await shows("<web> web answers");
      await enter("/query cli");
      await shows("<cli> cli answers");
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  },
);

/** The README's openssl recipe for the SHA-256 of the server's public key, as irssi pins it. */
async function publicKeyPin(port: number): Promise<string> {
  const recipe = `openssl s_client -connect 127.0.0.1:${port} </dev/null 2>/dev/null | ` +
    "openssl x509 -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -c";
  const out = await new Deno.Command("sh", { args: ["-c", recipe] }).output();
  return new TextDecoder().decode(out.stdout).trim().split(" ").at(-1)!;
}

toolTest(
  "irssi over TLS pins the certificate chat-server prints or its public key, and refuses another",
  ["irssi", "tmux", "openssl"],
  async () => {
    const { server, port } = await runServer([], { tls: true });
    await using _server = server;
    const line = await server.waitStdout((l) => l.startsWith("in a browser: SHA-256 "));
    const certificate = line.split(" ").at(-1)!;
    const publicKey = await publicKeyPin(port);
    assert.match(publicKey, /^([0-9a-f]{2}:){31}[0-9a-f]{2}$/);
    const wrong = (certificate[0] === "0" ? "1" : "0") + certificate.slice(1);
    const home = await Deno.makeTempDir({ prefix: "lanchat-irssi-" });
    try {
      await using irssi = await TmuxSession.start(`irssi --home=${home} -n pinned`, 160, 40);
      const shows = (text: string) =>
        irssi.waitFor((rows) => rows.some((row) => row.includes(text)));
      for (const [flag, pin] of [["cert", certificate], ["pubkey", publicKey]]) {
        await irssi.type(`/connect -tls -tls_pinned_${flag} ${pin} 127.0.0.1 ${port}`);
        await irssi.press("Enter");
        await shows("Welcome to lanchat, a lanchat server, pinned");
        await irssi.type("/disconnect");
        await irssi.press("Enter");
        await irssi.type("/clear");
        await irssi.press("Enter");
      }
      await irssi.type(`/connect -tls -tls_pinned_cert ${wrong} 127.0.0.1 ${port}`);
      await irssi.press("Enter");
      await shows("Pinned certificate mismatch");
      const rows = await irssi.screen();
      assert.ok(!rows.some((row) => row.includes("Welcome to lanchat")), rows.join("\n"));
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  },
);

toolTest(
  "irssi's +i on connect gets no 'Your user mode is [+]'; /mode asked gets it once",
  ["irssi", "tmux"],
  async () => {
    await using server = await startServer();
    const home = await Deno.makeTempDir({ prefix: "lanchat-irssi-" });
    try {
      await using irssi = await TmuxSession.start(`irssi --home=${home} -n modes`, 120, 40);
      const enter = async (line: string) => {
        await irssi.type(line);
        await irssi.press("Enter");
      };
      const count = (rows: string[], text: string) => rows.filter((r) => r.includes(text)).length;
      // The usermode irssi asks for after the welcome, +i unless set otherwise.
      await enter("/set usermode +i");
      await irssi.waitFor((rows) => count(rows, "usermode +i") === 1);
      await enter("/set cmd_queue_speed 0");
      await irssi.waitFor((rows) => count(rows, "cmd_queue_speed 0") === 1);
      await enter(`/connect 127.0.0.1 ${server.addr.port}`);
      await irssi.waitFor((rows) => count(rows, "Welcome to lanchat, a lanchat server, modes") > 0);
      // The server answers in order: once the 221 to this query shows, an answer to irssi's
      // MODE +i, sent before it, would have shown too.
      await enter("/mode modes");
      const rows = await irssi.waitFor((rows) => count(rows, "Your user mode is [+]") > 0);
      assert.equal(count(rows, "Your user mode is"), 1, rows.join("\n"));
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  },
);
