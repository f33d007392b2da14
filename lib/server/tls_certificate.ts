/**
 * The server's TLS certificate: given as files (`--cert`/`--key`), or made
 * on first start (a self-signed ECDSA P-256 certificate, WebCrypto plus the
 * @peculiar/x509 library) and kept in the data directory, so clients that
 * trusted it on first use keep trusting it across restarts.
 *
 * @module
 */

import { writeAtomically } from "../atomic_write.ts";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { fingerprintOf, firstPemCertificate } from "../protocol/fingerprint.ts";
import { describeFileError, readFlagFile } from "../cli_args.ts";
import { UsageError } from "../errors.ts";

/** A certificate and key in PEM, ready for `Deno.listenTls`, with its fingerprint. */
export interface ServerCertificate {
  /** The certificate (chain), PEM. */
  cert: string;
  /** Its private key, PKCS#8 PEM. */
  key: string;
  /** `SHA256:...` over the certificate's DER bytes: what clients compare. */
  fingerprint: string;
  /** Where it came from: a file path, or "memory" for a certificate made for this run only. */
  source: string;
  /** True when it was made during this start. */
  created: boolean;
}

/** The certificate could not be read, made or kept; the message names the path and the cause. */
export class CertificateError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CertificateError";
  }
}

/** Where the certificate is to come from. */
export type CertificateSource =
  /**
   * `--cert` and `--key`; `cert` and `key` hold their text once read and
   * checked by {@linkcode readCertificateFiles} (read then when left out).
   */
  | { kind: "files"; certFile: string; keyFile: string; cert?: string; key?: string }
  /** Kept in `dir` (made there on first start). */
  | { kind: "dir"; dir: string }
  /** Made for this run only. */
  | { kind: "memory" };

/** File names inside the data directory. */
export const CERT_FILE = "tls-cert.pem";
export const KEY_FILE = "tls-key.pem";

/**
 * Loads or makes the certificate.
 *
 * @throws {CertificateError} with the path and the cause
 * @throws {UsageError} for `--cert` and `--key` files that are missing or wrong
 */
export async function loadCertificate(source: CertificateSource): Promise<ServerCertificate> {
  if (source.kind === "memory") {
    const made = await createSelfSigned();
    return {
      ...made,
      fingerprint: await fingerprintOfPem(made.cert),
      source: "memory",
      created: true,
    };
  }
  if (source.kind === "files") {
    const { cert, key } = source.cert !== undefined && source.key !== undefined
      ? { cert: source.cert, key: source.key }
      : readCertificateFiles(source.certFile, source.keyFile);
    return {
      cert,
      key,
      fingerprint: await fingerprintOfPem(cert, source.certFile),
      source: source.certFile,
      created: false,
    };
  }
  const dir = source.dir.replace(/[\\/]+$/, "");
  const certFile = `${dir}/${CERT_FILE}`;
  const keyFile = `${dir}/${KEY_FILE}`;
  const haveCert = exists(certFile);
  const haveKey = exists(keyFile);
  if (haveCert && haveKey) {
    const cert = readText(certFile, "the certificate");
    const key = readText(keyFile, "the key");
    return {
      cert,
      key,
      fingerprint: await fingerprintOfPem(cert, certFile),
      source: certFile,
      created: false,
    };
  }
  if (haveCert !== haveKey) {
    const [there, missing] = haveCert ? [certFile, keyFile] : [keyFile, certFile];
    throw new CertificateError(
      `${there} exists but ${missing} does not; restore it, or delete ${there} to make a new certificate (clients will then see a new fingerprint)`,
    );
  }
  const made = await createSelfSigned();
  try {
    Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeAtomically(keyFile, made.key, 0o600);
    writeAtomically(certFile, made.cert, 0o644);
  } catch (cause) {
    throw new CertificateError(
      `cannot keep the new TLS certificate in ${dir}: ${
        describeFileError(cause as Error)
      }; use --data-dir, or --cert and --key`,
      { cause },
    );
  }
  return {
    ...made,
    fingerprint: await fingerprintOfPem(made.cert),
    source: certFile,
    created: true,
  };
}

/**
 * Reads `--cert` and `--key` and checks them before anything else happens:
 * the certificate file holds a PEM certificate, the key file an unencrypted
 * PEM private key (PKCS #8, SEC 1 or PKCS #1), and the key is the
 * certificate's. What is wrong with them is wrong on the command line.
 *
 * @throws {UsageError} naming the flag and the file
 */
export function readCertificateFiles(
  certFile: string,
  keyFile: string,
): { kind: "files"; certFile: string; keyFile: string; cert: string; key: string } {
  const cert = readFlagFile("cert", certFile);
  const key = readFlagFile("key", keyFile);
  let certificate: X509Certificate;
  try {
    if (!firstPemCertificate(cert)) throw new Error("no PEM block");
    certificate = new X509Certificate(cert);
  } catch (cause) {
    throw new UsageError(
      `--cert "${certFile}" holds no PEM certificate (a "-----BEGIN CERTIFICATE-----" block)`,
      { cause },
    );
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (cause) {
    throw new UsageError(
      `--key "${keyFile}" holds no usable private key (an unencrypted PEM "-----BEGIN ... PRIVATE KEY-----" block)`,
      { cause },
    );
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new UsageError(
      `--key "${keyFile}" is not the private key of the certificate in --cert "${certFile}"`,
    );
  }
  return { kind: "files", certFile, keyFile, cert, key };
}

/** Makes a self-signed ECDSA P-256 server certificate, valid for 20 years. */
export async function createSelfSigned(
  commonName = "lanchat",
): Promise<{ cert: string; key: string }> {
  // The library needs the Reflect metadata polyfill loaded first; both load
  // only when a certificate is made (once per data directory).
  await import("reflect-metadata");
  const x509 = await import("@peculiar/x509");
  x509.cryptoProvider.set(crypto);
  const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = await crypto.subtle.generateKey(algorithm, true, ["sign", "verify"]);
  const day = 24 * 60 * 60 * 1000;
  const serial = crypto.getRandomValues(new Uint8Array(16));
  serial[0] &= 0x7f; // A positive serial number.
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Array.from(serial, (b) => b.toString(16).padStart(2, "0")).join(""),
    name: `CN=${commonName}`,
    notBefore: new Date(Date.now() - day),
    notAfter: new Date(Date.now() + 20 * 365 * day),
    signingAlgorithm: algorithm,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: "dns", value: "localhost" },
        { type: "ip", value: "127.0.0.1" },
      ]),
    ],
  });
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey("pkcs8", keys.privateKey));
  const lines = pkcs8.toBase64().match(/.{1,64}/g)!.join("\n");
  return {
    cert: certificate.toString("pem") + "\n",
    key: `-----BEGIN PRIVATE KEY-----\n${lines}\n-----END PRIVATE KEY-----\n`,
  };
}

/**
 * The fingerprint of the first certificate in a PEM text; `where` names
 * the text in the error when there is none (a file path).
 */
export async function fingerprintOfPem(pem: string, where = "the text"): Promise<string> {
  const der = firstPemCertificate(pem);
  if (!der) {
    throw new CertificateError(`${where} holds no PEM certificate ("-----BEGIN CERTIFICATE-----")`);
  }
  return await fingerprintOf(der);
}

function readText(path: string, what: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch (cause) {
    throw new CertificateError(
      `cannot read ${what} ${path}: ${describeFileError(cause as Error)}`,
      {
        cause,
      },
    );
  }
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw new CertificateError(`cannot read ${path}: ${describeFileError(error as Error)}`, {
      cause: error,
    });
  }
}
