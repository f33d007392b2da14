import assert from "node:assert/strict";
import { type ClientCommand, type ClientFiles, parseClientArgs } from "./client_config.ts";
import type { ConfigDefaults } from "./config_file.ts";
import { UsageError } from "../errors.ts";

const FP = "SHA256:" + "B".repeat(43);

function files(defaults: ConfigDefaults): ClientFiles {
  return { config: () => defaults };
}

function chat(args: string[], defaults: ConfigDefaults = {}): ClientCommand & { kind: "chat" } {
  const command = parseClientArgs(
    ["--config-dir", "/c", ...args],
    "ana",
    undefined,
    files(defaults),
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
  assert.equal(command.server, undefined);
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
  assert.equal(command.server, undefined);
  // A flag's port wins over one written with the file's host.
  assert.equal(chat(["--port", "7200"], { host: "10.0.0.5:7000" }).port, 7200);
  assert.equal(chat(["--plain"], { host: "h", fingerprint: FP }).fingerprint, undefined);
  assert.equal(chat(["--no-color"], { host: "h", color: true }).color, false);
});

Deno.test("parseClientArgs(): the file's host wins over its server; the server alone is passed on", () => {
  assert.equal(chat([], { host: "10.0.0.5", server: "office" }).host, "10.0.0.5");
  const byName = chat([], { server: "office" });
  assert.equal(byName.host, undefined);
  assert.equal(byName.server, "office");
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

Deno.test("parseClientArgs() without --host nor a host in the config file is a usage error naming both", () => {
  assert.throws(
    () => chat([], { nick: "bob" }),
    (error) =>
      error instanceof UsageError &&
      error.message.includes('or "host = <address>" in /c/client.conf'),
  );
});
