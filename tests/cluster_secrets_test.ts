/**
 * What a cluster node writes to its log and shows to its operator: never
 * its secrets (the NATS password, `--password`), and never raw text from
 * NATS (a node record anyone who can write to NATS may have put there).
 */

import assert from "node:assert/strict";
import { runServer } from "./_entry_process.ts";
import { soloNats } from "./_solo_nats.ts";

const NATS_PASSWORD = "nats-secret-4f1c9e";
const ROOM_PASSWORD = "hunter2-private-room";

Deno.test("a cluster node logs its retention limits but neither the NATS password nor --password", async () => {
  await using nats = await soloNats(
    `authorization { user: chat, password: "${NATS_PASSWORD}" }`,
  );
  Deno.writeTextFileSync(`${nats.dir}/creds`, `chat:${NATS_PASSWORD}\n`);
  const { server } = await runServer([
    "--no-discovery",
    "--password",
    ROOM_PASSWORD,
    "--retain-messages",
    "50",
    "--cluster",
    nats.url,
    "--cluster-creds",
    `${nats.dir}/creds`,
  ]);
  await using _server = server;
  const limits = await server.waitStderr((line) => line.includes("event=cluster_limits"));
  assert.match(limits, /retainMessages=50/);
  for (const line of [...server.stdout, ...server.stderr]) {
    assert.ok(!line.includes(NATS_PASSWORD), `the NATS password in: ${line}`);
    assert.ok(!line.includes(ROOM_PASSWORD), `--password in: ${line}`);
  }
});
