/**
 * Discovery of a cluster, on a LAN of two network namespaces of the test's
 * own (nothing leaves them): one nats-server and two chat-server nodes of
 * one cluster in one namespace, announced on the LAN; chat-client in the
 * other lists them as ONE server, joins it, and when its node stops, goes
 * on through the other node with its nick; its last session keeps both.
 */

import assert from "node:assert/strict";
import { type EntryProcess, runEntry } from "./_entry_process.ts";
import { type LanSide, NetPair } from "./_net_namespace.ts";

const NATS_SERVER = "/usr/sbin/nats-server";

/** A nats-server with JetStream on the namespace's own loopback, port 14222. */
async function startNats(side: LanSide, dir: string): Promise<AsyncDisposable> {
  const [command, args] = side.netns.wrap(NATS_SERVER, [
    "-js",
    "-a",
    "127.0.0.1",
    "-p",
    "14222",
    "-sd",
    dir,
  ]);
  const child = new Deno.Command(command, { args, stdout: "null", stderr: "piped" }).spawn();
  const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  const deadline = Date.now() + 15_000;
  while (!seen.includes("Server is ready")) {
    const { value, done } = await lines.read();
    if (done || Date.now() > deadline) throw new Error(`nats-server did not start: ${seen}`);
    seen += value;
  }
  (async () => {
    while (!(await lines.read()).done);
  })().catch(() => {});
  return {
    async [Symbol.asyncDispose]() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

/** A node of the cluster on `side`, announced as "office", plain TCP; waits until announced. */
async function startNode(side: LanSide): Promise<EntryProcess> {
  const node = runEntry("server", [
    "--port",
    "0",
    "--name",
    "office",
    "--cluster",
    "nats://127.0.0.1:14222",
    "--cluster-replicas",
    "1",
  ], { netns: side.netns });
  await node.waitStdout((line) => line.startsWith("open "));
  return node;
}

function portOf(server: EntryProcess): number {
  const line = server.stdout.find((line) => line.startsWith("listening on "))!;
  return Number(line.split(":").at(-1));
}

Deno.test("two nodes of one cluster are listed as one server; the client that found it fails over to the other node and remembers both", async () => {
  await using lan = await NetPair.create();
  const dir = await Deno.makeTempDir({ prefix: "lanchat-cluster-discovery-" });
  try {
    await using _nats = await startNats(lan.a, `${dir}/nats`);
    await using one = await startNode(lan.a);
    await using two = await startNode(lan.a);
    const ports = [portOf(one), portOf(two)];

    await using list = runEntry("client", ["--list"], { netns: lan.b.netns });
    assert.equal((await list.finished()).code, 0, list.stderr.join("\n"));
    assert.equal(list.stdout.length, 1, list.stdout.join("\n"));
    assert.match(list.stdout[0], /^office\t10\.77\.0\.1:\d+\tplain\topen\t-$/);

    const configDir = `${dir}/client`;
    await using ana = runEntry("client", ["--nick", "ana", "--config-dir", configDir], {
      netns: lan.b.netns,
      stdin: "piped",
    });
    await ana.write("hello cluster\n");
    await ana.waitStdout((line) => line.endsWith("<ana> hello cluster"));
    const found = ana.stderr.find((line) => line.startsWith("found "))!;
    const port = Number(/:(\d+) \(in/.exec(found)![1]);
    assert.ok(ports.includes(port), found);
    const [its, other] = port === ports[0] ? [one, two] : [two, one];

    // Its node stops (cleanly): the client goes on through the other node, as ana.
    its.kill("SIGINT");
    assert.equal((await its.finished()).code, 0);
    const stopped = performance.now();
    await ana.write("still here\n");
    await ana.waitStdout((line) => line.endsWith("<ana> still here"));
    console.log(
      `line typed after node ${port} stopped delivered through node ${portOf(other)} in ${
        Math.round(performance.now() - stopped)
      } ms`,
    );
    await ana.closeStdin();
    assert.equal((await ana.finished()).code, 0, ana.stderr.join("\n"));

    const remembered = JSON.parse(await Deno.readTextFile(`${configDir}/last_session.json`));
    assert.deepEqual(
      remembered.hosts.map((h: { port: number }) => h.port).toSorted(),
      ports.toSorted(),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
