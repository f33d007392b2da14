/**
 * The servers a benchmark run measures: lanchat (plain or TLS, from this
 * checkout or another one, `--against-tree`), a foreign line server
 * (`--against`), and the bare TLS servers of bench/reference/.
 *
 * @module
 */

import { serverV8Flags, serverV8FlagsOf } from "../tools/v8_flags.ts";
import type { LoadConfig } from "./load_gen.ts";
import { ROOT } from "./server_process.ts";

/** One target: how to start it, and how clients greet it. */
export interface Target {
  /** The name in the report's columns. */
  name: string;
  /** Starts the server; `extra` are lanchat flags for this workload (other servers ignore them). */
  start(port: number, extra?: string[]): Deno.ChildProcess;
  /** How a text client joins: says a nick first, waits for the server's first line, or nothing. */
  handshake: LoadConfig["handshake"];
  /** Whether it can speak the native protocol. */
  native: boolean;
  /** Whether clients connect with TLS. */
  tls?: boolean;
  /**
   * The clients every workload drives this target with, whatever the
   * workload's default: IRC for ngircd and InspIRCd, and lanchat's own
   * columns of the IRC workloads and of `--modes`.
   */
  clients?: LoadConfig["mode"];
  /**
   * The server's listen backlog, when it is small (ncat and ngircd listen
   * with 10): clients connect at most this many at once. More at once
   * overflow it, and a client whose handshake was dropped believes it is
   * connected before the server has accepted it (so it misses a broadcast
   * sent at once) or retries after 1, 3, 7... s.
   */
  backlog?: number;
}

/**
 * Our server, plain TCP or (with `tls`) TLS with a certificate made for the
 * run; with `tree`, as the checkout in that directory has it.
 */
export function lanchat(tls: boolean, tree = ROOT): Target {
  const name = tls ? "lanchat-tls" : "lanchat";
  return {
    name: tree === ROOT ? name : `${name}@${tree.replace(/\/+$/, "").split("/").pop()}`,
    handshake: "nick",
    native: true,
    tls,
    start: (port, extra = []) => startLanchat(port, tls, extra, tree),
  };
}

function startLanchat(
  port: number,
  tls: boolean,
  extra: string[],
  tree = ROOT,
): Deno.ChildProcess {
  const persistent = extra.some((a) => a.startsWith("--data-dir"));
  return (
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-q",
        ...(Deno.env.get("BENCH_DENO_FLAGS")?.split(" ").filter(Boolean) ??
          (tree === ROOT ? serverV8Flags() : serverV8FlagsOf(tree))),
        "-P=server",
        "server.ts",
        "--host",
        "127.0.0.1",
        "--port",
        String(port),
        "--no-rate-limit",
        ...(tls ? [] : ["--plain"]),
        "--max-per-ip",
        "100000",
        "--max-clients",
        "100000",
        "--history",
        "0",
        "--log-level",
        "error",
        // TLS without a data directory: a certificate made for the run (never in HOME).
        ...(persistent ? [] : tls ? ["--data-dir", ":memory:"] : ["--no-persist"]),
        ...extra,
        ...(Deno.env.get("BENCH_SERVER_ARGS")?.split(" ").filter(Boolean) ?? []),
      ],
      cwd: tree,
      stdin: "null",
      stdout: Deno.env.get("BENCH_SERVER_STDOUT") ? "inherit" : "null",
      stderr: "inherit",
    }).spawn()
  );
}

/**
 * A foreign line server, started by a shell command with `{port}` in it.
 * ncat's chat mode greets each client once it has accepted it, and listens
 * with a backlog of 10: its clients wait for that greeting and connect 10 at
 * a time.
 */
export function foreign(command: string): Target {
  const ncatChat = /^ncat\b.*--chat/.test(command);
  return {
    name: command.split(" ")[0],
    handshake: ncatChat ? "greeting" : "none",
    backlog: ncatChat ? 10 : undefined,
    native: false,
    start: (port) =>
      new Deno.Command("sh", {
        args: ["-c", `exec ${command.replaceAll("{port}", String(port))}`],
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn(),
  };
}

/** A certificate and key for the run's reference TLS servers, made once. */
let referenceCertificate: Promise<{ cert: string; key: string }> | undefined;

/** The files of that certificate and key, in a temporary directory. */
export function referenceCertificateFiles(): Promise<{ cert: string; key: string }> {
  referenceCertificate ??= (async () => {
    const { createSelfSigned } = await import("../lib/server/tls_certificate.ts");
    const pair = await createSelfSigned();
    const dir = await Deno.makeTempDir({ prefix: "lanchat-bench-cert-" });
    await Deno.writeTextFile(`${dir}/cert.pem`, pair.cert);
    await Deno.writeTextFile(`${dir}/key.pem`, pair.key);
    return { cert: `${dir}/cert.pem`, key: `${dir}/key.pem` };
  })();
  return referenceCertificate;
}

/** A bare TLS server from bench/reference/, to show what the runtime alone does. */
export function referenceTls(
  name: string,
  script: string,
  files: { cert: string; key: string },
): Target {
  return {
    name,
    handshake: "none",
    native: false,
    tls: true,
    start: (port) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-q", "-A", ...serverV8Flags(), script, String(port), files.cert, files.key],
        cwd: ROOT,
        stdin: "null",
        stdout: "null",
        stderr: "inherit",
      }).spawn(),
  };
}
