/**
 * The runtime bug, reduced: a bare node:tls server under Deno 2.9.6 keeps
 * about 16 KB of native memory per TCP connection it accepts, handshake or
 * not, and never gives it back (docs/performance.md, "TLS: what terminates
 * it"). Everything a chat server would add is left out: each connection is
 * read until it ends, and a handshake gets 3 s.
 *
 * Usage: deno run -A bench/reference/node_tls_server.ts <port> <cert.pem> <key.pem>
 * Measured by: deno task bench --only churn
 */

import * as tls from "node:tls";

const [port, certFile, keyFile] = Deno.args;
const server = tls.createServer({
  cert: Deno.readTextFileSync(certFile),
  key: Deno.readTextFileSync(keyFile),
  handshakeTimeout: 3000,
});
server.on("secureConnection", (socket) => {
  socket.on("data", () => {});
  socket.on("error", () => socket.destroy());
  socket.on("end", () => socket.destroy());
});
server.on("tlsClientError", (_error, socket) => socket?.destroy());
server.listen(Number(port), "127.0.0.1");
