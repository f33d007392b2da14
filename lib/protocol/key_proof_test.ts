import assert from "node:assert/strict";
import {
  fromBase64Url,
  isNonce,
  isPublicKey,
  isWeakPublicKey,
  newNonce,
  PLAIN_BINDING,
  signChallenge,
  toBase64Url,
  verifyChallenge,
} from "./key_proof.ts";
import { fingerprintOf, hexFingerprint, isFingerprint } from "./fingerprint.ts";

async function keyPair(): Promise<{ privateKey: CryptoKey; publicKey: string }> {
  const pair = await crypto.subtle.generateKey("Ed25519", true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  return { privateKey: pair.privateKey, publicKey: toBase64Url(raw) };
}

const SERVER = "SHA256:c2VydmVyIGNlcnRpZmljYXRlIGZpbmdlcnByaW50AAA";

Deno.test("verifyChallenge() accepts the signature of the right key over the right nonce", async () => {
  const { privateKey, publicKey } = await keyPair();
  const nonce = newNonce();
  assert.ok(isNonce(nonce));
  const signature = await signChallenge(privateKey, nonce, SERVER);
  assert.equal(await verifyChallenge(publicKey, nonce, signature, SERVER), true);
});

Deno.test("verifyChallenge() refuses a proof made for another server (a relayed challenge)", async () => {
  const { privateKey, publicKey } = await keyPair();
  const nonce = newNonce();
  const forRogue = await signChallenge(privateKey, nonce, "SHA256:" + "R".repeat(43));
  assert.equal(await verifyChallenge(publicKey, nonce, forRogue, SERVER), false);
  const overPlain = await signChallenge(privateKey, nonce, PLAIN_BINDING);
  assert.equal(await verifyChallenge(publicKey, nonce, overPlain, SERVER), false);
});

Deno.test("isNonce() wants 43 base64url characters", () => {
  assert.equal(isNonce("A".repeat(43)), true);
  assert.equal(isNonce("A".repeat(42)), false);
  assert.equal(isNonce("A".repeat(42) + "+"), false);
  assert.equal(isNonce(42), false);
});

Deno.test("verifyChallenge() refuses another nonce, another key and mangled input", async () => {
  const ana = await keyPair();
  const bo = await keyPair();
  const nonce = newNonce();
  const signature = await signChallenge(ana.privateKey, nonce, SERVER);
  assert.equal(
    await verifyChallenge(ana.publicKey, newNonce(), signature, SERVER),
    false,
    "other nonce",
  );
  assert.equal(await verifyChallenge(bo.publicKey, nonce, signature, SERVER), false, "other key");
  const flipped = fromBase64Url(signature)!;
  flipped[0] ^= 1;
  assert.equal(await verifyChallenge(ana.publicKey, nonce, toBase64Url(flipped), SERVER), false);
  assert.equal(await verifyChallenge(ana.publicKey, nonce, "short", SERVER), false);
  assert.equal(await verifyChallenge(ana.publicKey, nonce, "not base64!", SERVER), false);
  assert.equal(await verifyChallenge("AAAA", nonce, signature, SERVER), false, "key too short");
  assert.equal(await verifyChallenge("", nonce, "", SERVER), false);
});

Deno.test("fingerprintOf() is SHA256: and unpadded base64 of the raw key's SHA-256, like ssh", async () => {
  const raw = new Uint8Array(32); // all zeros
  const print = await fingerprintOf(raw);
  // sha256 of 32 zero bytes = 66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925
  assert.equal(print, "SHA256:Zmh6rfhivXdsj8GLjp+OIAiXFIVu4jOzkCpZHQ1fKSU");
  assert.equal(isFingerprint(print), true);
  assert.equal(isFingerprint("SHA256:short"), false);
  assert.equal(isFingerprint("MD5:Zmh6rfhivXdsj8GLjp+OIAiXFIVu4jOzkCpZHQ1fKSU"), false);
  assert.equal(
    hexFingerprint(print),
    "66:68:7A:AD:F8:62:BD:77:6C:8F:C1:8B:8E:9F:8E:20:08:97:14:85:6E:E2:33:B3:90:2A:59:1D:0D:5F:29:25",
  );
});

Deno.test("isPublicKey() wants exactly 32 bytes of base64url", () => {
  assert.equal(isPublicKey(toBase64Url(new Uint8Array(32))), true);
  assert.equal(isPublicKey(toBase64Url(new Uint8Array(31))), false);
  assert.equal(isPublicKey("+/+/"), false);
});

Deno.test("verifyChallenge() refuses a key of small order, which signatures made of nothing would prove", async () => {
  const zeroKey = toBase64Url(new Uint8Array(32));
  const zeroSignature = toBase64Url(new Uint8Array(64));
  for (let i = 0; i < 64; i++) {
    assert.equal(await verifyChallenge(zeroKey, newNonce(), zeroSignature, PLAIN_BINDING), false);
  }
});

Deno.test("isWeakPublicKey() names the points of small order, sign bit or not, and no real key", async () => {
  const weak = [
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  ];
  for (const hex of weak) {
    assert.equal(isWeakPublicKey(toBase64Url(Uint8Array.fromHex(hex))), true, hex);
  }
  for (let i = 0; i < 20; i++) {
    assert.equal(isWeakPublicKey((await keyPair()).publicKey), false);
  }
  assert.equal(isWeakPublicKey("AAAA"), false);
});
