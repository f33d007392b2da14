// The load generator on Node.js: the same configuration, stdin/stdout
// protocol and reports as bench/load_gen.ts (see LoadConfig there), but each
// process serves its sockets from one libuv epoll loop and every socket reads
// into one shared buffer (net's `onread`), with no promise or allocation per
// read. A read costs the generator a few microseconds instead of the tens a
// Deno read op costs under load, so the latency and crowd workloads measure
// the server rather than the processes reading its output.
//
// Latency clock: CLOCK_MONOTONIC (process.hrtime), one clock for every
// process on the machine, so a message sent by one generator process and
// read by another is timed without any offset between them.
//
// Mode "web": WebSocket clients (bench/web_client_node.mjs, npm ws), loaded
// only then.
//
// Usage (by bench/bench.ts): node bench/load_gen_node.mjs '<LoadConfig JSON>'

import net from "node:net";
import tls from "node:tls";
import process from "node:process";

const config = JSON.parse(process.argv[2]);
const web = config.mode === "web" ? await import("./web_client_node.mjs") : undefined;
const NEWLINE = 0x0a;
const QUIET_MS = 3000;
/** Latency histogram bucket width, ms, and buckets (the last holds everything above). */
const BUCKET_MS = 0.05;
const BUCKETS = 40_000;
const counts = new Uint32Array(BUCKETS + 1);
let measured = 0;
let lastDelivery = 0;
/** Readers that have everything they expect, and what to call when all have. */
let done = 0;
let readerCount = 0;
/** Whether the final report was written (see the "exit" handler in run()). */
let reported = false;
let allDone = () => {};
const measuring = Boolean(config.rate || config.latency);
/** One receive buffer for every socket: `onread` hands it back filled, and it is parsed at once. */
const shared = Buffer.allocUnsafe(64 * 1024);
/** Mode "irc": the channel every client joins, pipelined after NICK and USER. */
const IRC_CHANNEL = config.channel ?? "#lobby";
/**
 * A client is in once the server says so: lanchat's welcome (native or
 * text), or for IRC the end of the channel's NAMES (366), which every IRC
 * server sends after the JOIN.
 */
const JOIN = config.join ?? true;
const welcomeLine = config.mode === "irc" && !JOIN
  ? / (?:376|422) /
  : config.mode === "irc"
  ? new RegExp(` 366 \\S+ ${IRC_CHANNEL.replace(/[^\w]/g, "\\$&")} `, "i")
  : config.mode === "text" && (config.handshake === "greeting" || config.handshake === "hello")
  ? /\n/ // ncat's "<announce> already connected: ...", a relay's "ok": the server has it
  : /"welcome"|Welcome to .*, /;

/** Monotonic milliseconds, the same clock in every process. */
function now() {
  const [s, ns] = process.hrtime();
  return s * 1000 + ns / 1e6;
}

/** One connection: handshake, then counting message lines (and their latency). */
class Client {
  received = 0;
  expected = 0;
  welcomed = false;
  /** Mode "irc": the JOIN was sent (after the 001). */
  joinSent = false;
  closed = false;
  /** The start of a line split across reads. */
  partial = null;
  handshakeText = "";
  onWelcome = null;
  onClose = null;
  socket;
  /** A client that never reads: what it finally drains is not counted. */
  stalled = false;

  /** A WebSocket client's frame reader (mode "web"). */
  frames = null;

  constructor(index) {
    this.index = index;
    if (web) this.frames = new web.FrameReader((buf, start, end) => this.#message(buf, start, end));
  }

  /** Bytes `buf[0..n)`, valid only during this call. */
  feed(buf, n) {
    if (this.frames) return this.frames.feed(buf, n);
    if (!this.welcomed) {
      this.handshakeText += buf.toString("latin1", 0, n);
      if (config.mode === "irc" && JOIN && !this.joinSent && / 001 /.test(this.handshakeText)) {
        // The JOIN only once registered: InspIRCd finishes a registration
        // after the read that carried it, and answers a JOIN in it with 451.
        this.joinSent = true;
        this.socket.write(`JOIN ${IRC_CHANNEL}\r\n`);
      }
      if (welcomeLine.test(this.handshakeText)) {
        this.welcomed = true;
        this.handshakeText = "";
        this.onWelcome?.();
      } else this.handshakeText = this.handshakeText.slice(-4096);
      return;
    }
    if (this.stalled) return;
    let start = 0;
    let nl = buf.indexOf(NEWLINE, 0);
    if (nl === -1 || nl >= n) {
      this.#keep(buf, 0, n);
      return;
    }
    while (nl !== -1 && nl < n) {
      if (this.partial) {
        const line = Buffer.concat([this.partial, buf.subarray(start, nl)]);
        this.partial = null;
        this.#line(line, 0, line.length);
      } else this.#line(buf, start, nl);
      start = nl + 1;
      nl = buf.indexOf(NEWLINE, start);
    }
    if (start < n) this.#keep(buf, start, n);
  }

  /** One WebSocket message, `buf[start..end)`: one native frame. */
  #message(buf, start, end) {
    if (this.welcomed) {
      if (!this.stalled) this.#line(buf, start, end);
    } else if (buf.toString("latin1", start, end).includes('"welcome"')) {
      this.welcomed = true;
      this.onWelcome?.();
    }
  }

  #keep(buf, start, end) {
    const piece = Buffer.from(buf.subarray(start, end));
    this.partial = this.partial ? Buffer.concat([this.partial, piece]) : piece;
  }

  /** Counts every "M <digit>" marker in the line (ncat can put two messages on one line). */
  #line(buf, start, end) {
    // IRC: answer the server's keepalive (a `PING` line), or be dropped.
    if (
      buf[start] === 0x50 && config.mode === "irc" &&
      buf.toString("latin1", start, start + 5) === "PING "
    ) {
      this.socket.write(`PONG ${buf.toString("latin1", start + 5, end).trim()}\r\n`);
      return;
    }
    let i = buf.indexOf(0x4d, start);
    while (i !== -1 && i + 2 < end) {
      if (buf[i + 1] === 0x20 && buf[i + 2] >= 0x30 && buf[i + 2] <= 0x39) {
        lastDelivery = now();
        if (++this.received === this.expected && ++done === readerCount) allDone();
        if (measuring) record(buf, i + 2, end);
      }
      i = buf.indexOf(0x4d, i + 1);
    }
  }
}

/** Reads "<sender> <seq> <sent-at>" after a marker and records the latency. */
function record(buf, from, end) {
  let field = 0;
  let i = from;
  while (i < end && field < 2) if (buf[i++] === 0x20) field++;
  let value = 0;
  let scale = 0;
  for (; i < end; i++) {
    const c = buf[i];
    if (c >= 0x30 && c <= 0x39) {
      value = value * 10 + (c - 0x30);
      if (scale) scale *= 10;
    } else if (c === 0x2e && !scale) scale = 1;
    else break;
  }
  if (value <= 0) return;
  const sentAt = scale ? value / scale : value;
  const bucket = Math.min(BUCKETS, Math.max(0, Math.floor((lastDelivery - sentAt) / BUCKET_MS)));
  counts[bucket]++;
  measured++;
  if (goAt) {
    const second = Math.floor((lastDelivery - goAt) / 1000);
    if (second >= 0) {
      const slot = (series[second] ??= [0, 0, 0]);
      slot[0]++;
      if (lastDelivery - sentAt > slot[1]) slot[1] = lastDelivery - sentAt;
      if (lastDelivery - sentAt > 10) slot[2]++;
    }
  }
}

/** Per second after "go": [deliveries, max latency ms, deliveries over 10 ms]. */
const series = [];
let goAt = 0;

function connect(client) {
  if (web) return connectWeb(client);
  return new Promise((resolve, reject) => {
    // TLS: node:tls (any certificate; this measures cost, not trust), and
    // its "data" events, as `onread` is for plain sockets only.
    const socket = config.tls
      ? tls.connect({ host: "127.0.0.1", port: config.port, rejectUnauthorized: false })
      : net.connect({
        host: "127.0.0.1",
        port: config.port,
        noDelay: true,
        onread: { buffer: shared, callback: (n, buf) => client.feed(buf, n) },
      });
    if (config.tls) {
      socket.setNoDelay(true);
      socket.on("data", (chunk) => client.feed(chunk, chunk.length));
    }
    client.socket = socket;
    const nick = `${config.prefix}${client.index}`;
    socket.once(config.tls ? "secureConnect" : "connect", () => {
      if (config.mode === "irc") {
        // Registration without CAP; the JOIN follows the 001 (lanchat has
        // its members in #lobby already: a JOIN of a room one is in is
        // answered with nothing).
        socket.write(`NICK ${nick}\r\nUSER ${nick} 0 * :${nick}\r\n`);
      } else if (config.mode === "native") {
        socket.write(
          JSON.stringify({ type: "hello", protocol: 1, nick, client: "load_gen" }) + "\n",
        );
      } else if (config.handshake === "nick" || config.handshake === "hello") {
        socket.write(`${nick}\n`);
      } else if (config.handshake === "none") {
        client.welcomed = true;
        resolve();
      }
    });
    client.onWelcome = resolve;
    socket.on("error", (error) => {
      if (!client.welcomed) reject(new Error(`connection ${client.index}: ${error.message}`));
    });
    socket.on("close", () => {
      client.closed = true;
      if (!client.welcomed) {
        reject(new Error(`connection ${client.index} closed during the handshake`));
      }
      client.onClose?.();
    });
  });
}

/** A WebSocket client: opens, says hello in one message, joined on the welcome. */
function connectWeb(client) {
  return new Promise((resolve, reject) => {
    const { websocket, socket } = web.openWebSocket(
      config.port,
      shared,
      (buf, n) => client.feed(buf, n),
    );
    client.socket = socket;
    const nick = `${config.prefix}${client.index}`;
    websocket.once("open", () => {
      websocket.send(JSON.stringify({ type: "hello", protocol: 1, nick, client: "load_gen" }));
    });
    client.onWelcome = resolve;
    const fail = (why) => {
      if (!client.welcomed) reject(new Error(`connection ${client.index}: ${why}`));
    };
    websocket.on("error", (error) => fail(error.message));
    socket.on("error", (error) => fail(error.message));
    socket.on("close", () => {
      client.closed = true;
      fail("closed during the handshake");
      client.onClose?.();
    });
  });
}

function messageLine(sender, seq) {
  const text = `M ${sender} ${seq} ${now().toFixed(3)} ${"x".repeat(config.payloadBytes)}`;
  if (web) return JSON.stringify({ type: "msg", text });
  if (config.mode === "irc") return `PRIVMSG ${IRC_CHANNEL} :${text}\r\n`;
  return config.mode === "native" ? JSON.stringify({ type: "msg", text }) + "\n" : text + "\n";
}

function write(socket, text) {
  if (socket.write(text)) return Promise.resolve();
  return new Promise((resolve) => socket.once("drain", resolve));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function flood(socket, sender) {
  const total = config.perSender ?? 0;
  for (let seq = 0; seq < total; seq += 100) {
    const lines = [];
    for (let k = seq; k < Math.min(total, seq + 100); k++) lines.push(messageLine(sender, k));
    // WebSocket: one message per frame, the chunk's frames in one write.
    await write(socket, web ? web.clientFrames(lines) : lines.join(""));
  }
}

async function paced(sockets) {
  const total = Math.round((config.rate ?? 0) * (config.seconds ?? 0));
  const interval = 1000 / (config.rate ?? 1);
  const start = performance.now();
  for (let k = 0; k < total; k++) {
    const wait = start + k * interval - performance.now();
    if (wait > 1) await sleep(wait);
    const line = messageLine(k % sockets.length, k);
    sockets[k % sockets.length].write(web ? web.clientFrames([line]) : line);
  }
}

function ownMessages() {
  return config.perSender ??
    Math.round((config.rate ?? 0) * (config.seconds ?? 0) / config.senders);
}

/** Stalled clients still open: reading again, a dropped one reaches its end within 2 s. */
async function countOpen(clients) {
  const open = await Promise.all(clients.map((client) =>
    new Promise((resolve) => {
      if (client.closed) return resolve(0);
      const timer = setTimeout(() => resolve(1), 2000);
      client.onClose = () => {
        clearTimeout(timer);
        resolve(0);
      };
      client.socket.on("end", () => client.socket.destroy());
      client.socket.resume();
    })
  ));
  return open.reduce((a, b) => a + b, 0);
}

function quantile(q) {
  let seen = 0;
  for (let b = 0; b <= BUCKETS; b++) {
    seen += counts[b];
    if (seen > q * measured) return (b + 1) * BUCKET_MS;
  }
  return NaN;
}

function waitForGo() {
  return new Promise((resolve) => {
    let text = "";
    const onData = (chunk) => {
      text += chunk;
      if (text.includes("go")) {
        process.stdin.off("data", onData);
        process.stdin.pause();
        resolve();
      }
    };
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", onData);
  });
}

async function run() {
  const started = now();
  const cpuStart = process.cpuUsage();
  const total = config.clients + config.stalled;
  const clients = Array.from({ length: total }, (_, i) => new Client(i));
  // Node exits (status 0) when nothing is left to wait for, e.g. once the
  // server has closed every socket: say so instead of ending silently.
  process.on("exit", (code) => {
    if (reported || code !== 0) return; // an error has already been reported
    const closed = clients.filter((c) => c.closed).length;
    console.error(
      `load_gen_node: Error: nothing left to wait for before the report (${closed} of ${total} connections closed by the server)`,
    );
  });
  const batch = config.connectBatch ?? 100;
  let joined = 0;
  const connecting = (async () => {
    for (let i = 0; i < total; i += batch) {
      await Promise.all(clients.slice(i, i + batch).map(connect));
      joined = Math.min(total, i + batch);
    }
  })();
  let connectTimer;
  await Promise.race([
    connecting,
    new Promise((_, reject) => {
      if (!config.connectTimeoutMs) return;
      connectTimer = setTimeout(() => {
        const welcomed = clients.filter((c) => c.welcomed).length;
        reject(
          new Error(
            `only ${welcomed} of ${total} clients were in (${joined} asked) after ${
              config.connectTimeoutMs / 1000
            } s`,
          ),
        );
      }, config.connectTimeoutMs);
    }),
  ]);
  clearTimeout(connectTimer);
  const connectMs = now() - started;
  const readers = clients.slice(0, config.clients);
  const stalled = clients.slice(config.clients);
  for (const client of stalled) {
    client.stalled = true;
    client.socket.pause();
  }
  // Messages from another generator can arrive before this one is told to
  // go: they are counted (only message lines carry the marker).
  const finished = new Promise((resolve) => (allDone = resolve));
  readerCount = readers.length;
  readers.forEach((reader, i) => {
    const own = i < config.senders && !config.echo ? ownMessages() : 0;
    reader.expected = config.expectPerReader - own;
    if (reader.received >= reader.expected) done++;
  });
  if (done === readerCount) allDone();

  console.log(JSON.stringify({ phase: "connected", connectMs, clients: total }));
  await waitForGo();
  const sendStart = now();
  goAt = sendStart;
  const cpuGo = process.cpuUsage();
  const senders = readers.slice(0, config.senders).map((r) => r.socket);
  const sending = config.rate ? paced(senders) : Promise.all(senders.map(flood));
  let timer;
  let quietCheck;
  const quiet = sending.then(() =>
    new Promise((resolve) => {
      quietCheck = setInterval(() => {
        if (now() - Math.max(lastDelivery, sendStart) > QUIET_MS) resolve("quiet");
      }, 200);
    })
  );
  const outcome = await Promise.race([
    Promise.all([sending, finished]).then(() => "complete"),
    quiet,
    new Promise((resolve) => (timer = setTimeout(() => resolve("timeout"), config.timeoutMs))),
  ]);
  const doneAt = outcome === "complete" ? now() : Math.max(lastDelivery, sendStart + 1);
  clearTimeout(timer);
  clearInterval(quietCheck);
  const cpu = process.cpuUsage(cpuGo);
  const delivered = readers.reduce((sum, r) => sum + r.received, 0);
  const stalledOpen = await countOpen(stalled);
  const histogram = [];
  for (let b = 0; b <= BUCKETS; b++) if (counts[b]) histogram.push([b, counts[b]]);
  reported = true;
  const report = JSON.stringify({
    phase: "done",
    generator: "node",
    connectMs,
    elapsedMs: Math.max(0, doneAt - sendStart),
    delivered,
    complete: outcome === "complete",
    outcome,
    incompleteReaders: readers.filter((r) => r.received < r.expected).length,
    stalledStillOpen: stalledOpen,
    generatorCpuMs: (cpu.user + cpu.system) / 1000,
    generatorCpuTotalMs: (() => {
      const all = process.cpuUsage(cpuStart);
      return (all.user + all.system) / 1000;
    })(),
    latency: measuring
      ? { p50: quantile(0.5), p99: quantile(0.99), p999: quantile(0.999), n: measured }
      : undefined,
    histogram: measuring ? histogram : undefined,
    series: measuring
      ? Array.from(series, (slot) => slot && [slot[0], Math.round(slot[1]), slot[2]])
      : undefined,
  });
  // Node writes to a pipe asynchronously: past the pipe's 64 KiB (a latency
  // report's histogram, when the harness is slow to read) the rest waits in
  // Node, and process.exit() would drop it, leaving the harness an
  // unfinished line and an exit status of 0. Exit only once it is written.
  const written = new Promise((resolve) => process.stdout.write(report + "\n", resolve));
  // Closed after the report, so the server's CPU read when the harness has
  // every report excludes 10,000 disconnects.
  for (const client of clients) client.socket.destroy();
  await written;
}

run().then(() => process.exit(0), (error) => {
  console.error(`load_gen_node: ${error.stack ?? error}`);
  process.exit(1);
});
