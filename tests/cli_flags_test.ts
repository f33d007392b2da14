/**
 * The exit-code rule for flags that name files, with the real programs: a
 * file whose content is the flag's value (`--cert`, `--key`,
 * `--password-file`) that is missing, unreadable or wrong is a usage error
 * (exit 2, one line naming the flag and the file, nothing written); a
 * directory the program keeps its files in (`--data-dir`, `--config-dir`)
 * that cannot be used is a runtime error (exit 1), as it would be without
 * the flag.
 */

import assert from "node:assert/strict";
import { ROOT, runEntry } from "./_entry_process.ts";
import {
  CERT_FILE,
  createSelfSigned,
  KEY_FILE,
  loadCertificate,
} from "../lib/server/tls_certificate.ts";

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** A directory with a certificate and its key, another key, and a file that is no certificate. */
async function certificateFiles(): Promise<{ dir: string; cert: string; key: string }> {
  const dir = Deno.makeTempDirSync({ prefix: "lanchat-cert-" });
  await loadCertificate({ kind: "dir", dir });
  Deno.writeTextFileSync(`${dir}/other-key.pem`, (await createSelfSigned()).key);
  Deno.writeTextFileSync(`${dir}/junk.pem`, "not a certificate\n");
  return { dir, cert: `${dir}/${CERT_FILE}`, key: `${dir}/${KEY_FILE}` };
}

Deno.test("chat-server: a missing or wrong --cert, --key or --password-file exits 2 with one line naming the flag and the file, before anything is written", async () => {
  const { dir, cert, key } = await certificateFiles();
  const cases: [string[], string][] = [
    [
      ["--cert", `${dir}/missing.pem`, "--key", key],
      `chat-server: cannot read --cert "${dir}/missing.pem": no such file or directory`,
    ],
    [
      ["--cert", cert, "--key", `${dir}/missing.pem`],
      `chat-server: cannot read --key "${dir}/missing.pem": no such file or directory`,
    ],
    [
      ["--cert", `${dir}/junk.pem`, "--key", key],
      `chat-server: --cert "${dir}/junk.pem" holds no PEM certificate (a "-----BEGIN CERTIFICATE-----" block)`,
    ],
    [
      ["--cert", cert, "--key", `${dir}/other-key.pem`],
      `chat-server: --key "${dir}/other-key.pem" is not the private key of the certificate in --cert "${cert}"`,
    ],
    [
      ["--password-file", `${dir}/missing-pw`],
      `chat-server: cannot read --password-file "${dir}/missing-pw": no such file or directory`,
    ],
    [
      ["--password-file", dir],
      `chat-server: cannot read --password-file "${dir}": is a directory`,
    ],
  ];
  for (const [args, line] of cases) {
    const dataDir = `${Deno.makeTempDirSync({ prefix: "lanchat-data-" })}/data`;
    const server = runEntry("server", [
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--data-dir",
      dataDir,
      ...args,
    ], {
      tls: true,
    });
    const status = await server.finished();
    assert.deepEqual(
      { code: status.code, stderr: server.stderr, stdout: server.stdout },
      { code: 2, stderr: [line], stdout: [] },
      args.join(" "),
    );
    assert.equal(exists(dataDir), false, `${args.join(" ")}: the data directory was made`);
  }
});

Deno.test("chat-server: a --data-dir that cannot be made is a runtime error: exit 1 and the path", async () => {
  const file = Deno.makeTempFileSync({ prefix: "lanchat-not-a-dir-" });
  const server = runEntry("server", [
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--data-dir",
    `${file}/data`,
  ], {
    tls: true,
  });
  const status = await server.finished();
  assert.equal(status.code, 1, server.stderr.join("\n"));
  assert.equal(server.stderr.length, 1, server.stderr.join("\n"));
  assert.match(server.stderr[0], /^chat-server: cannot .*not a directory/i);
  assert.ok(server.stderr[0].includes(`${file}/data`), server.stderr[0]);
});

Deno.test("chat-client: a missing --password-file exits 2 naming it; an unusable --config-dir exits 1", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "lanchat-client-" });
  const missing = runEntry("client", [
    "--host",
    "127.0.0.1",
    "--config-dir",
    `${dir}/config`,
    "--password-file",
    `${dir}/missing-pw`,
  ]);
  assert.equal((await missing.finished()).code, 2);
  assert.deepEqual(missing.stderr, [
    `chat-client: cannot read --password-file "${dir}/missing-pw": no such file or directory`,
  ]);
  assert.equal(exists(`${dir}/config`), false, "the config directory was made");

  const file = Deno.makeTempFileSync({ prefix: "lanchat-not-a-dir-" });
  const config = runEntry("client", ["--host", "127.0.0.1", "--config-dir", `${file}/config`]);
  assert.equal((await config.finished()).code, 1);
  assert.equal(config.stderr.length, 1, config.stderr.join("\n"));
  assert.ok(config.stderr[0].startsWith("chat-client: "), config.stderr[0]);
  assert.ok(config.stderr[0].includes(`${file}/config`), config.stderr[0]);
});

Deno.test("chat-server without a home directory for its default data directory exits 1, saying what to give", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-q", "-P=server", "server.ts", "--host", "127.0.0.1", "--port", "0"],
    cwd: ROOT,
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "", NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 1);
  assert.equal(
    new TextDecoder().decode(output.stderr).trim(),
    "chat-server: no home directory to keep history in (HOME is not set); give --data-dir, or --data-dir :memory: to keep nothing on disk",
  );
});
