/**
 * TLS servers for the TLS tests: `server.ts` with TLS on (the default) and
 * its data in a directory of the test's, and a way to stop one.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type EntryProcess, runServer } from "./_entry_process.ts";

/** A TLS server with its data in a fresh directory; returns the fingerprint it printed. */
export async function tlsServer(
  dir: string,
  args: string[] = [],
): Promise<{ server: EntryProcess; port: number; fingerprint: string }> {
  const { server, port } = await runServer(["--data-dir", dir, ...args], { tls: true });
  const line = server.stdout.find((l) => l.startsWith("TLS fingerprint "));
  assert.ok(line, `no fingerprint line in:\n${server.stdout.join("\n")}`);
  return { server, port, fingerprint: line.slice("TLS fingerprint ".length) };
}

/** Stops a server with SIGTERM and waits for its exit status. */
export async function stopped(process: EntryProcess): Promise<Deno.CommandStatus> {
  process.kill("SIGTERM");
  return await process.finished();
}
