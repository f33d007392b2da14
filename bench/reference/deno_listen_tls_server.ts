/**
 * The other runtime bug, reduced: `Deno.listenTls` under Deno 2.9.6 cannot
 * close a peer that never sends its ClientHello. `close()` after the
 * handshake timeout returns, but the socket stays open for as long as the
 * peer stays silent (its fd is still in /proc/<pid>/fd), whether or not
 * `handshake()` or `read()` was called. Its memory per connection is fine.
 *
 * Usage: deno run -A bench/reference/deno_listen_tls_server.ts <port> <cert.pem> <key.pem>
 * Measured by: deno task bench --only churn
 */

const [port, certFile, keyFile] = Deno.args;
const listener = Deno.listenTls({
  hostname: "127.0.0.1",
  port: Number(port),
  cert: Deno.readTextFileSync(certFile),
  key: Deno.readTextFileSync(keyFile),
});
for await (const conn of listener) {
  const timer = setTimeout(() => conn.close(), 3000);
  (async () => {
    try {
      await conn.handshake();
      clearTimeout(timer);
      const buffer = new Uint8Array(4096);
      while ((await conn.read(buffer)) !== null) { /* discard */ }
      conn.close();
    } catch {
      clearTimeout(timer);
      try {
        conn.close();
      } catch {
        // Closed by the timer already.
      }
    }
  })();
}
