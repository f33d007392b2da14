/**
 * The flood's path in one process, without the kernel: an in-process
 * `ChatServer` whose clients are real `Connection`s over in-memory sockets
 * (a write completes at once and is counted, a read hands over what the
 * harness fed). Ten senders' lines go through the real read loop, sniffing,
 * codec decode, hub, room log, fan-out, codec encode, send queue, join and
 * write; the server CPU per delivery and the bytes allocated per message are
 * measured round by round. The socket bench (`deno task bench --only flood`)
 * adds the kernel's and Deno's write cost, which is the same for every tree;
 * this isolates the JavaScript that a change to the path changes, and runs
 * in seconds on a busy machine.
 *
 * With `--against-tree DIR` (a `git worktree` of the base) both trees' servers
 * run in the same process, in alternating rounds (ABBA), and the medians are
 * printed side by side. Allocation (V8's `total_allocated_bytes`) is
 * deterministic; CPU (`process.cpuUsage()`, the whole process) is not.
 *
 * Usage: deno run -P=bench --v8-flags=--max-semi-space-size=4,--heap-growing-percent=100,--expose-gc,--no-allocation-site-pretenuring
 *          bench/flood_path.ts [--mode text|irc|native] [--clients 100] [--senders 10]
 *          [--messages 2000] [--lines-per-read 4] [--rounds 21] [--against-tree DIR]
 *
 * @module
 */

import { parseArgs } from "node:util";
import v8 from "node:v8";
import { setImmediate } from "node:timers";
import { summary } from "./stats.ts";

const ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
const encoder = new TextEncoder();
const NEWLINE = 0x0a;

type Mode = "text" | "irc" | "native";

/**
 * A socket in memory, with the surface `Connection` reads and writes
 * (`ByteConn`): fed bytes are read in order, writes complete at once.
 */
class MemorySocket {
  readonly remoteAddr: Deno.NetAddr;
  /** Bytes written to it (what the client would receive). */
  written = 0;
  /** Lines written to it, counted only while `countLines` is set. */
  lines = 0;
  countLines = false;
  readonly #input: Uint8Array[] = [];
  #waiting: { buffer: Uint8Array; resolve: (n: number | null) => void } | undefined;
  #closed = false;

  constructor(port: number) {
    this.remoteAddr = { transport: "tcp", hostname: "127.0.0.1", port };
  }

  /** Bytes the client sends. */
  feed(bytes: Uint8Array): void {
    const waiting = this.#waiting;
    if (waiting) {
      this.#waiting = undefined;
      this.#input.push(bytes);
      waiting.resolve(this.#take(waiting.buffer));
    } else this.#input.push(bytes);
  }

  /** Whether everything fed has been read. */
  get drained(): boolean {
    return this.#input.length === 0;
  }

  read(buffer: Uint8Array): Promise<number | null> {
    if (this.#closed) return Promise.resolve(null);
    if (this.#input.length > 0) return Promise.resolve(this.#take(buffer));
    return new Promise((resolve) => this.#waiting = { buffer, resolve });
  }

  #take(buffer: Uint8Array): number {
    const head = this.#input[0];
    if (head.length <= buffer.length) {
      buffer.set(head);
      this.#input.shift();
      return head.length;
    }
    buffer.set(head.subarray(0, buffer.length));
    this.#input[0] = head.subarray(buffer.length);
    return buffer.length;
  }

  write(bytes: Uint8Array): Promise<number> {
    this.written += bytes.length;
    if (this.countLines) { for (const byte of bytes) if (byte === NEWLINE) this.lines++; }
    return Promise.resolve(bytes.length);
  }

  close(): void {
    this.#closed = true;
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.resolve(null);
  }
}

/** One tree's server with its clients joined. */
interface Flood {
  tree: string;
  sockets: MemorySocket[];
  shutdown(): Promise<void>;
}

/** Bytes V8 has allocated so far (Deno's heap statistics have it; its types do not). */
function allocatedBytes(): number {
  return (v8.getHeapStatistics() as { total_allocated_bytes?: number }).total_allocated_bytes ??
    NaN;
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Waits until every fed byte is read and no more bytes are written for two ticks. */
async function settle(sockets: MemorySocket[]): Promise<void> {
  let last = -1;
  let still = 0;
  while (still < 2) {
    await tick();
    const written = sockets.reduce((sum, socket) => sum + socket.written, 0);
    if (written === last && sockets.every((socket) => socket.drained)) still++;
    else still = 0;
    last = written;
  }
}

function hello(mode: Mode, nick: string): string {
  if (mode === "irc") return `NICK ${nick}\r\nUSER ${nick} 0 * :${nick}\r\n`;
  if (mode === "native") return `{"type":"hello","protocol":1,"nick":"${nick}","client":"x"}\n`;
  return `${nick}\n`;
}

/** A server from `tree` with `clients` clients joined to #lobby. */
async function start(tree: string, mode: Mode, clients: number): Promise<Flood> {
  const { ChatServer } = await import(`${tree}/lib/server/chat_server.ts`);
  const { FakeListener } = await import(`${tree}/lib/server/_fake_listener.ts`);
  const { Connection } = await import(`${tree}/lib/server/connection.ts`);
  const listener = new FakeListener();
  const server = await ChatServer.serve(listener, {
    rateLimit: false,
    joinRate: false,
    maxPerIp: clients * 2,
    maxPending: clients * 2,
    maxClients: clients * 2,
    log: () => {},
  });
  const options = listener.options!;
  const sockets: MemorySocket[] = [];
  for (let i = 0; i < clients; i++) {
    const socket = new MemorySocket(40_000 + i);
    const ticket = options.limits.admit("127.0.0.1");
    if ("refused" in ticket) throw new Error(`client ${i} refused: ${ticket.refused}`);
    const pipe = new Connection(socket, { sendQueueBytes: options.sendQueueBytes });
    options.onArrival({ pipe, ip: "127.0.0.1", ticket, secure: false, irc: mode === "irc" });
    socket.feed(encoder.encode(hello(mode, `u${i}`)));
    sockets.push(socket);
  }
  await settle(sockets);
  if (mode === "irc") {
    for (const socket of sockets) socket.feed(encoder.encode("JOIN #lobby\r\n"));
    await settle(sockets);
  }
  if (server.hub.size !== clients) throw new Error(`only ${server.hub.size} of ${clients} joined`);
  return {
    tree,
    sockets,
    async shutdown() {
      await server.shutdown();
      for (const socket of sockets) socket.close();
    },
  };
}

/** The senders' reads for one round: `perRead` lines each, as the C generator writes them. */
function reads(mode: Mode, senders: number, messages: number, perRead: number): Uint8Array[][] {
  const perSender = Math.ceil(messages / senders);
  const bySender: Uint8Array[][] = [];
  for (let s = 0; s < senders; s++) {
    const chunks: Uint8Array[] = [];
    for (let seq = 0; seq < perSender; seq += perRead) {
      let chunk = "";
      for (let k = seq; k < Math.min(seq + perRead, perSender); k++) {
        const text = `M ${s} ${k} ${(1_000_000 + k).toFixed(3)} `.padEnd(40, "x");
        chunk += mode === "irc"
          ? `PRIVMSG #lobby :${text}\r\n`
          : mode === "native"
          ? `{"type":"msg","text":"${text}"}\n`
          : `${text}\n`;
      }
      chunks.push(encoder.encode(chunk));
    }
    bySender.push(chunks);
  }
  return bySender;
}

interface Round {
  cpuUs: number;
  wallMs: number;
  allocated: number;
  written: number;
}

/** Feeds one round (each sender one read per tick) and waits until all is written. */
async function round(flood: Flood, bySender: Uint8Array[][]): Promise<Round> {
  const sockets = flood.sockets;
  const writtenBefore = sockets.reduce((sum, socket) => sum + socket.written, 0);
  const allocatedBefore = allocatedBytes();
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  for (let step = 0; step < bySender[0].length; step++) {
    for (let s = 0; s < bySender.length; s++) sockets[s].feed(bySender[s][step]);
    await tick();
  }
  await settle(sockets);
  const cpu = process.cpuUsage(cpuBefore);
  return {
    cpuUs: cpu.user + cpu.system,
    wallMs: performance.now() - wallBefore,
    allocated: allocatedBytes() - allocatedBefore,
    written: sockets.reduce((sum, socket) => sum + socket.written, 0) - writtenBefore,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      mode: { type: "string", default: "text" },
      clients: { type: "string", default: "100" },
      senders: { type: "string", default: "10" },
      messages: { type: "string", default: "2000" },
      "lines-per-read": { type: "string", default: "4" },
      rounds: { type: "string", default: "21" },
      "against-tree": { type: "string" },
    },
  });
  const mode = values.mode as Mode;
  if (!["text", "irc", "native"].includes(mode)) throw new Error(`Unknown mode "${mode}"`);
  const clients = Number(values.clients);
  const senders = Number(values.senders);
  const messages = Number(values.messages);
  const rounds = Number(values.rounds);
  const trees = [ROOT, ...(values["against-tree"] ? [values["against-tree"]] : [])];
  const floods: Flood[] = [];
  for (const tree of trees) floods.push(await start(tree, mode, clients));
  const input = reads(mode, senders, messages, Number(values["lines-per-read"]));
  const sent = senders * Math.ceil(messages / senders);
  // Native clients get their own messages back; text and IRC ones do not.
  const deliveries = sent * (mode === "native" ? clients : clients - 1);
  // A warm-up round per tree, counting the lines: every message reached everyone.
  for (const flood of floods) {
    for (const socket of flood.sockets) socket.countLines = true;
    await round(flood, input);
    const lines = flood.sockets.reduce((sum, socket) => sum + socket.lines, 0);
    for (const socket of flood.sockets) socket.countLines = false;
    if (lines !== deliveries) {
      throw new Error(`${flood.tree}: ${lines} lines written, ${deliveries} expected`);
    }
  }
  const results = new Map<Flood, Round[]>(floods.map((flood) => [flood, []]));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? floods : [...floods].reverse();
    for (const flood of order) results.get(flood)!.push(await round(flood, input));
  }
  console.log(
    `${mode}: ${clients} clients, ${senders} senders, ${sent} messages a round ` +
      `(${deliveries} deliveries), ${rounds} rounds; medians [min–max]`,
  );
  for (const flood of floods) {
    const list = results.get(flood)!;
    const written = new Set(list.map((r) => r.written));
    console.log(
      `${flood.tree}\n  CPU ns/delivery  ${
        summary(list.map((r) => r.cpuUs * 1000 / deliveries), 1)
      }\n  wall ns/delivery ${
        summary(list.map((r) => r.wallMs * 1e6 / deliveries), 1)
      }\n  allocated B/message ${summary(list.map((r) => r.allocated / sent), 0)}` +
        `\n  written B/round ${[...written].join(", ")}`,
    );
  }
  for (const flood of floods) await flood.shutdown();
}

if (import.meta.main) await main();
