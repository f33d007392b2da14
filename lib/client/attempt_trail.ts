/**
 * Where a reconnecting session's attempts went, for what it tells the user
 * when it fails over among several servers (`chat-client --host a,b,c`):
 * "Reconnected to b:7000" when it came back on another server than the one
 * it was on, and "Still offline (attempt 6: a, b and c refused the
 * connection)" once every listed server failed in a row. With one server
 * the words are the ones it always had.
 *
 * @module
 */

import { formatHostPort } from "../net/host_port.ts";
import type { ServerAddress } from "./pipe.ts";
import type { ServerResolver } from "./resolver.ts";
import type { StatusEvent } from "./session_events.ts";

/** An attempt that did not reach its server. */
interface Unreached {
  /** `host:port` it went to. */
  where: string;
  /** Why, without the address. */
  reason: string;
}

/**
 * A resolver that remembers where each attempt went (`host:port`), and says
 * so in the session's status lines. The first address it answers is where
 * the session's first connection went (a first connection is not retried:
 * its failure ends the session).
 */
export class AttemptTrail implements ServerResolver {
  readonly #resolver: ServerResolver;
  /** Where the session is connected now, or was last. */
  #connectedTo: string | undefined;
  /** Where the attempt under way went (undefined: the resolver could not say). */
  #trying: string | undefined;
  /** An attempt was answered and neither failure nor success was told yet. */
  #open = false;
  /** The latest attempts in a row that did not reach their server, oldest first. */
  #unreached: Unreached[] = [];

  /** Follows the attempts `resolver` directs. */
  constructor(resolver: ServerResolver) {
    this.#resolver = resolver;
  }

  /** How many servers the resolver takes turns among (one unless it says). */
  get size(): number {
    return this.#resolver.size ?? 1;
  }

  /** Asks the resolver, and notes the address it answers. */
  async resolve(): Promise<ServerAddress> {
    // Answered without a failure told: the server was reached and refused us.
    if (this.#open) this.#unreached = [];
    this.#trying = undefined;
    this.#open = false;
    const address = await this.#resolver.resolve();
    this.#trying = formatHostPort(address.host, address.port);
    this.#connectedTo ??= this.#trying;
    this.#open = true;
    return address;
  }

  /**
   * The attempt under way did not reach its server, because of `reason`
   * (`unreachedReason`); returns the words for the offline line: `reason`
   * with one server; with several, where it went, or every server of the
   * list once each failed in a row.
   */
  failed(reason: string): string {
    const where = this.#trying;
    this.#open = false;
    if (where === undefined || this.size <= 1) {
      this.#unreached = [];
      return reason;
    }
    const prefix = `cannot reach ${where}: `;
    const short = reason.startsWith(prefix) ? reason.slice(prefix.length) : reason;
    this.#unreached = [...this.#unreached, { where, reason: short }].slice(-this.size);
    const places = new Set(this.#unreached.map((attempt) => attempt.where));
    if (places.size < this.size) return `${where}: ${short}`;
    return everyServer(this.#unreached);
  }

  /** The attempt under way connected: the status to show, naming the server when it changed. */
  reconnected(): Pick<StatusEvent, "message" | "host"> {
    const where = this.#trying;
    const moved = where !== undefined && where !== this.#connectedTo;
    this.#connectedTo = where ?? this.#connectedTo;
    this.#unreached = [];
    this.#open = false;
    return moved ? { message: `Reconnected to ${where}`, host: where } : { message: "Reconnected" };
  }
}

/** `a, b and c refused the connection`, or per reason: `a and c: ...; b: ...`. */
function everyServer(unreached: readonly Unreached[]): string {
  const byReason = new Map<string, string[]>();
  for (const { where, reason } of unreached) {
    const places = byReason.get(reason);
    if (places) places.push(where);
    else byReason.set(reason, [where]);
  }
  return [...byReason].map(([reason, places]) =>
    reason === "connection refused"
      ? `${listOf(places)} refused the connection`
      : `${listOf(places)}: ${reason}`
  ).join("; ");
}

/** `a`, `a and b`, `a, b and c`. */
function listOf(items: readonly string[]): string {
  return items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}
