/**
 * `/cluster` typed in a real `client.ts` (line mode) by an operator of a
 * node of a two-node cluster on the 3-node NATS harness: the link, the room
 * stream and both nodes with their clients; refused to a member who is not
 * an operator.
 */

import assert from "node:assert/strict";
import { runEntry } from "./_entry_process.ts";
import { NatsCluster } from "./_nats_cluster.ts";
import { until } from "./_waiting.ts";

Deno.test("/cluster from chat-client in line mode: an operator sees the link, the stream and both nodes with their clients; others are refused", async () => {
  await using nats = await NatsCluster.start();
  const configDir = await Deno.makeTempDir({ prefix: "lanchat-cluster-op-" });
  try {
    await using whoami = runEntry("client", ["--whoami", "--config-dir", configDir]);
    assert.equal((await whoami.finished()).code, 0, whoami.stderr.join("\n"));
    const [fingerprint] = whoami.stdout;
    const node = (extra: string[]) =>
      runEntry("server", [
        "--host",
        "127.0.0.1",
        "--no-discovery",
        "--port",
        "0",
        "--cluster",
        nats.urls.join(","),
        ...extra,
      ]);
    await using a = node(["--name", "alpha", "--op", fingerprint]);
    await using b = node(["--name", "beta"]);
    const portOf = async (server: typeof a) =>
      Number(
        (await server.waitStdout((l) => l.startsWith("listening on "), 60_000)).split(":").at(-1),
      );
    const [portA, portB] = [await portOf(a), await portOf(b)];

    await using boss = runEntry("client", [
      "--host",
      `127.0.0.1:${portA}`,
      "--nick",
      "boss",
      "--config-dir",
      configDir,
    ], { stdin: "piped" });
    await using bob = runEntry("client", ["--host", `127.0.0.1:${portB}`, "--nick", "bob"], {
      stdin: "piped",
    });
    await bob.write("/cluster\n");
    await bob.waitStdout((line) => /for operators only/.test(line));

    // The node records carry their client counts at the next heartbeat (2 s): asked until then.
    const asked = () => boss.stdout.filter((line) => line.includes("client(s) in all")).length;
    for (let tries = 0; !boss.stdout.some((l) => l.includes("Nodes: 2, 2 client(s) in all"));) {
      assert.ok(tries++ < 20, boss.stdout.join("\n"));
      const before = asked();
      await boss.write("/cluster\n");
      await until(() => asked() > before, 10_000);
      if (!boss.stdout.some((l) => l.includes("Nodes: 2, 2 client(s) in all"))) {
        await new Promise((resolve) => setTimeout(resolve, 500)); // The next heartbeat.
      }
    }
    // Each line of the status on a line of its own.
    const from = boss.stdout.findLastIndex((line) => line.includes("NATS: "));
    const shown = boss.stdout.slice(from, from + 5);
    console.log(shown.join("\n"));
    const text = shown.join("\n");
    assert.equal(shown.length, 5);
    assert.match(shown[2], /Nodes: 2, 2 client\(s\) in all$/);
    assert.match(text, /NATS: connected to \S+/);
    assert.match(text, /Stream LANCHAT_ROOMS: \d+ message\(s\), .*3 replica\(s\), leader \S+/);
    assert.match(
      text,
      new RegExp(
        `alpha-[0-9a-f]{8} \\(this node\\): 1 client\\(s\\), listening on 127\\.0\\.0\\.1:${portA}`,
      ),
    );
    assert.match(
      text,
      new RegExp(`beta-[0-9a-f]{8}: 1 client\\(s\\), listening on 127\\.0\\.0\\.1:${portB}`),
    );
    await boss.closeStdin();
    assert.equal((await boss.finished()).code, 0, boss.stderr.join("\n"));
    await bob.closeStdin();
    assert.equal((await bob.finished()).code, 3, "its /cluster was refused");
  } finally {
    await Deno.remove(configDir, { recursive: true });
  }
});
