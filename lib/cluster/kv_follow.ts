/**
 * A KV watch that does not stall for good: the client's watch (an ordered
 * push consumer) can stop receiving after kill -9 of the bucket's stream
 * leader or of the NATS node it is on, or across a reconnect, and say
 * nothing: it neither ends nor errs (measured: docs/cluster_progress.md,
 * "Riding out NATS failures"). {@linkcode KvFollow} starts a new watch from
 * the revision after the last one seen (nothing skipped, nothing handed on
 * twice) at once when the connection is back or the bucket's stream elects
 * a leader ({@linkcode followRecoveries}), and when a stall check finds the
 * bucket ahead of what came. A watch that cannot be made (NATS down, no
 * leader) is tried again with backoff. The watch behind `KvMirror`
 * (registrations, bans, mutes), `NatsPresence` (nicks) and `NodeRegistry`
 * (node heartbeats).
 *
 * @module
 */

import type { NatsConnection } from "@nats-io/transport-node";
import type { KV, KvWatchEntry } from "@nats-io/kv";
import { bounded, NatsLink } from "./nats_link.ts";
import { followRecoveries, hedged } from "./reader_recovery.ts";

/**
 * How long making a watch may take before it is given up and tried again,
 * in ms: doubled after each failure up to {@linkcode WATCH_START_MAX_MS}, so
 * that a JetStream slow to answer under load (right after an election) is
 * not asked again and again, each time given up a moment too soon.
 */
const WATCH_START_MS = 5_000;
const WATCH_START_MAX_MS = 30_000;

/**
 * While a watch's making is unanswered, another is asked for every
 * WATCH_HEDGE_MS (ms) until the attempt's bound (in the first attempt; see
 * {@linkcode watchHedging} for those after a failure); the first made is used, the
 * others stopped when they come. The client's watch is an R1 consumer that
 * JetStream (2.9) places on any replica of the bucket's stream, a dead one
 * included: after kill -9 of a replica about one request in three went
 * unanswered for its whole 5 s timeout, for as long as that replica stayed
 * down, while one sent a moment later was answered; and right after an
 * election every request can go unanswered for a few seconds (measured:
 * docs/cluster_progress.md, "A watch made on a dead replica").
 */
export const WATCH_HEDGE_MS = 1_000;

/**
 * Requests for a watch in one attempt: its bound's first WATCH_HEDGE_MS
 * apart (5 s), and spread over the longer bounds of the attempts after a
 * failure, so that a cluster down for long is asked about as often as
 * before the hedging (each unanswered request may leave a consumer the dead
 * replica makes when it is back), not once a second.
 */
const WATCH_REQUESTS = 5;

/** How one attempt of `boundMs` asks for its watch: how often and how many times. */
export function watchHedging(boundMs: number): { everyMs: number; attempts: number } {
  return { everyMs: Math.max(WATCH_HEDGE_MS, boundMs / WATCH_REQUESTS), attempts: WATCH_REQUESTS };
}

/** How long a watch may receive nothing before the bucket is asked whether it missed something. */
export const STALL_CHECK_MS = 3_000;

/** How long {@linkcode KvFollow.start} waits for the bucket's present values, in ms. */
const LOAD_TIMEOUT_MS = 10_000;

type Watch = Awaited<ReturnType<KV["watch"]>>;

/** Options of {@linkcode KvFollow.start}. */
export interface KvFollowOptions {
  /** The connection to NATS. */
  nc: NatsConnection;
  /** The bucket. */
  kv: KV;
  /** The bucket's name (its stream is `KV_<bucket>`: that stream's elections restart the watch). */
  bucket: string;
  /** Hears each entry once, in revision order. */
  onEntry(entry: KvWatchEntry): void;
  /** Hears that the watch was started again (it ended, stalled, or NATS recovered), and why. */
  onRestart?(error: Error): void;
  /** Whether `start` waits (bounded) until the bucket's present values came. @default {false} */
  waitForValues?: boolean;
  /** @default {STALL_CHECK_MS} */
  stallCheckMs?: number;
}

/** One KV bucket followed by a watch that is started again whenever it may have stalled. */
export class KvFollow {
  readonly #options: KvFollowOptions;
  readonly #link: NatsLink;
  readonly #unfollow: () => void;
  readonly #stallMs: number;
  #watch: Watch | undefined;
  #lastRevision = 0;
  #stopped = false;
  #reading: Promise<void> = Promise.resolve();
  #stallTimer: ReturnType<typeof setInterval> | undefined;
  #receivedAt = performance.now();
  #stallWait: number;
  #stallReason: string | undefined;
  #checking = false;
  #wake: () => void = () => {};

  private constructor(options: KvFollowOptions) {
    this.#options = options;
    this.#stallMs = this.#stallWait = options.stallCheckMs ?? STALL_CHECK_MS;
    this.#link = new NatsLink(options.nc);
    // Back on NATS, or a new leader: a new watch at once (the old one often stays stuck until
    // the stall check notices); it resumes after the last revision seen, so nothing is missed.
    this.#unfollow = followRecoveries(
      options.nc,
      `KV_${options.bucket}`,
      (why) => this.restart(why),
    );
  }

  /** Makes the first watch (failing if it cannot) and follows the bucket from then on. */
  static async start(options: KvFollowOptions): Promise<KvFollow> {
    const follow = new KvFollow(options);
    try {
      let first: Watch | undefined;
      while (!first) {
        try {
          first = await follow.#watchFrom();
        } catch (error) {
          if (!(error instanceof KickedError)) throw error; // Kicked: at once again.
        }
      }
      let loaded!: () => void;
      const ready = new Promise<void>((resolve) => loaded = resolve);
      if (!options.waitForValues) loaded();
      follow.#reading = follow.#read(first, () => loaded());
      follow.#stallTimer = setInterval(() => void follow.#checkStall(), follow.#stallMs);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([ready, new Promise((r) => timer = setTimeout(r, LOAD_TIMEOUT_MS))]);
      clearTimeout(timer);
    } catch (error) {
      await follow.stop();
      throw error;
    }
    return follow;
  }

  /** The last revision handed on. */
  get lastRevision(): number {
    return this.#lastRevision;
  }

  /** Stops the watch now (a new one follows), or cuts short the wait for the next attempt. */
  restart(why: string): void {
    if (this.#stopped) return;
    const watch = this.#watch;
    if (!watch) {
      this.#wake();
      return;
    }
    this.#stallReason = `KV watch: ${why}`;
    this.#watch = undefined;
    watch.stop();
  }

  /** Stops following. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unfollow();
    this.#link.stop();
    clearInterval(this.#stallTimer);
    this.#watch?.stop();
    this.#wake();
    await this.#reading;
  }

  /** A watch from the revision after the last one seen (all present values at first). */
  async #watchFrom(boundMs = WATCH_START_MS): Promise<Watch> {
    const from = this.#lastRevision > 0 ? { resumeFromRevision: this.#lastRevision + 1 } : {};
    // Hedged: a request JetStream placed on a dead replica is never answered (WATCH_HEDGE_MS).
    const pending = hedged(() => this.#options.kv.watch(from), {
      ...watchHedging(boundMs),
      late: (late) => late.stop(),
    });
    let watch: Watch | undefined;
    try {
      // Making a watch can hang across an election (measured: a mirror stuck for good, under
      // load): bounded, and tried again; one that comes late is stopped. NATS back or a new
      // leader (`restart`) gives the attempt up at once for a fresh one.
      const kicked = new Promise<never>((_, reject) =>
        this.#wake = () => reject(new KickedError("KV watch: asked again (NATS recovered)"))
      );
      watch = await Promise.race([bounded(boundMs, pending.result, "KV watch"), kicked]);
    } catch (error) {
      // A watch made in the turns between a kick (or the bound) and cancel() below settles
      // `result` but lost the race: stopped, as the ones still under way are when they come.
      pending.result.then((late) => late?.stop(), () => {});
      throw error;
    } finally {
      pending.cancel(); // Those still under way are stopped when they come.
    }
    if (!watch) throw new Error("KV watch: given up");
    if (this.#stopped) watch.stop();
    this.#receivedAt = performance.now();
    return this.#watch = watch;
  }

  /** Reads watches until stopped; one that ends or is stopped is followed by a new one. */
  async #read(first: Watch, loaded: () => void): Promise<void> {
    let watch: Watch | undefined = first;
    let pause = 100;
    let bound = WATCH_START_MS;
    while (!this.#stopped) {
      if (!watch) {
        try {
          watch = await this.#watchFrom(bound);
          pause = 100;
          bound = WATCH_START_MS;
        } catch (error) {
          // Slow to answer: more time next; kicked by a recovery: a fresh try at once.
          const kicked = error instanceof KickedError;
          bound = kicked ? WATCH_START_MS : Math.min(bound * 2, WATCH_START_MAX_MS);
          if (kicked) continue;
          this.#options.onRestart?.(error instanceof Error ? error : new Error(String(error)));
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, pause);
            this.#wake = () => (clearTimeout(timer), resolve());
          });
          pause = Math.min(pause * 2, 2_000);
          continue;
        }
      }
      try {
        for await (const entry of watch) {
          this.#receivedAt = performance.now();
          this.#stallWait = this.#stallMs;
          // A value seen before the restart comes again only if the new watch started early.
          if (entry.revision <= this.#lastRevision) continue;
          this.#lastRevision = entry.revision;
          this.#options.onEntry(entry);
          if (entry.isUpdate) loaded();
        }
      } catch {
        // Started again below, as when the watch ends.
      }
      loaded();
      watch = this.#watch = undefined;
      if (!this.#stopped) {
        this.#options.onRestart?.(new Error(this.#stallReason ?? "KV watch ended"));
      }
      this.#stallReason = undefined;
    }
  }

  /**
   * When nothing came for a while, the bucket's last revision is compared
   * with the last one seen: behind means stalled, and the watch is stopped
   * (then started again from where it was). A restart that brings nothing
   * makes the next wait twice as long.
   */
  async #checkStall(): Promise<void> {
    const watch = this.#watch;
    if (this.#checking || this.#stopped || !watch || !this.#link.up) return;
    if (performance.now() - this.#receivedAt < this.#stallWait) return;
    this.#checking = true;
    try {
      // Bounded: a status request that never settles would stop every later check.
      const status = await bounded(WATCH_START_MS, this.#options.kv.status(), "KV status");
      const last = status.streamInfo.state.last_seq;
      const quiet = performance.now() - this.#receivedAt >= this.#stallWait;
      if (last > this.#lastRevision && quiet && !this.#stopped && this.#watch === watch) {
        this.#stallReason = `KV watch stalled before revision ${this.#lastRevision + 1}`;
        this.#stallWait = 2 * this.#stallMs;
        this.#receivedAt = performance.now();
        this.#watch = undefined;
        watch.stop();
      }
    } catch {
      // NATS unreachable or the bucket has no leader: checked again later.
    } finally {
      this.#checking = false;
    }
  }
}

/** A watch's making given up because NATS recovered meanwhile (a fresh one follows at once). */
class KickedError extends Error {}
