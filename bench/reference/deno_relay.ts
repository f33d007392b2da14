/**
 * Deno's own floor for a chat relay (docs/performance.md, "Tail latency and fan-out"): a bare line relay
 * on `Deno.listen` that writes every line a client sends to every other client, and nothing
 * else. No nicks, rooms, sanitising, history, limits or TLS: what it measures is what Deno's
 * socket ops cost, beside the C relay (bench/reference/floor_relay.c, the machine's floor) and
 * lanchat in the same run.
 *
 * As the C relay, it relays the whole lines of each read as one block (one copy of the read,
 * shared by every recipient), not line by line: a flood's read brings many lines.
 *
 * Its writer is the best one found for Deno (bench/reference/_relay_writer.ts): each client's
 * blocks queue while a write is in flight and leave together in the next write, and at most
 * `inFlight` writes (default 128, 0 for no limit) are in flight over all clients, the others
 * waiting in one FIFO. A client with more than 1 MiB unsent is dropped.
 *
 * A client counts in once it is in the set, and the relay greets it then ("ok"). By default that
 * is at the accept; with `--hello` the relay first waits for the client's first line (its name, as
 * lanchat's text clients say their nick), greets it on that line, and only then relays its lines
 * (the name line itself is not relayed), as the C relay does with the same flag.
 *
 *   deno task bench --only latency,flood,crowd --against relay,deno-relay
 *   deno task bench --only crowd --against deno-relay,deno-relay-hello
 * With `--share-joins` (`deno-relay-shared`), a client whose queue holds the very lines of the
 * last join writes that join instead of copying them again, as lanchat's send queue and
 * `deno-ws-relay` do (bench/reference/_relay_writer.ts).
 *
 *   deno run -A bench/reference/deno_relay.ts [--share-joins] [--hello] <port> [inFlight]
 *
 * @module
 */

import { blockSplitter, readAll } from "./_relay_lines.ts";
import { RelayWriter, writeLimit } from "./_relay_writer.ts";

const shared = Deno.args[0] === "--share-joins";
const afterShared = shared ? Deno.args.slice(1) : Deno.args;
const hello = afterShared[0] === "--hello";
const args = hello ? afterShared.slice(1) : afterShared;
const port = Number(args[0]);
const limitArg = Number(args[1] ?? 128);
const limit = limitArg === 0 ? Infinity : limitArg;
if (!Number.isInteger(port) || !(Number.isInteger(limit) || limit === Infinity) || limit < 0) {
  console.error(
    "usage: deno_relay.ts [--share-joins] [--hello] <port> [writes in flight, 0 for no limit]",
  );
  Deno.exit(2);
}

const GREETING = new TextEncoder().encode("ok\n");
const clients = new Set<Client>();
writeLimit.writesInFlight = limit;
writeLimit.shareJoins = shared;

/** A connection and its writer (`_relay_writer.ts`), out of the set once closed. */
type Client = RelayWriter;

/** Puts the client in the set and greets it: the bench counts it as connected from here. */
function admit(client: Client): void {
  clients.add(client);
  client.send(GREETING);
}

async function serve(client: Client): Promise<void> {
  // With --hello the first line is the client's name: it admits the client and is not relayed.
  let admitted = !hello;
  const split = blockSplitter((lines) => {
    if (!admitted) {
      const nl = lines.indexOf(0x0a);
      admitted = true;
      admit(client);
      if (nl + 1 === lines.length) return;
      lines = lines.subarray(nl + 1);
    }
    for (const other of clients) if (other !== client) other.send(lines);
  });
  try {
    await readAll(client.conn, split);
  } finally {
    client.close();
  }
}

// A clean exit on the harness's SIGTERM (a --cpu-prof profile is written at exit).
Deno.addSignalListener("SIGTERM", () => Deno.exit(0));

const listener = Deno.listen({ hostname: "127.0.0.1", port });
for await (const conn of listener) {
  conn.setNoDelay(true);
  const client = new RelayWriter(conn, clients);
  if (!hello) admit(client);
  serve(client);
}
