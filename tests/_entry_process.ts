/**
 * The entry points (`server.ts`, `client.ts`) run as processes under
 * `deno run`, with the permission sets of deno.json: start them, feed their
 * stdin, wait for their output and their exit. Every process is
 * `AsyncDisposable` and is killed when the test's scope ends.
 *
 * @module
 */

import { serverV8Flags } from "../tools/v8_flags.ts";
import type { NetNamespace } from "./_net_namespace.ts";
import { within } from "./_waiting.ts";

const encoder = new TextEncoder();

/** The project root, where deno.json and the entry points live. */
export const ROOT: string = new URL("../", import.meta.url).pathname;

/** A running entry point (`server.ts` or `client.ts`) under `deno run`. */
export class EntryProcess implements AsyncDisposable {
  /** The stdout lines so far. */
  readonly stdout: string[] = [];
  /** The stderr lines so far. */
  readonly stderr: string[] = [];
  /** Resolves with the exit status. */
  readonly status: Promise<Deno.CommandStatus>;
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array> | undefined;
  readonly #pumps: Promise<void>[];
  #waiters: (() => void)[] = [];
  #openPumps = 2;

  /** Collects the output of `child`; `piped` when its stdin is a pipe to write to. */
  constructor(child: Deno.ChildProcess, piped: boolean) {
    this.#child = child;
    this.#stdin = piped ? child.stdin.getWriter() : undefined;
    this.#pumps = [this.#pump(child.stdout, this.stdout), this.#pump(child.stderr, this.stderr)];
    this.status = child.status;
  }

  /** The process id, for signals. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Writes to the process's stdin. */
  async write(text: string): Promise<void> {
    await this.#stdin!.write(encoder.encode(text));
  }

  /** Closes stdin (end of input). */
  async closeStdin(): Promise<void> {
    await this.#stdin?.close().catch(() => {});
  }

  /** Sends a signal. */
  kill(signal: Deno.Signal = "SIGTERM"): void {
    try {
      this.#child.kill(signal);
    } catch {
      // Already exited.
    }
  }

  /** Waits for a stdout line that matches. */
  waitStdout(match: (line: string) => boolean, ms = 20_000): Promise<string> {
    return within(
      ms,
      this.#wait(() => this.stdout.find(match)),
      `stdout line; got:\n${this.stdout.join("\n")}\nstderr:\n${this.stderr.join("\n")}`,
    );
  }

  /** Waits for a stderr line that matches (a log line of the server). */
  waitStderr(match: (line: string) => boolean, ms = 20_000): Promise<string> {
    return within(
      ms,
      this.#wait(() => this.stderr.find(match)),
      `stderr line; got:\n${this.stderr.join("\n")}`,
    );
  }

  /** Waits for the exit, and all output. */
  async finished(ms = 20_000): Promise<Deno.CommandStatus> {
    const status = await within(ms, this.status, "process to exit");
    await Promise.all(this.#pumps);
    return status;
  }

  async #wait<T>(probe: () => T | undefined): Promise<T> {
    while (true) {
      const found = probe();
      if (found !== undefined) return found;
      // Both outputs closed: the process has ended, the line will never come.
      if (this.#openPumps === 0) {
        throw new Error(
          `process ended first; stdout:\n${this.stdout.join("\n")}\nstderr:\n${
            this.stderr.join("\n")
          }`,
        );
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  async #pump(stream: ReadableStream<Uint8Array>, into: string[]): Promise<void> {
    let partial = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      partial += chunk;
      const parts = partial.split("\n");
      partial = parts.pop()!;
      into.push(...parts);
      this.#wake();
    }
    if (partial) into.push(partial);
    this.#openPumps--;
    this.#wake();
  }

  /** Closes stdin, kills the process and waits for its output to end. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.closeStdin();
    this.kill("SIGKILL");
    await this.status;
    await Promise.all(this.#pumps);
  }
}

/**
 * Runs `server.ts` or `client.ts` with `deno run` and the permission set of
 * the same name from deno.json: the set the compile task bakes into the
 * binaries, so a missing permission fails here too.
 */
export function runEntry(
  entry: "server" | "client",
  args: string[],
  options: EntryOptions = {},
): EntryProcess {
  const stdin = options.stdin ?? "null";
  const special = args.some((a) => /^--(help|version|forget-host)|^export$|^cluster$/.test(a));
  const denoArgs = [
    "run",
    "-q",
    `-P=${entry}`,
    ...(entry === "server" ? serverV8Flags() : []),
    `${entry}.ts`,
    ...args,
    // Tests never touch the real data or config directory unless they choose one.
    ...(entry === "server" && !special && !args.some((a) => /^--(data-dir|no-persist)/.test(a))
      ? ["--data-dir", ":memory:"]
      : []),
    ...(entry === "client" && !args.some((a) => /^--(config-dir|help|version)/.test(a))
      ? ["--config-dir", Deno.makeTempDirSync({ prefix: "lanchat-client-" })]
      : []),
    // Plain TCP unless the test is about TLS (tls_*_test.ts).
    ...(!options.tls && !special ? ["--plain"] : []),
  ];
  const [program, programArgs]: [string, string[]] = options.nofile === undefined
    ? [Deno.execPath(), denoArgs]
    : ["prlimit", [`--nofile=${options.nofile}:${options.nofile}`, Deno.execPath(), ...denoArgs]];
  const [command, commandArgs] = options.netns
    ? options.netns.wrap(program, programArgs)
    : [program, programArgs];
  // `deno task test` typed in another directory (tests/, say) names it in INIT_CWD: this run is
  // `deno run` in the checkout, which a test's relative paths are read in, not a `deno task`.
  const env = Deno.env.toObject();
  delete env.INIT_CWD;
  const child = new Deno.Command(command, {
    args: commandArgs,
    cwd: ROOT,
    stdin,
    stdout: "piped",
    stderr: "piped",
    clearEnv: true,
    env: { ...env, NO_COLOR: "1", ...options.env },
  }).spawn();
  return new EntryProcess(child, stdin === "piped");
}

/** How to run an entry point. */
export interface EntryOptions {
  /** Whether the test writes to stdin. @default {"null"} */
  stdin?: "piped" | "null";
  /** Leave TLS on (the programs' default); otherwise tests run with `--plain`. */
  tls?: boolean;
  /** Run it inside this network namespace (for a server that listens on every interface). */
  netns?: NetNamespace;
  /** More environment variables (e.g. `HOME`). */
  env?: Record<string, string>;
  /** Its open files limit (`ulimit -n`, set with util-linux's `prlimit`); the test's own is untouched. */
  nofile?: number;
  /** How long {@linkcode runServer} waits for the listening line, in ms. @default {20000} */
  readyMs?: number;
}

/** Runs `client.ts` against 127.0.0.1:`port` as `nick`, with extra flags. */
export function runClient(
  port: number,
  nick: string,
  extra: string[] = [],
  options: EntryOptions = {},
): EntryProcess {
  return runEntry(
    "client",
    ["--host", "127.0.0.1", "--port", String(port), "--nick", nick, ...extra],
    options,
  );
}

/** Starts `server.ts` on a free port and returns it with the port it printed. */
export async function runServer(
  args: string[] = [],
  options: EntryOptions = {},
): Promise<{ server: EntryProcess; port: number }> {
  const server = runEntry("server", ["--host", "127.0.0.1", "--port", "0", ...args], options);
  try {
    const line = await server.waitStdout(
      (line) => line.startsWith("listening on 127.0.0.1:"),
      options.readyMs,
    );
    return { server, port: Number(line.split(":").at(-1)) };
  } catch (error) {
    // Not ready in time: never leave it running (a retry would share its data dir).
    await server[Symbol.asyncDispose]();
    throw error;
  }
}
