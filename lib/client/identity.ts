import { fingerprintOf } from "../protocol/fingerprint.ts";
import { signChallenge, toBase64Url } from "../protocol/key_proof.ts";

/** The file in the config directory that holds the client's private key. */
export const IDENTITY_FILE = "identity";

/**
 * Who the client is to servers: an Ed25519 key pair. Servers bind
 * registered nicks to it and name operators by its fingerprint.
 */
export interface Identity {
  /** The raw 32-byte public key, base64url: what the hello carries. */
  publicKey: string;
  /** `SHA256:...`, what `--op` and `/whois` show. */
  fingerprint: string;
  /** Where it is kept; undefined for a key that lives only for this run. */
  path: string | undefined;
  /** Whether this run created it. */
  created: boolean;
  /** Signs a server's challenge nonce. */
  sign(nonce: string, binding: string): Promise<string>;
}

/** The identity file exists but cannot be used. */
export class IdentityError extends Error {
  /**
   * Builds the error.
   *
   * @param path the identity file that cannot be used
   */
  constructor(readonly path: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "IdentityError";
  }
}

const PEM_LABEL = "PRIVATE KEY";

/**
 * Loads the identity kept in `configDir`, creating it on first use: the
 * directory with mode 0700 and the file (PKCS#8 PEM, readable by `openssl
 * pkey`) with mode 0600. A file that others can read is made private again.
 * Without a `configDir` (no home directory) the key lives for this run only.
 *
 * @throws {IdentityError} naming the path, for a file that is not a key or
 *   a directory that cannot be written
 */
export async function loadIdentity(configDir: string | undefined): Promise<Identity> {
  if (configDir === undefined) return await fromKey(await generate(), undefined, true);
  const path = `${configDir.replace(/[\\/]+$/, "")}/${IDENTITY_FILE}`;
  let pem: string | undefined;
  try {
    pem = await Deno.readTextFile(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      throw new IdentityError(path, `cannot read your identity key ${path}: ${describe(error)}`, {
        cause: error,
      });
    }
  }
  if (pem !== undefined) {
    await keepPrivate(path);
    let key: CryptoKey;
    try {
      key = await crypto.subtle.importKey("pkcs8", decodePem(pem), "Ed25519", true, ["sign"]);
    } catch (cause) {
      throw new IdentityError(
        path,
        `your identity key ${path} is not an Ed25519 private key (PKCS#8 PEM); move it away to create a new one (nicks registered to the old key stay bound to it)`,
        { cause },
      );
    }
    return await fromKey(key, path, false);
  }
  const key = await generate();
  const bytes = new Uint8Array(await crypto.subtle.exportKey("pkcs8", key));
  try {
    // Only a directory made here is made owner-only: --config-dir may name a shared one.
    const existed = await Deno.stat(configDir).then(() => true, () => false);
    await Deno.mkdir(configDir, { recursive: true, mode: 0o700 });
    if (!existed && Deno.build.os !== "windows") await Deno.chmod(configDir, 0o700);
    // createNew: two clients starting at once must not overwrite each other's key.
    await Deno.writeTextFile(path, encodePem(bytes), { mode: 0o600, createNew: true });
    if (Deno.build.os !== "windows") await Deno.chmod(path, 0o600);
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return await loadIdentity(configDir);
    throw new IdentityError(path, `cannot create your identity key ${path}: ${describe(error)}`, {
      cause: error,
    });
  }
  return await fromKey(key, path, true);
}

async function generate(): Promise<CryptoKey> {
  const pair = await crypto.subtle.generateKey("Ed25519", true, ["sign", "verify"]);
  return (pair as CryptoKeyPair).privateKey;
}

async function fromKey(key: CryptoKey, path: string | undefined, created: boolean) {
  // The JWK of an Ed25519 private key carries its public half as "x" (base64url).
  const jwk = await crypto.subtle.exportKey("jwk", key);
  const publicKey = jwk.x!;
  const raw = Uint8Array.fromBase64(publicKey, { alphabet: "base64url" });
  return {
    publicKey: toBase64Url(raw),
    fingerprint: await fingerprintOf(raw),
    path,
    created,
    sign: (nonce: string, binding: string) => signChallenge(key, nonce, binding),
  };
}

/** Takes group and other permissions away from an existing key file. */
async function keepPrivate(path: string): Promise<void> {
  if (Deno.build.os === "windows") return;
  try {
    const { mode } = await Deno.stat(path);
    if (mode !== null && (mode & 0o077) !== 0) await Deno.chmod(path, 0o600);
  } catch {
    // Reading it worked; a failed chmod (not our file) is not worth failing for.
  }
}

function encodePem(der: Uint8Array): string {
  const lines = der.toBase64().match(/.{1,64}/g)!;
  return `-----BEGIN ${PEM_LABEL}-----\n${lines.join("\n")}\n-----END ${PEM_LABEL}-----\n`;
}

function decodePem(pem: string): Uint8Array<ArrayBuffer> {
  const match = new RegExp(`-----BEGIN ${PEM_LABEL}-----([^-]+)-----END ${PEM_LABEL}-----`)
    .exec(pem);
  if (!match) throw new Error("no PEM private key block");
  return Uint8Array.fromBase64(match[1].replace(/\s+/g, "")) as Uint8Array<ArrayBuffer>;
}

function describe(error: unknown): string {
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.NotCapable) return "not allowed (permissions)";
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\(os error \d+\)$/, "").toLowerCase();
}
