/**
 * The web workload: browsers' way in (WebSocket on the chat port, `--plain`)
 * against the native protocol and text clients, in the same run, the runs
 * taking turns. Each run is the flood (as the native workload: 100 clients,
 * 10 send 2,000 messages each) and an idle crowd of 5,000 clients, once with
 * WebSocket clients and once with native (flood) and text (crowd) clients;
 * the table's ratio column is web/native for the flood and web/text for the
 * crowd (issue 14's targets: at least 0.75 for deliveries/s, at most 2 for
 * memory per idle client).
 *
 * The WebSocket clients run in the Node load generator with npm `ws`
 * (bench/web_client_node.mjs), installed into bench/node/ by {@linkcode
 * nodePackages} from a lock file that pins its version and hash.
 *
 * @module
 */

import { existsSync } from "node:fs";
import { ROOT } from "./server_process.ts";
import { lanchat, type Target } from "./targets.ts";
import { runCrowd, runFlood } from "./traffic_workloads.ts";
import type { Measurement, Workload } from "./workload.ts";

/** The generator's npm packages live here (package.json and package-lock.json committed). */
const NODE_DIR = `${ROOT}bench/node`;

/** Clients in the idle crowd of each kind. */
export const WEB_CROWD = 5_000;

let installed: Promise<void> | undefined;

/**
 * Installs the Node generator's npm packages (`ws`) into bench/node/node_modules
 * with `npm ci` (exactly what package-lock.json says, its integrity checked)
 * unless the version the lock names is there already; once per run.
 */
export function nodePackages(): Promise<void> {
  installed ??= (async () => {
    const lock = JSON.parse(await Deno.readTextFile(`${NODE_DIR}/package-lock.json`));
    const want = lock.packages["node_modules/ws"].version as string;
    const manifest = `${NODE_DIR}/node_modules/ws/package.json`;
    if (existsSync(manifest) && JSON.parse(await Deno.readTextFile(manifest)).version === want) {
      return;
    }
    console.error(
      `installing npm ws ${want} for the WebSocket load generator (npm ci in bench/node)`,
    );
    let output: Deno.CommandOutput;
    try {
      output = await new Deno.Command("npm", {
        args: ["ci", "--no-audit", "--no-fund", "--ignore-scripts"],
        cwd: NODE_DIR,
        stdout: "null",
        stderr: "piped",
      }).output();
    } catch (error) {
      throw new Error("The web workload needs npm (it comes with Node) to install ws", {
        cause: error,
      });
    }
    if (!output.success) {
      const why = new TextDecoder().decode(output.stderr).trim().split("\n").slice(-3).join(" ");
      throw new Error(`npm ci in bench/node failed: ${why}`);
    }
  })();
  return installed;
}

const ours = lanchat(false);
/** lanchat driven by WebSocket clients. */
const WEB: Target = { ...ours, name: "lanchat WebSocket" };
/** lanchat driven by native clients (the flood) and text clients (the crowd). */
const BASELINE: Target = { ...ours, name: "lanchat native/text" };

/** See the module doc. */
export const webWorkload: Workload = {
  name: "web",
  description:
    "the native flood and an idle crowd of 5,000 over WebSocket, against native (flood) and text (crowd) clients",
  text: false,
  generators: ["node"],
  ratioHeader: "web/native (flood), web/text (crowd)",
  metrics: [
    { key: "deliveriesPerSec", label: "flood deliveries/s", higherIsBetter: true },
    {
      key: "serverUsPerDelivery",
      label: "flood server CPU µs/delivery",
      higherIsBetter: false,
    },
    {
      key: "idleRssPerClientKiB",
      label: `crowd of ${WEB_CROWD.toLocaleString("en")} idle: server KiB/client`,
      higherIsBetter: false,
    },
    { key: "connectSec", label: "crowd: connect all s", higherIsBetter: false },
    { key: "broadcastMs", label: "crowd: one broadcast to all ms", higherIsBetter: false },
  ],
  targets: () => Promise.resolve([WEB, BASELINE]),
  async run(target, smoke) {
    const web = target.name === WEB.name;
    if (web) await nodePackages();
    const flood = await runFlood(target, smoke, web ? "web" : "native");
    const crowd = await runCrowd(target, smoke, web ? "web" : "text", smoke ? 60 : WEB_CROWD);
    const result: Measurement = {
      ok: flood.ok && crowd.ok,
      failure: flood.failure ?? crowd.failure,
      deliveries: flood.deliveries,
      deliveriesPerSec: flood.deliveriesPerSec,
      serverCpuSec: flood.serverCpuSec,
      serverUsPerDelivery: flood.serverUsPerDelivery,
      idleRssPerClientKiB: crowd.idleRssPerClientKiB,
      rssPerClientKiB: crowd.rssPerClientKiB,
      connectSec: crowd.connectSec,
      broadcastMs: crowd.broadcastMs,
    };
    return result;
  },
};
