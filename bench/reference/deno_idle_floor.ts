/**
 * The floor of an idle connection in Deno: a program that accepts TCP
 * connections on loopback and keeps one read pending on each, with a
 * 512-byte buffer (what lanchat's `Connection` starts its reads with), and
 * does nothing else. So that the bench's IRC clients count it as joined, it
 * answers a connection's first read with a 001, a 422 and a 366, then only
 * reads. Its memory per connection is what the runtime itself (a TCP
 * resource, a pending read op, its promise, the buffer) costs, below which
 * no Deno server can go.
 *
 * Usage: deno run -A bench/reference/deno_idle_floor.ts <port>
 * Measured by: deno task bench --only irc-idle (the `deno-floor` column)
 */

const listener = Deno.listen({ hostname: "127.0.0.1", port: Number(Deno.args[0]) });
const welcome = new TextEncoder().encode(
  ":floor 001 x :in\r\n:floor 422 x :No MOTD\r\n:floor 366 x #lobby :End of /NAMES list\r\n",
);

async function hold(conn: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(512);
  try {
    let first = true;
    while ((await conn.read(buffer)) !== null) {
      if (first) await conn.write(welcome);
      first = false;
    }
  } catch {
    // Reset by the peer: nothing to do but close.
  }
  try {
    conn.close();
  } catch {
    // Closed already.
  }
}

for await (const conn of listener) hold(conn);
