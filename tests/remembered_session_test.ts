/**
 * The remembered last session with the real programs: a client that joined
 * a room and quit, started again with nothing but its config directory,
 * comes back to the same server, with the same nick, in the same rooms, in
 * line mode and in the terminal UI.
 */

import assert from "node:assert/strict";
import { ROOT, runEntry, runServer } from "./_entry_process.ts";
import { NativeClient } from "./_native_client.ts";
import { TmuxSession } from "./_tmux.ts";
import { SESSION_FILE, writeRememberedSession } from "../lib/client/remembered_session.ts";

Deno.test("chat-client with only --config-dir comes back to the last server, nick and rooms", async () => {
  const { server, port } = await runServer();
  await using _server = server;
  const dir = Deno.makeTempDirSync({ prefix: "lanchat-client-" });
  {
    await using first = runEntry(
      "client",
      ["--config-dir", dir, "--host", "127.0.0.1", "--port", String(port), "--nick", "ana"],
      { stdin: "piped" },
    );
    await first.waitStdout((l) => l.startsWith("Welcome to lanchat, ana!"));
    await first.write("/join #dev\n/nick anna\n");
    await first.waitStdout((l) => l.endsWith("ana is now known as anna"));
    await first.closeStdin();
    assert.equal((await first.finished()).code, 0, first.stderr.join("\n"));
  }
  const remembered = JSON.parse(Deno.readTextFileSync(`${dir}/${SESSION_FILE}`));
  assert.deepEqual(remembered, {
    host: "127.0.0.1",
    port,
    tls: false,
    nick: "anna",
    server: "lanchat",
    rooms: ["#lobby", "#dev"],
    current: "#dev",
  });

  await using again = runEntry("client", ["--config-dir", dir], { stdin: "piped" });
  await again.waitStdout((l) => l.startsWith("Welcome to lanchat, anna!"));
  await again.waitStdout((l) => l.startsWith("You are in #dev"));
  // Seen from the server: in both rooms, and #dev is the one in use.
  await using bob = await NativeClient.connect(port, "bob");
  await bob.send({ type: "cmd", name: "who", args: "#lobby" });
  const lobby = await bob.next("who", (e) => e.room === "#lobby");
  assert.ok(lobby.members.includes("anna"), lobby.members.join(", "));
  await bob.send({ type: "cmd", name: "join", args: "#dev" });
  const dev = await bob.next("joined", (e) => e.room === "#dev");
  assert.ok(dev.members.includes("anna"), dev.members.join(", "));
  await again.write("back again\n");
  const said = await bob.next("msg", (e) => e.text === "back again");
  assert.equal(said.room, "#dev");
  assert.equal(said.from, "anna");
  await again.closeStdin();
  assert.equal((await again.finished()).code, 0, again.stderr.join("\n"));
});

Deno.test("terminal UI: chat-client with only --config-dir is back in the remembered rooms, the last one in use on screen", async () => {
  const { server, port } = await runServer();
  await using _server = server;
  const dir = Deno.makeTempDirSync({ prefix: "lanchat-client-" });
  writeRememberedSession(dir, {
    host: "127.0.0.1",
    port,
    tls: false,
    nick: "ana",
    rooms: ["#lobby", "#dev", "#qa"],
    current: "#dev",
  });
  await using tui = await TmuxSession.start(
    `cd '${ROOT}' && '${Deno.execPath()}' run -q -P=client client.ts --config-dir '${dir}'; sleep 600`,
    80,
    16,
  );
  // The room in use last is the one on screen.
  await tui.waitFor((rows) =>
    rows[0].includes("│ #dev │") &&
    rows.some((r) => r.endsWith("You are in #dev; no one else is here"))
  );
  await using bob = await NativeClient.connect(port, "bob");
  for (const room of ["#lobby", "#dev", "#qa"]) {
    await bob.send({ type: "cmd", name: "who", args: room });
    const who = await bob.next("who", (e) => e.room === room);
    assert.ok(who.members.includes("ana"), `${room}: ${who.members.join(", ")}`);
  }
});
