/**
 * The history amplification attack of issue 12 (item 7), as a measurement:
 * many connections fill `--rooms` rooms with `--messages` messages of
 * `--chars` CJK characters each, then the server's resident memory (now and
 * its peak) and the size of its data directory are read.
 *
 * Usage: deno run -P=bench bench/history_amplifier.ts [--rooms 1000] [--messages 50]
 *          [--chars 4000] [--connections 100] [--no-persist] [--v8-flags <flags>]
 *          [-- <extra server flags>]
 *
 * The server runs as its own process (`server.ts` with the `server`
 * permission set, plain TCP, rate limit off, `--max-per-ip` raised to the
 * number of connections). Prints one markdown table row per run.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { serverV8Flags } from "../tools/v8_flags.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const separator = Deno.args.indexOf("--");
const { values } = parseArgs({
  args: separator === -1 ? Deno.args : Deno.args.slice(0, separator),
  options: {
    rooms: { type: "string", default: "1000" },
    messages: { type: "string", default: "50" },
    chars: { type: "string", default: "4000" },
    connections: { type: "string", default: "100" },
    "no-persist": { type: "boolean", default: false },
    /** Instead of the `start` task's V8 flags, e.g. `--max-semi-space-size=4,--heap-growing-percent=30`. */
    "v8-flags": { type: "string" },
  },
});
const extra = separator === -1 ? [] : Deno.args.slice(separator + 1);
const rooms = Number(values.rooms);
const perRoom = Number(values.messages);
const chars = Number(values.chars);
const connections = Math.min(Number(values.connections), rooms);

/** Resident and peak resident memory of a process, in MB, from /proc (through `cat`: Deno
 * lets only --allow-all read /proc). */
function memoryOf(pid: number): { rss: number; peak: number } {
  const output = new Deno.Command("cat", { args: [`/proc/${pid}/status`], stdout: "piped" })
    .outputSync();
  const status = decoder.decode(output.stdout);
  const field = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)![1]);
  return { rss: field("VmRSS") / 1024, peak: field("VmHWM") / 1024 };
}

/** Bytes of every file in `dir` (the database, its WAL and the rest). */
function diskOf(dir: string): number {
  let bytes = 0;
  for (const entry of Deno.readDirSync(dir)) {
    if (entry.isFile) bytes += Deno.statSync(`${dir}/${entry.name}`).size;
  }
  return bytes / 1024 / 1024;
}

/** `count` different texts of `length` random CJK ideographs. */
function cjkTexts(count: number, length: number): string[] {
  return Array.from({ length: count }, () => {
    const codes = new Uint16Array(length);
    for (let i = 0; i < length; i++) codes[i] = 0x4e00 + Math.floor(Math.random() * 0x5000);
    return String.fromCharCode(...codes);
  });
}

/** A native client that says hello, then counts the messages echoed back to it. */
class Attacker {
  readonly #conn: Deno.TcpConn;
  #echoed = 0;
  #partial = "";
  readonly #decoder = new TextDecoder();
  #waiting: { count: number; resolve: () => void; reject: (error: Error) => void } | undefined;
  #failure: Error | undefined;
  readonly reading: Promise<void>;

  constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
    this.reading = this.#read();
  }

  async send(frame: Record<string, unknown>): Promise<void> {
    let bytes = encoder.encode(JSON.stringify(frame) + "\n");
    while (bytes.length > 0) bytes = bytes.subarray(await this.#conn.write(bytes));
  }

  /** Resolves once `count` of its own messages came back (the server took them all). */
  echoed(count: number): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#echoed >= count) return Promise.resolve();
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.#waiting = { count, resolve, reject };
    return promise;
  }

  async #read(): Promise<void> {
    const buffer = new Uint8Array(256 * 1024);
    try {
      while (true) {
        const n = await this.#conn.read(buffer);
        if (n === null) break;
        this.#partial += this.#decoder.decode(buffer.subarray(0, n), { stream: true });
        let end;
        while ((end = this.#partial.indexOf("\n")) !== -1) {
          const line = this.#partial.slice(0, end);
          this.#partial = this.#partial.slice(end + 1);
          if (line.startsWith('{"type":"msg"')) this.#echoed++;
          else if (line.startsWith('{"type":"bye"') || line.startsWith('{"type":"error"')) {
            throw new Error(`The server answered: ${line.slice(0, 300)}`);
          }
        }
        if (this.#waiting && this.#echoed >= this.#waiting.count) {
          this.#waiting.resolve();
          this.#waiting = undefined;
        }
      }
    } catch (error) {
      // Closed by us once all its messages came back; anything else ends the run.
      if (!(error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted)) {
        this.#failure = error as Error;
        this.#waiting?.reject(this.#failure);
      }
    }
  }

  close(): void {
    this.#conn.close();
  }
}

const dataDir = Deno.makeTempDirSync({ prefix: "lanchat-amplifier-" });
const server = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "-q",
    "-P=server",
    ...(values["v8-flags"] === undefined ? serverV8Flags() : [`--v8-flags=${values["v8-flags"]}`]),
    "server.ts",
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--plain",
    "--no-rate-limit",
    "--log-level",
    "warn",
    "--max-per-ip",
    String(connections + 1),
    "--max-rooms",
    String(rooms + 1),
    ...(values["no-persist"] ? ["--no-persist"] : []),
    "--data-dir",
    dataDir,
    ...extra,
  ],
  cwd: ROOT,
  stdout: "piped",
  stderr: "inherit",
}).spawn();
const lines = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
let port = 0;
let seen = "";
while (port === 0) {
  const { value, done } = await lines.read();
  if (done) throw new Error(`The server exited before listening: ${seen}`);
  seen += value;
  const match = /listening on 127\.0\.0\.1:(\d+)/.exec(seen);
  if (match) port = Number(match[1]);
}
void (async () => {
  while (!(await lines.read()).done) { /* drain */ }
})();

const before = memoryOf(server.pid);
const texts = cjkTexts(16, chars);
const started = performance.now();
let sent = 0;
try {
  await Promise.all(Array.from({ length: connections }, async (_, c) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const attacker = new Attacker(conn);
    await attacker.send({ type: "hello", protocol: 1, nick: `amp${c}`, client: "amplifier" });
    let mine = 0;
    for (let r = c; r < rooms; r += connections) {
      const room = `#amp${r}`;
      await attacker.send({ type: "cmd", name: "join", args: room });
      for (let m = 0; m < perRoom; m++) {
        const text = `${m} ${texts[(r + m) % texts.length]}`.slice(0, chars);
        await attacker.send({ type: "msg", room, text });
        mine++;
        sent++;
      }
      // A room's echoes (600 KB at the defaults) stay under the server's 1 MiB send queue.
      await attacker.echoed(mine);
    }
    await attacker.echoed(mine);
    attacker.close();
    await attacker.reading;
  }));
} catch (error) {
  // A dropped attacker (its send queue overflowed: this machine was too busy to read) ends the run.
  server.kill("SIGKILL");
  await server.status;
  Deno.removeSync(dataDir, { recursive: true });
  throw error;
}
const seconds = (performance.now() - started) / 1000;
// Let the write-behind window pass and the collector run on a quiet heap.
await new Promise((resolve) => setTimeout(resolve, 3000));
const after = memoryOf(server.pid);
const disk = diskOf(dataDir);
server.kill("SIGTERM");
await server.status;
const diskAfterShutdown = diskOf(dataDir);
Deno.removeSync(dataDir, { recursive: true });

const flags = [
  values["no-persist"] ? "--no-persist" : "",
  values["v8-flags"] === undefined ? "" : `--v8-flags=${values["v8-flags"]}`,
  ...extra,
].filter(Boolean).join(" ");
console.log(
  "| rooms x messages x chars | server flags | messages | s | RSS before | RSS after | peak RSS | disk (running / stopped) |",
);
console.log("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
console.log(
  `| ${rooms} x ${perRoom} x ${chars} | ${flags || "(defaults)"} | ${sent} | ${
    seconds.toFixed(1)
  } | ${before.rss.toFixed(0)} MB | ${after.rss.toFixed(0)} MB | ${after.peak.toFixed(0)} MB | ${
    disk.toFixed(0)
  } / ${diskAfterShutdown.toFixed(0)} MB |`,
);
