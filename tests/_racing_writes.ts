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
 * `@nats-io/kv` (every write with a value goes through it) until disposed.
 *
 * @module
 */

import { Bucket, type KvPutOptions } from "@nats-io/kv";
import type { NatsCluster } from "./_nats_cluster.ts";

/** How long the other servers stay paused once the writes are sent, in ms. */
const PAUSE_MS = 150;
/** How long a write waits for another to the same key, in ms. */
const ALONE_MS = 500;

/**
 * Makes writes at a revision to a key that `matches` race, `count` a key,
 * on `leader` (the bucket's stream leader, a node of `cluster`).
 */
export function raceWrites(
  cluster: NatsCluster,
  leader: string,
  matches: (key: string) => boolean,
  count = 2,
): Disposable {
  const put = Bucket.prototype._put;
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
  Bucket.prototype._put = function (key, data, options: Partial<KvPutOptions> = {}, ttl) {
    if (!(options.previousSeq! > 0) || !matches(key) || raced.has(key)) {
      return put.call(this, key, data, options, ttl);
    }
    const held = waiting.get(key) ?? [];
    waiting.set(key, held);
    const write = new Promise<void>((resolve) => held.push(resolve))
      .then(() => put.call(this, key, data, { ...options, timeout: 10_000 }, ttl));
    if (held.length === 1) later(ALONE_MS, () => waiting.get(key) === held && send(key));
    if (held.length === count) {
      raced.add(key);
      for (const node of others) cluster.pause(node.name);
      send(key);
      later(PAUSE_MS, resume);
    }
    return write;
  };
  return {
    [Symbol.dispose]() {
      Bucket.prototype._put = put;
      for (const timer of timers) clearTimeout(timer);
      resume();
      for (const key of [...waiting.keys()]) send(key);
    },
  };
}
