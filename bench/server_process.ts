/**
 * The benchmark's view of a server process: a free port, waiting until it
 * listens, and its CPU time and memory from /proc.
 *
 * @module
 */

/** The project root, where deno.json and the entry points live. */

export const ROOT: string = new URL("../", import.meta.url).pathname;
const CLOCK_TICKS = 100; // Linux USER_HZ

/** A free TCP port on 127.0.0.1. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Waits until something listens on `port`, for at most `ms`, or until `gaveUp()` says so. */
export async function waitForPort(
  port: number,
  ms = 15_000,
  gaveUp: () => boolean = () => false,
): Promise<void> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline && !gaveUp()) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      await sleep(100); // let the server forget this probe
      return;
    } catch {
      await sleep(50);
    }
  }
  if (gaveUp()) return;
  throw new Error(`nothing listens on port ${port}`);
}

/**
 * Starts a server with `start(port)` on a free port and waits until it
 * listens. A port found free can be taken by another process of this shared
 * machine before the server binds it: a server that exits before listening
 * is started again on another port, at most `tries` times in all.
 */
export async function startListening(
  start: (port: number) => Deno.ChildProcess,
  tries = 3,
): Promise<{ port: number; server: Deno.ChildProcess }> {
  for (let attempt = 1;; attempt++) {
    const port = freePort();
    const server = start(port);
    let exited = false;
    const status = server.status.then((status) => {
      exited = true;
      return status;
    });
    try {
      await waitForPort(port, 15_000, () => exited);
    } catch (error) {
      try {
        server.kill("SIGTERM");
      } catch {
        // Already exited.
      }
      await status;
      throw error;
    }
    if (!exited) return { port, server };
    const code = (await status).code;
    if (attempt >= tries) throw new Error(`the server exited ${code} before listening on ${port}`);
    console.error(`the server exited ${code} before listening on ${port}; trying another port`);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Reads a /proc file through `cat` (Deno only lets --allow-all read /proc directly). */
function readProc(path: string): string {
  const result = new Deno.Command("cat", { args: [path], stdout: "piped", stderr: "null" })
    .outputSync();
  if (!result.success) throw new Error(`cannot read ${path}`);
  return new TextDecoder().decode(result.stdout);
}

/** CPU seconds (user + system) and memory of a process, from /proc. */
export function processStats(pid: number): { cpu: number; rssKiB: number; peakKiB: number } {
  try {
    const stat = readProc(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cpu = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    const status = readProc(`/proc/${pid}/status`);
    const kib = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    return { cpu, rssKiB: kib("VmRSS"), peakKiB: kib("VmHWM") };
  } catch {
    return { cpu: NaN, rssKiB: NaN, peakKiB: NaN };
  }
}
