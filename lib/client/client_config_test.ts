import assert from "node:assert/strict";
import { type ClientCommand, type ClientFiles, parseClientArgs } from "./client_config.ts";
import type { ConfigDefaults } from "./config_file.ts";
import type { RememberedSession } from "./remembered_session.ts";

const FP = "SHA256:" + "B".repeat(43);

function files(defaults: ConfigDefaults, last?: RememberedSession): ClientFiles {
  return { config: () => defaults, remembered: () => last };
}

function chat(
  args: string[],
  defaults: ConfigDefaults = {},
  last?: RememberedSession,
): ClientCommand & { kind: "chat" } {
  const command = parseClientArgs(
    ["--config-dir", "/c", ...args],
    "ana",
    undefined,
    files(defaults, last),
  );
  assert.equal(command.kind, "chat");
  return command as ClientCommand & { kind: "chat" };
}

Deno.test("parseClientArgs() takes what the flags do not say from the config file", () => {
  const command = chat([], {
    host: "10.0.0.5",
    port: 7000,
    nick: "bob",
    color: false,
    reconnect: false,
    giveUpAfter: 5,
    fingerprint: FP,
  });
  assert.equal(command.host, "10.0.0.5");
  assert.equal(command.port, 7000);
  assert.equal(command.nick, "bob");
  assert.equal(command.color, false);
  assert.equal(command.reconnect, false);
  assert.equal(command.giveUpMs, 5000);
  assert.equal(command.tls, true);
  assert.equal(command.fingerprint, FP);
  assert.equal(command.serverName, undefined);
});

Deno.test("parseClientArgs(): flags override the config file", () => {
  const command = chat(
    ["--host", "10.0.0.9", "--port", "7100", "--nick", "cy", "--give-up-after", "9"],
    { host: "10.0.0.5:7000", port: 7000, nick: "bob", giveUpAfter: 5, server: "office" },
  );
  assert.equal(command.host, "10.0.0.9");
  assert.equal(command.port, 7100);
  assert.equal(command.nick, "cy");
  assert.equal(command.giveUpMs, 9000);
  // --host says where: the file's server name is not used.
  assert.equal(command.serverName, undefined);
  // A flag's port wins over one written with the file's host.
  assert.equal(chat(["--port", "7200"], { host: "10.0.0.5:7000" }).port, 7200);
  assert.equal(chat(["--plain"], { host: "h", fingerprint: FP }).fingerprint, undefined);
  assert.equal(chat(["--no-color"], { host: "h", color: true }).color, false);
});

Deno.test("parseClientArgs(): the file's host wins over its server; the server alone is passed on", () => {
  assert.equal(chat([], { host: "10.0.0.5", server: "office" }).host, "10.0.0.5");
  const byName = chat([], { server: "office" });
  assert.equal(byName.host, undefined);
  assert.equal(byName.serverName, "office");
});

Deno.test("parseClientArgs(): the file's password-file is found in the config directory", () => {
  const dir = Deno.makeTempDirSync({ prefix: "lanchat-pw-" });
  try {
    Deno.writeTextFileSync(`${dir}/pw.txt`, "s3cret\n");
    const command = parseClientArgs(
      ["--config-dir", dir, "--host", "h"],
      "ana",
      undefined,
      files({ passwordFile: "pw.txt" }),
    );
    assert.equal(command.kind === "chat" && command.password, "s3cret");
    // --password on the command line replaces the file's.
    const flag = parseClientArgs(
      ["--config-dir", dir, "--host", "h", "--password", "pw"],
      "ana",
      undefined,
      files({ passwordFile: "pw.txt" }),
    );
    assert.equal(flag.kind === "chat" && flag.password, "pw");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("parseClientArgs() without --host, a host or server in the config file or a last session looks on the LAN", () => {
  const command = chat([], { nick: "bob" });
  assert.equal(command.host, undefined);
  assert.equal(command.serverName, undefined);
  assert.throws(() => chat(["--port", "7001"], {}), /--port goes with --host/);
});

const LAST: RememberedSession = {
  host: "10.0.0.7",
  port: 7001,
  tls: false,
  nick: "anna",
  server: "office",
  rooms: ["#lobby", "#dev"],
  current: "#dev",
};

Deno.test("parseClientArgs() said nowhere where to connect goes back to the last server, nick and rooms", () => {
  const command = chat([], {}, LAST);
  assert.equal(command.host, "10.0.0.7");
  assert.equal(command.port, 7001);
  assert.equal(command.tls, false, "plain, as last time");
  assert.equal(command.nick, "anna");
  assert.deepEqual(command.rooms, { rooms: ["#lobby", "#dev"], current: "#dev" });
  // Flags and the file still win where they speak.
  assert.equal(chat(["--nick", "cy"], {}, LAST).nick, "cy");
  assert.equal(chat([], { nick: "bo" }, LAST).nick, "bo");
});

Deno.test("parseClientArgs(): the rooms come back on the same server however it is named, not on another", () => {
  assert.deepEqual(chat(["--host", "10.0.0.7:7001"], {}, LAST).rooms?.rooms, ["#lobby", "#dev"]);
  assert.equal(chat(["--host", "10.0.0.7:7001"], {}, LAST).nick, "anna");
  const other = chat(["--host", "10.0.0.8:7001"], {}, LAST);
  assert.equal(other.rooms, undefined);
  assert.equal(other.nick, "ana", "the user name: the remembered nick is that server's");
  assert.equal(other.tls, true);
  // The file's host or server says where: not the remembered one.
  assert.equal(chat([], { host: "10.0.0.9" }, LAST).host, "10.0.0.9");
  assert.equal(chat([], { server: "lab" }, LAST).host, undefined);
  // Another port on the same host is another server.
  assert.equal(chat(["--port", "7002"], {}, LAST).rooms, undefined);
});

Deno.test("parseClientArgs(): --server naming the last session's server brings back its nick and rooms, wherever it is now", () => {
  const command = chat(["--server", "office"], {}, LAST);
  assert.equal(command.host, undefined);
  assert.equal(command.serverName, "office");
  assert.equal(command.nick, "anna");
  assert.deepEqual(command.rooms, { rooms: ["#lobby", "#dev"], current: "#dev" });
  const other = chat(["--server", "lab"], {}, LAST);
  assert.equal(other.nick, "ana");
  assert.equal(other.rooms, undefined);
});
