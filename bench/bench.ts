/**
 * `deno task bench`: starts the chat server as its own process (the same
 * entry point as the binary, rate limit off), drives it with separate
 * load-generator processes on 127.0.0.1, and reports each workload as the
 * median of several runs, optionally next to another line-based chat server
 * (`--against "ncat -n -l --chat -m 20000 127.0.0.1 {port}"`) or several
 * reference servers by name (`--against relay,ncat,ngircd,inspircd`,
 * bench/references.ts: IRC servers driven with IRC clients), or next to
 * lanchat as another checkout builds it (`--against-tree DIR`, e.g. a
 * `git worktree` of the commit before a refactor), the same bench flags, and
 * each checkout's own V8 flags (from its deno.json's start task; to compare
 * the code alone, set BENCH_DENO_FLAGS, which replaces them for both).
 * `--modes native,irc,web` adds lanchat driven by those clients to the
 * flood's targets, each mode a row of its own against the references.
 *
 * Usage: deno task bench [--runs 3] [--only flood,latency,...,web,churn,irc,files,cluster,scale] [--against CMD|NAMES] [--smoke]
 *        [--against-tree DIR] [--generator node|c|deno] [--readers N] [--tls] [--modes text,native,irc,web]
 *        [--pin] [--warm]
 *
 * `--warm` floods each server once, unmeasured, before the flood it measures
 * (the flood workloads only): the steady state, without V8 compiling a fresh
 * server's hot code (bench/drive.ts, `generatorSetup.warm`).
 *
 * `--generator c` runs the C epoll load generator (bench/load_gen_c.c, built
 * with cc into bench/results/ on first use) for the text, native and IRC
 * workloads; the workloads it cannot drive (WebSocket clients, `--tls`) are
 * skipped with a note, or refused when named in `--only`.
 *
 * The churn workload (a connection flooder against a TLS server) runs
 * lanchat next to the two runtime baselines in bench/reference/ (a bare
 * node:tls server and a bare `Deno.listenTls` server) and has a table of
 * its own; so has the web workload (WebSocket clients against native and
 * text clients, bench/web_workload.ts), and so have the IRC workloads
 * (`--only irc`, with `--against ngircd,inspircd`: bench/irc_workload.ts),
 * the files workload (`--only files`: lanchat over TLS against a plain
 * static file server, bench/files_workload.ts), and the cluster workloads
 * (`--only cluster`: three chat-servers on NATS JetStream next to one
 * without, bench/cluster_workload.ts).
 *
 * @module
 */

import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { churnWorkload } from "./churn_workload.ts";
import { filesWorkload } from "./files_workload.ts";
import { clusterFloodWorkload, clusterLatencyWorkload } from "./cluster_workload.ts";
import { cGenerator, type GeneratorKind, generatorSetup, nodeAvailable } from "./drive.ts";
import {
  ircCrowdWorkload,
  ircFloodWorkload,
  ircIdleRegisteredWorkload,
  ircIdleWorkload,
  ircLatencyWorkload,
  ircSetup,
} from "./irc_workload.ts";
import { againstTargets, sharedRatioColumns, speaksIrc } from "./references.ts";
import { modeRows, modeTargets } from "./mode_rows.ts";
import { pointRows } from "./point_rows.ts";
import { type Row, table } from "./report_table.ts";
import { scaleWorkload } from "./scale_workload.ts";
import { ROOT } from "./server_process.ts";
import { lanchat } from "./targets.ts";
import { crowdWorkload, floodWorkload, latencyWorkload } from "./traffic_workloads.ts";
import { nodePackages, webWorkload } from "./web_workload.ts";
import type { Measurement, Workload } from "./workload.ts";

const ours = lanchat(false);

/** How the usage and errors name each load generator. */
const GENERATOR_NAMES: Record<GeneratorKind, string> = { node: "Node", c: "C", deno: "Deno" };

const WORKLOADS: Workload[] = [
  floodWorkload("text"),
  latencyWorkload(false),
  crowdWorkload,
  latencyWorkload(true),
  floodWorkload("native"),
  floodWorkload("text", true),
  webWorkload,
  churnWorkload,
  ircFloodWorkload,
  ircLatencyWorkload,
  ircIdleRegisteredWorkload,
  ircIdleWorkload,
  ircCrowdWorkload,
  filesWorkload,
  clusterFloodWorkload,
  clusterLatencyWorkload,
  scaleWorkload,
];

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      runs: { type: "string" },
      only: { type: "string" },
      against: { type: "string" },
      "against-tree": { type: "string" },
      smoke: { type: "boolean" },
      pin: { type: "boolean" },
      warm: { type: "boolean" },
      out: { type: "string" },
      generator: { type: "string" },
      tls: { type: "boolean" },
      readers: { type: "string" },
      modes: { type: "string" },
    },
  });
  const wanted = values.generator ?? (nodeAvailable() ? "node" : "deno");
  if (wanted !== "node" && wanted !== "c" && wanted !== "deno") {
    throw new Error(`Unknown generator "${wanted}"; use "node", "c" or "deno"`);
  }
  if (!values.generator && wanted === "deno") {
    console.error("node is not on the PATH: using the Deno load generator (bench/load_gen.ts)");
  }
  generatorSetup.kind = wanted;
  generatorSetup.pin = values.pin ?? false;
  generatorSetup.warm = values.warm ?? false;
  const readerProcesses = Number(values.readers ?? (wanted === "deno" ? 4 : 1));
  if (!Number.isInteger(readerProcesses) || readerProcesses < 1 || readerProcesses > 64) {
    throw new Error(`--readers must be a whole number from 1 to 64, not "${values.readers}"`);
  }
  generatorSetup.readerProcesses = readerProcesses;
  const smoke = values.smoke ?? false;
  const runs = Number(values.runs ?? (smoke ? 1 : 3));
  const only = values.only?.split(",");
  // --against relay,ncat,ngircd,inspircd: reference servers by name (the
  // IRC ones also join the IRC workloads' own targets), or one command.
  const references = values.against ? againstTargets(values.against) : [];
  ircSetup.references = references.filter(speaksIrc).map((target) => target.name);
  if (ircSetup.references.length > 0 && wanted === "deno") {
    throw new Error("IRC servers in --against need the Node or C load generator (IRC clients)");
  }
  const modes = modeTargets(values.modes, ours);
  if (modes.some((target) => target.clients === "irc") && wanted === "deno") {
    throw new Error("--modes irc needs the Node or C load generator");
  }
  if (modes.some((target) => target.clients === "web") && wanted !== "node") {
    throw new Error("--modes web needs the Node load generator");
  }
  const webReference = references.find((target) => target.clients === "web");
  if (webReference && wanted !== "node") {
    throw new Error(
      `--against ${webReference.name} needs the Node load generator (WebSocket clients)`,
    );
  }
  if (webReference || modes.some((target) => target.clients === "web")) await nodePackages();
  const against = [values.against, values["against-tree"], values.tls].filter(Boolean);
  // --tls with --against: lanchat over TLS first, beside the references (a TLS
  // reference, deno-tls-relay, is Deno's own TLS floor).
  const tlsAgainst = values.tls && values.against !== undefined && !values["against-tree"];
  if (against.length > 1 && !tlsAgainst) {
    throw new Error(
      "--tls and --against-tree, or --against and --against-tree, do not go together",
    );
  }
  const tlsReference = references.find((target) => target.tls);
  if (tlsReference && !values.tls) {
    throw new Error(`--against ${tlsReference.name} is a TLS server: add --tls`);
  }
  const tree = values["against-tree"];
  if (tree !== undefined && !existsSync(`${tree}/server.ts`)) {
    throw new Error(`--against-tree "${tree}" is not a lanchat checkout (no server.ts there)`);
  }
  ircSetup.tree = tree; // the IRC workloads add its IRC clients to their own targets
  // --modes with --against-tree: the other tree driven by the same clients, mode by mode.
  if (tree !== undefined) modes.push(...modeTargets(values.modes, lanchat(false, tree)));
  if (values.tls && wanted !== "node") throw new Error("--tls needs the Node load generator");
  // The C generator is built here, so that a missing cc is one clear line before any run.
  if (wanted === "c") cGenerator();
  // --tls: the same workloads over plain TCP and over TLS, side by side.
  const targets = tlsAgainst ? [lanchat(true), ...references] : [
    ours,
    ...(values.against
      ? references
      : tree
      ? [lanchat(false, tree)]
      : values.tls
      ? [lanchat(true)]
      : []),
  ];
  const rows: Row[] = [];
  const tables: string[] = [];
  for (const workload of WORKLOADS) {
    const named = only &&
      (only.includes(workload.name) || (workload.group && only.includes(workload.group)));
    if (only ? !named : workload.optIn) continue;
    const kinds = workload.generators;
    if (kinds && !kinds.includes(generatorSetup.kind)) {
      const needs = kinds.map((kind) => GENERATOR_NAMES[kind]).join(" or the ");
      if (only) throw new Error(`The ${workload.name} workload needs the ${needs} load generator`);
      console.error(`${workload.name}: skipped, it needs the ${needs} load generator`);
      continue;
    }
    const own = workload.targets ? await workload.targets() : undefined;
    // Runs take turns between the targets (run 1 of each, then run 2 of
    // each, ...), so a machine that gets busier or quieter during the
    // workload weighs on every target alike.
    const workloadRows = (own ?? [...targets, ...(workload.modes ? modes : [])])
      .filter((target) =>
        own ||
        (modes.includes(target)
          ? workload.modes
          : speaksIrc(target)
          ? workload.irc
          : workload.text || target.native)
      )
      .map((target) => {
        const row: Row = { workload: workload.name, target: target.name, runs: [] };
        return { target, row };
      });
    for (let i = 0; i < runs; i++) {
      for (const { target, row } of workloadRows) {
        let measurement: Measurement;
        try {
          measurement = await workload.run(target, smoke);
        } catch (error) {
          measurement = { ok: false, failure: (error as Error).message };
        }
        row.runs.push(measurement);
        console.error(
          `${workload.name} ${target.name} run ${i + 1}: ${JSON.stringify(measurement)}`,
        );
      }
    }
    for (const { row } of workloadRows) rows.push(row);
    if (own) {
      const ownRows = rows.filter((row) => row.workload === workload.name);
      tables.push(
        table(WORKLOADS, ownRows, own, workload.ratioHeader, workload.ratiosAgainstEach),
      );
    }
  }
  const shared = rows.filter((row) => !WORKLOADS.find((w) => w.name === row.workload)?.targets);
  if (shared.length > 0) {
    // --modes: each of lanchat's other clients a row of its own, beside the references.
    // Workloads of several points (scale): a row per point.
    const byPoint = pointRows(WORKLOADS, shared, smoke);
    const byMode = modeRows(byPoint.workloads, byPoint.rows, modes, targets);
    tables.unshift(
      table(byMode.workloads, byMode.rows, targets, undefined, false, sharedRatioColumns(targets)),
    );
  }
  console.log(tables.join("\n\n"));
  const out = values.out ??
    `${ROOT}bench/results/${new Date().toISOString().replace(/[:.]/g, "-")}.json`;
  await Deno.mkdir(`${ROOT}bench/results`, { recursive: true });
  await Deno.writeTextFile(
    out,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        smoke,
        runs,
        generator: generatorSetup.kind,
        readerProcesses,
        warm: generatorSetup.warm,
        rows,
      },
      null,
      2,
    ) + "\n",
  );
  console.error(`results written to ${out}`);
  return rows.every((row) => !row.target.startsWith("lanchat") || row.runs.every((r) => r.ok))
    ? 0
    : 1;
}

if (import.meta.main) {
  // Bad flags (and anything else that stops the run) end in one line, not a stack.
  Deno.exit(
    await main().catch((error) => {
      console.error(`bench: ${error instanceof Error ? error.message : error}`);
      return 2;
    }),
  );
}
