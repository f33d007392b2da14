/**
 * The addresses a browser is using the chat from: one that made an HTTP
 * request lately, or holds a WebSocket open. A browser opens spare
 * connections before it has a request for them (Chromium's preconnects,
 * kept up to 10 s unused) and sends its request on one later; greeted as a
 * silent text client meanwhile, such a connection's request would read the
 * nick prompt as its answer and fail (seen: a file upload whose body became
 * a text client's lines). So on a port that serves HTTP, a silent
 * connection from such an address is greeted only after
 * {@linkcode BROWSER_GREETING_DELAY_MS}.
 *
 * Bounded: at most {@linkcode MAX_ADDRESSES} addresses, the least recently
 * seen forgotten first.
 *
 * @module
 */

/** How long a browser's spare connection may stay silent (Chromium keeps one 10 s), in ms. */
export const BROWSER_GREETING_DELAY_MS = 12_000;
/** How long after its last HTTP request (or WebSocket) an address still counts, in ms. */
export const BROWSER_MEMORY_MS = 30 * 60_000;
/** Most addresses remembered. */
export const MAX_ADDRESSES = 4096;

/** See the module doc. */
export class BrowserAddresses {
  /** When each address was last seen, least recent first (re-inserted on each sighting). */
  readonly #seen = new Map<string, number>();
  /** Open WebSockets per address. */
  readonly #open = new Map<string, number>();
  readonly #now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** An HTTP request (or a WebSocket's end) from `ip`. */
  seen(ip: string): void {
    this.#seen.delete(ip);
    this.#seen.set(ip, this.#now());
    if (this.#seen.size > MAX_ADDRESSES) {
      this.#seen.delete(this.#seen.keys().next().value!);
    }
  }

  /** A WebSocket from `ip` opened. */
  opened(ip: string): void {
    this.#open.set(ip, (this.#open.get(ip) ?? 0) + 1);
  }

  /** A WebSocket from `ip` closed. */
  closed(ip: string): void {
    const left = (this.#open.get(ip) ?? 1) - 1;
    if (left > 0) this.#open.set(ip, left);
    else this.#open.delete(ip);
    this.seen(ip);
  }

  /** Whether a browser uses the chat from `ip` (see the module doc). */
  has(ip: string): boolean {
    if (this.#open.has(ip)) return true;
    const at = this.#seen.get(ip);
    if (at === undefined) return false;
    if (this.#now() - at <= BROWSER_MEMORY_MS) return true;
    this.#seen.delete(ip);
    return false;
  }
}
