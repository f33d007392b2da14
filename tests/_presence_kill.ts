/**
 * kill -9 of the nick bucket's stream leader while two chat nodes (in
 * process, each with its own NATS connection, on the two NATS nodes that
 * stay) share presence: afterwards a member joins on each node, one
 * renames, one leaves; how long until the other node sees each change,
 * counted from the moment its own node had it accepted. For the presence
 * watch test and its measurements (docs/cluster_progress.md).
 *
 * @module
 */

import { NICKS_BUCKET } from "../lib/cluster/cluster_names.ts";
import { type ClusterNode, enterNode, startClusterNode } from "../lib/cluster/_cluster_node.ts";
import type { Member } from "../lib/core/member.ts";
import { type NatsCluster, url } from "./_nats_cluster.ts";
import { delay } from "./_waiting.ts";

/** When the other node saw each change, in ms after it was accepted (null: not within the bound). */
export interface PresenceKillResult {
  killed: string;
  /** From the kill to the first join accepted (the bucket has a leader again). */
  first_accepted_ms: number;
  join_a_seen_on_b_ms: number | null;
  join_b_seen_on_a_ms: number | null;
  rename_seen_on_b_ms: number | null;
  leave_seen_on_a_ms: number | null;
}

/** Runs the scenario on a fresh `cluster`; each change is waited for up to `boundMs`. */
export async function killUnderPresences(
  cluster: NatsCluster,
  boundMs = 20_000,
): Promise<PresenceKillResult> {
  const first = await startClusterNode(cluster.urls, "node-first");
  await first[Symbol.asyncDispose](); // The buckets exist; the leader is known.
  const leader = await until(() => cluster.streamLeader(`KV_${NICKS_BUCKET}`), 10_000);
  const [one, two] = cluster.nodes.filter((node) => node.name !== leader);
  const servers = (own: string) => [own, ...cluster.urls.filter((u) => u !== own)];
  await using a = await startClusterNode(servers(url(one)), "node-a");
  await using b = await startClusterNode(servers(url(two)), "node-b");
  // Both watches are live before the kill.
  await accepted(() => enterNode(a, "early"));
  await until(() => Promise.resolve(b.presence.find("early") ? true : undefined), 10_000);

  await cluster.kill(leader!);
  const killedAt = performance.now();
  const ana = await accepted(() => enterNode(a, "ana"));
  const firstAccepted = performance.now() - killedAt;
  const joinA = await seen(b, (node) => node.presence.find("ana") !== undefined, boundMs);
  const bob = await accepted(() => enterNode(b, "bob"));
  const joinB = await seen(a, (node) => node.presence.find("bob") !== undefined, boundMs);
  await accepted(() => rename(a, ana.member, "anna"));
  const renamed = await seen(
    b,
    (node) => node.presence.find("anna") !== undefined && !node.presence.find("ana"),
    boundMs,
  );
  b.hub.quit(bob.member);
  const left = await seen(a, (node) => node.presence.find("bob") === undefined, boundMs);
  return {
    killed: leader!,
    first_accepted_ms: Math.round(firstAccepted),
    join_a_seen_on_b_ms: joinA,
    join_b_seen_on_a_ms: joinB,
    rename_seen_on_b_ms: renamed,
    leave_seen_on_a_ms: left,
  };
}

/** `/nick` on `node`: resolves once it was accepted, throws when it was refused. */
async function rename(node: ClusterNode, member: Member, nick: string): Promise<void> {
  await node.hub.command(member, "nick", nick);
  if (member.nick !== nick) throw new Error(`/nick ${nick} refused`);
}

/** `attempt` again (as a client does on `cluster_unavailable`) until it is accepted, within 30 s. */
async function accepted<T>(attempt: () => Promise<T>): Promise<T> {
  const deadline = performance.now() + 30_000;
  while (true) {
    try {
      return await attempt();
    } catch (error) {
      if (performance.now() > deadline) throw error;
      await delay(200);
    }
  }
}

/** Ms until `check(node)` holds, or null after `boundMs`. */
async function seen(
  node: ClusterNode,
  check: (node: ClusterNode) => boolean,
  boundMs: number,
): Promise<number | null> {
  const start = performance.now();
  while (performance.now() - start < boundMs) {
    if (check(node)) return Math.round(performance.now() - start);
    await delay(20);
  }
  return null;
}

async function until<T>(get: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    const value = await get();
    if (value !== undefined) return value;
    await delay(50);
  }
  throw new Error(`Not within ${ms} ms`);
}
