/**
 * The TXT record a lanchat server announces with its `_lanchat._tcp`
 * service (DNS-SD, RFC 6763 §6): what a client needs to know before it
 * connects. Every value is a string, as TXT records carry them:
 *
 * - `v=1`: the protocol version the server speaks;
 * - `tls=1` or `tls=0`: whether the chat port speaks TLS;
 * - `fp=SHA256:...`: the certificate's fingerprint, only with TLS (evidence
 *   to compare with what the server presents, never trust by itself: anyone
 *   on the LAN can announce anything);
 * - `pw=1` or `pw=0`: whether joining needs the server password;
 * - `web=1` or `web=0`: whether the server serves the web client's page;
 * - `cl=<hex>`: only on a node of a cluster (`chat-server --cluster`): the
 *   cluster's id, the same on every node of it, so a client lists the
 *   nodes as one server and fails over among them.
 *
 * Decoding ignores keys it does not know (a later server may add some) and
 * refuses bad values of the keys it does know. Pure: no sockets, no runtime
 * API.
 *
 * @module
 */

import { isFingerprint } from "../protocol/fingerprint.ts";

/** The service type lanchat servers announce their chat port under. */
export const LANCHAT_SERVICE = "_lanchat._tcp";

/** What a server's TXT record says about it. */
export interface ServerTxt {
  /** The protocol version the server speaks (`PROTOCOL_VERSION`). */
  version: number;
  /** Whether the chat port speaks TLS. */
  tls: boolean;
  /** `SHA256:...` of the certificate: present exactly when `tls` is. */
  fingerprint?: string;
  /** Whether joining needs the server password. */
  password: boolean;
  /** Whether the web client's page is served. */
  web: boolean;
  /** The cluster's id (hex), on a node of a cluster only. */
  cluster?: string;
}

/** What a cluster id looks like in a TXT record: 4 to 32 lower-case hex digits. */
const CLUSTER_ID = /^[0-9a-f]{4,32}$/;

/** A TXT record that does not say what a lanchat server's must. */
export class TxtRecordError extends Error {
  /** The message names the key and quotes the offending value. */
  constructor(message: string) {
    super(message);
    this.name = "TxtRecordError";
  }
}

/** The record as key/value strings, in a fixed order (`fp` only with TLS). */
export function encodeTxt(txt: ServerTxt): Record<string, string> {
  if (!Number.isSafeInteger(txt.version) || txt.version < 1) {
    throw new TxtRecordError(
      `The protocol version must be a positive integer, got "${txt.version}"`,
    );
  }
  if (txt.tls !== (txt.fingerprint !== undefined)) {
    throw new TxtRecordError("A fingerprint goes with TLS and only with it");
  }
  if (txt.fingerprint !== undefined && !isFingerprint(txt.fingerprint)) {
    throw new TxtRecordError(`Not a fingerprint: "${txt.fingerprint}"`);
  }
  const record: Record<string, string> = { v: String(txt.version), tls: flag(txt.tls) };
  if (txt.fingerprint !== undefined) record.fp = txt.fingerprint;
  record.pw = flag(txt.password);
  record.web = flag(txt.web);
  if (txt.cluster !== undefined) {
    if (!CLUSTER_ID.test(txt.cluster)) {
      throw new TxtRecordError(`Not a cluster id: "${txt.cluster}"`);
    }
    record.cl = txt.cluster;
  }
  return record;
}

/** The record as the `key=value` strings of its wire form (RFC 6763 §6.3). */
export function encodeTxtStrings(txt: ServerTxt): string[] {
  return Object.entries(encodeTxt(txt)).map(([key, value]) => `${key}=${value}`);
}

/** A value as mDNS libraries hand it over: text, raw bytes, or `true` for a key without `=`. */
export type TxtValue = string | Uint8Array | boolean;

/**
 * Reads a record given as key/value pairs. Keys are matched without regard
 * to case (RFC 6763 §6.4); unknown keys are ignored.
 *
 * @throws {TxtRecordError} when a known key is missing or has a bad value
 */
export function decodeTxt(record: Readonly<Record<string, TxtValue>>): ServerTxt {
  const values = new Map<string, string | undefined>();
  for (const [key, value] of Object.entries(record)) {
    const folded = key.toLowerCase();
    if (values.has(folded)) continue; // The first of a repeated key counts (§6.4).
    values.set(folded, textOf(value));
  }
  return fromValues(values);
}

/**
 * Reads a record given as its wire strings (`key=value`, or `key` alone for
 * a key with no value); empty strings are skipped, the first of a repeated
 * key counts.
 *
 * @throws {TxtRecordError} when a known key is missing or has a bad value
 */
export function decodeTxtStrings(strings: readonly (string | Uint8Array)[]): ServerTxt {
  const values = new Map<string, string | undefined>();
  for (const item of strings) {
    const text = typeof item === "string" ? item : new TextDecoder().decode(item);
    if (text === "") continue;
    const equals = text.indexOf("=");
    const key = (equals === -1 ? text : text.slice(0, equals)).toLowerCase();
    if (key === "" || values.has(key)) continue;
    values.set(key, equals === -1 ? undefined : text.slice(equals + 1));
  }
  return fromValues(values);
}

function fromValues(values: ReadonlyMap<string, string | undefined>): ServerTxt {
  const versionText = required(values, "v");
  if (!/^[1-9][0-9]{0,8}$/.test(versionText)) {
    throw new TxtRecordError(`"v" must be a positive integer, got "${versionText}"`);
  }
  const tls = onOff(values, "tls");
  const fingerprint = values.get("fp");
  if (tls) {
    if (fingerprint === undefined) throw new TxtRecordError(`"tls=1" needs "fp", which is missing`);
    if (!isFingerprint(fingerprint)) {
      throw new TxtRecordError(
        `"fp" must be SHA256: and 43 base64 characters, got "${fingerprint}"`,
      );
    }
  } else if (values.has("fp")) {
    throw new TxtRecordError(
      `"fp" goes only with "tls=1", got "fp=${fingerprint ?? ""}" with "tls=0"`,
    );
  }
  const txt: ServerTxt = {
    version: Number(versionText),
    tls,
    password: onOff(values, "pw"),
    web: onOff(values, "web"),
  };
  if (tls) txt.fingerprint = fingerprint;
  const cluster = values.get("cl");
  if (values.has("cl")) {
    if (cluster === undefined || !CLUSTER_ID.test(cluster)) {
      throw new TxtRecordError(`"cl" must be 4 to 32 hex digits, got "${cluster ?? ""}"`);
    }
    txt.cluster = cluster;
  }
  return txt;
}

function required(values: ReadonlyMap<string, string | undefined>, key: string): string {
  const value = values.get(key);
  if (value === undefined) {
    throw new TxtRecordError(
      values.has(key) ? `"${key}" has no value` : `"${key}" is missing`,
    );
  }
  return value;
}

function onOff(values: ReadonlyMap<string, string | undefined>, key: string): boolean {
  const value = required(values, key);
  if (value === "1") return true;
  if (value === "0") return false;
  throw new TxtRecordError(`"${key}" must be "1" or "0", got "${value}"`);
}

function flag(on: boolean): string {
  return on ? "1" : "0";
}

function textOf(value: TxtValue): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return undefined;
  return new TextDecoder().decode(value);
}
