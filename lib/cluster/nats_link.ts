/**
 * Whether this node's connection to NATS is up, from the connection's own
 * status events. A write to a bucket or a read of the stream made while the
 * connection is down would wait for its whole timeout (the client buffers
 * it for after the reconnect) and then fail; asking {@linkcode NatsLink}
 * first turns that into an immediate, clear refusal.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/transport-node";

/** Thrown by {@linkcode NatsLink.check} while NATS cannot be reached. */
export class NatsUnreachableError extends Error {
  /** Names the error. */
  constructor(message: string) {
    super(message);
    this.name = "NatsUnreachableError";
  }
}

/** The up-or-down state of one NATS connection. */
export class NatsLink {
  #downSince: number | undefined;
  readonly #status: ReturnType<NatsConnection["status"]>;

  /**
   * Follows `nc`'s status events until {@linkcode stop} or the connection
   * closes; `onChange` hears each change between up and down (and the
   * server the connection is on, once up again).
   */
  constructor(nc: NatsConnection, onChange?: (up: boolean, server: string) => void) {
    const statuses = this.#status = nc.status();
    (async () => {
      for await (const status of statuses) {
        if (status.type === "disconnect" || status.type === "close") {
          if (this.#downSince !== undefined) continue;
          this.#downSince = Date.now();
          onChange?.(false, status.type === "disconnect" ? status.server : "");
        } else if (status.type === "reconnect" && this.#downSince !== undefined) {
          this.#downSince = undefined;
          onChange?.(true, status.server);
        }
      }
    })().catch(() => {});
  }

  /** True while the connection is up (or not known to be down). */
  get up(): boolean {
    return this.#downSince === undefined;
  }

  /** Throws {@linkcode NatsUnreachableError} while the connection is down. */
  check(): void {
    if (this.#downSince === undefined) return;
    const seconds = Math.round((Date.now() - this.#downSince) / 1000);
    throw new NatsUnreachableError(`NATS is unreachable (for ${seconds} s); reconnecting`);
  }

  /** Stops following the status events. */
  stop(): void {
    // The client's iterator has stop() (a QueuedIterator), though the type does not say so.
    (this.#status as { stop?: () => void }).stop?.();
  }
}

/**
 * `promise`, or a rejection after `ms`: a read of the stream while it has no
 * leader would otherwise wait on one timeout after another.
 */
export async function bounded<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer from NATS in ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
