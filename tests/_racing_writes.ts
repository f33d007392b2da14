/**
 * Compare-and-set writes to one KV key made to race, every time, as
 * nats-server 2.9 lets them (issue 4320; lib/cluster/kv_settled.ts): a
 * write at a revision (`previousSeq` above 0) to a key that `matches` is
 * held until `count` writes to that key were made (by any connection of
 * this process), then all are sent together while the other servers of the
 * cluster are paused, so the bucket's leader checks each against the
 * revision it has applied before it can apply any. A write still alone
 * after {@linkcode ALONE_MS} goes as it is (no other came: the first lost
 * earlier). Every client must be connected to that leader (a paused server
 * answers nothing). Works by wrapping `Bucket.prototype._put` of
 * `@nats-io/kv` (every write with a value goes through it) and, for
 * deletions at a revision (`kv.delete` with `previousSeq`, `deleteAt` of
 * lib/cluster/kv_settled.ts), `JetStreamClientImpl.prototype.publish` of
 * `@nats-io/jetstream`, until disposed.
 *
 * @module
 */

import { Bucket, type KvPutOptions } from "@nats-io/kv";
import { JetStreamClientImpl } from "@nats-io/jetstream/internal";
import type { JetStreamPublishOptions } from "@nats-io/jetstream";
import type { Payload } from "@nats-io/transport-node";
import type { NatsCluster } from "./_nats_cluster.ts";

/** How long the other servers stay paused once the writes are sent, in ms. */
const PAUSE_MS = 150;
/** How long a write waits for another to the same key, in ms. */
const ALONE_MS = 500;
/** Between two writes sent in order (`ordered`), in ms: the first is proposed, not yet applied. */
const ORDER_GAP_MS = 50;

/** Options of {@linkcode raceWrites}. */
export interface RaceOptions {
  /** How many writes to one key race. @default {2} */
  count?: number;
  /** Sent in the order they were made, {@linkcode ORDER_GAP_MS} apart, so stored in that order. */
  ordered?: boolean;
  /** How long a write waits for another to the same key, in ms. @default {ALONE_MS} */
  aloneMs?: number;
  /** How much later than it came each held write's answer is handed to its writer, in ms. @default {0} */
  answerLateMs?: number;
}

/** What {@linkcode raceWrites} holds and did, until disposed. */
export interface Race extends Disposable {
  /** The keys whose writes were sent together. */
  readonly raced: ReadonlySet<string>;
  /** How many writes to `key` are held, waiting for the others. */
  held(key: string): number;
}

/**
 * Makes writes at a revision to a key that `matches` race, `count` a key,
 * on `leader` (the bucket's stream leader, a node of `cluster`).
 */
export function raceWrites(
  cluster: NatsCluster,
  leader: string,
  matches: (key: string) => boolean,
  options: RaceOptions = {},
): Race {
  const { count = 2, ordered = false, aloneMs = ALONE_MS, answerLateMs = 0 } = options;
  const put = Bucket.prototype._put;
  const publish = JetStreamClientImpl.prototype.publish;
  const waiting = new Map<string, (() => void)[]>();
  const raced = new Set<string>();
  const others = cluster.nodes.filter((node) => node.name !== leader && node.child);
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const later = (ms: number, then: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      then();
    }, ms);
    timers.add(timer);
  };
  const resume = () => {
    for (const node of others) cluster.resume(node.name);
  };
  const send = (key: string) => {
    const held = waiting.get(key) ?? [];
    waiting.delete(key);
    for (const go of held) go();
  };
  const unsent = new Set<() => void>(); // Ordered writes and late answers, still held back
  const sendInOrder = (key: string) => {
    const held = waiting.get(key) ?? [];
    waiting.delete(key);
    held.forEach((go, i) => {
      unsent.add(go);
      later(i * ORDER_GAP_MS, () => unsent.delete(go) && go());
    });
    later((held.length - 1) * ORDER_GAP_MS + PAUSE_MS, resume);
  };
  /** `write` once `count` writes to `key` wait, or `aloneMs` after the first. */
  const hold = <T>(key: string, write: () => Promise<T>): Promise<T> => {
    const held = waiting.get(key) ?? [];
    waiting.set(key, held);
    const sent = new Promise<void>((resolve) => held.push(resolve)).then(write);
    if (held.length === 1) later(aloneMs, () => waiting.get(key) === held && send(key));
    if (held.length === count) {
      raced.add(key);
      for (const node of others) cluster.pause(node.name);
      if (ordered) sendInOrder(key);
      else {
        send(key);
        later(PAUSE_MS, resume);
      }
    }
    if (answerLateMs === 0) return sent;
    return sent.then((answer) =>
      new Promise<T>((resolve) => {
        const hand = () => unsent.delete(hand) && resolve(answer);
        unsent.add(hand);
        later(answerLateMs, hand);
      })
    );
  };
  Bucket.prototype._put = function (key, data, options: Partial<KvPutOptions> = {}, ttl) {
    if (!(options.previousSeq! > 0) || !matches(key) || raced.has(key)) {
      return put.call(this, key, data, options, ttl);
    }
    return hold(key, () => put.call(this, key, data, { ...options, timeout: 10_000 }, ttl));
  };
  JetStreamClientImpl.prototype.publish = function (
    subject: string,
    data?: Payload,
    options?: Partial<JetStreamPublishOptions>,
  ) {
    // A KV deletion: subject `$KV.<bucket>.<key>`, its revision in `expect` or a header.
    const key = subject.split(".").slice(2).join(".");
    const previous = options?.expect?.lastSubjectSequence ??
      Number(options?.headers?.get("Nats-Expected-Last-Subject-Sequence") || 0);
    if (
      !subject.startsWith("$KV.") || options?.headers?.get("KV-Operation") !== "DEL" ||
      !(previous > 0) || !matches(key) || raced.has(key)
    ) {
      return publish.call(this, subject, data, options);
    }
    return hold(key, () => publish.call(this, subject, data, { ...options, timeout: 10_000 }));
  };
  return {
    raced,
    held: (key) => waiting.get(key)?.length ?? 0,
    [Symbol.dispose]() {
      Bucket.prototype._put = put;
      JetStreamClientImpl.prototype.publish = publish;
      for (const timer of timers) clearTimeout(timer);
      resume();
      for (const key of [...waiting.keys()]) send(key);
      for (const go of unsent) go();
      unsent.clear();
    },
  };
}
