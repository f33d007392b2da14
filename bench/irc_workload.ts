/**
 * The IRC workloads (`--only irc`): IRC clients (NICK/USER without CAP,
 * JOIN, PRIVMSG) in a flood, at a paced rate for latency, as a crowd of
 * 10,000 joining one channel, and as 3,000 idle clients; against lanchat
 * (IRC clients, then text clients for reference) and, with
 * `--against ngircd,inspircd`, Debian's ngircd and InspIRCd started from the
 * configurations in bench/reference/ (loopback only, flood limits off).
 *
 * @module
 */

import type { GeneratorKind } from "./drive.ts";
import { ROOT } from "./server_process.ts";
import { lanchat, type Target } from "./targets.ts";
import { serverV8Flags } from "../tools/v8_flags.ts";
import { latencyWorkload, runCrowd, runFlood } from "./traffic_workloads.ts";
import type { Measurement, Workload } from "./workload.ts";

/** The IRC servers the bench knows how to start, by `--against` name. */
export const IRC_REFERENCES: Record<string, { binary: string; args: (conf: string) => string[] }> =
  {
    ngircd: { binary: "ngircd", args: (conf) => ["--nodaemon", "--config", conf] },
    inspircd: { binary: "inspircd", args: (conf) => ["--nofork", "--nopid", "--config", conf] },
    // InspIRCd with its example configuration's send and receive queues and
    // fakelag (bench/reference/inspircd-stock-queues.conf): why floods stall.
    "inspircd-stock-queues": {
      binary: "inspircd",
      args: (conf) => ["--nofork", "--nopid", "--config", conf],
    },
  };

/**
 * The reference IRC servers of this run (bench/bench.ts sets them from
 * `--against`, bench/references.ts), and the other checkout of `--against-tree`, whose IRC
 * clients run beside this one's.
 */
export const ircSetup: { references: string[]; tree?: string } = { references: [] };

/**
 * A reference IRC server: its configuration from bench/reference/ with the
 * port and a temporary directory filled in, run in the foreground as the
 * user nobody (InspIRCd refuses root) so that its PID is the bench's child.
 */
export function ircReference(name: string): Target {
  const { binary, args } = IRC_REFERENCES[name];
  return {
    name,
    handshake: "none",
    native: false,
    clients: "irc",
    backlog: name === "ngircd" ? 10 : undefined,
    start(port) {
      const dir = Deno.makeTempDirSync({ prefix: `lanchat-bench-${name}-` });
      const conf = Deno.readTextFileSync(`${ROOT}bench/reference/${name}.conf`)
        .replaceAll("{port}", String(port)).replaceAll("{dir}", dir);
      Deno.writeTextFileSync(`${dir}/${name}.conf`, conf);
      Deno.writeTextFileSync(`${dir}/motd`, "bench\n");
      Deno.chmodSync(dir, 0o777);
      return new Deno.Command("setpriv", {
        args: [
          "--reuid=nobody",
          "--regid=nogroup",
          "--clear-groups",
          binary,
          ...args(`${dir}/${name}.conf`),
        ],
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
    },
  };
}

/** lanchat's server with IRC clients, and with text clients for reference. */
function ircTargets(): Promise<Target[]> {
  const ours = lanchat(false);
  return Promise.resolve([
    { ...ours, name: "lanchat-irc", clients: "irc" },
    ...(ircSetup.tree ? [{ ...lanchat(false, ircSetup.tree), clients: "irc" as const }] : []),
    ...ircSetup.references.map(ircReference),
    { ...ours, name: "lanchat-text", clients: "text" },
  ]);
}

const irc = {
  text: false,
  optIn: true,
  generators: ["node", "c"] as GeneratorKind[],
  group: "irc",
  targets: ircTargets,
};

/** The flood with IRC clients. */
export const ircFloodWorkload: Workload = {
  ...irc,
  name: "irc-flood",
  description: "100 IRC clients in one channel, 10 send 2,000 PRIVMSGs each as fast as they can",
  metrics: [
    { key: "deliveriesPerSec", label: "deliveries/s", higherIsBetter: true },
    { key: "serverNsPerDelivery", label: "server CPU ns/delivery", higherIsBetter: false },
    { key: "generatorCpuShare", label: "sender generator CPU share", higherIsBetter: false },
  ],
  run: (target, smoke) => runFlood(target, smoke, target.clients ?? "irc"),
};

/** The latency workload with IRC clients. */
export const ircLatencyWorkload: Workload = {
  ...latencyWorkload(false, "irc"),
  ...irc,
  description: "1,000 IRC clients in one channel, 10 senders at 100 PRIVMSGs/s in total",
};

/** 10,000 IRC clients join one channel; then one broadcast. */
export const ircCrowdWorkload: Workload = {
  ...irc,
  name: "irc-crowd",
  description: "10,000 IRC clients register and join one channel, then one broadcast",
  metrics: [
    { key: "connectSec", label: "join all s", higherIsBetter: false },
    { key: "idleRssPerClientKiB", label: "server KiB/client idle", higherIsBetter: false },
    { key: "broadcastMs", label: "broadcast ms", higherIsBetter: false },
  ],
  run: (target, smoke) =>
    runCrowd(target, smoke, target.clients ?? "irc", smoke ? 60 : 10_000, 60_000, 250),
};

/**
 * How many idle clients connect at once: 250 (drive() caps it at ngircd's
 * listen backlog of 10: 250 connections at once overflow it, the dropped
 * handshakes retry after 1, 3, 7... s; 3,000 were not in after a minute,
 * and 10 at a time took 2.6 s). InspIRCd needs the big batches: it
 * completes registrations on a timer about once a second (10 at a time,
 * 590 were in after a minute). Join time is not what the idle workloads
 * measure.
 */
const IDLE_BATCH = 250;

/**
 * Idle means idle: the server's memory is read 3 s after the last client is
 * in, not in the aftermath of the join burst. A smoke run (60 clients, no
 * figure anyone reads) settles for {@linkcode SMOKE_IDLE_SETTLE_MS}: its two
 * idle workloads on three targets each waited 18 s of the test suite.
 */
const IDLE_SETTLE_MS = 3000;

/** The settle of a smoke run: the same path, a short wait. */
const SMOKE_IDLE_SETTLE_MS = 200;

/**
 * A Deno program that only holds its connections with one read pending
 * (bench/reference/deno_idle_floor.ts): the floor of memory per idle
 * connection that Deno's own I/O sets, measured beside the servers.
 */
function denoFloor(): Target {
  return {
    name: "deno-floor",
    handshake: "none",
    native: false,
    clients: "irc",
    start: (port) =>
      new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-q",
          "-A",
          ...serverV8Flags(),
          "bench/reference/deno_idle_floor.ts",
          String(port),
        ],
        cwd: ROOT,
        stdin: "null",
        stdout: "null",
        stderr: "inherit",
      }).spawn(),
  };
}

/** 3,000 idle IRC clients (60 in a smoke run), joined to a channel or only registered. */
function runIdle(target: Target, smoke: boolean, join: boolean): Promise<Measurement> {
  return runCrowd(
    target,
    smoke,
    target.clients ?? "irc",
    smoke ? 60 : 3_000,
    60_000,
    IDLE_BATCH,
    { broadcast: false, settleMs: smoke ? SMOKE_IDLE_SETTLE_MS : IDLE_SETTLE_MS, join },
  );
}

/** 3,000 idle IRC clients: the server's memory per client, and Deno's floor beside it. */
export const ircIdleWorkload: Workload = {
  ...irc,
  targets: async () => [...await ircTargets(), denoFloor()],
  name: "irc-idle",
  description: "3,000 IRC clients in one channel, idle: server memory per client",
  metrics: [
    { key: "idleRssPerClientKiB", label: "server KiB/client idle", higherIsBetter: false },
    { key: "connectSec", label: "join all s", higherIsBetter: false },
  ],
  run: (target, smoke) => runIdle(target, smoke, true),
};

/**
 * 3,000 IRC clients that register (NICK, USER) and JOIN nothing, idle: the
 * memory a connection costs without a channel's JOIN fan-out (ngircd and
 * InspIRCd announce each join to every member, and InspIRCd's RSS at 3,000
 * joined also holds the buffers of those 4.5 million JOIN lines: 22.7 KiB
 * per client joined, 2.1 registered). lanchat's members are in its lobby
 * whatever they send.
 */
export const ircIdleRegisteredWorkload: Workload = {
  ...ircIdleWorkload,
  name: "irc-idle-registered",
  description: "3,000 IRC clients registered without a JOIN, idle: server memory per client",
  run: (target, smoke) => runIdle(target, smoke, false),
};
