/**
 * Random ids: upload tokens, file ids and keys.
 *
 * @module
 */

/**
 * 16 random bytes as 22 base64url characters (as `btoa` writes them, with
 * `-` and `_` and without padding). The bytes come from
 * `crypto.getRandomValues` 4 KiB at a time, each used once: every session's
 * upload token is one, and one call per token was most of its cost. The
 * characters are made in one string at once: added one by one, they made a
 * rope of a dozen strings that the token map then had to flatten to hash it.
 */
export function randomId(): string {
  if (randomAt === RANDOM_POOL.length) {
    crypto.getRandomValues(RANDOM_POOL);
    randomAt = 0;
  }
  const bytes = RANDOM_POOL;
  const start = randomAt;
  randomAt += 16;
  const codes = ID_CODES;
  let k = 0;
  for (let i = start; i < start + 15; i += 3) {
    const group = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    codes[k++] = BASE64URL[group >> 18];
    codes[k++] = BASE64URL[(group >> 12) & 63];
    codes[k++] = BASE64URL[(group >> 6) & 63];
    codes[k++] = BASE64URL[group & 63];
  }
  const last = bytes[start + 15];
  codes[20] = BASE64URL[last >> 2];
  codes[21] = BASE64URL[(last & 3) << 4];
  bytes.fill(0, start, start + 16);
  return String.fromCharCode.apply(null, codes);
}

/** The character codes of base64url's digits. */
const BASE64URL = Uint8Array.from(
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
  (c) => c.charCodeAt(0),
);
/** The codes of the id being made (22 characters), reused. */
const ID_CODES: number[] = new Array(22).fill(0);
const RANDOM_POOL = new Uint8Array(4096);
let randomAt = RANDOM_POOL.length;
