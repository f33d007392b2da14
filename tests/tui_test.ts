/**
 * The terminal UI of chat-client in a real terminal (tmux): two clients
 * talk, a half-typed line survives incoming messages, a resize re-lays the
 * screen out, a bracketed paste is one message, and Ctrl-C restores the
 * terminal.
 */

import assert from "node:assert/strict";
import { TmuxSession } from "./_tmux.ts";
import { ROOT } from "./_entry_process.ts";
import { startServer } from "./_in_process_server.ts";
import { NativeClient } from "./_native_client.ts";
import { TextClient } from "./_text_client.ts";
import { loadCertificate } from "../lib/server/tls_certificate.ts";

/**
 * The client, then (after it exits) its status and the terminal's
 * canonical-mode flag. Plain TCP unless `tls`; a fresh config directory
 * unless `flags` names one.
 */
function clientCommand(port: number, nick: string, flags = "", tls = false): string {
  const configDir = flags.includes("--config-dir")
    ? ""
    : `--config-dir '${Deno.makeTempDirSync()}'`;
  const client =
    `'${Deno.execPath()}' run -q -P=client client.ts --host 127.0.0.1 --port ${port} --nick ${nick} ${
      tls ? "" : "--plain"
    } ${configDir} ${flags}`;
  return `cd '${ROOT}' && ${client}; echo "EXIT=$?"; stty -a | tr ' ' '\\n' | grep -x -- '-\\?icanon'; sleep 600`;
}

const inputRow = (rows: string[]) => rows.filter((r) => r !== "").at(-1) ?? "";

async function startClient(port: number, nick: string, columns = 70, rows = 16) {
  const tmux = await TmuxSession.start(clientCommand(port, nick), columns, rows);
  await tmux.waitFor((rows) => rows.some((r) => r.includes(`Welcome to lanchat, ${nick}!`)));
  return tmux;
}

Deno.test("terminal UI: a message typed in one client appears in the other", async () => {
  await using server = await startServer();
  await using ana = await startClient(server.addr.port, "ana");
  await using bob = await startClient(server.addr.port, "bob");
  await ana.waitFor((rows) => rows.some((r) => r.includes("bob joined #lobby")));
  await ana.type("hello bob, from a real terminal");
  await ana.press("Enter");
  const rows = await bob.waitFor((rows) =>
    rows.some((r) => r.includes("hello bob, from a real terminal"))
  );
  // bob is mentioned: the line uses the mention separator.
  assert.ok(
    rows.some((r) => /\d\d:\d\d +ana » hello bob, from a real terminal$/.test(r)),
    rows.join("\n"),
  );
  const header = rows[0];
  assert.match(header, /lanchat │ #lobby │ 2 members │ connected/);
});

Deno.test("terminal UI: /history pages back from what is shown and says what it did", async () => {
  await using server = await startServer({ historySize: 3 });
  {
    await using bob = await NativeClient.connect(server.addr.port, "bob");
    for (let i = 1; i <= 6; i++) {
      await bob.send({ type: "msg", text: `note ${i}` });
      await bob.next("msg", (e) => e.text === `note ${i}`);
    }
  }
  await using ana = await startClient(server.addr.port, "ana", 70, 12);
  await ana.waitFor((rows) => rows.some((r) => r.includes("note 6")));
  // Notes 4 to 6 are shown: /history 3 brings the three before them.
  await ana.type("/history 3");
  await ana.press("Enter");
  let rows = await ana.waitFor((rows) =>
    rows.some((r) => r.includes("3 older messages added above (PgUp to read)"))
  );
  assert.ok(
    !rows.some((r) => r.includes("note 1")),
    "added above, out of sight:\n" + rows.join("\n"),
  );
  await ana.press("PageUp");
  rows = await ana.waitFor((rows) => rows.some((r) => r.includes("note 1")));
  assert.ok(rows.some((r) => r.includes("note 3")), rows.join("\n"));
  await ana.press("PageDown");
  await ana.type("/history");
  await ana.press("Enter");
  await ana.waitFor((rows) =>
    rows.some((r) => r.includes("No older messages: that is the beginning of"))
  );
});

Deno.test("terminal UI: /history at the true beginning says so, and /help speaks of no ids", async () => {
  await using server = await startServer();
  {
    await using bob = await NativeClient.connect(server.addr.port, "bob");
    for (let i = 1; i <= 3; i++) {
      await bob.send({ type: "msg", text: `note ${i}` });
      await bob.next("msg", (e) => e.text === `note ${i}`);
    }
  }
  await using ana = await startClient(server.addr.port, "ana", 100, 16);
  await ana.waitFor((rows) => rows.some((r) => r.includes("note 1")));
  // Everything the room ever had is shown already.
  await ana.type("/history 2");
  await ana.press("Enter");
  const rows = await ana.waitFor((rows) =>
    rows.some((r) => r.includes("No older messages: that is the beginning of #lobby"))
  );
  assert.ok(!rows.some((r) => /shown already|loads older/.test(r)), rows.join("\n"));
  await ana.type("/help history");
  await ana.press("Enter");
  const help = await ana.waitFor((rows) => rows.some((r) => r.includes("/history [count] —")));
  const row = help.find((r) => r.includes("/history"))!;
  assert.match(row, /Load older messages above the ones shown/);
  assert.doesNotMatch(help.join("\n"), /\bid\b|before-id/);
});

Deno.test("terminal UI: a half-typed line survives incoming messages, even when it wraps", async () => {
  await using server = await startServer();
  await using ana = await startClient(server.addr.port, "ana", 40, 14);
  await using bob = await NativeClient.connect(server.addr.port, "bob");
  const typed = "this line is long enough to wrap onto a second row 中文 😀";
  // The input area is the last rows: prompt row plus a continuation row.
  const input = (rows: string[]) =>
    rows.filter((r) => r !== "").slice(-2).map((r) => r.trim()).join("")
      .replace(/^\[#lobby\]\s*/, "").replace(/\s+/g, " ");
  await ana.type(typed);
  // Typed (the keys reached the client) before anything arrives.
  await ana.waitFor((rows) => input(rows) === typed.replace(/\s+/g, " "));
  for (let i = 1; i <= 5; i++) await bob.send({ type: "msg", text: `incoming ${i}` });
  const rows = await ana.waitFor((rows) => rows.some((r) => r.includes("incoming 5")));
  const flat = rows.join("\n");
  assert.equal(input(rows), typed.replace(/\s+/g, " "), flat);
  for (let i = 1; i <= 5; i++) {
    const row = rows.find((r) => r.includes(`incoming ${i}`));
    assert.match(row ?? "", new RegExp(`^\\d\\d:\\d\\d +bob │ incoming ${i}$`), flat);
  }
  await ana.press("Enter");
  const got = await bob.next("msg", (e) => e.from === "ana");
  assert.equal(got.text, typed);
});

Deno.test("terminal UI: a resize re-lays out the whole screen", async () => {
  await using server = await startServer();
  await using ana = await startClient(server.addr.port, "ana", 80, 12);
  await using bob = await NativeClient.connect(server.addr.port, "bob");
  const long = "word ".repeat(30).trim();
  await bob.send({ type: "msg", text: long });
  const wide = await ana.waitFor((rows) => rows.some((r) => r.includes("bob │ word")));
  const wideRows = wide.filter((r) => r.includes("word")).length;
  await ana.resize(40, 20);
  const narrow = await ana.waitFor((rows) =>
    rows.length === 20 && rows.filter((r) => r.includes("word")).length > wideRows
  );
  for (const row of narrow) assert.ok([...row].length <= 40, `row wider than 40: ${row}`);
  assert.match(narrow[0], /lanchat │ #lobby/);
  assert.equal(inputRow(narrow), "[#lobby]");
});

Deno.test("terminal UI: a bracketed paste of three lines arrives as one message", async () => {
  await using server = await startServer();
  await using ana = await startClient(server.addr.port, "ana");
  await using bob = await NativeClient.connect(server.addr.port, "bob");
  await ana.paste("first line\nsecond line\nthird line");
  await ana.waitFor((rows) => rows.some((r) => r.includes("third line")));
  await ana.press("Enter");
  const got = await bob.next("msg", (e) => e.from === "ana");
  assert.equal(got.text, "first line\nsecond line\nthird line");
  await ana.waitFor((rows) => rows.some((r) => r.includes("ana ┃ first line")));
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(bob.events.filter((e) => e.type === "msg").length, 1, "one message, not three");
});

Deno.test("terminal UI: Ctrl-C quits cleanly and the terminal is back in normal mode", async () => {
  await using server = await startServer();
  await using ana = await startClient(server.addr.port, "ana");
  await using bob = await NativeClient.connect(server.addr.port, "bob");
  await ana.type("unsent");
  await ana.press("C-c");
  const rows = await ana.waitFor((rows) =>
    rows.includes("EXIT=0") && rows.some((r) => /icanon/.test(r))
  );
  assert.ok(rows.includes("icanon"), `terminal left in raw mode:\n${rows.join("\n")}`);
  assert.ok(!rows.some((r) => r.includes("Welcome to lanchat")), "the alternate screen was left");
  const leave = await bob.next("leave", (e) => e.nick === "ana");
  assert.equal(leave.reason, "quit");
  assert.ok(!bob.events.some((e) => e.type === "msg" && e.text === "unsent"));
});

Deno.test("terminal UI: with --no-reconnect a lost connection restores the terminal and says why", async () => {
  const server = await startServer();
  await using ana = await TmuxSession.start(
    clientCommand(server.addr.port, "ana", "--no-reconnect"),
    70,
    16,
  );
  await ana.waitFor((rows) => rows.some((r) => r.includes("Welcome to lanchat, ana!")));
  await server.shutdown();
  // The exit status, then the stty line: wait for both.
  const rows = await ana.waitFor((rows) =>
    rows.some((r) => r.startsWith("EXIT=")) && rows.some((r) => /icanon/.test(r))
  );
  assert.ok(rows.includes("EXIT=1"), rows.join("\n"));
  assert.ok(rows.includes("chat-client: disconnected: Server shutting down"), rows.join("\n"));
  assert.ok(rows.includes("icanon"), rows.join("\n"));
});

Deno.test("terminal UI: after a server restart it reconnects, rejoins, and sends what was typed offline", async () => {
  const first = await startServer();
  const port = first.addr.port;
  await using ana = await startClient(port, "ana");
  await ana.type("/join #ops");
  await ana.press("Enter");
  await ana.waitFor((rows) => rows[0].includes("#ops"));
  await first.shutdown();
  await ana.waitFor((rows) => rows[0].includes("reconnecting"));
  await ana.type("typed while the server was down");
  await ana.press("Enter");
  // The line itself, marked, where it was typed; a command says what waits.
  await ana.waitFor((rows) =>
    rows.some((r) => / ana ┃ \(queued\) typed while the server was down$/.test(r))
  );
  await ana.type("/join #later");
  await ana.press("Enter");
  await ana.waitFor((rows) =>
    rows.some((r) => r.includes("Not connected: /join #later is queued, sent once"))
  );
  await using second = await startServer({ port });
  await using bob = await NativeClient.connect(port, "bob");
  await bob.send({ type: "cmd", name: "join", args: "#ops" });
  const got = await bob.next("msg", (e) => e.from === "ana", 0);
  assert.deepEqual([got.room, got.text], ["#ops", "typed while the server was down"]);
  // The queued /join went after the message; back to #ops from there.
  await ana.waitFor((rows) => rows[0].includes("#later"));
  await ana.press("C-p");
  // Sent: the message replaces its queued line, with the server's time.
  const rows = await ana.waitFor((rows) =>
    /#ops │ 2 members │ connected/.test(rows[0]) &&
    rows.some((r) => /^\d\d:\d\d +ana ┃ typed while the server was down$/.test(r))
  );
  assert.ok(!rows.some((r) => r.includes("(queued)")), rows.join("\n"));
  assert.equal(second.hub.member("ana")?.nick, "ana");
});

Deno.test("terminal UI: after a reconnect it shows the room the user was looking at, under the server's new name, without old news", async () => {
  const first = await startServer({ serverName: "first" });
  const port = first.addr.port;
  await using ana = await TmuxSession.start(clientCommand(port, "ana"), 80, 20);
  await ana.waitFor((rows) => rows.some((r) => r.includes("Welcome to first, ana!")));
  for (const command of ["/join #ops", "/part #lobby", "/join #dev"]) {
    await ana.type(command);
    await ana.press("Enter");
  }
  await ana.waitFor((rows) => rows[0].includes("#dev"));
  // Back to #ops, which is not the room joined last.
  await ana.press("C-p");
  let rows = await ana.waitFor((rows) => rows[0].includes("#ops"));
  const leftLobby = (rows: string[]) => rows.filter((r) => r.includes("You left #lobby")).length;
  assert.equal(leftLobby(rows), 1, rows.join("\n"));

  await first.shutdown();
  await ana.waitFor((rows) => rows[0].includes("reconnecting"));
  await using second = await startServer({ port, serverName: "second" });
  await using bob = await NativeClient.connect(port, "bob");
  await bob.send({ type: "cmd", name: "join", args: "#ops" });
  await bob.send({ type: "cmd", name: "join", args: "#dev" });
  rows = await ana.waitFor((rows) => /^ second │ #ops │ \d members? │ connected/.test(rows[0]));
  // Wait until both rooms are back on the server, then check nothing moved.
  await bob.next("join", (e) => e.nick === "ana" && e.room === "#dev");
  await bob.next("join", (e) => e.nick === "ana" && e.room === "#ops");
  await ana.type("still in ops?");
  await ana.press("Enter");
  const got = await bob.next("msg", (e) => e.from === "ana");
  assert.deepEqual([got.room, got.text], ["#ops", "still in ops?"]);
  rows = await ana.waitFor((rows) => rows.some((r) => r.includes("still in ops?")));
  assert.match(rows[0], /^ second │ #ops │/, rows.join("\n"));
  assert.equal(leftLobby(rows), 1, 'no second "You left #lobby":\n' + rows.join("\n"));
  assert.ok(rows.some((r) => r.includes("The server now calls itself second")), rows.join("\n"));
  assert.equal(second.hub.member("ana")?.nick, "ana");
});

Deno.test("terminal UI: a new TLS server is shown with its fingerprint, trusted only after a yes, and not shown again after it", async () => {
  const certificate = await loadCertificate({ kind: "memory" });
  await using server = await startServer({ tls: certificate });
  const port = server.addr.port;
  const configDir = Deno.makeTempDirSync();
  const command = clientCommand(port, "ana", `--config-dir '${configDir}'`, true);

  // No: nothing is sent, nothing remembered.
  await using first = await TmuxSession.start(command, 90, 16);
  let rows = await first.waitFor((rows) => rows.some((r) => r.includes("Trust it and connect?")));
  assert.ok(rows.some((r) => r.includes(certificate.fingerprint)), rows.join("\n"));
  assert.ok(rows.some((r) => r.includes(`127.0.0.1:${port} is a server you have not used before`)));
  await first.type("no");
  await first.press("Enter");
  rows = await first.waitFor((rows) => rows.includes("EXIT=1"));
  assert.ok(rows.some((r) => r.includes("not trusted; nothing was sent")), rows.join("\n"));
  assert.equal(server.hub.size, 0);
  assert.throws(() => Deno.readTextFileSync(`${configDir}/known_hosts`));

  // Yes: it joins, shows the fingerprint in the pane and remembers it.
  await using second = await TmuxSession.start(command, 90, 16);
  await second.waitFor((rows) => rows.some((r) => r.includes("Trust it and connect?")));
  await second.type("yes");
  await second.press("Enter");
  rows = await second.waitFor((rows) => rows.some((r) => r.includes("Welcome to lanchat, ana!")));
  // The user just compared the fingerprint and said yes: it is not shown again.
  assert.ok(!rows.some((r) => r.includes("New server") || r.includes("trusting")), rows.join("\n"));
  assert.ok(
    !rows.join("").replace(/[\s│┃]/g, "").includes(certificate.fingerprint),
    rows.join("\n"),
  );
  assert.ok(
    Deno.readTextFileSync(`${configDir}/known_hosts`).includes(certificate.fingerprint),
  );
  await second.type("/quit");
  await second.press("Enter");
  await second.waitFor((rows) => rows.includes("EXIT=0"));

  // Known now: no question.
  await using third = await TmuxSession.start(command, 90, 16);
  rows = await third.waitFor((rows) => rows.some((r) => r.includes("Welcome to lanchat, ana!")));
  assert.ok(!rows.some((r) => r.includes("Trust it")), rows.join("\n"));
});

Deno.test("terminal UI: a private server's password is asked for without echo, and a wrong one may be retried", async () => {
  await using server = await startServer({ password: "hunter2" });
  await using ana = await TmuxSession.start(clientCommand(server.addr.port, "ana"), 80, 16);
  await ana.waitFor((rows) => rows.some((r) => r.includes("Password for 127.0.0.1:")));
  await ana.type("wrong");
  await ana.press("Enter");
  await ana.waitFor((rows) => rows.some((r) => r.includes("Wrong password; try again.")));
  await ana.type("hunter2");
  await ana.press("Enter");
  const rows = await ana.waitFor((rows) =>
    rows.some((r) => r.includes("Welcome to lanchat, ana!"))
  );
  await ana.type("/quit");
  await ana.press("Enter");
  const after = await ana.waitFor((rows) => rows.includes("EXIT=0"));
  // Neither attempt was ever on the screen.
  for (const screen of [rows, after]) {
    assert.ok(!screen.some((r) => r.includes("hunter2") || r.includes("wrong")), screen.join("\n"));
  }
});

Deno.test("terminal UI: /join says where you are and who is there", async () => {
  await using server = await startServer();
  await using bob = await NativeClient.connect(server.addr.port, "bob");
  await bob.send({ type: "cmd", name: "join", args: "#dev" });
  await bob.next("joined", (e) => e.room === "#dev");
  await using ana = await startClient(server.addr.port, "ana", 80, 16);
  await ana.type("/join #qa");
  await ana.press("Enter");
  let rows = await ana.waitFor((rows) => rows[0].includes("#qa"));
  rows = await ana.waitFor((rows) => rows.some((r) => r.includes("You are in #qa")));
  assert.ok(
    rows.some((r) => r.endsWith("- │ You are in #qa; no one else is here")),
    rows.join("\n"),
  );
  await ana.type("/join #dev");
  await ana.press("Enter");
  rows = await ana.waitFor((rows) => rows.some((r) => r.includes("You are in #dev")));
  assert.ok(
    rows.some((r) => r.endsWith("- │ You are in #dev (2 here: ana, bob)")),
    rows.join("\n"),
  );
});

Deno.test("terminal UI: a reconnect refused because the nick was taken says so, and /nick comes back under another nick", async () => {
  const first = await startServer();
  const port = first.addr.port;
  await using tui = await startClient(port, "grab2", 100, 16);
  await first.shutdown();
  // After the second failed attempt the next one is a second or more away:
  // time for someone else to take the nick on the restarted server.
  await tui.waitFor((rows) => rows.some((r) => r.includes("Still offline (attempt 2: ")), 15_000);
  await using second = await startServer({ port });
  await using thief = await TextClient.connect(port, "grab2");
  let rows = await tui.waitFor(
    (rows) =>
      rows.some((r) => r.includes('Refused: Nick "grab2" is taken; try "grab2_"; retrying in')),
    15_000,
  );
  assert.match(rows[0], /#lobby │ \d+ members? │ refused, retrying/, rows.join("\n"));
  assert.ok(!rows.some((r) => /Still offline \(attempt [3-9]/.test(r)), rows.join("\n"));
  // Nothing switched the nick behind the user's back.
  assert.doesNotMatch(second.hub.member("grab2")?.client ?? "", /chat-client/);
  await tui.type("/nick grab3");
  await tui.press("Enter");
  rows = await tui.waitFor((rows) => / │ connected/.test(rows[0]));
  assert.ok(rows.some((r) => r.includes("Reconnecting as grab3")), rows.join("\n"));
  assert.match(second.hub.member("grab3")?.client ?? "", /chat-client/);
  await thief.sendLine("welcome back");
  await tui.waitFor((rows) => rows.some((r) => /grab2 │ welcome back$/.test(r)));
});

Deno.test("terminal UI: a pasted fingerprint that is not the server's warns that someone may be intercepting", async () => {
  const certificate = await loadCertificate({ kind: "memory" });
  const another = await loadCertificate({ kind: "memory" });
  await using server = await startServer({ tls: certificate });
  await using tui = await TmuxSession.start(
    clientCommand(server.addr.port, "ana", "", true),
    100,
    16,
  );
  await tui.waitFor((rows) => rows.some((r) => r.includes("Trust it and connect?")));
  await tui.type(another.fingerprint);
  await tui.press("Enter");
  let rows = await tui.waitFor((rows) => rows.some((r) => r.startsWith("WARNING: ")));
  const warning = rows.slice(rows.findIndex((r) => r.startsWith("WARNING: "))).join(" ");
  assert.match(warning, /^WARNING: that is not the fingerprint this server presented\. /);
  assert.match(warning, /someone may be intercepting the connection \(a man-in-the-middle\)/);
  // Asked again; "no" leaves without sending anything.
  await tui.type("no");
  await tui.press("Enter");
  rows = await tui.waitFor((rows) => rows.includes("EXIT=1"));
  assert.ok(rows.some((r) => r.includes("not trusted; nothing was sent")), rows.join("\n"));
  assert.equal(server.hub.size, 0);
});
