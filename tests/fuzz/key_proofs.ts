/**
 * Key proofs for the fuzzer's proof cases: which way a case signs its
 * challenge, and Ed25519 keys and signatures made with node:crypto, so a
 * case is built synchronously.
 *
 * @module
 */

import { createPrivateKey, createPublicKey, type KeyObject, sign } from "node:crypto";

const encoder = new TextEncoder();

/** How a proof case signs its challenge; only "right" and "right-extra" verify. */
export type Signing =
  | "right"
  | "right-extra"
  | "wrong-binding"
  | "wrong-nonce"
  | "other-key"
  | "garbage";

/** The live part of a proof case. */
export interface KeyProof {
  /** The Ed25519 seed whose public key the hello names. */
  seed: Uint8Array;
  /** The seed of a key the hello did not name (for "other-key"). */
  otherSeed: Uint8Array;
  /** How the challenge is signed. */
  signing: Signing;
  /** The signature sent for "garbage". */
  garbage: string;
  /** What is sent after the `auth` line (the sentinel included). */
  afterAuth: Uint8Array;
}

const PKCS8_ED25519_PREFIX = Uint8Array.fromHex("302e020100300506032b657004220420");

function privateKeyOf(seed: Uint8Array): KeyObject {
  const der = new Uint8Array([...PKCS8_ED25519_PREFIX, ...seed]);
  return createPrivateKey({ key: Buffer.from(der), format: "der", type: "pkcs8" });
}

/** The raw public key of an Ed25519 seed, base64url, as a hello names it. */
export function publicKeyOf(seed: Uint8Array): string {
  return createPublicKey(privateKeyOf(seed)).export({ format: "jwk" }).x!;
}

/** What protocol.md says a client signs: `lanchat-auth-v2\n<binding>\n<nonce>`. */
function signProof(seed: Uint8Array, nonce: string, binding: string): string {
  const message = encoder.encode(`lanchat-auth-v2\n${binding}\n${nonce}`);
  return sign(null, message, privateKeyOf(seed)).toString("base64url");
}

/** The `auth` line a proof case sends for `nonce` (over plain TCP, so bound to "plain"). */
export function proofLine(proof: KeyProof, nonce: string): string {
  const signature = {
    "right": () => signProof(proof.seed, nonce, "plain"),
    "right-extra": () => signProof(proof.seed, nonce, "plain"),
    "wrong-binding": () =>
      signProof(proof.seed, nonce, "SHA256:Zmh6rfhivXdsj8GLjp+OIAiXFIVu4jOzkCpZHQ1fKSU"),
    "wrong-nonce": () => signProof(proof.seed, nonce.slice(1) + "A", "plain"),
    "other-key": () => signProof(proof.otherSeed, nonce, "plain"),
    "garbage": () => proof.garbage,
  }[proof.signing]();
  return JSON.stringify({
    type: "auth",
    signature,
    ...(proof.signing === "right-extra" ? { nonce, key: "x", n: [1, { a: null }] } : {}),
  });
}
