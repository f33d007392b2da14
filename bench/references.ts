/**
 * The reference servers `--against` takes by name, several in one run
 * (`--against relay,ncat,ngircd,inspircd`): the bare C epoll relay of
 * bench/reference/floor_relay.c (the floor; `relay2` is its two-thread
 * form, `relay-hello` the one whose connect is a round trip), Deno's own
 * floor (`deno-relay`, `deno-relay-hello`; over WebSocket `deno-ws-relay` and
 * `deno-ws-serve-relay`, driven with WebSocket clients), ncat's chat mode, and Debian's
 * ngircd and InspIRCd driven as IRC
 * servers with IRC clients. Anything that is not a list of these names is one
 * free-form shell command with `{port}` in it, as before.
 *
 * @module
 */

import { existsSync, statSync } from "node:fs";
import { IRC_REFERENCES, ircReference } from "./irc_workload.ts";
import { ROOT } from "./server_process.ts";
import { serverV8Flags } from "../tools/v8_flags.ts";
import type { RatioColumn } from "./report_table.ts";
import { foreign, type Target } from "./targets.ts";

/** The C relay's source, and where the harness builds it. */
const RELAY_SOURCE = `${ROOT}bench/reference/floor_relay.c`;
const RELAY_BINARY = `${ROOT}bench/results/floor_relay`;

/** ncat's chat mode, as the issue measures it (`-m`: its connection cap raised to 20,000). */
export const NCAT_COMMAND = "ncat -n -l --chat -m 20000 127.0.0.1 {port}";

/** The line servers `--against` takes by name, and the commands that start them. */
const LINE_REFERENCES: Record<string, () => string> = {
  relay: () => `${relayBinary()} {port}`,
  relay2: () => `${relayBinary()} {port} 2`,
  // The connect as a round trip: the relay greets a client at its first line (its name).
  "relay-hello": () => `${relayBinary()} --hello {port}`,
  ncat: () => NCAT_COMMAND,
  // Deno's floor: a bare relay with lanchat's writer and V8 flags (bench/reference/deno_relay.ts).
  "deno-relay": () => denoRelay(),
  "deno-relay-hello": () => denoRelay("--hello"),
  // The same with joins shared among queues holding the same lines (as lanchat's send queue).
  "deno-relay-shared": () => denoRelay("--share-joins"),
  // Deno's floor for a chat's own work: the shared relay plus decoding, refusing controls,
  // history and rendering each message (bench/reference/deno_chat_floor.ts).
  "deno-chat": () => denoReference("deno_chat_floor.ts", [], []),
  // Deno's TLS floor: a bare relay terminating TLS as lanchat's front door does
  // (bench/reference/deno_tls_relay.ts); "-feed", as the front door did before (secureOver).
  "deno-tls-relay": () => denoTlsRelay("native"),
  "deno-tls-relay-feed": () => denoTlsRelay("feed"),
};

/**
 * Deno's WebSocket floors (bench/reference/deno_ws_relay.ts), driven with
 * lanchat's WebSocket clients (`--modes web`, the Node load generator): the
 * upgrade, frames and writer by hand on `Deno.listen`, or Deno's own
 * WebSocket (`Deno.serve` and `Deno.upgradeWebSocket`).
 */
const WEB_REFERENCES: Record<string, () => string> = {
  "deno-ws-relay": () => denoWsRelay("raw"),
  "deno-ws-serve-relay": () => denoWsRelay("serve"),
};

/**
 * The relays whose clients say a name line first and are greeted on it
 * (`--hello`): a connect that is a round trip, as lanchat's nick and welcome.
 */
const HELLO_REFERENCES = ["relay-hello", "deno-relay-hello", "deno-chat"];

/** The references that speak TLS (driven with TLS clients; they need `--tls`). */
export const TLS_REFERENCES = ["deno-tls-relay", "deno-tls-relay-feed"];

/**
 * A reference in bench/reference/ run by Deno with lanchat's V8 flags (and,
 * with `config`, lanchat's deno.json): `before` its port, `after` it.
 */
function denoReference(script: string, before: string[], after: string[], config = false): string {
  return [
    Deno.execPath(),
    "run",
    "-q",
    "-A",
    ...(config ? ["--config", `${ROOT}deno.json`] : []),
    ...serverV8Flags(),
    // A CPU profile of each Deno reference, as BENCH_DENO_FLAGS gives one of lanchat.
    ...(Deno.env.get("BENCH_REFERENCE_PROF_DIR")
      ? ["--cpu-prof", `--cpu-prof-dir=${Deno.env.get("BENCH_REFERENCE_PROF_DIR")}`]
      : []),
    `${ROOT}bench/reference/${script}`,
    ...before,
    "{port}",
    ...after,
  ].join(" ");
}

/** The Deno relay's command: `options` before its port. */
function denoRelay(...options: string[]): string {
  return denoReference("deno_relay.ts", options, []);
}

/** The WebSocket relay's command: its design after the port. */
function denoWsRelay(design: "raw" | "serve"): string {
  return denoReference("deno_ws_relay.ts", [], [design]);
}

/** The TLS relay's command, with lanchat's config (its certificate is lanchat's kind). */
function denoTlsRelay(design: "native" | "feed"): string {
  return denoReference("deno_tls_relay.ts", [], [design], true);
}

/** Every name `--against` takes. */
export const REFERENCE_NAMES: string[] = [
  ...Object.keys(LINE_REFERENCES),
  ...Object.keys(WEB_REFERENCES),
  ...Object.keys(IRC_REFERENCES),
];

/**
 * The C relay, compiled with `cc -O2 -pthread` into bench/results/ when the
 * binary is missing or older than its source; its path.
 */
export function relayBinary(): string {
  const built = existsSync(RELAY_BINARY) &&
    statSync(RELAY_BINARY).mtimeMs >= statSync(RELAY_SOURCE).mtimeMs;
  if (built) return RELAY_BINARY;
  Deno.mkdirSync(`${ROOT}bench/results`, { recursive: true });
  let output: Deno.CommandOutput;
  try {
    output = new Deno.Command("cc", {
      args: ["-O2", "-pthread", "-o", RELAY_BINARY, RELAY_SOURCE],
      stdout: "null",
      stderr: "piped",
    }).outputSync();
  } catch (error) {
    throw new Error("The relay needs a C compiler (cc): install gcc (.ci/run does)", {
      cause: error,
    });
  }
  if (!output.success) {
    const why = new TextDecoder().decode(output.stderr).trim().split("\n").slice(0, 3).join(" ");
    throw new Error(`Cannot compile "${RELAY_SOURCE}": ${why}`);
  }
  return RELAY_BINARY;
}

/**
 * The targets `--against` names: a comma-separated list of reference names
 * (each started as its own target, IRC servers with IRC clients), or else
 * one free-form command.
 */
export function againstTargets(against: string): Target[] {
  const names = against.split(",").map((name) => name.trim());
  if (!names.every((name) => REFERENCE_NAMES.includes(name))) return [foreign(against)];
  const repeated = names.find((name, i) => names.indexOf(name) !== i);
  if (repeated) throw new Error(`--against names "${repeated}" twice`);
  return names.map((name) =>
    name in WEB_REFERENCES
      ? { ...foreign(WEB_REFERENCES[name]()), name, clients: "web" as const, handshake: "nick" }
      : name in LINE_REFERENCES
      ? {
        ...foreign(LINE_REFERENCES[name]()),
        name,
        clients: "text" as const,
        // The relays greet a client once it is in their list (ncat greets on its own): the
        // connect time and memory are then read with every client accepted, as lanchat's are.
        // The "-hello" ones put it in at its first line, which their clients send first.
        handshake: HELLO_REFERENCES.includes(name) ? "hello" as const : "greeting" as const,
        ...(TLS_REFERENCES.includes(name) ? { tls: true } : {}),
      }
      : ircReference(name)
  );
}

/** Whether a target is driven with IRC clients (ngircd, InspIRCd). */
export function speaksIrc(target: Target): boolean {
  return target.clients === "irc";
}

/**
 * The shared table's ratio columns with several references: lanchat over
 * the relay (or, without one, the first reference), and over the best of
 * the IRC servers; with one reference or none, the table's default.
 */
export function sharedRatioColumns(targets: Target[]): RatioColumn[] | undefined {
  const [ours, ...others] = targets;
  if (others.length < 2) return undefined;
  const floor = others.find((t) => t.name === "relay") ??
    others.find((t) => t.name === "relay2") ?? others[0];
  const columns = [{ header: `${ours.name}/${floor.name}`, against: [floor.name] }];
  const irc = others.filter(speaksIrc).map((t) => t.name);
  if (irc.length > 0 && !(irc.length === 1 && irc[0] === floor.name)) {
    columns.push({ header: `${ours.name}/best IRC`, against: irc });
  }
  return columns;
}
