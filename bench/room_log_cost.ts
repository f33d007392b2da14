/**
 * The CPU one chat-server node spends on the room stream, alone in one
 * process: a `NatsRoomLog` on a fresh 3-node NATS cluster (R3) publishing
 * events the way the hub does (each of `--senders` senders waits for its
 * own event's acknowledgement before sending the next) and reading every
 * event back through its ordered consumer. Reports the process's CPU per
 * event (user + system: the Deno binary's socket I/O counts), the wall
 * time, medians of `--runs`. `--readers N` adds N more logs in this process
 * that only read (the other nodes' share: each node reads every event).
 * `--profile FILE` writes a V8 CPU profile of the last run and prints the
 * self time by source (the NATS client, lanchat, the runtime).
 *
 * Usage: deno run -A bench/room_log_cost.ts [--events 6000] [--senders 6] [--rooms 1]
 *        [--runs 3] [--readers 0] [--profile /tmp/room_log.cpuprofile] [--urls nats://...]
 *
 * @module
 */

import process from "node:process";
import { Session } from "node:inspector";
import { parseArgs } from "node:util";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { natsConnectOptions } from "../lib/server/nats_connect.ts";
import { NatsRoomLog } from "../lib/cluster/nats_room_log.ts";
import { NatsProcesses } from "./nats_processes.ts";

/** What one run measured. */
interface Cost {
  cpuUsPerEvent: number;
  sysUsPerEvent: number;
  wallMs: number;
  eventsPerSec: number;
}

/** A V8 CPU profile's nodes, as `Profiler.stop` returns them. */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  hitCount?: number;
}

/** One run: publishes `events` over `senders`, until every log has read every event. */
async function run(
  urls: string,
  options: { events: number; senders: number; rooms: number; readers: number; node: string },
): Promise<Cost> {
  const connections: NatsConnection[] = [];
  const logs: NatsRoomLog[] = [];
  let read = 0;
  const total = options.events * (1 + options.readers);
  let done: () => void = () => {};
  const allRead = new Promise<void>((resolve) => done = resolve);
  try {
    for (let i = 0; i <= options.readers; i++) {
      const nc = await connect(
        natsConnectOptions({ urls: urls.split(",") }, `${options.node}-${i}`),
      );
      connections.push(nc);
      const log = await NatsRoomLog.start({ nc, node: `${options.node}-${i}` });
      log.listen(() => {
        if (++read === total) done();
      });
      logs.push(log);
    }
    const writer = logs[0];
    const perSender = Math.ceil(options.events / options.senders);
    const startCpu = process.cpuUsage();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: options.senders }, async (_, s) => {
        for (let i = 0; i < perSender && s * perSender + i < options.events; i++) {
          const room = `room${(s + i) % options.rooms}`;
          await writer.append(room, room, {
            type: "msg",
            ts: Date.now(),
            from: `sender${s}`,
            text: `message ${i} from sender ${s}: some words of an ordinary length here`,
            kind: "say",
          });
        }
      }),
    );
    await allRead;
    const wallMs = performance.now() - started;
    const cpu = process.cpuUsage(startCpu);
    return {
      cpuUsPerEvent: (cpu.user + cpu.system) / options.events,
      sysUsPerEvent: cpu.system / options.events,
      wallMs,
      eventsPerSec: options.events / (wallMs / 1000),
    };
  } finally {
    for (const log of logs) await log.stop();
    for (const nc of connections) await nc.close();
  }
}

/** Self time by where the code comes from, in percent of the samples. */
function bySource(nodes: ProfileNode[]): [string, number][] {
  const totals = new Map<string, number>();
  let all = 0;
  for (const node of nodes) {
    const hits = node.hitCount ?? 0;
    all += hits;
    const { url, functionName } = node.callFrame;
    const source = url === ""
      ? `(${functionName || "native"})`
      : url.includes("@nats-io/")
      ? `nats: ${url.replace(/.*@nats-io\/([^/]+)\/[^/]+\/(.*)$/, "$1/$2")}`
      : url.includes("/lanchat") || url.includes("/wt-")
      ? `lanchat: ${url.replace(/.*\/(lib|bench)\//, "$1/")}`
      : `runtime: ${url.replace(/.*\/(ext|node)\//, "$1/")}`;
    totals.set(source, (totals.get(source) ?? 0) + hits);
  }
  return [...totals].sort((a, b) => b[1] - a[1]).map(([s, h]) => [s, (100 * h) / all]);
}

/** Self time by function, in percent of the samples. */
function byFunction(nodes: ProfileNode[]): [string, number][] {
  const totals = new Map<string, number>();
  let all = 0;
  for (const node of nodes) {
    const hits = node.hitCount ?? 0;
    all += hits;
    const file = node.callFrame.url.replace(/.*\//, "");
    const key = `${node.callFrame.functionName || "(anonymous)"} ${file}`;
    totals.set(key, (totals.get(key) ?? 0) + hits);
  }
  return [...totals].sort((a, b) => b[1] - a[1]).map(([s, h]) => [s, (100 * h) / all]);
}

function post<T>(session: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) =>
    session.post(
      method,
      params ?? {},
      (error, result) => error ? reject(error) : resolve(result as T),
    )
  );
}

const median = (values: number[]) =>
  values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)];

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      events: { type: "string", default: "6000" },
      senders: { type: "string", default: "6" },
      rooms: { type: "string", default: "1" },
      runs: { type: "string", default: "3" },
      readers: { type: "string", default: "0" },
      profile: { type: "string" },
      urls: { type: "string" },
    },
  });
  const options = {
    events: Number(values.events),
    senders: Number(values.senders),
    rooms: Number(values.rooms),
    readers: Number(values.readers),
  };
  // `--urls`: a NATS cluster already running (to trace this process alone).
  await using nats = values.urls ? undefined : await NatsProcesses.start();
  const urls = values.urls ?? nats!.urls;
  // A first, short run: the stream is created and the code warmed up.
  await run(urls, { ...options, events: 500, node: "warm" });
  const costs: Cost[] = [];
  const runs = Number(values.runs);
  for (let i = 0; i < runs; i++) {
    const profiling = values.profile !== undefined && i === runs - 1;
    const session = profiling ? new Session() : undefined;
    if (session) {
      session.connect();
      await post(session, "Profiler.enable");
      await post(session, "Profiler.setSamplingInterval", { interval: 200 });
      await post(session, "Profiler.start");
    }
    costs.push(await run(urls, { ...options, node: `run${i}` }));
    if (session && values.profile) {
      const { profile } = await post<{ profile: { nodes: ProfileNode[] } }>(
        session,
        "Profiler.stop",
      );
      await Deno.writeTextFile(values.profile, JSON.stringify(profile));
      session.disconnect();
      console.log("self time by source (%):");
      for (const [source, pct] of bySource(profile.nodes).slice(0, 25)) {
        console.log(`  ${pct.toFixed(1).padStart(5)}  ${source}`);
      }
      console.log("self time by function (%):");
      for (const [fn, pct] of byFunction(profile.nodes).slice(0, 40)) {
        console.log(`  ${pct.toFixed(1).padStart(5)}  ${fn}`);
      }
    }
    const c = costs.at(-1)!;
    console.log(
      `run ${i + 1}: ${c.cpuUsPerEvent.toFixed(1)} µs CPU/event, ` +
        `${Math.round(c.eventsPerSec)} events/s, ${Math.round(c.wallMs)} ms`,
    );
  }
  console.log(
    JSON.stringify({
      ...options,
      cpuUsPerEvent: Math.round(median(costs.map((c) => c.cpuUsPerEvent)) * 10) / 10,
      eventsPerSec: Math.round(median(costs.map((c) => c.eventsPerSec))),
      sysUsPerEvent: Math.round(median(costs.map((c) => c.sysUsPerEvent)) * 10) / 10,
      runs: costs.map((c) => Math.round(c.cpuUsPerEvent * 10) / 10),
    }),
  );
}
