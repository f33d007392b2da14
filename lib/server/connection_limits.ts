/**
 * Who may hold a connection: at most `maxPerIp` open connections per
 * address, and at most `maxPending` connections that have not joined yet
 * (still in their TLS handshake, typing a nick, answering a challenge).
 *
 * The pending budget is what keeps a server with room for members open to
 * newcomers while others hold connections that never join (slowloris from
 * many addresses). A newcomer is never refused for want of pending room:
 * the oldest pending connection of the address that holds the most pending
 * connections is evicted instead, so an address can only ever push out
 * its own connections or those of an address holding more than it does.
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
}

/** Why {@linkcode ConnectionLimits.admit} refused a connection. */
export interface Refusal {
  refused: "per_ip";
  /** What to tell the peer, naming its address and the limit. */
  message: string;
  limit: number;
}

/**
 * One admitted connection. It starts pending; {@linkcode Ticket.joined}
 * takes it out of the pending budget and {@linkcode Ticket.release} frees
 * its place altogether (call it once, when the connection is closed).
 */
export class Ticket {
  readonly ip: string;
  /** Monotonic admission order: lower is older. */
  readonly serial: number;
  #limits: ConnectionLimits;
  #pending = true;
  #released = false;
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
  /** Pending connections per address, oldest first (a Set keeps insertion order). */
  readonly #pendingByIp = new Map<string, Set<Ticket>>();
  #pending = 0;
  #serial = 0;
  #evictions = 0;
  #released = 0;

  constructor(options: ConnectionLimitsOptions) {
    this.#options = options;
  }

  /** Connections that have not joined yet. */
  get pending(): number {
    return this.#pending;
  }

  /** Pending connections evicted so far to make room for newcomers. */
  get evictions(): number {
    return this.#evictions;
  }

  /** Connections closed so far (their tickets released). */
  get released(): number {
    return this.#released;
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
      return {
        refused: "per_ip",
        message: `Too many connections from ${ip} (the limit is ${this.#options.maxPerIp})`,
        limit: this.#options.maxPerIp,
      };
    }
    if (this.#pending >= this.#options.maxPending) this.#evictOne();
    const ticket = new Ticket(this, ip, ++this.#serial);
    this.#open.set(ip, open + 1);
    let mine = this.#pendingByIp.get(ip);
    if (!mine) this.#pendingByIp.set(ip, mine = new Set());
    mine.add(ticket);
    this.#pending++;
    return ticket;
  }

  /**
   * Evicts the oldest pending connection of the address holding the most
   * pending connections (ties: the address whose oldest is oldest).
   */
  #evictOne(): void {
    let victim: Ticket | undefined;
    let most = 0;
    for (const tickets of this.#pendingByIp.values()) {
      const oldest = tickets.values().next().value!;
      if (tickets.size > most || (tickets.size === most && oldest.serial < victim!.serial)) {
        most = tickets.size;
        victim = oldest;
      }
    }
    if (!victim) return;
    this._unpend(victim);
    this.#evictions++;
    victim._evict();
  }

  /** @internal */
  _unpend(ticket: Ticket): void {
    const mine = this.#pendingByIp.get(ticket.ip);
    if (!mine?.delete(ticket)) return;
    this.#pending--;
    if (mine.size === 0) this.#pendingByIp.delete(ticket.ip);
  }

  /** @internal */
  _release(ticket: Ticket): void {
    this.#released++;
    const left = this.openFrom(ticket.ip) - 1;
    if (left > 0) this.#open.set(ticket.ip, left);
    else this.#open.delete(ticket.ip);
  }
}
