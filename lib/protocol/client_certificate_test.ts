import assert from "node:assert/strict";
import { certificateIdentity, ed25519Key, subjectPublicKeyInfo } from "./client_certificate.ts";
import { fingerprintOf, firstPemCertificate } from "./fingerprint.ts";
import { createSelfSigned } from "../server/tls_certificate.ts";

Deno.test("certificateIdentity() names a non-Ed25519 key by the SHA-256 of its SubjectPublicKeyInfo", async () => {
  const { cert } = await createSelfSigned("x"); // ECDSA P-256
  const der = firstPemCertificate(cert)!;
  const spki = subjectPublicKeyInfo(der)!;
  assert.equal(spki[0], 0x30);
  assert.equal(ed25519Key(spki), undefined);
  const identity = await certificateIdentity(der);
  assert.deepEqual(identity, { fingerprint: await fingerprintOf(spki), kind: "other" });
});

Deno.test("ed25519Key() takes the raw 32 bytes of an Ed25519 SubjectPublicKeyInfo", async () => {
  const pair = await crypto.subtle.generateKey("Ed25519", true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  assert.deepEqual(ed25519Key(spki), raw);
});

Deno.test("certificateIdentity() refuses bytes that are not a certificate, cut or padded", async () => {
  const der = firstPemCertificate((await createSelfSigned("x")).cert)!;
  assert.equal(await certificateIdentity(der.subarray(0, der.length - 1)), undefined);
  assert.equal(await certificateIdentity(new Uint8Array([...der, 0])), undefined);
  assert.equal(
    await certificateIdentity(new Uint8Array([0x30, 0x84, 0xff, 0xff, 0xff, 0xff])),
    undefined,
  );
  assert.equal(await certificateIdentity(new Uint8Array(0)), undefined);
});
