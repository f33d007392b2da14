import assert from "node:assert/strict";
import {
  CONFIG_FILE,
  CONFIG_TEMPLATE,
  ConfigFileError,
  configPath,
  createConfigFile,
  parseConfigFile,
  readConfigFile,
} from "./config_file.ts";
import { UsageError } from "../errors.ts";

const PATH = "/home/ana/.config/lanchat/client.conf";

function problem(text: string): string {
  try {
    parseConfigFile(text, PATH);
  } catch (error) {
    assert.ok(error instanceof ConfigFileError, String(error));
    assert.ok(error instanceof UsageError, "a usage error: exit status 2");
    return error.message;
  }
  assert.fail("no error");
}

Deno.test("parseConfigFile() reads key = value lines, skipping comments and blank lines", () => {
  const text = [
    "# my defaults",
    "",
    "host = 192.168.1.20",
    "  port=7000  ",
    "nick = ana",
    "color = no",
    "reconnect = off",
    "give-up-after = 30",
    "   # indented comment",
    "server = office chat",
    "password-file = pw.txt",
    "fingerprint = SHA256:" + "A".repeat(43),
  ].join("\r\n");
  assert.deepEqual(parseConfigFile(text, PATH), {
    host: "192.168.1.20",
    port: 7000,
    nick: "ana",
    color: false,
    reconnect: false,
    giveUpAfter: 30,
    server: "office chat",
    passwordFile: "pw.txt",
    fingerprint: "SHA256:" + "A".repeat(43),
  });
  assert.deepEqual(parseConfigFile("plain = YES\n", PATH), { plain: true });
});

Deno.test("parseConfigFile() takes a port written with the host, IPv6 in brackets too", () => {
  assert.deepEqual(parseConfigFile("host = [fe80::1]:7001", PATH), {
    host: "[fe80::1]:7001",
    port: 7001,
  });
});

Deno.test("parseConfigFile() leaves every key unset for the template it creates", () => {
  assert.deepEqual(parseConfigFile(CONFIG_TEMPLATE, PATH), {});
});

Deno.test("parseConfigFile() names the file, the line and the key of a bad line", () => {
  assert.equal(
    problem("# ok\nnick = ana\ncolour = no\n"),
    `${PATH}:3: unknown key "colour" (the keys are server, host, port, nick, color, reconnect, give-up-after, plain, fingerprint, password-file)`,
  );
  assert.equal(
    problem("\n\nport = seven"),
    `${PATH}:3: "port" must be a whole number from 1 to 65535, got "seven"`,
  );
  assert.equal(problem("color = maybe"), `${PATH}:1: "color" must be yes or no, got "maybe"`);
  assert.equal(problem("nick ana"), `${PATH}:1: expected "key = value", got "nick ana"`);
  assert.equal(problem("nick ="), `${PATH}:1: "nick" has no value`);
  assert.equal(problem("nick = a b"), `${PATH}:1: "nick" must have no spaces, got "a b"`);
  assert.equal(
    problem("nick = ana\nport = 1\nnick = bob"),
    `${PATH}:3: "nick" is set again (first on line 1)`,
  );
  assert.match(problem("fingerprint = abc"), /:1: "fingerprint" must look like SHA256:/);
  assert.match(problem("host = [::1"), /:1: "host" .*unclosed/);
  assert.match(problem("port = 7000 # mine"), /:1: "port" must be a whole number/);
  // Not a key a prototype has.
  assert.match(problem("constructor = x"), /:1: unknown key "constructor"/);
});

Deno.test("createConfigFile() writes the commented template once; readConfigFile() reads it", () => {
  const dir = Deno.makeTempDirSync({ prefix: "lanchat-conf-" });
  try {
    const configDir = `${dir}/new/lanchat`;
    assert.deepEqual(readConfigFile(configDir), {}, "no file: nothing set");
    assert.equal(createConfigFile(configDir), true);
    assert.equal(configPath(configDir), `${configDir}/${CONFIG_FILE}`);
    assert.equal(Deno.readTextFileSync(configPath(configDir)), CONFIG_TEMPLATE);
    Deno.writeTextFileSync(configPath(configDir), "nick = ana\n");
    assert.equal(createConfigFile(configDir), false, "never overwritten");
    assert.deepEqual(readConfigFile(configDir), { nick: "ana" });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
