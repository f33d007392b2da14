/**
 * Deno's own floor for a TLS chat relay (docs/performance.md, "TLS: what terminates it"): a bare
 * line relay that terminates TLS the way lanchat's front door does (lib/server/front_door.ts), and
 * nothing else. node:net accepts; the first bytes are read on the TCP socket; a TLS record gets a
 * `tls.TLSSocket` on it through lanchat's own `secureNative` (lib/net/tls_feed.ts), with one
 * `SecureContext` for all and the front door's socket options (`requestCert`, not
 * `rejectUnauthorized`); the certificate is made by lanchat's `createSelfSigned` (ECDSA P-256,
 * what lanchat makes for `--data-dir :memory:`), default protocol versions as lanchat's. Each
 * client is greeted with "ok" once its handshake is done, and every line a client sends goes to
 * every other client with `socket.write`. No nicks, rooms, sanitising, history or limits: what
 * it measures (RSS per client above all) is what Deno's node:tls costs, beside lanchat over TLS
 * in the same run.
 *
 * `feed` as the second argument: the front door before, `secureOver` instead (node:tls over a
 * stream fed from the TCP socket's events).
 *
 *   deno task bench --only crowd --tls --against deno-tls-relay --generator node --pin
 *   deno run -A --config deno.json bench/reference/deno_tls_relay.ts <port> [native|feed]
 *
 * @module
 */

import * as net from "node:net";
import * as tls from "node:tls";
import { secureNative, secureOver } from "../../lib/net/tls_feed.ts";
import { createSelfSigned } from "../../lib/server/tls_certificate.ts";
import { blockSplitter } from "./_relay_lines.ts";

const port = Number(Deno.args[0]);
const design = Deno.args[1] ?? "native";
if (!Number.isInteger(port) || (design !== "feed" && design !== "native")) {
  console.error("usage: deno_tls_relay.ts <port> [native|feed]");
  Deno.exit(2);
}

const TLS_HANDSHAKE_RECORD = 0x16;
const GREETING = new TextEncoder().encode("ok\n");
/** A client with more than this unsent is dropped (as deno_relay.ts does). */
const QUEUE_LIMIT = 1 << 20;

const clients = new Set<tls.TLSSocket>();
const context = tls.createSecureContext(await createSelfSigned());
const options = {
  isServer: true,
  secureContext: context,
  requestCert: true,
  rejectUnauthorized: false,
};

function serve(socket: tls.TLSSocket, raw: net.Socket): void {
  socket.on("error", () => socket.destroy());
  socket.once("close", () => {
    clients.delete(socket);
    raw.destroy();
  });
  socket.once("secure", () => {
    clients.add(socket);
    // A greeting once in the set: the bench counts a client as connected from here.
    socket.write(GREETING);
    socket.on(
      "data",
      blockSplitter((lines) => {
        for (const other of clients) {
          if (other === socket) continue;
          if (other.writableLength > QUEUE_LIMIT) other.destroy();
          else other.write(lines);
        }
      }),
    );
  });
}

// A clean exit on the harness's SIGTERM (a --cpu-prof profile is written at exit).
Deno.addSignalListener("SIGTERM", () => Deno.exit(0));

const server = net.createServer((raw) => {
  raw.on("error", () => {});
  raw.setNoDelay(true);
  raw.setKeepAlive(true, 60_000);
  raw.once("data", (first: Uint8Array) => {
    raw.pause();
    if (first[0] !== TLS_HANDSHAKE_RECORD) return void raw.destroy();
    serve(
      design === "native" ? secureNative(raw, options, first) : secureOver(raw, options, first),
      raw,
    );
  });
});
server.listen(port, "127.0.0.1");
