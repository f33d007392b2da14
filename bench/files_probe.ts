/**
 * A first measurement of shared files (issue 18): upload and download of
 * one file with curl over loopback (plain TCP) to chat-server's `/f`, and the
 * same file with curl against references on the same machine in the same
 * run: `python3 -m http.server` for the download, a bare `node:http` server
 * that streams the body to a file for the upload. The chat server runs in
 * this process; its RSS is sampled every 50 ms during the transfers.
 * Not yet the `files` bench workload (TLS, ten transfers at once).
 *
 * Run: deno run -A bench/files_probe.ts [MiB]   (default 50)
 *
 * @module
 */

import * as http from "node:http";
import { createWriteStream } from "node:fs";
import type { AddressInfo } from "node:net";
import { MemoryFileIndex } from "../lib/core/state/file_index.ts";
import { FileStore } from "../lib/files/file_store.ts";
import { ChatServer } from "../lib/server/chat_server.ts";

const mib = Number(Deno.args[0] ?? 50);
const dir = await Deno.makeTempDir({ prefix: "lanchat_files_probe_" });
const source = `${dir}/source.bin`;
{
  const file = await Deno.open(source, { write: true, create: true });
  const block = new Uint8Array(1024 * 1024);
  for (let i = 0; i < mib; i++) {
    crypto.getRandomValues(block.subarray(0, 65536));
    for (let at = 65536; at < block.length; at += 65536) block.copyWithin(at, 0, 65536);
    await file.write(block);
  }
  file.close();
}

async function curl(...args: string[]): Promise<{ seconds: number; out: string }> {
  const started = performance.now();
  const { code, stdout, stderr } = await new Deno.Command("curl", { args: ["-sS", ...args] })
    .output();
  if (code !== 0) throw new Error(new TextDecoder().decode(stderr));
  return { seconds: (performance.now() - started) / 1000, out: new TextDecoder().decode(stdout) };
}

const rss: number[] = [];
const sampler = setInterval(() => rss.push(Deno.memoryUsage().rss), 50);
const files = await FileStore.open(`${dir}/files`, new MemoryFileIndex(), {
  maxFileBytes: (mib + 1) * 1024 * 1024,
});
const server = await ChatServer.listen({ hostname: "127.0.0.1", port: 0, files });
const base = `http://127.0.0.1:${server.addr.port}`;
const rssBefore = Deno.memoryUsage().rss;
const results: Record<string, number> = {};

const up = await curl("--data-binary", `@${source}`, `${base}/f?room=%23bench&name=source.bin`);
results["lanchat upload MB/s"] = mib * 1.048576 / up.seconds;
const record = JSON.parse(up.out);
const down = await curl("-o", `${dir}/down.bin`, `${base}${record.url}`);
results["lanchat download MB/s"] = mib * 1.048576 / down.seconds;
const rssPeak = Math.max(...rss);
clearInterval(sampler);
await server[Symbol.asyncDispose]();

// References: a bare node:http upload sink, python's static server for downloads.
const sink = http.createServer((request, response) => {
  const out = createWriteStream(`${dir}/sink.bin`);
  request.pipe(out);
  out.on("finish", () => response.end("ok"));
});
await new Promise<void>((resolve) => sink.listen(0, "127.0.0.1", resolve));
const sinkPort = (sink.address() as AddressInfo).port;
const refUp = await curl("--data-binary", `@${source}`, `http://127.0.0.1:${sinkPort}/`);
results["node:http sink upload MB/s"] = mib * 1.048576 / refUp.seconds;
sink.close();
const python = new Deno.Command("python3", {
  args: ["-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", dir],
  stdout: "piped",
  stderr: "null",
}).spawn();
const reader = python.stdout.getReader();
let banner = "";
while (!/port (\d+)/.test(banner)) banner += new TextDecoder().decode((await reader.read()).value);
const pyPort = /port (\d+)/.exec(banner)![1];
const refDown = await curl("-o", `${dir}/ref.bin`, `http://127.0.0.1:${pyPort}/source.bin`);
results["python http.server download MB/s"] = mib * 1.048576 / refDown.seconds;
python.kill("SIGTERM");
await reader.cancel();
await python.status;

const same = (await Deno.readFile(`${dir}/down.bin`)).length === mib * 1024 * 1024;
await Deno.remove(dir, { recursive: true });
console.log(JSON.stringify(
  {
    mib,
    downloadComplete: same,
    ...Object.fromEntries(Object.entries(results).map(([k, v]) => [k, Math.round(v)])),
    "server process RSS before (MB)": Math.round(rssBefore / 1e6),
    "server process RSS peak during transfers (MB)": Math.round(rssPeak / 1e6),
  },
  null,
  2,
));
