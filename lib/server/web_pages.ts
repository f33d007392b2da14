/**
 * What chat-server serves over HTTP: the web client's files (lib/web/:
 * `index.html`, `icon.svg` and the committed builds `dist/app.js` and
 * `dist/app.css`), read once into a map in memory the first time a page is
 * asked for, and found by exact path in that map (never a file looked up by
 * the requested path); and `/binding`, what the server binds key proofs to
 * on this connection (its certificate's fingerprint over TLS, `plain`
 * without), which the page cannot learn from the browser. `deno compile`
 * embeds the files (`tools/compile.ts` passes `--include`).
 *
 * @module
 */

import { createHash } from "node:crypto";

/** One thing served at a path. */
export interface WebAsset {
  /** Its `Content-Type`. */
  contentType: string;
  /** Its bytes. */
  body: Uint8Array;
  /** A strong validator of the bytes (`If-None-Match` gets a 304), quoted. */
  etag?: string;
  /** Its `Cache-Control`. */
  cacheControl: string;
}

/**
 * Headers on every answer, page or error: no script, style or frame from
 * elsewhere or inline (`default-src 'self'`), WebSocket only to this server
 * (`connect-src 'self'`), never inside another site's frame, no guessing of
 * content types, no `Referer` sent on.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy":
    "default-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};

/** The path whose answer is the key-proof binding (see the module doc). */
export const BINDING_PATH = "/binding";

/** The web client's files: path served, file under lib/web/, type. */
const FILES: readonly (readonly [path: string, file: string, contentType: string])[] = [
  ["/", "index.html", "text/html; charset=utf-8"],
  ["/app.js", "dist/app.js", "text/javascript; charset=utf-8"],
  ["/app.css", "dist/app.css", "text/css; charset=utf-8"],
  ["/icon.svg", "icon.svg", "image/svg+xml"],
];

/**
 * The files above as paths in the checkout: what `deno compile` must embed
 * (`tools/compile.ts` passes each with `--include`).
 */
export const WEB_CLIENT_FILES: readonly string[] = FILES.map(([, file]) => `lib/web/${file}`);

/** Where the files are, beside this module in the checkout (or in the compiled binary). */
const WEB_DIR = new URL("../web/", import.meta.url);

let assets: ReadonlyMap<string, WebAsset> | undefined;

/**
 * The web client's files, read on the first call and kept: the same map
 * for every request after.
 *
 * @throws {Error} naming the file, when one cannot be read (a build without `--include`)
 */
export function webAssets(): ReadonlyMap<string, WebAsset> {
  if (assets) return assets;
  const map = new Map<string, WebAsset>();
  for (const [path, file, contentType] of FILES) {
    let body: Uint8Array;
    try {
      body = Deno.readFileSync(new URL(file, WEB_DIR));
    } catch (error) {
      throw new Error(`The web client's file lib/web/${file} cannot be read`, { cause: error });
    }
    const digest = createHash("sha256").update(body).digest("base64url").slice(0, 22);
    map.set(path, { contentType, body, etag: `"${digest}"`, cacheControl: "no-cache" });
  }
  assets = map;
  return map;
}

const encoder = new TextEncoder();

/**
 * What is served at `path`, or undefined (404). Only the paths of the map
 * exist, and `/binding`.
 *
 * @param binding what key proofs over this connection are bound to
 */
export function findAsset(path: string, binding: string): WebAsset | undefined {
  if (path === BINDING_PATH) {
    return {
      contentType: "text/plain; charset=utf-8",
      body: encoder.encode(`${binding}\n`),
      cacheControl: "no-store",
    };
  }
  return webAssets().get(path);
}
