import assert from "node:assert/strict";
import { newNonce, verifyChallenge } from "../protocol/key_proof.ts";
import { IdentityError, loadIdentity } from "./identity.ts";

async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "lanchat-identity-" });
  try {
    await run(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("loadIdentity() creates a private key file (0600 in a 0700 dir) and loads the same key later", () =>
  withDir(async (dir) => {
    const configDir = `${dir}/config/lanchat`;
    const first = await loadIdentity(configDir);
    assert.equal(first.created, true);
    assert.equal(first.path, `${configDir}/identity`);
    assert.match(first.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
    if (Deno.build.os !== "windows") {
      assert.equal((await Deno.stat(configDir)).mode! & 0o777, 0o700);
      assert.equal((await Deno.stat(first.path!)).mode! & 0o777, 0o600);
    }
    assert.match(await Deno.readTextFile(first.path!), /^-----BEGIN PRIVATE KEY-----\n/);
    const second = await loadIdentity(configDir);
    assert.equal(second.created, false);
    assert.equal(second.fingerprint, first.fingerprint);
    assert.equal(second.publicKey, first.publicKey);
    const nonce = newNonce();
    const signature = await second.sign(nonce, "plain");
    assert.equal(await verifyChallenge(first.publicKey, nonce, signature, "plain"), true);
  }));

Deno.test("loadIdentity() leaves the mode of a config directory that already existed alone", {
  ignore: Deno.build.os === "windows",
}, () =>
  withDir(async (dir) => {
    await Deno.chmod(dir, 0o775);
    const { path } = await loadIdentity(dir);
    assert.equal((await Deno.stat(dir)).mode! & 0o777, 0o775);
    assert.equal((await Deno.stat(path!)).mode! & 0o777, 0o600);
  }));

Deno.test("loadIdentity() makes a key file that others can read private again", {
  ignore: Deno.build.os === "windows",
}, () =>
  withDir(async (dir) => {
    const { path } = await loadIdentity(dir);
    await Deno.chmod(path!, 0o644);
    await loadIdentity(dir);
    assert.equal((await Deno.stat(path!)).mode! & 0o777, 0o600);
  }));

Deno.test("loadIdentity() names the path of a corrupt key file, and leaves it alone", () =>
  withDir(async (dir) => {
    const path = `${dir}/identity`;
    await Deno.writeTextFile(path, "not a key\n", { mode: 0o600 });
    await assert.rejects(
      () => loadIdentity(dir),
      (e: IdentityError) =>
        e instanceof IdentityError && e.path === path &&
        e.message.startsWith(`your identity key ${path} is not an Ed25519 private key`),
    );
    assert.equal(await Deno.readTextFile(path), "not a key\n");
  }));

Deno.test("loadIdentity() without a config directory makes a key for this run only", async () => {
  const a = await loadIdentity(undefined);
  const b = await loadIdentity(undefined);
  assert.equal(a.path, undefined);
  assert.notEqual(a.fingerprint, b.fingerprint);
});
