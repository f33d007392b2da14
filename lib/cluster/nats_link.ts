/**
 * Whether this node's connection to NATS is up, from the connection's own
 * status events, and how it has been (for `/cluster`). A write to a bucket or a read of the stream made while the
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

/** The connection's state as the operator sees it (`/cluster`, `cluster status`). */
export interface NatsLinkState {
  /** `connected`, `reconnecting` (lost, trying) or `closed`. */
  state: "connected" | "reconnecting" | "closed";
  /** The server in use (or last used), `host:port`. */
  server: string;
  /** Its `server_name`, when it said one. */
  serverName?: string;
  /** Since when (ms since the epoch) the state holds. */
  since: number;
  /** Reconnections since the start. */
  reconnects: number;
}

/**
 * One NATS connection's state, from its own status events: up or down for
 * the parts that must refuse at once while it is down, and the details an
 * operator sees.
 */
export class NatsLink {
  #state: NatsLinkState;
  readonly #nc: NatsConnection;
  readonly #status: ReturnType<NatsConnection["status"]>;
  #stopped = false;

  /**
   * Follows `nc`'s status events until {@linkcode stop} or the connection
   * closes; `onChange` hears each change between up and down (and the
   * server the connection is on, once up again).
   */
  constructor(
    nc: NatsConnection,
    onChange?: (up: boolean, server: string) => void,
    now: () => number = Date.now,
  ) {
    this.#nc = nc;
    this.#state = connected(nc, now(), 0);
    this.#status = nc.status();
    this.#follow(onChange, now).catch(() => {});
  }

  async #follow(
    onChange: ((up: boolean, server: string) => void) | undefined,
    now: () => number,
  ): Promise<void> {
    for await (const status of this.#status) {
      if (status.type === "disconnect" || status.type === "reconnecting") {
        if (this.#state.state !== "connected") continue;
        this.#state = { ...this.#state, state: "reconnecting", since: now() };
        // A "reconnecting" names no server: the one just lost is the last one used.
        onChange?.(false, (status.type === "disconnect" && status.server) || this.#state.server);
      } else if (status.type === "reconnect") {
        const was = this.#state;
        this.#state = connected(this.#nc, now(), was.reconnects + 1);
        if (was.state !== "connected") onChange?.(true, status.server);
      } else if (status.type === "close") break;
    }
    // Closed while up by NATS, not by this node's clean stop: the link is lost for good.
    if (this.#state.state === "connected" && !this.#stopped) onChange?.(false, this.#state.server);
    this.#state = { ...this.#state, state: "closed", since: now() };
  }

  /** True while the connection is up (or not known to be down). */
  get up(): boolean {
    return this.#state.state === "connected" && !this.#nc.isClosed();
  }

  /** How the link is now. */
  get state(): NatsLinkState {
    return this.#nc.isClosed() ? { ...this.#state, state: "closed" } : { ...this.#state };
  }

  /** Throws {@linkcode NatsUnreachableError} while the connection is down. */
  check(): void {
    if (this.up) return;
    const seconds = Math.round((Date.now() - this.#state.since) / 1000);
    throw new NatsUnreachableError(`NATS is unreachable (for ${seconds} s); reconnecting`);
  }

  /** Stops following the status events. */
  stop(): void {
    this.#stopped = true;
    // The client's iterator has stop() (a QueuedIterator), though the type does not say so.
    (this.#status as { stop?: () => void }).stop?.();
  }
}

function connected(nc: NatsConnection, since: number, reconnects: number): NatsLinkState {
  return {
    state: "connected",
    server: nc.getServer(),
    ...(nc.info?.server_name ? { serverName: nc.info.server_name } : {}),
    since,
    reconnects,
  };
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
