/**
 * Three `nats-server` processes with JetStream on loopback, clustered, for
 * the `cluster` workloads: the same shape as the tests' harness (which the
 * bench may not import), without its kill and restart.
 *
 * @module
 */

import { freePort } from "./server_process.ts";

/** Debian's nats-server (`.ci/run` installs it). */
const NATS_SERVER = "/usr/sbin/nats-server";

interface Node {
  name: string;
  client: number;
  route: number;
  monitor: number;
  child?: Deno.ChildProcess;
}

/** A running 3-node NATS cluster; `stop()` ends it and removes its files. */
export class NatsProcesses implements AsyncDisposable {
  private constructor(readonly nodes: Node[], readonly dir: string) {}

  /** The client URLs, comma-separated, as `--cluster` takes them. */
  get urls(): string {
    return this.nodes.map((n) => `nats://127.0.0.1:${n.client}`).join(",");
  }

  /** The nats-server processes' ids (their CPU counts in the cluster's cost). */
  get pids(): number[] {
    return this.nodes.flatMap((n) => n.child ? [n.child.pid] : []);
  }

  /** Starts three nodes and waits until JetStream has a meta leader on each. */
  static async start(): Promise<NatsProcesses> {
    await Deno.stat(NATS_SERVER).catch((cause) => {
      throw new Error(`the cluster workload needs ${NATS_SERVER} (apt-get install nats-server)`, {
        cause,
      });
    });
    const dir = await Deno.makeTempDir({ prefix: "lanchat-bench-nats-" });
    const nodes: Node[] = ["n1", "n2", "n3"].map((name) => ({
      name,
      client: freePort(),
      route: freePort(),
      monitor: freePort(),
    }));
    const cluster = new NatsProcesses(nodes, dir);
    try {
      for (const node of nodes) {
        const routes = nodes.filter((o) => o !== node)
          .map((o) => `"nats-route://127.0.0.1:${o.route}"`).join(", ");
        await Deno.writeTextFile(
          `${dir}/${node.name}.conf`,
          [
            `server_name: ${node.name}`,
            `listen: "127.0.0.1:${node.client}"`,
            `http: "127.0.0.1:${node.monitor}"`,
            `log_file: "${dir}/${node.name}.log"`,
            `jetstream { store_dir: "${dir}/${node.name}", max_file_store: 1GB }`,
            `cluster { name: lanchat-bench, listen: "127.0.0.1:${node.route}", routes: [${routes}] }`,
          ].join("\n") + "\n",
        );
      }
      for (const node of nodes) {
        node.child = new Deno.Command(NATS_SERVER, {
          args: ["-c", `${dir}/${node.name}.conf`],
          stdin: "null",
          stdout: "null",
          stderr: "null",
        }).spawn();
      }
      await cluster.#waitForLeader();
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  async #waitForLeader(): Promise<void> {
    const deadline = performance.now() + 30_000;
    while (performance.now() < deadline) {
      const leaders = await Promise.all(this.nodes.map(async (node) => {
        try {
          const response = await fetch(`http://127.0.0.1:${node.monitor}/jsz`);
          const jsz = await response.json();
          return jsz?.meta_cluster?.leader as string | undefined;
        } catch {
          return undefined;
        }
      }));
      if (leaders.every((l) => l && l === leaders[0])) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error("the NATS cluster elected no JetStream meta leader in 30 s");
  }

  /** Stops every node (SIGTERM, awaited) and removes the directory. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map(async (node) => {
      try {
        node.child?.kill("SIGTERM");
      } catch {
        // Already exited.
      }
      await node.child?.status;
    }));
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }

  /** Same as {@linkcode stop}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}
