/**
 * Random ids: upload tokens, file ids and keys.
 *
 * @module
 */

/**
 * 16 random bytes as 22 base64url characters (as `btoa` writes them, with
 * `-` and `_` and without padding). The bytes come from
 * `crypto.getRandomValues` 4 KiB at a time, each used once: every session's
 * upload token is one, and one call per token was most of its cost.
 */
export function randomId(): string {
  if (randomAt === RANDOM_POOL.length) {
    crypto.getRandomValues(RANDOM_POOL);
    randomAt = 0;
  }
  const bytes = RANDOM_POOL;
  const start = randomAt;
  randomAt += 16;
  let id = "";
  for (let i = start; i < start + 15; i += 3) {
    const group = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    id += BASE64URL[group >> 18] + BASE64URL[(group >> 12) & 63] + BASE64URL[(group >> 6) & 63] +
      BASE64URL[group & 63];
  }
  const last = bytes[start + 15];
  id += BASE64URL[last >> 2] + BASE64URL[(last & 3) << 4];
  bytes.fill(0, start, start + 16);
  return id;
}

const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const RANDOM_POOL = new Uint8Array(4096);
let randomAt = RANDOM_POOL.length;
