/**
 * What one broadcast's writes cost, without a chat server around them (docs/performance.md, "The
 * floor"): 10,000 loopback connections from one Node.js process that reads them, then 20
 * rounds 100 ms apart of one 64-byte write to each, at most 128 in flight. Prints each round's
 * wall time from the first write started to the last one finished.
 *
 *   deno run -A bench/reference/write_rounds.ts
 *
 * `bench/reference/write_rounds.c` does the `write` rounds in C with the same reader.
 *
 * @module
 */

const CLIENTS = 10_000;
const ROUNDS = 20;
const IN_FLIGHT = 128;

async function main(): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const reader = new Deno.Command("node", {
    args: [
      new URL("./rounds_reader.cjs", import.meta.url).pathname,
      String(listener.addr.port),
      String(CLIENTS),
    ],
    stdin: "piped",
  }).spawn();
  const conns: Deno.TcpConn[] = [];
  for await (const conn of listener) {
    conn.setNoDelay(true);
    conns.push(conn);
    void (async () => {
      const buffer = new Uint8Array(512);
      while ((await conn.read(buffer).catch(() => null)) !== null);
    })();
    if (conns.length === CLIENTS) break;
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  const line = new TextEncoder().encode(
    "<bob> hello there this is a message line of about 75 bytes....\r\n",
  );
  const times: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const started = performance.now();
    await new Promise<void>((resolve) => {
      let next = 0, finished = 0, inFlight = 0;
      const done = () => {
        inFlight--;
        if (++finished === CLIENTS) resolve();
        else pump();
      };
      const pump = () => {
        while (next < CLIENTS && inFlight < IN_FLIGHT) {
          inFlight++;
          conns[next++].write(line).then(done, done);
        }
      };
      pump();
    });
    times.push((performance.now() - started).toFixed(0));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  console.log(`deno conn.write: round ms ${times.join(" ")}`);
  await reader.stdin.close();
  await reader.status;
}

if (import.meta.main) {
  await main();
  Deno.exit(0);
}
