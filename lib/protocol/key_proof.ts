/**
 * The key proof of the native handshake: a client names its Ed25519 public
 * key in the `hello`, the server answers with a random nonce, and the client
 * signs `lanchat-auth-v2\n<binding>\n<nonce>` (docs/protocol.md). WebCrypto only, so
 * the server and the client share it.
 *
 * @module
 */

/** Prefix of the signed text; a new proof format gets a new prefix. */
export const AUTH_CONTEXT = "lanchat-auth-v2\n";

/**
 * What a proof is bound to on a plain TCP connection. Over TLS it is the
 * server certificate's fingerprint, so a proof given to one server cannot
 * be relayed to another (a rogue server passing on the challenge of the
 * real one): the real one expects its own fingerprint in the signed text.
 */
export const PLAIN_BINDING = "plain";

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

/**
 * The bytes a client signs for `nonce` from the server it knows by
 * `binding` (its certificate fingerprint, or {@linkcode PLAIN_BINDING}).
 */
export function authMessage(nonce: string, binding: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(`${AUTH_CONTEXT}${binding}\n${nonce}`) as Uint8Array<ArrayBuffer>;
}

/** Whether a challenge nonce is well formed (32 bytes of base64url, unpadded). */
export function isNonce(nonce: unknown): nonce is string {
  return typeof nonce === "string" && /^[A-Za-z0-9_-]{43}$/.test(nonce);
}

/** A fresh challenge nonce (32 random bytes, base64url). */
export function newNonce(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(NONCE_BYTES)));
}

/**
 * Signs the challenge `nonce` of the server known by `binding` with an
 * Ed25519 private key; returns the signature, base64url.
 */
export async function signChallenge(
  privateKey: CryptoKey,
  nonce: string,
  binding: string,
): Promise<string> {
  const signature = await crypto.subtle.sign("Ed25519", privateKey, authMessage(nonce, binding));
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
  binding: string,
): Promise<boolean> {
  const key = fromBase64Url(publicKey);
  const sig = fromBase64Url(signature);
  if (key?.length !== PUBLIC_KEY_BYTES || sig?.length !== SIGNATURE_BYTES) return false;
  if (isWeakPublicKey(publicKey)) return false;
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
      authMessage(nonce, binding),
    );
  } catch {
    return false;
  }
}

/** Whether `publicKey` is a well-formed raw Ed25519 public key in base64url. */
export function isPublicKey(publicKey: string): boolean {
  return fromBase64Url(publicKey)?.length === PUBLIC_KEY_BYTES;
}

/**
 * The encodings of the Ed25519 points of small order (1, 2, 4 and 8), with
 * the sign bit of the last byte cleared: the neutral point, the point of
 * order 2, the two of order 4 and the two of order 8 (as y = 0, 1 and p - 1
 * also have non-canonical encodings y + p, those count too). With such a
 * "public key", signatures made without any private key verify for a share
 * of all messages, so anyone could prove it.
 */
const SMALL_ORDER_POINTS: readonly Uint8Array[] = [
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0100000000000000000000000000000000000000000000000000000000000000",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
].map((hex) => Uint8Array.fromHex(hex));

/**
 * Whether a 32-byte public key is a point of small order: a key that
 * proves nothing, because signatures for it can be made without a private
 * key. Such keys are refused in the handshake.
 */
export function isWeakPublicKey(publicKey: string): boolean {
  const bytes = fromBase64Url(publicKey);
  if (bytes?.length !== PUBLIC_KEY_BYTES) return false;
  return SMALL_ORDER_POINTS.some((point) =>
    point.every((byte, i) => (i === PUBLIC_KEY_BYTES - 1 ? bytes[i] & 0x7f : bytes[i]) === byte)
  );
}
