/**
 * Test helper: one chat node in-process on the NATS harness, with every
 * seam a chat-server node has (room log, node heartbeat, presence,
 * registrations, bans and mutes), so tests with two of them stand for two
 * chat-server nodes.
 */

import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Hub } from "../core/hub.ts";
import type { Member } from "../core/member.ts";
import { RecordingSink } from "../core/_recording_sink.ts";
import { NatsRoomLog } from "./nats_room_log.ts";
import { NodeRegistry } from "./node_registry.ts";
import { NatsPresence } from "./nats_presence.ts";
import { openNatsAccess } from "./nats_access.ts";

/** A node of the test, disposed gracefully; `kill` drops its connection as kill -9 would. */
export interface ClusterNode extends AsyncDisposable {
  hub: Hub;
  nc: NatsConnection;
  presence: NatsPresence;
  registry: NodeRegistry;
  kill(): Promise<void>;
}

/**
 * Starts a node named `name` on the NATS server at `url` (or on the first of
 * `url`s, reconnecting to the others); `operators` are fingerprints;
 * `deadAfterMs`: the node registry's dead time (a test that waits for a
 * death shortens it, as `--cluster-node-timeout` does).
 */
export async function startClusterNode(
  url: string | string[],
  name: string,
  operators: string[] = [],
  { deadAfterMs }: { deadAfterMs?: number } = {},
): Promise<ClusterNode> {
  const nc = await connect(
    typeof url === "string"
      ? { servers: url }
      : { servers: url, noRandomize: true, maxReconnectAttempts: -1, reconnectTimeWait: 250 },
  );
  const roomLog = await NatsRoomLog.start({ nc, node: name });
  const seen: { presence?: NatsPresence } = {};
  const registry = await NodeRegistry.start({
    nc,
    deadAfterMs,
    describe: () => ({
      node: name,
      server: "test",
      listen: [],
      started: 0,
      clients: seen.presence?.localSize ?? 0,
      version: "test",
    }),
  });
  const presence = seen.presence = await NatsPresence.start({ nc, registry });
  const access = await openNatsAccess({ nc, node: name });
  const hub = new Hub({
    serverName: name,
    roomLog,
    presence,
    rateLimit: false,
    operators,
    ...access.hubOptions,
  });
  let stopped = false;
  const stop = async (graceful: boolean) => {
    if (stopped) return;
    stopped = true;
    if (!graceful) await nc.close();
    if (graceful) hub.shutdown?.();
    await presence.stop();
    await registry.stop();
    await roomLog.stop();
    await access.stop();
    if (graceful) await nc.drain().catch(() => nc.close());
  };
  return {
    hub,
    nc,
    presence,
    registry,
    kill: () => stop(false),
    [Symbol.asyncDispose]: () => stop(true),
  };
}

/** A member entering `node` as `nick`, with a sink that records what it is sent. */
export async function enterNode(
  node: ClusterNode,
  nick: string,
  options: { fingerprint?: string; address?: string } = {},
): Promise<{ member: Member; sink: RecordingSink }> {
  const sink = new RecordingSink();
  const member = await node.hub.enter({ nick, client: "test", ...options }, sink);
  return { member, sink };
}
