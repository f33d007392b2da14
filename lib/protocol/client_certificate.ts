/**
 * A TLS client certificate as a lanchat identity (IRC's SASL EXTERNAL).
 * The TLS handshake proved that the peer holds the private key of its
 * certificate's public key (TLS CertificateVerify), so that key is a proven
 * key, bound to this one TLS session; the certificate's own signature and
 * issuer do not matter (self-signed is the norm).
 *
 * - An Ed25519 key's raw 32 bytes ARE a lanchat key: its fingerprint is the
 *   `SHA256:` of those bytes, the one `/whois` shows and chat-client's
 *   `--fingerprint` prints, so the same person owns a nick from both.
 * - Any other key (RSA, ECDSA, which irssi, weechat and HexChat users usually
 *   make) is named by the `SHA256:` of the certificate's DER
 *   SubjectPublicKeyInfo: a different identity from every Ed25519 lanchat
 *   key (its preimage is a whole SPKI, never 32 raw bytes), stable across
 *   certificates renewed with the same key.
 *
 * @module
 */

import { fingerprintOf } from "./fingerprint.ts";
import { toBase64Url } from "./key_proof.ts";

/** The identity a client certificate carries. */
export interface CertificateIdentity {
  /** `SHA256:...`: what a nick is registered to, what `/whois` shows. */
  fingerprint: string;
  /** `ed25519` (a lanchat key) or `other` (RSA, ECDSA, ...: named by its SPKI). */
  kind: "ed25519" | "other";
  /** For Ed25519: the raw public key, base64url, as a native hello carries it. */
  key?: string;
}

/** The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410), before the 32 key bytes. */
const ED25519_SPKI_PREFIX = [
  0x30,
  0x2a,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x70,
  0x03,
  0x21,
  0x00,
];

/**
 * The identity of a certificate (DER bytes), or undefined when they are not
 * an X.509 certificate this parser can read.
 */
export async function certificateIdentity(
  der: Uint8Array,
): Promise<CertificateIdentity | undefined> {
  const spki = subjectPublicKeyInfo(der);
  if (!spki) return undefined;
  const raw = ed25519Key(spki);
  if (raw) return { fingerprint: await fingerprintOf(raw), kind: "ed25519", key: toBase64Url(raw) };
  return { fingerprint: await fingerprintOf(spki), kind: "other" };
}

/** The raw 32 bytes of an Ed25519 SubjectPublicKeyInfo, or undefined for another key type. */
export function ed25519Key(spki: Uint8Array): Uint8Array | undefined {
  if (spki.length !== ED25519_SPKI_PREFIX.length + 32) return undefined;
  if (!ED25519_SPKI_PREFIX.every((byte, i) => spki[i] === byte)) return undefined;
  return spki.subarray(ED25519_SPKI_PREFIX.length);
}

/**
 * The DER SubjectPublicKeyInfo of a certificate: the seventh element of
 * tbsCertificate (the sixth when the optional `[0]` version is absent).
 */
export function subjectPublicKeyInfo(der: Uint8Array): Uint8Array | undefined {
  const certificate = readTlv(der, 0);
  if (!certificate || certificate.tag !== 0x30 || certificate.end !== der.length) return undefined;
  const tbs = readTlv(der, certificate.start);
  if (!tbs || tbs.tag !== 0x30) return undefined;
  let at = tbs.start;
  const first = readTlv(der, at);
  if (!first) return undefined;
  // [0] EXPLICIT version, then serialNumber, signature, issuer, validity, subject.
  let skip = first.tag === 0xa0 ? 6 : 5;
  while (skip-- > 0) {
    const field = readTlv(der, at);
    if (!field || field.end > tbs.end) return undefined;
    at = field.end;
  }
  const spki = readTlv(der, at);
  if (!spki || spki.tag !== 0x30 || spki.end > tbs.end) return undefined;
  return der.subarray(at, spki.end);
}

/** One DER tag-length-value at `at`: its tag, where its content starts, where it ends. */
function readTlv(
  der: Uint8Array,
  at: number,
): { tag: number; start: number; end: number } | undefined {
  if (at + 2 > der.length) return undefined;
  const tag = der[at];
  let length = der[at + 1];
  let start = at + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 4 || start + bytes > der.length) return undefined;
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + der[start + i];
    start += bytes;
  }
  const end = start + length;
  return end <= der.length ? { tag, start, end } : undefined;
}
