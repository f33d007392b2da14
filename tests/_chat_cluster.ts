/**
 * Several chat-server processes on one 3-node NATS JetStream cluster, for
 * the issue-17 end-to-end tests: each node runs `server.ts` under
 * `deno run` with the server's permission set, on 127.0.0.1 only, with no
 * discovery, plain TCP, its own temporary data directory, and
 * `--cluster` naming every NATS node (its "own" NATS node first, so the
 * chat nodes spread over the NATS nodes). A node can be killed (`kill -9`)
 * and started again on the same port and data directory. Clients: raw
 * native JSON sockets ({@linkcode NativeClient}) and real `client.ts`
 * processes in line mode with `--host` listing every node.
 * `AsyncDisposable`: every process started here is stopped by its PID and
 * awaited, and the directories go.
 *
 * @module
 */

import { type EntryProcess, runEntry } from "./_entry_process.ts";
import { type HelloOptions, NativeClient } from "./_native_client.ts";
import { freePort, NatsCluster, url } from "./_nats_cluster.ts";
import { within } from "./_waiting.ts";

/** One chat-server node of the cluster. */
export interface ChatNode {
  /** `A`, `B`, `C`, ... */
  readonly name: string;
  /** Its port on 127.0.0.1 (kept across a restart; another only if taken before its first start). */
  port: number;
  /** Its data directory (kept across a restart unless replaced). */
  dataDir: string;
  /** The running process, or undefined once killed or stopped. */
  process: EntryProcess | undefined;
}

/** Options for {@linkcode ChatCluster.start}. */
export interface ChatClusterOptions {
  /** How many chat-server nodes. @default {3} */
  size?: number;
  /** Flags given to every chat-server (e.g. `--op`, `--no-rate-limit`). */
  args?: string[];
  /** A NATS cluster to use (not stopped by this harness); else one is started. */
  nats?: NatsCluster;
  /**
   * Start a node again when it exits before listening (printed); false: the
   * first failure fails the start (a chat-server waits for JetStream
   * itself, so every start should succeed the first time). @default {false}
   */
  retry?: boolean;
}

/** Thrown when a chat-server node does not start. */
export class ChatClusterError extends Error {
  /** Names the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ChatClusterError";
  }
}

/** N chat-server processes sharing one NATS JetStream cluster. */
export class ChatCluster implements AsyncDisposable {
  /** The NATS cluster underneath. */
  readonly nats: NatsCluster;
  /** The chat-server nodes, `A`, `B`, `C`, ... */
  readonly nodes: ChatNode[];
  /** Flags given to every chat-server. */
  readonly args: string[];
  readonly #ownsNats: boolean;
  readonly #closers: AsyncDisposable[] = [];
  readonly #dirs: string[] = [];
  /** The nodes that have listened once (their port is theirs from then on). */
  readonly #listened = new Set<string>();

  private constructor(nats: NatsCluster, ownsNats: boolean, size: number, args: string[]) {
    this.nats = nats;
    this.#ownsNats = ownsNats;
    this.args = args;
    this.nodes = Array.from({ length: size }, (_, i) => ({
      name: String.fromCharCode(65 + i),
      port: freePort(),
      dataDir: this.tempDir(),
      process: undefined,
    }));
  }

  /** Starts the NATS cluster (unless given) and every chat-server node, in parallel. */
  static async start(options: ChatClusterOptions = {}): Promise<ChatCluster> {
    const nats = options.nats ?? await NatsCluster.start();
    const cluster = new ChatCluster(nats, !options.nats, options.size ?? 3, options.args ?? []);
    try {
      const retry = options.retry ?? false;
      await Promise.all(
        cluster.nodes.map((node) =>
          retry ? cluster.startNodeRetrying(node.name) : cluster.startNode(node.name)
        ),
      );
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** A new temporary directory, removed when the cluster stops. */
  tempDir(): string {
    const dir = Deno.makeTempDirSync({ prefix: "lanchat-node-" });
    this.#dirs.push(dir);
    return dir;
  }

  /** The node of this name. */
  node(name: string): ChatNode {
    const node = this.nodes.find((candidate) => candidate.name === name);
    if (!node) throw new ChatClusterError(`No node "${name}"`);
    return node;
  }

  /** The NATS URLs for node `index`: every NATS node, starting at a different one per node. */
  natsUrls(index: number): string[] {
    const all = this.nats.nodes.map((node) => url(node));
    const start = index % all.length;
    return [...all.slice(start), ...all.slice(0, start)];
  }

  /**
   * Starts node `name` (again) on its port and data directory, and waits
   * for its "listening on" line. A port found free can be taken by another
   * process of this shared machine before the node binds it: a node that
   * never listened takes another port then (at most twice more).
   */
  async startNode(name: string, extra: string[] = []): Promise<EntryProcess> {
    for (let attempt = 1;; attempt++) {
      try {
        const process = await this.#startOnce(name, extra);
        this.#listened.add(name);
        return process;
      } catch (error) {
        const taken = /port is already in use/.test((error as Error).message);
        if (!taken || this.#listened.has(name) || attempt >= 3) throw error;
        const node = this.node(name);
        const failed = node.process;
        node.process = undefined;
        if (failed) await failed[Symbol.asyncDispose]();
        console.error(`chat-server ${name}: port ${node.port} was taken; trying another`);
        node.port = freePort();
      }
    }
  }

  async #startOnce(name: string, extra: string[]): Promise<EntryProcess> {
    const node = this.node(name);
    if (node.process) throw new ChatClusterError(`Node ${name} is running`);
    const index = this.nodes.indexOf(node);
    const process = runEntry("server", [
      "--host",
      "127.0.0.1",
      "--port",
      String(node.port),
      "--no-discovery",
      "--name",
      `node${node.name}`,
      "--data-dir",
      node.dataDir,
      "--cluster",
      this.natsUrls(index).join(","),
      // The test NATS servers offer 256 MB of file store; the default (512 MB) would be refused.
      "--max-store-mb",
      "64",
      ...this.args,
      ...extra,
    ]);
    node.process = process;
    try {
      const exited = process.status.then((status) => {
        throw new ChatClusterError(`exited ${status.code} before listening`);
      });
      await Promise.race([
        // A node waits up to 60 s for JetStream to serve its streams and buckets (it says so
        // on stderr); after a restart of every NATS server, a loaded machine can need most of it.
        process.waitStdout(
          (line) => line.startsWith(`listening on 127.0.0.1:${node.port}`),
          70_000,
        ),
        exited,
      ]);
    } catch (cause) {
      throw new ChatClusterError(
        `Node ${name} did not start:\n${process.stderr.slice(-10).join("\n")}`,
        { cause },
      );
    }
    return process;
  }

  /**
   * Starts node `name` as {@linkcode startNode}, again after 1 s while it
   * exits before listening (a NATS cluster just restarted may not serve its
   * stream yet), at most `attempts` times; each failed start is printed.
   */
  async startNodeRetrying(name: string, attempts = 5): Promise<EntryProcess> {
    for (let attempt = 1;; attempt++) {
      try {
        return await this.startNode(name);
      } catch (error) {
        const node = this.node(name);
        const failed = node.process;
        node.process = undefined;
        if (failed) await failed[Symbol.asyncDispose]();
        if (attempt >= attempts) throw error;
        console.error(`chat-server ${name}: start ${attempt} failed: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  }

  /** Kills node `name` with `signal` (SIGKILL: no goodbye to anyone) and awaits its exit. */
  async kill(name: string, signal: Deno.Signal = "SIGKILL"): Promise<Deno.CommandStatus | void> {
    const node = this.node(name);
    const process = node.process;
    if (!process) return;
    node.process = undefined;
    process.kill(signal);
    const status = await within(15_000, process.status, `chat-server ${name} to exit`);
    await process[Symbol.asyncDispose]();
    return status;
  }

  /** Every node's address as `--host` takes a list: `127.0.0.1:port,...`, from node `first` on. */
  hostList(first = "A"): string {
    const start = this.nodes.indexOf(this.node(first));
    const ordered = [...this.nodes.slice(start), ...this.nodes.slice(0, start)];
    return ordered.map((node) => `127.0.0.1:${node.port}`).join(",");
  }

  /** A native JSON client on node `name` (with `nick`: welcomed). Closed when the cluster stops. */
  async native(name: string, nick?: string, options: HelloOptions = {}): Promise<NativeClient> {
    const client = await NativeClient.connect(this.node(name).port, nick, options);
    this.#closers.push(client);
    return client;
  }

  /**
   * A real `client.ts` in line mode (stdin piped) given every node with
   * `--host` (node `first` first; with `every` false, node `first` alone),
   * plain TCP, its own config directory.
   * Stopped when the cluster stops.
   */
  lineClient(first: string, nick: string, extra: string[] = [], every = true): EntryProcess {
    const host = every ? this.hostList(first) : `127.0.0.1:${this.node(first).port}`;
    const client = runEntry("client", ["--host", host, "--nick", nick, ...extra], {
      stdin: "piped",
    });
    this.#closers.push(client);
    return client;
  }

  /** Waits for a line client's welcome; fails at once, with its stderr, if it exits first. */
  async welcomed(client: EntryProcess, ms = 30_000): Promise<void> {
    const exited = client.status.then((status) => {
      throw new ChatClusterError(
        `chat-client exited ${status.code} before its welcome:\n${client.stderr.join("\n")}`,
      );
    });
    await Promise.race([client.waitStdout((l) => l.startsWith("Welcome to"), ms), exited]);
  }

  /** Stops clients, then every chat-server (SIGTERM), then NATS when started here. */
  async stop(): Promise<void> {
    for (const closer of this.#closers.splice(0).reverse()) {
      await Promise.resolve(closer[Symbol.asyncDispose]()).catch(() => {});
    }
    await Promise.all(this.nodes.map(async (node) => {
      const process = node.process;
      if (!process) return;
      node.process = undefined;
      process.kill("SIGTERM");
      const timer = setTimeout(() => process.kill("SIGKILL"), 5_000);
      await process.status;
      clearTimeout(timer);
      await process[Symbol.asyncDispose]();
    }));
    if (this.#ownsNats) await this.nats.stop();
    for (const dir of this.#dirs) await Deno.remove(dir, { recursive: true }).catch(() => {});
  }

  /** Same as {@linkcode stop}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}
