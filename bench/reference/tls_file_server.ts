/**
 * The files workload's runtime floor (bench/files_workload.ts): a bare Deno
 * program that does only a file server's I/O over TLS, nothing of lanchat:
 * `GET /<name>` streams a file of `<directory>`, `POST /` streams the body
 * to a temporary file there (removed once complete). Two ways Deno offers:
 *
 * - `node`: `node:https` (node:tls under Deno), `fs.createReadStream(...)
 *   .pipe(response)` and `request.pipe(fs.createWriteStream(...))`: the
 *   APIs lanchat's HTTP side is built on;
 * - `node-feed`: the same `node:http` handler, but each connection's TLS
 *   socket made over a JS stream fed by the TCP socket and paused with it
 *   (`secureOver`, lib/net/tls_feed.ts): the only way Deno's node:tls
 *   holds a reader back (`node` buffers what it decrypts without limit),
 *   so the path lanchat's TLS must take, without anything else of
 *   lanchat's (no hashing, no store, no limits): its floor on the same path;
 * - `deno`: `Deno.serve` with TLS (hyper and rustls), `Response(file.readable)`
 *   and `request.body.pipeTo(file.writable)`.
 *
 * So a gap between lanchat over TLS and a plain static server can be split
 * into what the runtime's TLS costs (this program) and what lanchat adds.
 *
 * Usage: deno run -A bench/reference/tls_file_server.ts node|node-feed|deno <port> <directory> <cert.pem> <key.pem>
 * Measured by: deno task bench --only files
 */

import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import { secureOver } from "../../lib/net/tls_feed.ts";

const [kind, port, directory, certFile, keyFile] = Deno.args;
const cert = Deno.readTextFileSync(certFile);
const key = Deno.readTextFileSync(keyFile);
let uploads = 0;

const handle = (request: http.IncomingMessage, response: http.ServerResponse) => {
  response.setHeader("Connection", "close");
  if (request.method === "POST") {
    const path = `${directory}/upload-${uploads++}`;
    const out = fs.createWriteStream(path);
    request.pipe(out);
    out.on("finish", () => {
      fs.rmSync(path);
      response.writeHead(201, { "Content-Type": "application/json" });
      response.end('{"ok":true}\n');
    });
    return;
  }
  const path = `${directory}/${new URL(request.url ?? "/", "http://x").pathname.slice(1)}`;
  const size = fs.statSync(path).size;
  response.writeHead(200, { "Content-Length": size });
  fs.createReadStream(path).pipe(response);
};

if (kind === "node") {
  https.createServer({ cert, key }, handle).listen(Number(port), "127.0.0.1");
} else if (kind === "node-feed") {
  const server = http.createServer(handle);
  net.createServer((tcp) => {
    server.emit("connection", secureOver(tcp, { isServer: true, cert, key }));
  }).listen(Number(port), "127.0.0.1");
} else {
  Deno.serve({ hostname: "127.0.0.1", port: Number(port), cert, key, onListen() {} }, async (
    request,
  ) => {
    if (request.method === "POST") {
      const path = `${directory}/upload-${uploads++}`;
      const file = await Deno.open(path, { write: true, createNew: true });
      await request.body!.pipeTo(file.writable);
      await Deno.remove(path);
      return new Response('{"ok":true}\n', { status: 201 });
    }
    const path = `${directory}/${new URL(request.url).pathname.slice(1)}`;
    const file = await Deno.open(path);
    const { size } = await file.stat();
    return new Response(file.readable, { headers: { "Content-Length": String(size) } });
  });
}
