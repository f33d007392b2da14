/**
 * The files workload (`--only files`, issue 18): shared files' upload and
 * download throughput over loopback, and the server's memory while ten
 * large transfers run at once. lanchat is measured over TLS (`https://…/f`,
 * uploads with a joined member's token), next to static file servers on the
 * same machine in the same run (bench/files_references.ts: nginx over TLS,
 * python's http.server over TLS and plain, and two runtime floors: a bare
 * node:https program with Deno's native TLS, and the same over the JS stream
 * lanchat's TLS takes for backpressure, lanchat's floor on its own path); curl
 * is the client on every side, so the client's cost is the same. The runs
 * take turns between the servers; the table has lanchat's ratio to each.
 *
 * Each run: one upload and one download of a 100 MiB file, timed alone;
 * then ten uploads at once and ten downloads at once (lanchat: five members,
 * two each, its per-member limit), the server's RSS read from /proc every
 * 100 ms; "growth" is the peak over the RSS before the first transfer, and
 * again over the RSS after the single upload and download (a warm server:
 * what the ten at once add).
 *
 * @module
 */

import * as tls from "node:tls";
import { freePort, processStats, waitForPort } from "./server_process.ts";
import { bareNodeHttps, hasNginx, nginxTls, pythonStatic } from "./files_references.ts";
import { lanchat, referenceCertificateFiles } from "./targets.ts";
import type { Measurement, Workload } from "./workload.ts";

const MIB = 1024 * 1024;
const TEN = 10;
const MEMBERS = 5;

/** The file every run sends, made once per bench run (random, so nothing compresses it). */
let source: { dir: string; path: string; bytes: number } | undefined;

function sourceFile(mib: number): { dir: string; path: string; bytes: number } {
  if (source?.bytes === mib * MIB) return source;
  const dir = Deno.makeTempDirSync({ prefix: "lanchat-bench-files-" });
  const path = `${dir}/source.bin`;
  const file = Deno.openSync(path, { write: true, create: true });
  const block = new Uint8Array(MIB);
  for (let i = 0; i < mib; i++) {
    for (let at = 0; at < block.length; at += 65536) {
      crypto.getRandomValues(block.subarray(at, at + 65536));
    }
    for (let written = 0; written < block.length;) {
      written += file.writeSync(block.subarray(written));
    }
  }
  file.close();
  source = { dir, path, bytes: mib * MIB };
  return source;
}

/**
 * A member joined over TLS from `address` (each member from its own: an
 * unregistered member's upload limits, two at once, are counted by its
 * address), holding its upload token.
 */
async function joinTls(
  port: number,
  nick: string,
  address: string,
): Promise<{ token: string; close(): void }> {
  // localAddress reaches the TCP socket (node's types leave it out of TLS's options).
  const socket = tls.connect(
    {
      host: "127.0.0.1",
      port,
      localAddress: address,
      rejectUnauthorized: false,
    } as tls.ConnectionOptions,
  );
  const welcome = await new Promise<{ files?: { token: string } }>((resolve, reject) => {
    let text = "";
    socket.on("error", reject);
    socket.on("close", () => reject(new Error(`${nick}: closed before its welcome`)));
    socket.on("data", (chunk: Uint8Array) => {
      text += new TextDecoder().decode(chunk);
      for (const line of text.split("\n")) {
        if (!line.startsWith("{")) continue;
        try {
          const frame = JSON.parse(line);
          if (frame.type === "welcome") resolve(frame);
          if (frame.type === "error") reject(new Error(`${nick}: ${line}`));
        } catch {
          // A line not complete yet.
        }
      }
    });
    socket.write(
      JSON.stringify({ type: "hello", protocol: 1, nick, client: "bench" }) + "\n",
    );
  });
  socket.removeAllListeners("close");
  socket.removeAllListeners("error");
  socket.on("error", () => {});
  // Keep reading (pings, the announcements) so the session stays alive.
  socket.on("data", () => {});
  if (!welcome.files) throw new Error("the server hands out no upload token (files off?)");
  return { token: welcome.files.token, close: () => socket.destroy() };
}

interface CurlResult {
  seconds: number;
  out: string;
}

async function curl(args: string[]): Promise<CurlResult> {
  const started = performance.now();
  const { code, stdout, stderr } = await new Deno.Command("curl", {
    args: ["-sS", "--fail-with-body", "-k", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(stdout);
  if (code !== 0) throw new Error(`curl ${args.at(-1)}: ${new TextDecoder().decode(stderr)}${out}`);
  return { seconds: (performance.now() - started) / 1000, out };
}

/** What curl needs to upload to and download from one server. */
interface Side {
  upload(member: number): Promise<CurlResult>;
  /** Where the file is, from the first upload's answer. */
  downloadUrl(first: CurlResult): string;
}

function uploadArgs(url: string, path: string, headers: string[]): string[] {
  // -T streams the file (--data-binary would read it whole first); no 100-continue wait.
  return ["-T", path, "-X", "POST", "-H", "Expect:", ...headers.flatMap((h) => ["-H", h]), url];
}

/** Samples a process's RSS every 100 ms while `work` runs; the peak in KiB. */
async function peakRssWhile(pid: number, work: () => Promise<unknown>): Promise<number> {
  let peak = processStats(pid).rssKiB;
  const timer = setInterval(() => {
    peak = Math.max(peak, processStats(pid).rssKiB);
  }, 100);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, processStats(pid).rssKiB);
}

async function measure(side: Side, pid: number, bytes: number): Promise<Measurement> {
  const mb = bytes / 1e6;
  const rssIdle = processStats(pid).rssKiB;
  const up = await side.upload(0);
  const downloadUrl = side.downloadUrl(up);
  const down = await curl(["-o", "/dev/null", "-w", "%{size_download}", downloadUrl]);
  if (Number(down.out) !== bytes) throw new Error(`downloaded ${down.out} of ${bytes} bytes`);
  // What the ten at once add to a server that has moved a file already (its
  // code paths compiled, V8's and malloc's heaps grown once).
  const rssWarm = processStats(pid).rssKiB;
  let started = performance.now();
  const upPeak = await peakRssWhile(
    pid,
    () => Promise.all(Array.from({ length: TEN }, (_, i) => side.upload(i % MEMBERS))),
  );
  const tenUpSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  const downPeak = await peakRssWhile(pid, async () => {
    const sizes = await Promise.all(
      Array.from(
        { length: TEN },
        () => curl(["-o", "/dev/null", "-w", "%{size_download}", downloadUrl]),
      ),
    );
    if (sizes.some((s) => Number(s.out) !== bytes)) throw new Error("a download was short");
  });
  const tenDownSeconds = (performance.now() - started) / 1000;
  const mib = (kib: number) => kib / 1024;
  return {
    ok: true,
    uploadMBs: mb / up.seconds,
    downloadMBs: mb / down.seconds,
    tenUploadsMBs: TEN * mb / tenUpSeconds,
    tenDownloadsMBs: TEN * mb / tenDownSeconds,
    rssIdleMiB: mib(rssIdle),
    rssGrowthTenUploadsMiB: mib(upPeak - rssIdle),
    rssGrowthTenDownloadsMiB: mib(downPeak - rssIdle),
    rssWarmMiB: mib(rssWarm),
    rssWarmGrowthTenUploadsMiB: mib(upPeak - rssWarm),
    rssWarmGrowthTenDownloadsMiB: mib(downPeak - rssWarm),
  };
}

/** Upload and download throughput, and RSS under ten transfers at once (opt-in: `--only files`). */
export const filesWorkload: Workload = {
  name: "files",
  description:
    "100 MiB up and down with curl (lanchat over TLS, a plain static server), then ten at once",
  optIn: true,
  text: false,
  ratiosAgainstEach: true,
  metrics: [
    { key: "uploadMBs", label: "upload MB/s (one)", higherIsBetter: true },
    { key: "downloadMBs", label: "download MB/s (one)", higherIsBetter: true },
    { key: "tenUploadsMBs", label: "ten uploads at once, MB/s in all", higherIsBetter: true },
    { key: "tenDownloadsMBs", label: "ten downloads at once, MB/s in all", higherIsBetter: true },
    { key: "rssIdleMiB", label: "server RSS before MiB", higherIsBetter: false },
    { key: "rssGrowthTenUploadsMiB", label: "RSS growth, ten uploads MiB", higherIsBetter: false },
    {
      key: "rssGrowthTenDownloadsMiB",
      label: "RSS growth, ten downloads MiB",
      higherIsBetter: false,
    },
    { key: "rssWarmMiB", label: "server RSS after one up, one down MiB", higherIsBetter: false },
    {
      key: "rssWarmGrowthTenUploadsMiB",
      label: "RSS growth over that, ten uploads MiB",
      higherIsBetter: false,
    },
    {
      key: "rssWarmGrowthTenDownloadsMiB",
      label: "RSS growth over that, ten downloads (after the uploads) MiB",
      higherIsBetter: false,
    },
  ],
  targets: async () => {
    sourceFile(100); // the references serve it from its directory
    const files = await referenceCertificateFiles();
    const dir = () => source!.dir;
    return [
      lanchat(true),
      ...(hasNginx() ? [nginxTls(dir, files)] : []),
      pythonStatic(dir, files),
      pythonStatic(dir),
      bareNodeHttps(dir, files),
      bareNodeHttps(dir, files, "node-feed"),
      // A bare Deno.serve TLS server measured 56 MB/s up, 7 MB/s for ten at once (pipeTo
      // file.writable): too slow to be a floor, and minutes per run; docs/performance.md.
    ];
  },
  async run(target, smoke) {
    const { path, bytes } = sourceFile(smoke ? 8 : 100);
    const port = freePort();
    const ours = target.name.startsWith("lanchat");
    const server = target.start(port, ["--no-discovery", "--files-budget", "8G"]);
    const members: { token: string; close(): void }[] = [];
    try {
      await waitForPort(port);
      let side: Side;
      if (ours) {
        for (let i = 0; i < MEMBERS; i++) {
          members.push(await joinTls(port, `bench${i}`, `127.0.0.${i + 2}`));
        }
        const url = `https://127.0.0.1:${port}/f?room=%23lobby&name=source.bin`;
        const upload = (member: number) =>
          curl(uploadArgs(url, path, [`Authorization: Bearer ${members[member].token}`]));
        side = {
          upload,
          downloadUrl(first) {
            const shared = new URL(JSON.parse(first.out).url);
            return `https://127.0.0.1:${port}${shared.pathname}${shared.search}`;
          },
        };
      } else {
        const base = `${target.tls ? "https" : "http"}://127.0.0.1:${port}`;
        side = {
          upload: () => curl(uploadArgs(`${base}/upload`, path, [])),
          downloadUrl: () => `${base}/source.bin`,
        };
      }
      return await measure(side, server.pid, bytes);
    } finally {
      for (const member of members) member.close();
      try {
        server.kill("SIGTERM");
      } catch {
        // Already exited.
      }
      await server.status;
    }
  },
};
