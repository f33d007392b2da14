/**
 * The load generator: one process that opens many chat connections to a
 * line-based chat server on 127.0.0.1 and runs one workload's traffic.
 *
 * Protocol with the harness (bench/bench.ts): the configuration comes as a
 * JSON argument; once every client is connected the generator prints
 * `{"phase":"connected",...}` and waits for a line `go` on stdin; then it
 * runs the traffic and prints `{"phase":"done",...}` with its measurements.
 *
 * @module
 */

/** What one generator process does. */
export interface LoadConfig {
  port: number;
  /**
   * `text`: one line per message (works with any line-based chat); `native`:
   * JSON frames; `web`: JSON frames over a WebSocket, one per message (the
   * Node generator only); `irc`: NICK/USER, JOIN after the 001, PRIVMSG to
   * the channel (the Node generator only).
   */
  mode: "text" | "native" | "web" | "irc";
  /** Mode `irc`: the channel every client joins (the Node generator only). @default {"#lobby"} */
  channel?: string;
  /**
   * Mode `irc`: whether clients JOIN the channel (in at its 366) or only
   * register (in at the end of the MOTD, 376 or 422). @default {true}
   */
  join?: boolean;
  /**
   * `nick`: send a nick line first and wait for the welcome (lanchat);
   * `greeting`: wait for the server's first line (ncat greets every client
   * with "<announce> already connected: ..."; once it is read, the server has
   * accepted the connection); `hello`: send a nick line first and wait for
   * the server's first line (the reference relays' `--hello`, whose connect
   * is a round trip as lanchat's is); `none`: start talking at once.
   */
  handshake: "nick" | "greeting" | "hello" | "none";
  /** Prefix for nicks, unique per generator. */
  prefix: string;
  /** Connections that read. */
  clients: number;
  /** How many of them send (the first ones). */
  senders: number;
  /** Extra connections that never read (stalled clients). */
  stalled: number;
  /** Flood: messages per sender, as fast as possible. */
  perSender?: number;
  /** Paced: total messages per second over all senders of this generator... */
  rate?: number;
  /** ...for this many seconds. */
  seconds?: number;
  /** Record delivery latencies (on for every generator of a paced workload). */
  latency?: boolean;
  /** Bytes of padding in each message. */
  payloadBytes: number;
  /** Messages every reader should receive, from all generators (for completion). */
  expectPerReader: number;
  /** Whether readers see their own messages (lanchat native echoes them). */
  echo: boolean;
  /** Give up after this long. */
  timeoutMs: number;
  /** Give up connecting after this long (the Node generator only). */
  connectTimeoutMs?: number;
  /** Connections opened at once while connecting. */
  connectBatch?: number;
  /** Connect with TLS, trusting any certificate (the Node generator only). */
  tls?: boolean;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const NEWLINE = 0x0a;
/** When the last message arrived at any reader. */
let lastDelivery = 0;
/** After the sending ends, this long without any delivery ends the run (a lossy server). */
const QUIET_MS = 3000;

/** One reading connection: counts message lines, records latencies. */
class Reader {
  received = 0;
  /** Bytes before the current line's start, kept across reads. */
  #partial: Uint8Array = new Uint8Array(0);
  constructor(
    readonly conn: Deno.TcpConn,
    readonly latencies: number[] | undefined,
    readonly expected: number,
  ) {}

  /** Feeds received bytes; counts complete lines that carry a message. */
  feed(chunk: Uint8Array, measuring: boolean): void {
    let nl = chunk.indexOf(NEWLINE);
    if (nl === -1) {
      // The middle of a long line: keep all of it.
      const joined = new Uint8Array(this.#partial.length + chunk.length);
      joined.set(this.#partial);
      joined.set(chunk, this.#partial.length);
      this.#partial = joined;
      return;
    }
    let start = 0;
    while (nl !== -1) {
      if (measuring) this.#line(chunk, start, nl);
      else this.#partial = new Uint8Array(0);
      start = nl + 1;
      nl = chunk.indexOf(NEWLINE, start);
    }
    this.#partial = start < chunk.length ? chunk.slice(start) : new Uint8Array(0);
  }

  #line(chunk: Uint8Array, start: number, end: number): void {
    // A message line holds "M <sender> <seq> <sent-at-ms> ...". Lines split
    // across reads are rare; they are joined with the kept partial.
    let line: Uint8Array;
    if (this.#partial.length > 0) {
      line = new Uint8Array(this.#partial.length + end - start);
      line.set(this.#partial);
      line.set(chunk.subarray(start, end), this.#partial.length);
      this.#partial = new Uint8Array(0);
    } else line = chunk.subarray(start, end);
    // Count every message marker: a server that forwards partial lines (ncat
    // does) can put two messages on one line.
    let marker = indexOfMarker(line, 0);
    while (marker !== -1) {
      this.received++;
      lastDelivery = now();
      if (this.latencies) {
        const text = decoder.decode(line.subarray(marker, Math.min(line.length, marker + 64)));
        const sentAt = Number(text.split(" ")[3]);
        if (sentAt > 0) this.latencies.push(lastDelivery - sentAt);
      }
      marker = indexOfMarker(line, marker + 2);
    }
  }
}

/** Position of "M " followed by a digit: the start of our message payload. */
function indexOfMarker(line: Uint8Array, from: number): number {
  // TypedArray.indexOf runs natively: far cheaper than a byte loop in JS.
  for (
    let i = line.indexOf(0x4d, from);
    i !== -1 && i + 2 < line.length;
    i = line.indexOf(0x4d, i + 1)
  ) {
    if (line[i + 1] === 0x20 && line[i + 2] >= 0x30 && line[i + 2] <= 0x39) return i;
  }
  return -1;
}

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes. */
function now(): number {
  return performance.timeOrigin + performance.now();
}

function messageLine(config: LoadConfig, sender: number, seq: number): string {
  const text = `M ${sender} ${seq} ${now().toFixed(3)} ${"x".repeat(config.payloadBytes)}`;
  return config.mode === "native" ? JSON.stringify({ type: "msg", text }) + "\n" : text + "\n";
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
}

/** Connects one client and completes the handshake; returns the connection. */
async function connect(config: LoadConfig, index: number): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: config.port });
  conn.setNoDelay(true);
  const nick = `${config.prefix}${index}`;
  if (config.mode === "native") {
    await writeAll(
      conn,
      encoder.encode(
        JSON.stringify({ type: "hello", protocol: 1, nick, client: "load_gen" }) + "\n",
      ),
    );
  } else if (config.handshake === "nick" || config.handshake === "hello") {
    await writeAll(conn, encoder.encode(`${nick}\n`));
  }
  const greeting = config.mode !== "native" &&
    (config.handshake === "greeting" || config.handshake === "hello");
  if (config.mode === "native" || config.handshake === "nick" || greeting) {
    // Wait for the welcome so the client is a member before traffic starts.
    const buffer = new Uint8Array(64 * 1024);
    let seen = "";
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) {
        throw new Error(`connection ${index} closed during the handshake: ${seen.slice(-300)}`);
      }
      seen += decoder.decode(buffer.subarray(0, n));
      if ((greeting ? /\n/ : /"welcome"|Welcome to .*, /).test(seen)) break;
      seen = seen.slice(-4096);
    }
  }
  return conn;
}

async function run(config: LoadConfig): Promise<void> {
  const started = now();
  const conns: Deno.TcpConn[] = [];
  const batch = config.connectBatch ?? 100;
  for (let i = 0; i < config.clients + config.stalled; i += batch) {
    const count = Math.min(batch, config.clients + config.stalled - i);
    conns.push(
      ...await Promise.all(Array.from({ length: count }, (_, j) => connect(config, i + j))),
    );
  }
  const connectMs = now() - started;
  const readerConns = conns.slice(0, config.clients);
  const stalledConns = conns.slice(config.clients);
  const latencies: number[] | undefined = config.rate || config.latency ? [] : undefined;
  const readers = readerConns.map((conn, i) => {
    const own = i < config.senders && !config.echo ? ownMessages(config) : 0;
    return new Reader(conn, latencies, config.expectPerReader - own);
  });

  let done = 0;
  let allDone: () => void = () => {};
  const finished = new Promise<void>((resolve) => (allDone = resolve));
  const readLoops = readers.map(async (reader) => {
    const buffer = new Uint8Array(16 * 1024);
    let counted = reader.expected <= 0;
    if (counted) done++;
    try {
      while (true) {
        const n = await reader.conn.read(buffer);
        if (n === null) break;
        // Always counted: with several generators, a message can arrive
        // before this one was told to go. Only message lines carry the marker.
        reader.feed(buffer.subarray(0, n), true);
        if (!counted && reader.received >= reader.expected) {
          counted = true;
          done++;
          if (done === readers.length) allDone();
        }
      }
    } catch {
      // Closed by us at the end, or dropped by the server.
    }
  });

  console.log(JSON.stringify({ phase: "connected", connectMs, clients: conns.length }));
  await waitForGo();
  const sendStart = now();
  if (done === readers.length) allDone();

  const senders = readerConns.slice(0, config.senders);
  const sending = config.rate
    ? paced(config, senders)
    : Promise.all(senders.map((conn, i) => flood(config, conn, i)));
  let timer: ReturnType<typeof setTimeout> | undefined;
  let quietCheck: ReturnType<typeof setInterval> | undefined;
  const quiet = sending.then(() =>
    new Promise<"quiet">((resolve) => {
      quietCheck = setInterval(() => {
        if (now() - Math.max(lastDelivery, sendStart) > QUIET_MS) resolve("quiet");
      }, 200);
    })
  );
  const outcome = await Promise.race([
    Promise.all([sending, finished]).then(() => "complete" as const),
    quiet,
    new Promise<"timeout">((
      resolve,
    ) => (timer = setTimeout(() => resolve("timeout"), config.timeoutMs))),
  ]);
  clearTimeout(timer);
  clearInterval(quietCheck);
  const timedOut = outcome !== "complete";
  // The rate counts up to the last delivery, not the wait for missing ones.
  const elapsedMs = (outcome === "complete" ? now() : Math.max(lastDelivery, sendStart + 1)) -
    sendStart;
  const delivered = readers.reduce((sum, r) => sum + r.received, 0);
  const stalledOpen = await countOpen(stalledConns);
  for (const conn of conns) {
    try {
      conn.close();
    } catch {
      // Already closed by the server.
    }
  }
  await Promise.all(readLoops);
  console.log(JSON.stringify({
    phase: "done",
    connectMs,
    elapsedMs,
    delivered,
    complete: !timedOut,
    outcome,
    incompleteReaders: readers.filter((r) => r.received < r.expected).length,
    stalledStillOpen: stalledOpen,
    latency: latencies ? summarize(latencies) : undefined,
    histogram: latencies ? histogram(latencies) : undefined,
  }));
}

function ownMessages(config: LoadConfig): number {
  return config.perSender ??
    Math.round((config.rate ?? 0) * (config.seconds ?? 0) / config.senders);
}

/** Each sender writes its messages in large batches, as fast as the server takes them. */
async function flood(config: LoadConfig, conn: Deno.TcpConn, sender: number): Promise<void> {
  const total = config.perSender ?? 0;
  const per = 100;
  for (let seq = 0; seq < total; seq += per) {
    let chunk = "";
    for (let k = seq; k < Math.min(total, seq + per); k++) chunk += messageLine(config, sender, k);
    await writeAll(conn, encoder.encode(chunk));
  }
}

/** Senders take turns at a fixed total rate for the configured time. */
async function paced(config: LoadConfig, senders: Deno.TcpConn[]): Promise<void> {
  const total = Math.round((config.rate ?? 0) * (config.seconds ?? 0));
  const interval = 1000 / (config.rate ?? 1);
  const start = performance.now();
  const writes: Promise<void>[] = [];
  for (let k = 0; k < total; k++) {
    const due = start + k * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const sender = k % senders.length;
    writes.push(writeAll(senders[sender], encoder.encode(messageLine(config, sender, k))));
  }
  await Promise.all(writes);
}

/** How many of the stalled connections the server has not closed (a read returns at once if closed). */
async function countOpen(conns: Deno.TcpConn[]): Promise<number> {
  let open = 0;
  await Promise.all(conns.map(async (conn) => {
    // Drain what is buffered; a closed connection ends with null (or an error).
    const buffer = new Uint8Array(1024 * 1024);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const closed = (async () => {
      try {
        while (true) {
          const n = await conn.read(buffer);
          if (n === null) return true;
        }
      } catch {
        return true;
      }
    })();
    const result = await Promise.race([
      closed,
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), 2000))),
    ]);
    clearTimeout(timer);
    if (!result) open++;
  }));
  return open;
}

/** Latency histogram bucket width, ms; the last bucket holds everything above. */
export const BUCKET_MS = 0.05;
const BUCKETS = 40_000;

/** Latencies as sparse histogram entries `[bucket, count]`, mergeable across processes. */
function histogram(values: number[]): [number, number][] {
  const counts = new Map<number, number>();
  for (const v of values) {
    const bucket = Math.min(BUCKETS, Math.max(0, Math.floor(v / BUCKET_MS)));
    counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => a[0] - b[0]);
}

/** Quantiles from merged histograms (each value is its bucket's upper edge). */
export function quantiles(
  entries: [number, number][],
): { p50: number; p99: number; p999: number; n: number } {
  const merged = new Map<number, number>();
  for (const [bucket, count] of entries) merged.set(bucket, (merged.get(bucket) ?? 0) + count);
  const sorted = [...merged].sort((a, b) => a[0] - b[0]);
  const n = sorted.reduce((sum, [, c]) => sum + c, 0);
  const at = (q: number) => {
    let seen = 0;
    for (const [bucket, count] of sorted) {
      seen += count;
      if (seen > q * n) return (bucket + 1) * BUCKET_MS;
    }
    return NaN;
  };
  return { p50: at(0.5), p99: at(0.99), p999: at(0.999), n };
}

function summarize(
  values: number[],
): { p50: number; p99: number; p999: number; max: number; n: number } {
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return {
    p50: at(0.5),
    p99: at(0.99),
    p999: at(0.999),
    max: sorted.at(-1) ?? NaN,
    n: sorted.length,
  };
}

async function waitForGo(): Promise<void> {
  const reader = Deno.stdin.readable.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("go")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  reader.releaseLock();
}

if (import.meta.main) {
  const config = JSON.parse(Deno.args[0]) as LoadConfig;
  if (config.tls) throw new Error("TLS needs the Node load generator (--generator node)");
  if (config.mode === "web") throw new Error("WebSocket clients need the Node load generator");
  if (config.mode === "irc") throw new Error("IRC clients need the Node load generator");
  await run(config);
  Deno.exit(0);
}
