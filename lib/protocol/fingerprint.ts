/**
 * Fingerprints in the form ssh made familiar: `SHA256:` and the unpadded
 * base64 of a SHA-256 digest. A server certificate's fingerprint is taken
 * over its DER bytes, so `openssl x509 -outform DER | openssl dgst -sha256
 * -binary | base64` gives the same digits.
 *
 * @module
 */

/**
 * `SHA256:<base64 without padding>` of `bytes`: of a key's raw 32 bytes
 * (what names a key), or of a certificate's DER bytes.
 */
export async function fingerprintOf(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  return `SHA256:${digest.toBase64({ omitPadding: true })}`;
}

/** Whether `text` looks like a fingerprint: `SHA256:` and 43 base64 characters. */
export function isFingerprint(text: string): boolean {
  return /^SHA256:[A-Za-z0-9+/]{43}$/.test(text);
}

/** The DER bytes of the first certificate in a PEM text, or undefined if there is none. */
export function firstPemCertificate(pem: string): Uint8Array | undefined {
  const match = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/.exec(pem);
  if (!match) return undefined;
  try {
    return Uint8Array.fromBase64(match[1].replace(/\s+/g, ""));
  } catch {
    return undefined;
  }
}

/**
 * A fingerprint (`SHA256:` and base64) as browsers' certificate viewers
 * show a certificate's SHA-256: hex pairs in capitals, colon-separated
 * (Chrome shows spaces instead of colons).
 */
export function hexFingerprint(fingerprint: string): string {
  const digest = Uint8Array.fromBase64(fingerprint.slice("SHA256:".length));
  return [...digest].map((byte) => byte.toString(16).toUpperCase().padStart(2, "0")).join(":");
}
