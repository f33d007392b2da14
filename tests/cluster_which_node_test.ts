/**
 * "Which node am I on?" on a real two-node cluster (3-node NATS harness),
 * with real `client.ts` processes in line mode: an operator's `/whois` names
 * each member's node, a member who is not an operator sees no node; the
 * operator's client, given both nodes with `--host`, says where it came
 * back when its node is killed, and that it tried both when both are gone.
 */

import assert from "node:assert/strict";
import { ChatCluster } from "./_chat_cluster.ts";
import { runEntry } from "./_entry_process.ts";
import { until } from "./_waiting.ts";

Deno.test("cluster: an operator's /whois names the node; the client names the node it failed over to, and every node it tried", async () => {
  const configDir = await Deno.makeTempDir({ prefix: "lanchat-which-node-" });
  try {
    await using whoami = runEntry("client", ["--whoami", "--config-dir", configDir]);
    assert.equal((await whoami.finished()).code, 0, whoami.stderr.join("\n"));
    const [fingerprint] = whoami.stdout;
    await using cluster = await ChatCluster.start({ size: 2, args: ["--op", fingerprint] });
    const [portA, portB] = cluster.nodes.map((node) => node.port);

    const boss = cluster.lineClient("A", "boss", ["--config-dir", configDir]);
    await cluster.welcomed(boss);
    const bob = cluster.lineClient("B", "bob", [], false);
    await cluster.welcomed(bob);

    /** Asks `/whois nick` until its answer comes (a member of the other node is seen within a moment). */
    const whois = async (client: typeof boss, nick: string): Promise<string> => {
      for (let tries = 0;; tries++) {
        const before = client.stdout.length;
        await client.write(`/whois ${nick}\n`);
        await until(() =>
          client.stdout.slice(before).some((l) => l.startsWith(`${nick}: `) || l.includes("No one"))
        );
        const answer = client.stdout.slice(before).find((l) => l.startsWith(`${nick}: `));
        if (answer) return answer;
        assert.ok(tries < 20, client.stdout.join("\n"));
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    };
    assert.match(await whois(boss, "bob"), /, on node nodeB-[0-9a-f]{8}, in #lobby/);
    assert.match(await whois(boss, "boss"), /, operator, .*on node nodeA-[0-9a-f]{8}, in #lobby/);
    const seenByBob = await whois(bob, "boss");
    assert.ok(!seenByBob.includes("node"), seenByBob);

    // Node A dies: the operator's client comes back on B, and says so.
    await cluster.kill("A");
    await boss.waitStdout((l) => l === `* Reconnected to 127.0.0.1:${portB}`, 30_000);
    assert.match(await whois(boss, "boss"), /on node nodeB-[0-9a-f]{8}, in #lobby/);

    // Both gone: once it tried each, it says so.
    await cluster.kill("B");
    const both = new RegExp(
      `^\\* Still offline \\(attempt \\d+: 127\\.0\\.0\\.1:(${portA}|${portB}) and ` +
        `127\\.0\\.0\\.1:(${portA}|${portB}) refused the connection\\)`,
    );
    const line = await boss.waitStdout((l) => both.test(l), 30_000);
    const [, first, second] = both.exec(line)!;
    assert.notEqual(first, second, line);
  } finally {
    await Deno.remove(configDir, { recursive: true });
  }
});
