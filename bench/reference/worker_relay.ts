/**
 * The multi-core design in Deno, as a bare relay (docs/performance.md, "The floor"): N workers,
 * each with its own `SO_REUSEPORT` listener (which needs `--unstable-net`), owning the connections
 * the kernel gives it. A line is posted to the other workers (through this main thread) and then
 * written to the reading worker's own clients; each other worker writes it to its clients. No
 * nicks, rooms or limits: what it measures is how far spreading the writes over workers goes here.
 *
 *   deno task bench --only latency,crowd --against \
 *     "deno run -A --unstable-net bench/reference/worker_relay.ts {port} 2"
 *
 * @module
 */

const port = Number(Deno.args[0]);
const count = Number(Deno.args[1] ?? 2);
if (!Number.isInteger(port) || !Number.isInteger(count) || count < 1) {
  console.error("usage: worker_relay.ts <port> [workers]");
  Deno.exit(2);
}

const workers: Worker[] = [];
for (let index = 0; index < count; index++) {
  const worker = new Worker(new URL("./worker_relay_worker.ts", import.meta.url), {
    type: "module",
  });
  worker.onmessage = (event: MessageEvent<{ line: Uint8Array; from: number }>) => {
    for (const [other, peer] of workers.entries()) {
      if (other !== index) peer.postMessage({ type: "line", line: event.data.line });
    }
  };
  worker.postMessage({ type: "listen", port });
  workers.push(worker);
}
