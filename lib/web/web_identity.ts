/// <reference lib="dom" />
/**
 * The browser's identity, like the terminal client's (`lib/client/identity.ts`):
 * an Ed25519 key pair made with WebCrypto on the first visit, its private
 * half not extractable, kept in IndexedDB (a `CryptoKey` is stored as it
 * is, so the private key's bytes never reach script), proving itself in the
 * hello. The same origin gets the same key after a reload, so `/register`
 * and operator rights work from a browser.
 *
 * WebCrypto exists only in a secure context: a page over `https:` (the
 * default) or from `localhost`. A page over plain `http:` from a LAN address
 * has none, and joins without a key; {@linkcode loadWebIdentity} says why.
 *
 * @module
 */

import { fingerprintOf } from "../protocol/fingerprint.ts";
import { signChallenge, toBase64Url } from "../protocol/key_proof.ts";
import type { WebIdentity } from "./web_client.ts";

/** The outcome of loading: an identity, or why there is none. */
export type IdentityOutcome = { identity: WebIdentity } | { identity?: undefined; reason: string };

const DATABASE = "lanchat";
const STORE = "identity";
const RECORD = "ed25519";

interface StoredPair {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

/**
 * Loads the key kept for this origin, making and keeping one on the first
 * visit. Never throws: without WebCrypto, Ed25519 or IndexedDB the page
 * joins without a key and the settings say why.
 *
 * @param storage the IndexedDB factory (`indexedDB`; tests pass their own or none)
 */
export async function loadWebIdentity(
  storage: IDBFactory | undefined = globalThis.indexedDB,
): Promise<IdentityOutcome> {
  if (!globalThis.crypto?.subtle) {
    return { reason: "this page is not a secure context (open it over https)" };
  }
  let pair: StoredPair | undefined;
  let created = false;
  try {
    const database = storage ? await openDatabase(storage) : undefined;
    pair = database ? await read(database) : undefined;
    if (!pair) {
      const made = await crypto.subtle.generateKey("Ed25519", false, ["sign", "verify"]);
      pair = made as CryptoKeyPair;
      created = true;
      // Another tab may have made one meanwhile: keep the first.
      if (database) pair = (await addOnce(database, pair)) ?? pair;
    }
    database?.close();
  } catch (error) {
    return { reason: `no key could be made or kept: ${(error as Error)?.message ?? error}` };
  }
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const privateKey = pair.privateKey;
  return {
    identity: {
      publicKey: toBase64Url(raw),
      fingerprint: await fingerprintOf(raw),
      created: created && storage !== undefined,
      sign: (nonce, binding) => signChallenge(privateKey, nonce, binding),
    },
  };
}

function openDatabase(storage: IDBFactory): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = storage.open(DATABASE, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function read(database: IDBDatabase): Promise<StoredPair | undefined> {
  return new Promise((resolve, reject) => {
    const request = database.transaction(STORE, "readonly").objectStore(STORE).get(RECORD);
    request.onsuccess = () => resolve(request.result as StoredPair | undefined);
    request.onerror = () => reject(request.error);
  });
}

/** Stores `pair` unless a key is there already; resolves to the one kept if it was not ours. */
function addOnce(database: IDBDatabase, pair: StoredPair): Promise<StoredPair | undefined> {
  return new Promise((resolve, reject) => {
    const transaction = database.transaction(STORE, "readwrite");
    const store = transaction.objectStore(STORE);
    const request = store.add(pair, RECORD);
    request.onerror = (event) => {
      if (request.error?.name !== "ConstraintError") return;
      event.preventDefault();
      const existing = store.get(RECORD);
      existing.onsuccess = () => resolve(existing.result as StoredPair);
    };
    transaction.oncomplete = () => resolve(undefined);
    transaction.onerror = () => reject(transaction.error);
  });
}
