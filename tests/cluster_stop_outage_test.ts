/**
 * A cluster node stopped while its NATS is gone, or hangs: SIGTERM still
 * ends it within a few seconds, with exit status 0 (a clean stop: the
 * README's exit codes), and its log says what NATS was not told. Before the stop
 * was bounded (lib/server/cluster_stop.ts) each part waited on a NATS
 * timeout in turn: 16.5 s with one member, longer with more.
 */

import assert from "node:assert/strict";
import { runServer } from "./_entry_process.ts";
import { NativeClient } from "./_native_client.ts";
import { soloNats } from "./_solo_nats.ts";

Deno.test("a cluster node whose NATS is gone exits 0 within a few seconds of SIGTERM", async () => {
  const nats = await soloNats();
  let natsGone = false;
  try {
    const { server, port } = await runServer(["--no-discovery", "--cluster", nats.url]);
    await using _server = server;
    // A member with a nick record and a room: their release is what waited longest.
    await using ana = await NativeClient.connect(port, "ana");
    await ana.send({ type: "cmd", name: "join", args: "#ops" });
    await ana.next("joined", (e) => e.room === "#ops");

    await nats[Symbol.asyncDispose]();
    natsGone = true;
    await server.waitStderr((l) => l.includes("event=cluster_link state=down"), 10_000);

    const log = await stopCleanlyWithin(server, 4_000);
    assert.match(
      log,
      /level=warn event=cluster_stop skipped=\S*nick_records\S* detail="the link to NATS is down: closed without telling it"/,
    );
    assert.match(log, /event=disconnect .*nick=ana reason=shutdown/, "ana was told first");
  } finally {
    if (!natsGone) await nats[Symbol.asyncDispose]();
  }
});

Deno.test("a cluster node whose NATS hangs (connection open, no answer) exits 0 about 2 s after SIGTERM", async () => {
  await using nats = await soloNats();
  const { server, port } = await runServer(["--no-discovery", "--cluster", nats.url]);
  await using _server = server;
  await using _ana = await NativeClient.connect(port, "ana");

  nats.kill("SIGSTOP"); // The link stays up: nothing tells the node that NATS will not answer.
  const log = await stopCleanlyWithin(server, 6_000);
  assert.match(
    log,
    /level=warn event=cluster_stop skipped=\S*nick_records\S* detail="NATS did not answer within 2 s: closed without draining"/,
  );
});

/** Sends SIGTERM and checks the node exits 0 within `ms`; its log. */
async function stopCleanlyWithin(
  server: {
    kill(signal: Deno.Signal): void;
    finished(ms: number): Promise<Deno.CommandStatus>;
    stderr: string[];
  },
  ms: number,
): Promise<string> {
  const asked = performance.now();
  server.kill("SIGTERM");
  const status = await server.finished(15_000);
  const took = performance.now() - asked;
  const log = server.stderr.join("\n");
  assert.equal(status.code, 0, log);
  assert.ok(took < ms, `exited ${Math.round(took)} ms after SIGTERM:\n${log}`);
  return log;
}
