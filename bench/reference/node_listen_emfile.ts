/**
 * The runtime bug, reduced: under Deno 2.9.6, a `node:net` server accepts
 * nothing more once one accept has failed with `EMFILE` (the process is out
 * of file descriptors), even after descriptors are free again. No `error`
 * event, no `connection`: the native accept (deno_core's uv_compat) drops
 * the error and the listener is never polled again. A Deno.listen listener
 * reports the same failure from `accept()` and goes on when asked
 * (lib/net/accept_all.ts).
 *
 * lanchat's TLS port calls the handle's `listen()` again every second
 * (lib/net/listen_again.ts), which polls it again; tests/tls_open_files_test.ts
 * holds it to that. Pass `--listen-again` to see that work here.
 *
 * Usage: deno run -A bench/reference/node_listen_emfile.ts [--listen-again]
 * It runs the server as a child under `prlimit --nofile=60:60` (util-linux),
 * opens 80 connections to it, holds them a second, closes them, waits for
 * the descriptors to be free and asks once more. Prints "answered" on a
 * runtime without the bug (or with --listen-again), "NO ANSWER" under Deno
 * 2.9.6.
 */

import * as net from "node:net";

if (Deno.args.includes("--serve")) {
  // Registered now: a signal stream made out of descriptors panics Deno 2.9.6
  // (ext/signals/lib.rs:58, an unwrap on EMFILE), a second bug, not this one.
  Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
  const server = net.createServer((socket) => {
    socket.on("error", () => {});
    socket.end("hi\n");
  });
  server.on("error", (error) => console.error("server error event:", error));
  server.listen({ host: "127.0.0.1", port: 0 }, () => {
    console.log((server.address() as net.AddressInfo).port);
  });
  if (Deno.args.includes("--listen-again")) {
    const listening = server as unknown as { _handle: { listen(backlog: number): number } | null };
    setInterval(() => listening._handle?.listen(511), 1000);
  }
} else {
  const child = new Deno.Command("prlimit", {
    args: ["--nofile=60:60", Deno.execPath(), "run", "-A", import.meta.filename!, "--serve"]
      .concat(Deno.args),
    stdout: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const port = Number((await reader.read()).value);
  const held: Deno.Conn[] = [];
  for (let i = 0; i < 80; i++) held.push(await Deno.connect({ hostname: "127.0.0.1", port }));
  await new Promise((resolve) => setTimeout(resolve, 1000));
  for (const conn of held) conn.close();
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const late = await Deno.connect({ hostname: "127.0.0.1", port });
  const read = await Promise.race([
    late.read(new Uint8Array(16)),
    new Promise<null>((resolve) => setTimeout(() => resolve(null), 4000)),
  ]);
  console.log(read ? "answered" : "NO ANSWER");
  child.kill();
  Deno.exit(0);
}
