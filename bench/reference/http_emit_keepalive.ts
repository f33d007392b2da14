/**
 * Reproduction of a Deno 2.9.6 `node:http` limitation that shapes the web
 * side of chat-server: a connection handed to an HTTP server with
 * `server.emit("connection", socket)` (how chat-server serves HTTP on its
 * chat port) is destroyed after its first response, although the response
 * said `Connection: keep-alive` (`res._last` is false); the same server
 * listening itself keeps the connection for the next request, and two
 * requests sent together (pipelined) on an emitted connection are both
 * answered. So each asset of the page costs a connection (and, over TLS,
 * a handshake): chat-server answers `Connection: close` rather than promise
 * what it cannot keep.
 *
 * Run: deno run -A bench/reference/http_emit_keepalive.ts
 * Prints, under Deno 2.9.6:
 *   listening server, second request on the connection: answered
 *   emitted connection, second request on the connection: connection closed
 *   emitted connection, two requests sent together: 2 answers
 *
 * @module
 */

import * as http from "node:http";
import * as net from "node:net";

const encoder = new TextEncoder();
const REQUEST = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

function server(): http.Server {
  return http.createServer((_request, response) => {
    response.writeHead(200, { "Content-Length": 2 });
    response.end("ok");
  });
}

function listen(target: net.Server | http.Server): Promise<number> {
  return new Promise((resolve) =>
    target.listen(0, "127.0.0.1", () => resolve((target.address() as net.AddressInfo).port))
  );
}

async function secondRequest(port: number): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const buffer = new Uint8Array(4096);
  await conn.write(encoder.encode(REQUEST));
  await conn.read(buffer);
  await new Promise((resolve) => setTimeout(resolve, 200));
  await conn.write(encoder.encode(REQUEST)).catch(() => 0);
  const n = await conn.read(buffer).catch(() => null);
  conn.close();
  return n === null ? "connection closed" : "answered";
}

async function pipelined(port: number): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(encoder.encode(REQUEST + REQUEST));
  await new Promise((resolve) => setTimeout(resolve, 200));
  const buffer = new Uint8Array(4096);
  const n = await conn.read(buffer);
  conn.close();
  return new TextDecoder().decode(buffer.subarray(0, n ?? 0)).split("HTTP/1.1 200").length - 1;
}

const listening = server();
const listeningPort = await listen(listening);
console.log(
  `listening server, second request on the connection: ${await secondRequest(listeningPort)}`,
);
listening.close();

const emitted = server();
const door = net.createServer((socket) => emitted.emit("connection", socket));
const doorPort = await listen(door);
console.log(
  `emitted connection, second request on the connection: ${await secondRequest(doorPort)}`,
);
console.log(`emitted connection, two requests sent together: ${await pipelined(doorPort)} answers`);
door.close();
Deno.exit(0);
