/**
 * `chat-server export --cluster` says what the local export says when it
 * has nothing to write: a room with no messages (or none at all) exits 1
 * and names the rooms that have some; `--since` past the newest message
 * exits 0 and says so; `--private` is refused (exit 2) with the reason.
 * Real `server.ts export` processes against a 3-node NATS JetStream cluster.
 */

import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { NatsCluster } from "./_nats_cluster.ts";
import { runEntry } from "./_entry_process.ts";
import { NatsRoomLog } from "../lib/cluster/nats_room_log.ts";
import type { Member } from "../lib/core/member.ts";

async function exportRun(urls: string[], ...args: string[]) {
  await using exporter = runEntry("server", ["export", "--cluster", urls.join(","), ...args]);
  const { code } = await exporter.finished();
  return { code, stdout: exporter.stdout, stderr: exporter.stderr.join("\n") };
}

Deno.test("export --cluster: nothing to write is told as the local export tells it", async () => {
  await using nats = await NatsCluster.start();
  const nc = await connect({ servers: nats.urls[0] });
  try {
    const log = await NatsRoomLog.start({ nc, node: "node-x", replicas: 1 });
    const ana = { nick: "ana" } as unknown as Member;
    const ts = Date.parse("2026-11-02T09:00:00Z");
    await log.publish(
      "#lobby",
      "#lobby",
      { type: "msg", ts, from: "ana", kind: "say", text: "hi" },
      ana,
    );
    await log.publish("#Quiet", "#quiet", { type: "join", ts, nick: "ana" }, ana);
    await log.stop();
  } finally {
    await nc.close();
  }
  const urls = nats.urls;

  const all = await exportRun(urls, "--room", "#lobby");
  assert.equal(all.code, 0);
  assert.equal(all.stdout.length, 1, all.stderr);

  for (const room of ["#lobb", "#Quiet"]) {
    const missing = await exportRun(urls, "--room", room);
    assert.equal(missing.code, 1, `a room with no messages (${room}) fails`);
    assert.deepEqual(missing.stdout, []);
    assert.match(missing.stderr, new RegExp(`no messages for ${room} in the room stream`));
    assert.match(missing.stderr, /rooms with messages: #lobby$/m);
  }

  const late = await exportRun(urls, "--room", "#lobby", "--since", "2026-11-03");
  assert.equal(late.code, 0);
  assert.deepEqual(late.stdout, []);
  assert.match(
    late.stderr,
    /no messages in #lobby since 2026-11-03 in the room stream \(the newest is from 2026-11-02 09:00 UTC\)/,
  );

  const private_ = await exportRun(urls, "--private");
  assert.equal(private_.code, 2);
  assert.match(
    private_.stderr,
    /--private does not work with --cluster: private messages are not kept in the room stream/,
  );
});
