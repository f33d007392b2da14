/**
 * Keeps a `node:net` server accepting after an accept failed: Deno 2.9.6's
 * node:net server stops accepting for good at its first failed accept (out
 * of file descriptors: `EMFILE`), with no `error` event and no sign at all
 * (bench/reference/node_listen_emfile.ts reduces it). Its native accept
 * drops the error and is never polled again; calling the handle's
 * `listen()` once more (same socket, same port, nothing queued is lost)
 * polls it again. Nothing tells a stalled server from an idle one, so this
 * asks every second, as the plain port's accept loop retries a failed
 * accept within a second (accept_all.ts). One `listen(2)` a second costs
 * nothing measurable.
 *
 * @module
 */

import type { Server } from "node:net";

/** How often a node:net server's accepts are asked to go on. */
const LISTEN_AGAIN_MS = 1000;

/** What this uses of a node:net server's native handle. */
interface ListeningHandle {
  listen(backlog: number): number;
}

/**
 * Calls `server`'s native `listen(backlog)` again every `everyMs` while the
 * server has a handle (until it is closed), so a stalled accept goes on.
 * `failed` hears a runtime whose handle refuses it, once. Returns the way
 * to stop. The timer does not keep the process alive.
 */
export function keepAccepting(
  server: Server,
  backlog: number,
  failed: (error: Error) => void = () => {},
  everyMs: number = LISTEN_AGAIN_MS,
): () => void {
  let told = false;
  const timer = setInterval(() => {
    const handle = (server as unknown as { _handle?: Partial<ListeningHandle> | null })._handle;
    if (typeof handle?.listen !== "function") return;
    const status = handle.listen(backlog);
    if (status < 0 && !told) {
      told = true;
      failed(new Error(`Listening again failed with status ${status}`));
    }
  }, everyMs);
  Deno.unrefTimer(timer);
  return () => clearInterval(timer);
}
