/**
 * Who may hold a connection: at most `maxPerIp` open connections per
 * address, and at most `maxPending` connections that have not joined yet
 * (still in their TLS handshake, typing a nick, answering a challenge).
 *
 * The pending budget is what keeps a server with room for members open to
 * newcomers while others hold connections that never join (slowloris from
 * many addresses). A newcomer is never refused for want of pending room:
 * a pending connection is evicted instead, chosen so that a flood pushes
 * out its own connections rather than a person still typing a nick:
 *
 * 1. from the address that is the most like a flood: for each of its other
 *    connections waiting to join now, 1, plus 1 for each of its
 *    connections evicted before (halving every minute); a flooder holds
 *    many or comes back after being pushed out, a person holds one; a
 *    connection's own arrival never counts against it, so a newcomer is
 *    never the likeliest;
 * 2. among those, one that has shown no sign of life since it arrived
 *    (a person types; a program says hello) before one that has;
 * 3. then the oldest (a newcomer, the youngest, always gets in).
 *
 * What this cannot do: tell a person who has not typed yet from a flood
 * of fresh addresses (IPv6 gives anyone many) that has not been pushed out
 * before; then it is oldest first, and the person has about max-pending ÷
 * (the flood's connections a second) seconds; or tell two connections of
 * one address apart. docs/limits.md says so.
 *
 * Pure bookkeeping: the owner of each connection closes it when told to.
 *
 * @module
 */

/** Settings of {@linkcode ConnectionLimits}. */
export interface ConnectionLimitsOptions {
  /** Open connections from one address, joined or not. */
  maxPerIp: number;
  /** Connections that have not joined yet, over all addresses. */
  maxPending: number;
  /** The clock, in ms. @default {performance.now} */
  now?: () => number;
}

/** How fast an address's count of evictions fades: it halves in this many ms. */
const HALF_LIFE_MS = 60_000;
/** Addresses whose evictions are remembered; past it, the least recently evicted is forgotten. */
const REMEMBERED = 4096;

/** Why {@linkcode ConnectionLimits.admit} refused a connection. */
export interface Refusal {
  /** The limit that refused it: connections per address. */
  refused: "per_ip";
  /** What to tell the peer, naming its address and the limit. */
  message: string;
  /** The limit's value (`--max-per-ip`). */
  limit: number;
}

/** An admitted connection's place in the limits, as its owners use it (a {@linkcode Ticket}). */
export interface Admitted {
  /** The connection showed life (a line typed at a prompt, a hello). */
  alive(): void;
  /** Sets what closes the connection when it is evicted (whoever owns it now). */
  onEvict(evict: () => void): void;
  /** The connection joined: it no longer counts as pending. */
  joined(): void;
  /** Frees its place (once, when the connection is closed). */
  release(): void;
}

/**
 * One admitted connection. It starts pending; {@linkcode Ticket.joined}
 * takes it out of the pending budget and {@linkcode Ticket.release} frees
 * its place altogether (call it once, when the connection is closed).
 */
export class Ticket implements Admitted {
  /** The address it was admitted for. */
  readonly ip: string;
  /** Monotonic admission order: lower is older. */
  readonly serial: number;
  #limits: ConnectionLimits;
  #pending = true;
  #released = false;
  #alive = false;
  #evict: (() => void) | undefined;

  /** @internal Made by {@linkcode ConnectionLimits.admit} only. */
  constructor(limits: ConnectionLimits, ip: string, serial: number) {
    this.#limits = limits;
    this.ip = ip;
    this.serial = serial;
  }

  /** Whether the connection still counts against the pending budget. */
  get pending(): boolean {
    return this.#pending && !this.#released;
  }

  /** Whether it has shown a sign of life (see {@linkcode Ticket.alive}). */
  get isAlive(): boolean {
    return this.#alive;
  }

  /**
   * It said something meaningful while pending (a person typed a line, a
   * program sent its hello): it is evicted after those that did not.
   */
  alive(): void {
    this.#alive = true;
  }

  /**
   * Sets what closes this connection when it is evicted; whoever owns the
   * connection at the time sets it (the TLS handshake, then the session).
   */
  onEvict(evict: () => void): void {
    this.#evict = evict;
  }

  /** The connection joined: it no longer counts as pending. */
  joined(): void {
    if (!this.#pending || this.#released) return;
    this.#pending = false;
    this.#evict = undefined; // Only a pending connection is evicted: let its closure go.
    this.#limits._unpend(this);
  }

  /** The connection is closed: its place is free. Safe to call twice. */
  release(): void {
    if (this.#released) return;
    if (this.#pending) this.#limits._unpend(this);
    this.#released = true;
    this.#limits._release(this);
  }

  /** @internal Called by the limits when this connection must make room. */
  _evict(): void {
    this.#pending = false;
    const evict = this.#evict;
    this.#evict = undefined;
    evict?.();
  }
}

/** Per-address and pending-connection bookkeeping; see the module doc. */
export class ConnectionLimits {
  readonly #options: ConnectionLimitsOptions;
  /** Open connections per address. */
  readonly #open = new Map<string, number>();
  /** Pending connections, oldest first (a Set keeps insertion order). */
  readonly #pendingTickets = new Set<Ticket>();
  /** Pending connections per address. */
  readonly #pendingByIp = new Map<string, number>();
  /**
   * Per address, its evictions (fading) and when that was last updated; in
   * the order of the last update (deleted and set again), so the first is
   * the one to forget when the map is full.
   */
  readonly #evicted = new Map<string, { count: number; at: number }>();
  readonly #now: () => number;
  #serial = 0;
  #evictions = 0;
  #released = 0;
  #refused = 0;

  /** Limits with nothing admitted yet. */
  constructor(options: ConnectionLimitsOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Connections that have not joined yet. */
  get pending(): number {
    return this.#pendingTickets.size;
  }

  /** Pending connections evicted so far to make room for newcomers. */
  get evictions(): number {
    return this.#evictions;
  }

  /** Connections closed so far (their tickets released). */
  get released(): number {
    return this.#released;
  }

  /** Connections refused so far (their address was at its limit). */
  get refused(): number {
    return this.#refused;
  }

  /** Open connections from `ip`. */
  openFrom(ip: string): number {
    return this.#open.get(ip) ?? 0;
  }

  /**
   * Admits a new connection from `ip`, evicting one pending connection first
   * when the pending budget is full. Refuses only when `ip` already holds
   * `maxPerIp` connections.
   */
  admit(ip: string): Ticket | Refusal {
    const open = this.openFrom(ip);
    if (open >= this.#options.maxPerIp) {
      this.#refused++;
      return {
        refused: "per_ip",
        message: `Too many connections from ${ip} (the limit is ${this.#options.maxPerIp})`,
        limit: this.#options.maxPerIp,
      };
    }
    // The clock is read only to evict (an op call per connection otherwise).
    if (this.#pendingTickets.size >= this.#options.maxPending) this.#evictOne(this.#now());
    const ticket = new Ticket(this, ip, ++this.#serial);
    this.#open.set(ip, open + 1);
    this.#pendingTickets.add(ticket);
    this.#pendingByIp.set(ip, (this.#pendingByIp.get(ip) ?? 0) + 1);
    return ticket;
  }

  /** The address's evictions at `now`, fading with HALF_LIFE_MS. */
  #evictedAt(ip: string, now: number): number {
    const evicted = this.#evicted.get(ip);
    return evicted ? evicted.count * 2 ** (-(now - evicted.at) / HALF_LIFE_MS) : 0;
  }

  /** One more eviction for `ip`: O(1), the map bounded by forgetting the least recent. */
  #countEviction(ip: string, now: number): void {
    const count = this.#evictedAt(ip, now) + 1;
    this.#evicted.delete(ip);
    if (this.#evicted.size >= REMEMBERED) {
      this.#evicted.delete(this.#evicted.keys().next().value!);
    }
    this.#evicted.set(ip, { count, at: now });
  }

  /** Evicts one pending connection, chosen as the module doc says. */
  #evictOne(now: number): void {
    const likeOf = new Map<string, number>();
    let victim: Ticket | undefined;
    let victimRank: number[] = [];
    // In admission order: a later one wins only when it ranks higher, so ties go to the oldest.
    for (const ticket of this.#pendingTickets) {
      let like = likeOf.get(ticket.ip);
      if (like === undefined) {
        // The address's other waiting connections, and its evictions (in tenths).
        const others = (this.#pendingByIp.get(ticket.ip) ?? 1) - 1;
        like = others * 10 + Math.round(this.#evictedAt(ticket.ip, now) * 10);
        likeOf.set(ticket.ip, like);
      }
      const rank = [like, ticket.isAlive ? 0 : 1];
      if (!victim || outranks(rank, victimRank)) {
        victim = ticket;
        victimRank = rank;
      }
    }
    if (!victim) return;
    this._unpend(victim);
    this.#evictions++;
    this.#countEviction(victim.ip, now);
    victim._evict();
  }

  /** @internal */
  _unpend(ticket: Ticket): void {
    if (!this.#pendingTickets.delete(ticket)) return;
    const left = (this.#pendingByIp.get(ticket.ip) ?? 1) - 1;
    if (left > 0) this.#pendingByIp.set(ticket.ip, left);
    else this.#pendingByIp.delete(ticket.ip);
  }

  /** @internal */
  _release(ticket: Ticket): void {
    this.#released++;
    const left = this.openFrom(ticket.ip) - 1;
    if (left > 0) this.#open.set(ticket.ip, left);
    else this.#open.delete(ticket.ip);
  }
}

/** Whether rank `a` comes before rank `b` (compared element by element, higher first). */
function outranks(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return false;
}
