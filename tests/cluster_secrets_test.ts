/**
 * What a cluster node writes to its log and shows to its operator: never
 * its secrets (the NATS password, `--password`), and never raw text from
 * NATS (a node record anyone who can write to NATS may have put there).
 */

import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { Kvm } from "@nats-io/kv";
import { runEntry, runServer } from "./_entry_process.ts";
import { within } from "./_waiting.ts";
import { NODES_BUCKET } from "../lib/cluster/cluster_names.ts";
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

Deno.test("cluster status shows a forged node record without its escape sequences or invented addresses", async () => {
  await using nats = await soloNats();
  const { server } = await runServer(["--no-discovery", "--cluster", nats.url]);
  await using _server = server;
  const nc = await connect({ servers: nats.url });
  const kv = await new Kvm(nc).open(NODES_BUCKET);
  const now = Date.now();
  await kv.put(
    "evil",
    JSON.stringify({
      node: "evil",
      server: "x\x1b]0;pwned title\x07\x1b[2J",
      listen: ["\x1b[31mfake:7777\x1b[0m"],
      started: now,
      seen: now,
      clients: 9,
      version: "1\x1b[8m",
    }),
  );
  await kv.put(
    "evil2",
    JSON.stringify({
      node: "evil2",
      server: "y",
      listen: ["10.0.0.9:7000"],
      started: now,
      seen: now,
      clients: 1e300,
      version: "1",
    }),
  );
  await nc.close();
  await using status = runEntry("server", ["cluster", "status", "--cluster", nats.url]);
  assert.equal((await within(15_000, status.status, "cluster status")).code, 0);
  const out = status.stdout.join("\n");
  assert.ok(
    !/[\x00-\x08\x0b-\x1f\x7f-\x9f]/.test(out),
    `control characters in: ${JSON.stringify(out)}`,
  );
  assert.doesNotMatch(out, /fake:7777/);
  assert.doesNotMatch(out, /e\+300/);
  // The node itself is listed as before.
  assert.match(out, /^ {2}lanchat-[0-9a-f]{8}: 0 client\(s\), listening on 127\.0\.0\.1:\d+/m);
});
