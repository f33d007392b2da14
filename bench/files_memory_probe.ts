/**
 * Where the files workload's memory goes (issue 18): the chat server in
 * this process (TLS, or plain with `plain`), five members joined, one 100
 * MiB upload first, then `n` uploads or downloads at once with curl, and
 * `Deno.memoryUsage()` (RSS, V8 heap, external ArrayBuffers) sampled every
 * 50 ms: the bench's RSS figure split by kind. It prints the memory at
 * `start` (before any transfer), `idle` (after the first upload), the peak
 * during the `n` transfers and `after` them.
 *
 * Run: deno run -A <the start task's --v8-flags> \
 *        bench/files_memory_probe.ts up|down [tls|plain] [n]
 *
 * @module
 */

import { MemoryFileIndex } from "../lib/core/state/file_index.ts";
import { FileStore } from "../lib/files/file_store.ts";
import { ChatServer } from "../lib/server/chat_server.ts";
import { createSelfSigned } from "../lib/server/tls_certificate.ts";
import * as net from "node:net";
import * as tls from "node:tls";
const mode = Deno.args[0] ?? "up"; // up | down
const plain = Deno.args[1] === "plain";
const n = Number(Deno.args[2] ?? 10);
const dir = await Deno.makeTempDir();
const src = `${dir}/src.bin`;
{
  const f = Deno.openSync(src, { write: true, create: true });
  const b = new Uint8Array(1 << 20);
  for (let i = 0; i < 100; i++) {
    for (let a = 0; a < b.length; a += 65536) crypto.getRandomValues(b.subarray(a, a + 65536));
    f.writeSync(b);
  }
  f.close();
}
const files = await FileStore.open(`${dir}/files`, new MemoryFileIndex(), {
  budgetBytes: 8 * 2 ** 30,
});
const server = await ChatServer.listen({
  hostname: "127.0.0.1",
  port: 0,
  files,
  ...(plain ? {} : { tls: await createSelfSigned() }),
});
const port = server.addr.port;
const scheme = plain ? "http" : "https";
// Each member from its own loopback address: unregistered members' upload limits
// (2 at once) are counted by address.
async function join(nick: string, address: string): Promise<string> {
  const options = { host: "127.0.0.1", port, localAddress: address, rejectUnauthorized: false };
  const s = plain ? net.connect(options) : tls.connect(options as tls.ConnectionOptions);
  return await new Promise((res) => {
    let t = "";
    s.on("data", (c) => {
      t += c;
      const l = t.split("\n").find((l) => l.includes('"welcome"'));
      if (l && t.includes("\n")) {
        try {
          res(JSON.parse(l).files.token);
        } catch { /* closed */ }
      }
    });
    s.write(JSON.stringify({ type: "hello", protocol: 1, nick, client: "p" }) + "\n");
  });
}
const tokens: string[] = [];
for (let i = 0; i < 5; i++) tokens.push(await join(`p${i}`, `127.0.0.${i + 2}`));
const curl = async (args: string[]) => {
  const o = await new Deno.Command("curl", { args: ["-sS", "-k", ...args] }).output();
  return new TextDecoder().decode(o.stdout);
};
const up = (i: number) =>
  curl([
    "-T",
    src,
    "-X",
    "POST",
    "-H",
    "Expect:",
    "-H",
    `Authorization: Bearer ${tokens[i % 5]}`,
    `${scheme}://127.0.0.1:${port}/f?room=%23lobby&name=s.bin`,
  ]);
const mu = () => {
  const m = Deno.memoryUsage();
  return {
    rss: m.rss >> 20,
    heapTotal: m.heapTotal >> 20,
    heapUsed: m.heapUsed >> 20,
    external: m.external >> 20,
  };
};
console.log("start", mu());
const first = JSON.parse(await up(0));
const u = new URL(first.url);
console.log("idle", mu());
const peak = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0 };
const timer = setInterval(() => {
  const m = mu();
  for (const k of Object.keys(m) as (keyof typeof m)[]) peak[k] = Math.max(peak[k], m[k]);
}, 50);
/** CPU seconds (user + system) of this process's threads, and of its main thread. */
const cpu = () => {
  const ticks = (path: string) => {
    const fields = Deno.readTextFileSync(path).replace(/^.*\) /, "").split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  };
  return { all: ticks("/proc/self/stat"), main: ticks(`/proc/self/task/${Deno.pid}/stat`) };
};
const cpu0 = cpu();
const t0 = performance.now();
if (mode === "up") await Promise.all(Array.from({ length: n }, (_, i) => up(i)));
else {await Promise.all(Array.from({ length: n }, () =>
    curl(["-o", "/dev/null", `${scheme}://127.0.0.1:${port}${u.pathname}${u.search}`])));}
const s = (performance.now() - t0) / 1000;
clearInterval(timer);
const cpu1 = cpu();
console.log(
  mode,
  plain ? "plain" : "tls",
  n,
  "MB/s",
  Math.round(n * 104.8576 / s),
  "cpu s/GB",
  ((cpu1.all - cpu0.all) / (n * 0.1048576)).toFixed(2),
  "main",
  ((cpu1.main - cpu0.main) / (n * 0.1048576)).toFixed(2),
  "peak",
  peak,
  "after",
  mu(),
);
await server[Symbol.asyncDispose]();
await Deno.remove(dir, { recursive: true });
Deno.exit(0);
