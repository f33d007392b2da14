/**
 * A NATS cluster with JetStream for tests: three `nats-server` processes
 * (Debian's, 2.9.10) on 127.0.0.1, each with its own store directory under
 * a temporary directory, routes between them, a monitoring port for `/jsz`.
 * Ports are found by binding port 0 and closing it; a node that still finds
 * its port taken (another process got it in between) makes the whole
 * cluster start again on new ports. `AsyncDisposable`: every process this
 * harness started is stopped by its PID and awaited, and the directory goes.
 *
 * @module
 */

import { delay } from "./_waiting.ts";

/** Where Debian installs the server (`apt-get install nats-server`). */
export const NATS_SERVER = "/usr/sbin/nats-server";

/** One node of the cluster: its name, ports and process. */
export interface NatsNode {
  /** The server name (`n1`, `n2`, ...), as JetStream reports leaders. */
  readonly name: string;
  /** The client port on 127.0.0.1. */
  readonly clientPort: number;
  /** The cluster route port on 127.0.0.1. */
  readonly routePort: number;
  /** The HTTP monitoring port on 127.0.0.1 (`/jsz`, `/varz`). */
  readonly monitorPort: number;
  /** Its JetStream store directory. */
  readonly storeDir: string;
  /** Its log file (the server writes nothing to stdout or stderr). */
  readonly logFile: string;
  /** The running process, or undefined once stopped or killed. */
  child: Deno.ChildProcess | undefined;
}

/** What `/jsz` says about the JetStream meta group. */
interface MetaCluster {
  leader?: string;
  cluster_size?: number;
}

/** Thrown when the cluster cannot start (ports, binary, no meta leader). */
export class NatsClusterError extends Error {
  /** Names the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "NatsClusterError";
  }
}

/** A free TCP port on 127.0.0.1: bound on port 0, then closed. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Options for {@linkcode NatsCluster.start}. */
export interface NatsClusterOptions {
  /** How many nodes. @default {3} */
  size?: number;
  /** How many times to start again when a port was taken. @default {3} */
  attempts?: number;
  /** How long to wait for a meta leader, in ms. @default {20000} */
  leaderMs?: number;
}

/** A running cluster of `nats-server` nodes on loopback. */
export class NatsCluster implements AsyncDisposable {
  /** The nodes, in name order. */
  readonly nodes: NatsNode[];
  /** The temporary directory holding configs, stores and logs. */
  readonly dir: string;

  private constructor(nodes: NatsNode[], dir: string) {
    this.nodes = nodes;
    this.dir = dir;
  }

  /** Starts the cluster and waits until JetStream has a meta leader. */
  static async start(options: NatsClusterOptions = {}): Promise<NatsCluster> {
    const { size = 3, attempts = 3, leaderMs = 20_000 } = options;
    await Deno.stat(NATS_SERVER).catch((cause) => {
      throw new NatsClusterError(`No "${NATS_SERVER}": apt-get install nats-server`, { cause });
    });
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const dir = await Deno.makeTempDir({ prefix: "lanchat-nats-" });
      const cluster = new NatsCluster(planNodes(size, dir), dir);
      try {
        for (const node of cluster.nodes) await cluster.#write(node);
        for (const node of cluster.nodes) cluster.#spawn(node);
        await cluster.waitForMetaLeader(leaderMs);
        return cluster;
      } catch (error) {
        lastError = error;
        const taken = await cluster.#portTaken();
        await cluster.stop();
        if (!taken) throw error;
      }
    }
    throw new NatsClusterError(`No free ports after ${attempts} attempts`, { cause: lastError });
  }

  /** The client URLs of the running nodes (`nats://127.0.0.1:port`). */
  get urls(): string[] {
    return this.nodes.filter((node) => node.child).map((node) => url(node));
  }

  /** The node of this name. */
  node(name: string): NatsNode {
    const node = this.nodes.find((candidate) => candidate.name === name);
    if (!node) throw new NatsClusterError(`No node "${name}"`);
    return node;
  }

  /** The JetStream meta leader as a running node sees it, or undefined. */
  async metaLeader(): Promise<string | undefined> {
    for (const node of this.nodes.filter((candidate) => candidate.child)) {
      const meta = await jsz(node).catch(() => undefined);
      if (meta?.leader) return meta.leader;
    }
    return undefined;
  }

  /**
   * The running node that says it leads `stream` (its own `/jsz` names
   * itself), or undefined while none does: a new leader counts from the
   * moment it has won its election, not when the others hear of it.
   */
  async streamLeader(stream: string): Promise<string | undefined> {
    for (const node of this.nodes.filter((candidate) => candidate.child)) {
      const leader = await streamDetail(node, stream).catch(() => undefined);
      if (leader === node.name) return leader;
    }
    return undefined;
  }

  /** Waits until the running nodes agree on a meta leader that is running; its name. */
  async waitForMetaLeader(ms = 20_000): Promise<string> {
    const deadline = performance.now() + ms;
    while (performance.now() < deadline) {
      for (const node of this.nodes) {
        if (node.child && await exited(node.child)) {
          throw new NatsClusterError(`Node ${node.name} exited: ${await tail(node.logFile)}`);
        }
      }
      const running = this.nodes.filter((node) => node.child);
      const leaders = await Promise.all(
        running.map((node) => jsz(node).then((m) => m.leader).catch(() => undefined)),
      );
      const leader = leaders[0];
      const alive = running.some((node) => node.name === leader);
      if (leader && alive && leaders.every((other) => other === leader)) return leader;
      await delay(100);
    }
    throw new NatsClusterError(`No JetStream meta leader within ${ms} ms`);
  }

  /** Kills a node with `signal` (SIGKILL: no goodbye to the cluster) and awaits its exit. */
  async kill(name: string, signal: Deno.Signal = "SIGKILL"): Promise<void> {
    const node = this.node(name);
    const child = node.child;
    if (!child) return;
    node.child = undefined;
    try {
      child.kill(signal);
    } catch {
      // Already exited.
    }
    await child.status;
  }

  /**
   * Pauses a running node (SIGSTOP): its connections stay open and it answers
   * nothing, so a stream whose other replicas are paused has its leader take
   * writes it cannot replicate (nor apply) until {@linkcode resume}.
   */
  pause(name: string): void {
    this.node(name).child?.kill("SIGSTOP");
  }

  /** Lets a paused node go on (SIGCONT). */
  resume(name: string): void {
    this.node(name).child?.kill("SIGCONT");
  }

  /** Starts a stopped node again, on its old ports and store. */
  restart(name: string): void {
    const node = this.node(name);
    if (!node.child) this.#spawn(node);
  }

  /** Stops every node (SIGTERM, then SIGKILL after 5 s) and removes the directory. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map(async (node) => {
      const child = node.child;
      if (!child) return;
      node.child = undefined;
      try {
        child.kill("SIGTERM");
      } catch {
        return void await child.status;
      }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // Exited meanwhile.
        }
      }, 5_000);
      await child.status;
      clearTimeout(timer);
    }));
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }

  /** Same as {@linkcode stop}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  async #write(node: NatsNode): Promise<void> {
    await Deno.mkdir(node.storeDir, { recursive: true });
    const routes = this.nodes.filter((other) => other !== node)
      .map((other) => `"nats-route://127.0.0.1:${other.routePort}"`).join(", ");
    const config = [
      `server_name: ${node.name}`,
      `listen: "127.0.0.1:${node.clientPort}"`,
      `http: "127.0.0.1:${node.monitorPort}"`,
      `log_file: "${node.logFile}"`,
      `jetstream { store_dir: "${node.storeDir}", max_memory_store: 64MB, max_file_store: 256MB }`,
      `cluster { name: lanchat-test, listen: "127.0.0.1:${node.routePort}", routes: [${routes}] }`,
    ].join("\n");
    await Deno.writeTextFile(`${this.dir}/${node.name}.conf`, config + "\n");
  }

  #spawn(node: NatsNode): void {
    node.child = new Deno.Command(NATS_SERVER, {
      args: ["-c", `${this.dir}/${node.name}.conf`],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
  }

  async #portTaken(): Promise<boolean> {
    for (const node of this.nodes) {
      if (/address already in use/i.test(await tail(node.logFile))) return true;
    }
    return false;
  }
}

function planNodes(size: number, dir: string): NatsNode[] {
  const ports = new Set<number>();
  const take = () => {
    let port = freePort();
    while (ports.has(port)) port = freePort();
    ports.add(port);
    return port;
  };
  return Array.from({ length: size }, (_, i) => ({
    name: `n${i + 1}`,
    clientPort: take(),
    routePort: take(),
    monitorPort: take(),
    storeDir: `${dir}/n${i + 1}`,
    logFile: `${dir}/n${i + 1}.log`,
    child: undefined,
  }));
}

/** The client URL of a node. */
export function url(node: NatsNode): string {
  return `nats://127.0.0.1:${node.clientPort}`;
}

async function jsz(node: NatsNode): Promise<MetaCluster> {
  const response = await fetch(`http://127.0.0.1:${node.monitorPort}/jsz`, {
    signal: AbortSignal.timeout(1_000),
  });
  const body = await response.json() as { meta_cluster?: MetaCluster };
  return body.meta_cluster ?? {};
}

async function streamDetail(node: NatsNode, stream: string): Promise<string | undefined> {
  const response = await fetch(
    `http://127.0.0.1:${node.monitorPort}/jsz?accounts=true&streams=true`,
    { signal: AbortSignal.timeout(1_000) },
  );
  const body = await response.json() as {
    account_details?: { stream_detail?: { name: string; cluster?: { leader?: string } }[] }[];
  };
  for (const account of body.account_details ?? []) {
    const detail = account.stream_detail?.find((candidate) => candidate.name === stream);
    if (detail) return detail.cluster?.leader;
  }
  return undefined;
}

async function exited(child: Deno.ChildProcess): Promise<boolean> {
  return await Promise.race([child.status.then(() => true), delay(0).then(() => false)]);
}

async function tail(file: string): Promise<string> {
  const text = await Deno.readTextFile(file).catch(() => "");
  return text.split("\n").slice(-6).join("\n");
}
