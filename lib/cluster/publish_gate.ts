/**
 * Whether the room log may publish now. While the NATS connection is down,
 * or after a publish failed (JetStream without a stream leader, a lost
 * quorum), a publish would only wait out its ack timeout: the gate refuses
 * it at once instead, and a probe (the caller's: the room log stores an
 * empty message, which needs a stream leader with a quorum) opens it again
 * as soon as JetStream answers. So a node without
 * NATS refuses each message in microseconds, not after seconds, and the
 * sender's client queues it and tries again.
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/transport-node";

/** A publish refused because NATS or JetStream cannot take it now. */
export class ClusterUnavailableError extends Error {
  /** The refusal, with why. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ClusterUnavailableError";
  }
}

/** Options for {@linkcode PublishGate}. */
export interface PublishGateOptions {
  /** The connection whose status opens and closes the gate. */
  nc: NatsConnection;
  /** Resolves when JetStream can take publishes again (a write: only a quorum acknowledges it). */
  probe: () => Promise<unknown>;
  /** The pause between failed probes, in ms. @default {500} */
  probeIntervalMs?: number;
  /** Told when the gate closes (with why) and opens again (with undefined). */
  onChange?: (reason: string | undefined) => void;
}

/** Open while NATS and JetStream take publishes; closed (refusing at once) otherwise. */
export class PublishGate {
  readonly #options: Required<PublishGateOptions>;
  /** Why publishes are refused now, or undefined when they are not. */
  #closedBecause: string | undefined;
  #probing = false;
  #stopped = false;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** A gate, open, watching `nc`'s status. */
  constructor(options: PublishGateOptions) {
    this.#options = {
      ...options,
      probeIntervalMs: options.probeIntervalMs ?? 500,
      onChange: options.onChange ?? (() => {}),
    };
    this.#watch().catch(() => {});
  }

  /** Why publishes are refused now, or undefined when the gate is open. */
  get closedBecause(): string | undefined {
    return this.#closedBecause;
  }

  /**
   * Throws when publishing is pointless now.
   *
   * @throws {ClusterUnavailableError} while NATS is unreachable or JetStream failing
   */
  check(): void {
    if (this.#closedBecause !== undefined) {
      throw new ClusterUnavailableError(`NATS unavailable: ${this.#closedBecause}`);
    }
  }

  /** A publish failed: refuse the next ones until a probe succeeds. */
  failed(error: unknown): void {
    this.#close(`publish failed: ${error instanceof Error ? error.message : String(error)}`);
  }

  /** Stops probing (the status watch ends with the connection). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #close(reason: string): void {
    if (this.#stopped) return;
    const was = this.#closedBecause;
    this.#closedBecause = reason;
    if (was === undefined) this.#options.onChange(reason);
    this.#startProbing();
  }

  async #watch(): Promise<void> {
    for await (const status of this.#options.nc.status()) {
      if (this.#stopped) return;
      if (status.type === "disconnect" || status.type === "reconnecting") {
        this.#close("disconnected from NATS");
      } // Connected again: JetStream may still need a moment, so the probe decides.
      else if (status.type === "reconnect" && this.#closedBecause !== undefined) {
        this.#closedBecause = "reconnected to NATS; waiting for JetStream";
        this.#startProbing();
      }
    }
  }

  #startProbing(): void {
    if (this.#probing || this.#stopped) return;
    this.#probing = true;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#probe(), 0);
  }

  async #probe(): Promise<void> {
    if (this.#stopped) return;
    if (this.#options.nc.isClosed()) {
      this.#probing = false;
      return;
    }
    // Asked even while the client says it is disconnected: only an answer opens the gate, so a
    // status event missed or out of order (seen with nodes killed one after another) cannot
    // leave it closed, nor open it early.
    // Bounded here too: a request made while disconnected may never settle.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ok = await Promise.race([
      this.#options.probe().then(() => true, () => false),
      new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), 2_000)),
    ]);
    clearTimeout(timer);
    if (this.#stopped) return;
    if (ok) {
      this.#probing = false;
      this.#closedBecause = undefined;
      this.#options.onChange(undefined);
      return;
    }
    this.#timer = setTimeout(() => this.#probe(), this.#options.probeIntervalMs);
  }
}
