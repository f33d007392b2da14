/**
 * A TLS client certificate made from a lanchat identity, for IRC clients
 * (irssi's `-tls_cert`, weechat's `tls_cert`, HexChat's `client.pem`): its
 * key IS the identity's Ed25519 key, so SASL EXTERNAL with it owns the same
 * registered nicks as chat-client does, with the same `SHA256:` fingerprint
 * (lib/protocol/client_certificate.ts). Self-signed: the server looks only
 * at the key, which the TLS handshake proves.
 *
 * @module
 */

/**
 * A self-signed certificate (PEM) for the Ed25519 private key in
 * `privateKeyPem` (PKCS#8, the identity file), followed by that key (PEM),
 * in one text: what irssi's `-tls_cert` and HexChat's `client.pem` read.
 * `commonName` is only a label (the nick, usually).
 */
export async function ircCertificate(privateKeyPem: string, commonName: string): Promise<string> {
  const match = /-----BEGIN PRIVATE KEY-----([^-]+)-----END PRIVATE KEY-----/.exec(privateKeyPem);
  if (!match) throw new Error("no PEM private key block");
  const pkcs8 = Uint8Array.fromBase64(match[1].replace(/\s+/g, "")) as Uint8Array<ArrayBuffer>;
  const privateKey = await crypto.subtle.importKey("pkcs8", pkcs8, "Ed25519", true, ["sign"]);
  // The JWK of an Ed25519 private key carries its public half as "x".
  const jwk = await crypto.subtle.exportKey("jwk", privateKey);
  const raw = Uint8Array.fromBase64(jwk.x!, { alphabet: "base64url" }) as Uint8Array<ArrayBuffer>;
  const publicKey = await crypto.subtle.importKey("raw", raw, "Ed25519", true, ["verify"]);
  await import("reflect-metadata");
  const x509 = await import("@peculiar/x509");
  x509.cryptoProvider.set(crypto);
  const day = 24 * 60 * 60 * 1000;
  const serial = crypto.getRandomValues(new Uint8Array(16));
  serial[0] &= 0x7f; // A positive serial number.
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Array.from(serial, (b) => b.toString(16).padStart(2, "0")).join(""),
    name: [{ CN: [commonName.replace(/[^\p{L}\p{N}_.-]/gu, "_") || "lanchat"] }],
    notBefore: new Date(Date.now() - day),
    notAfter: new Date(Date.now() + 20 * 365 * day),
    signingAlgorithm: { name: "Ed25519" },
    keys: { privateKey, publicKey },
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
    ],
  });
  return certificate.toString("pem") + "\n" + privateKeyPem.trim() + "\n";
}
