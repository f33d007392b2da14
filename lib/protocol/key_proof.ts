/**
 * The key proof of the native handshake: a client names its Ed25519 public
 * key in the `hello`, the server answers with a random nonce, and the client
 * signs `lanchat-auth-v1\n<nonce>` (docs/protocol.md). WebCrypto only, so
 * the server and the client share it.
 *
 * @module
 */

/** Prefix of the signed text; a new proof format gets a new prefix. */
export const AUTH_CONTEXT = "lanchat-auth-v1\n";

/** Bytes of a raw Ed25519 public key, of a nonce, and of a signature. */
export const PUBLIC_KEY_BYTES = 32;
export const NONCE_BYTES = 32;
export const SIGNATURE_BYTES = 64;

const encoder = new TextEncoder();

/** Base64url without padding, as keys, nonces and signatures travel. */
export function toBase64Url(bytes: Uint8Array): string {
  return bytes.toBase64({ alphabet: "base64url", omitPadding: true });
}

/** Decodes base64url (padding optional); undefined when it is not base64url. */
export function fromBase64Url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(text)) return undefined;
  try {
    return Uint8Array.fromBase64(text, { alphabet: "base64url" });
  } catch {
    return undefined;
  }
}

/** The bytes a client signs for `nonce`. */
export function authMessage(nonce: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(AUTH_CONTEXT + nonce) as Uint8Array<ArrayBuffer>;
}

/** A fresh challenge nonce (32 random bytes, base64url). */
export function newNonce(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(NONCE_BYTES)));
}

/**
 * The fingerprint that names a key, like ssh's: `SHA256:` and the base64
 * (no padding) of the SHA-256 of the raw 32-byte public key; the same form
 * as a server certificate's fingerprint.
 */
export { fingerprintOf as fingerprint } from "./fingerprint.ts";

/** Signs the challenge `nonce` with an Ed25519 private key; returns the signature, base64url. */
export async function signChallenge(privateKey: CryptoKey, nonce: string): Promise<string> {
  const signature = await crypto.subtle.sign("Ed25519", privateKey, authMessage(nonce));
  return toBase64Url(new Uint8Array(signature));
}

/**
 * Checks a client's answer to a challenge. Resolves to false for any bad
 * input (wrong length, not base64url, not a valid key, wrong signature);
 * never throws.
 */
export async function verifyChallenge(
  publicKey: string,
  nonce: string,
  signature: string,
): Promise<boolean> {
  const key = fromBase64Url(publicKey);
  const sig = fromBase64Url(signature);
  if (key?.length !== PUBLIC_KEY_BYTES || sig?.length !== SIGNATURE_BYTES) return false;
  try {
    const imported = await crypto.subtle.importKey(
      "raw",
      key as Uint8Array<ArrayBuffer>,
      "Ed25519",
      false,
      ["verify"],
    );
    return await crypto.subtle.verify(
      "Ed25519",
      imported,
      sig as Uint8Array<ArrayBuffer>,
      authMessage(nonce),
    );
  } catch {
    return false;
  }
}

/** Whether `publicKey` is a well-formed raw Ed25519 public key in base64url. */
export function isPublicKey(publicKey: string): boolean {
  return fromBase64Url(publicKey)?.length === PUBLIC_KEY_BYTES;
}
