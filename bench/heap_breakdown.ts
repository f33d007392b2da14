/**
 * What an idle client keeps in a server, broken down: the server runs as its
 * own process with its start flags (lanchat plain or TLS, or the bare
 * `deno-relay` / `deno-tls-relay`), `--clients` idle clients join (a Node
 * process; lanchat's say a nick and wait for the welcome, the relays' wait
 * for "ok"), then as many again. At both points the server's RSS is read and
 * a heap snapshot is taken after a full collection
 * (bench/reference/_heap_on_signal.ts, preloaded); the difference, divided
 * by the clients added, is what one more client costs: RSS, JS heap, the rest
 * (native: buffers, rustls, Deno's resources, and pages the heap reserved)
 * and the heap by constructor.
 *
 * Usage: deno run -A bench/heap_breakdown.ts [--server lanchat|lanchat-tls|deno-relay|deno-tls-relay]
 *          [--tree DIR] [--clients 2500] [--top 40] [--runs 3] [--keep]
 *
 * `--runs`: RSS and heap are read in that many runs without snapshots (a
 * snapshot's own memory would stay in the RSS), then one run takes the
 * snapshots; `--keep` leaves them in /tmp.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { serverV8FlagsOf } from "../tools/v8_flags.ts";
import { median } from "./stats.ts";

const ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
const PRELOAD = `${ROOT}/bench/reference/_heap_on_signal.ts`;

type Server = "lanchat" | "lanchat-tls" | "deno-relay" | "deno-tls-relay";

function serverArgs(server: Server, tree: string, port: number): string[] {
  const flags = [...serverV8FlagsOf(tree), "--preload", PRELOAD];
  if (server === "deno-relay") {
    return ["run", "-q", "-A", ...flags, `${tree}/bench/reference/deno_relay.ts`, String(port)];
  }
  if (server === "deno-tls-relay") {
    return [
      "run",
      "-q",
      "-A",
      "--config",
      `${tree}/deno.json`,
      ...flags,
      `${tree}/bench/reference/deno_tls_relay.ts`,
      String(port),
    ];
  }
  return [
    "run",
    "-q",
    "-A",
    ...flags,
    `${tree}/server.ts`,
    "--host",
    "127.0.0.1",
    "--no-discovery",
    "--port",
    String(port),
    "--no-rate-limit",
    "--max-per-ip",
    "100000",
    "--max-clients",
    "100000",
    // All at once: the default 256 would evict the ones still joining.
    "--max-pending",
    "100000",
    "--history",
    "0",
    "--log-level",
    "error",
    ...(server === "lanchat-tls" ? ["--data-dir", ":memory:"] : ["--plain", "--no-persist"]),
  ];
}

/** A Node process with `count` idle clients; prints "ready" once each has its first line. */
function clients(port: number, count: number, from: number, tls: boolean, nick: boolean) {
  // In groups of 100, each once the one before is greeted (as the bench's generators do): a
  // TLS server given thousands of handshakes at once would time some of them out.
  const script = `const net = require("net"), tls = require("tls");
let ready = 0;
function group(from) {
  const to = Math.min(from + 100, ${from + count});
  let greeted = 0;
  for (let i = from; i < to; i++) {
    const s = ${
    tls
      ? `tls.connect({ port: ${port}, host: "127.0.0.1", rejectUnauthorized: false })`
      : `net.connect(${port}, "127.0.0.1")`
  };
    s.once(${tls ? '"secureConnect"' : '"connect"'}, () => { ${
    nick ? 's.write("u" + i + "\\n");' : ""
  } });
    s.once("data", () => {
      if (++ready === ${count}) console.log("ready");
      if (++greeted === to - from && to < ${from + count}) group(to);
    });
    s.on("data", () => {});
    s.on("error", (e) => { console.error(String(e)); process.exit(1); });
  }
}
group(${from});
setInterval(() => {}, 1000);`;
  const child = new Deno.Command("node", { args: ["-e", script], stdout: "piped" }).spawn();
  const ready = (async () => {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    const { value } = await reader.read();
    if (!value?.includes("ready")) throw new Error("the clients did not all connect");
    reader.releaseLock();
  })();
  return { child, ready };
}

function rssOf(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) * 1024;
}

/** Signals the server (usage, and a snapshot if asked) and waits; its memoryUsage and snapshot path. */
async function signal(pid: number, n: number, snapshot: boolean) {
  const base = `/tmp/lanchat-heap-${pid}-${n}`;
  Deno.kill(pid, snapshot ? "SIGUSR2" : "SIGUSR1");
  for (let waited = 0; waited < 600; waited++) {
    try {
      const usage = JSON.parse(Deno.readTextFileSync(`${base}.json`));
      Deno.removeSync(`${base}.json`);
      return { usage: usage as Point["usage"], path: `${base}.heapsnapshot` };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  throw new Error("no snapshot");
}

interface Group {
  count: number;
  bytes: number;
}

/** Self sizes of a snapshot's nodes, by kind and constructor. */
function groups(path: string, keep = false): Map<string, Group> {
  const data = JSON.parse(Deno.readTextFileSync(path));
  if (!keep) Deno.removeSync(path);
  const fields: string[] = data.snapshot.meta.node_fields;
  const types: string[] = data.snapshot.meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ["type", "name", "self_size"].map((f) => fields.indexOf(f));
  const nodes: number[] = data.nodes;
  const strings: string[] = data.strings;
  const result = new Map<string, Group>();
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + typeAt]];
    let name = strings[nodes[i + nameAt]];
    if (/string|number/.test(type)) name = `(${type})`;
    else if (type !== "object") name = `${type}: ${name.slice(0, 70)}`;
    const group = result.get(name) ?? { count: 0, bytes: 0 };
    group.count++;
    group.bytes += nodes[i + sizeAt];
    result.set(name, group);
  }
  return result;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function waitForPort(port: number): Promise<void> {
  for (let tries = 0; tries < 300; tries++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error("the server did not start");
}

interface Point {
  rss: number;
  usage: Deno.MemoryUsage & { found: Deno.MemoryUsage };
  groups?: Map<string, Group>;
}

/** One server process: `count` clients, then as many again; a point after each. */
async function pass(
  server: Server,
  tree: string,
  count: number,
  snapshots: boolean,
  keep = false,
) {
  const tls = server.endsWith("tls") || server === "deno-tls-relay";
  const port = freePort();
  const process = new Deno.Command(Deno.execPath(), {
    args: serverArgs(server, tree, port),
    cwd: tree,
    stdin: "null",
    stdout: "null",
  }).spawn();
  const batches: Deno.ChildProcess[] = [];
  try {
    await waitForPort(port);
    const points: Point[] = [];
    for (let batch = 0; batch < 2; batch++) {
      const { child, ready } = clients(
        port,
        count,
        batch * count,
        tls,
        server.startsWith("lanchat"),
      );
      batches.push(child);
      await ready;
      await new Promise((resolve) => setTimeout(resolve, 2000)); // writers idle, sweeps run
      const { usage, path } = await signal(process.pid, batch, snapshots);
      const rss = rssOf(process.pid);
      points.push({ rss, usage, ...(snapshots ? { groups: groups(path, keep) } : {}) });
    }
    return points;
  } finally {
    for (const child of batches) {
      try {
        child.kill();
      } catch {
        // Already gone (it failed).
      }
      await child.status;
    }
    process.kill();
    await process.status;
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      server: { type: "string", default: "lanchat" },
      tree: { type: "string", default: ROOT },
      clients: { type: "string", default: "2500" },
      top: { type: "string", default: "40" },
      runs: { type: "string", default: "3" },
      keep: { type: "boolean", default: false },
    },
  });
  const server = values.server as Server;
  const count = Number(values.clients);
  const per = (x: number) => (x / count).toFixed(0);
  const rss: number[] = [], heap: number[] = [], found: number[] = [], heapTotal: number[] = [];
  for (let run = 0; run < Number(values.runs); run++) {
    const [a, b] = await pass(server, values.tree, count, false);
    rss.push(b.rss - a.rss);
    heap.push(b.usage.heapUsed - a.usage.heapUsed);
    heapTotal.push(b.usage.heapTotal - a.usage.heapTotal);
    found.push(b.usage.found.rss - a.usage.found.rss);
  }
  console.log(`${server} (${values.tree}), ${count} -> ${2 * count} idle clients, per client:`);
  console.log(
    `  RSS ${per(median(rss))} B [${rss.map(per).join(", ")}], heapUsed ${per(median(heap))} B [${
      heap.map(per).join(", ")
    }], heapTotal ${per(median(heapTotal))} B; RSS before any collection ${per(median(found))} B [${
      found.map(per).join(", ")
    }]`,
  );
  const [a, b] = await pass(server, values.tree, count, true, values.keep);
  console.log(`  snapshot pass: heapUsed ${per(b.usage.heapUsed - a.usage.heapUsed)} B`);
  for (const name of ["Connection", "TcpConn", "TLSSocket"]) {
    if (b.groups!.has(name)) {
      console.log(
        `  ${name}: ${a.groups!.get(name)?.count ?? 0} then ${b.groups!.get(name)!.count}`,
      );
    }
  }
  const rows = [...b.groups!].map(([name, after]) => {
    const before = a.groups!.get(name) ?? { count: 0, bytes: 0 };
    return {
      name,
      count: (after.count - before.count) / count,
      bytes: (after.bytes - before.bytes) / count,
    };
  }).filter((row) => Math.abs(row.bytes) >= 1).sort((x, y) => y.bytes - x.bytes);
  const total = rows.reduce((sum, row) => sum + row.bytes, 0);
  console.log(`  snapshot self size ${total.toFixed(0)} B per client`);
  console.log("| bytes | objects | kind |\n|---:|---:|---|");
  for (const row of rows.slice(0, Number(values.top))) {
    console.log(`| ${row.bytes.toFixed(0)} | ${row.count.toFixed(2)} | ${row.name} |`);
  }
}
