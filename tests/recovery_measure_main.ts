/**
 * `deno run -P=test tests/recovery_measure_main.ts [--trials T] [--only outage|leader]`:
 * how soon the chat flows again once JetStream has a room stream leader,
 * each trial on a fresh 3-node NATS cluster (figures in
 * docs/cluster_progress.md, "Chat again as soon as JetStream is"):
 *
 * - `outage`: one chat-server; all three nats-server killed (SIGKILL), away
 *   5 s, started again on the same ports and stores (`--no-rate-limit`). From that restart:
 *   JetStream's meta leader, the room stream's leader, the node's publish
 *   gate open again (its `cluster_available` line), the first message
 *   delivered (one said every 100 ms), the first `/register` accepted (asked
 *   every 100 ms).
 * - `leader`: three chat-server nodes, an observer on each, twelve senders
 *   (four per node, each saying something when its last one was answered,
 *   one message every 50 ms in all); kill -9 of the NATS node leading the
 *   room stream. From the kill: the new leader, and on each node the first
 *   message said after the kill that its observer got.
 *
 * Prints one JSON object per trial (a failed trial prints its error).
 *
 * @module
 */

import { ROOM_STREAM } from "../lib/cluster/cluster_names.ts";
import { ChatCluster } from "./_chat_cluster.ts";
import { runServer } from "./_entry_process.ts";
import { NativeClient, testKey } from "./_native_client.ts";
import { NatsCluster } from "./_nats_cluster.ts";
import { delay } from "./_waiting.ts";

function arg(name: string): string | undefined {
  const at = Deno.args.indexOf(name);
  return at >= 0 ? Deno.args[at + 1] : undefined;
}

/** Resolves with the time (performance.now) of the first of `lines` from `from` on that matches. */
async function firstLine(
  lines: string[],
  match: (line: string) => boolean,
  from: number,
  ms: number,
): Promise<number> {
  const deadline = performance.now() + ms;
  let index = from;
  while (performance.now() < deadline) {
    for (; index < lines.length; index++) if (match(lines[index])) return performance.now();
    await delay(5);
  }
  throw new Error(`no matching line within ${ms} ms`);
}

/** Polls until `check` returns a value; that value. */
async function poll<T>(check: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    const value = await check();
    if (value !== undefined) return value;
    await delay(20);
  }
  throw new Error(`${what}: not within ${ms} ms`);
}

async function outage(): Promise<Record<string, number>> {
  await using nats = await NatsCluster.start();
  const { server, port } = await runServer([
    "--no-discovery",
    "--data-dir",
    ":memory:",
    "--no-rate-limit",
    "--cluster",
    nats.urls.join(","),
  ]);
  await using _server = server;
  await using ana = await NativeClient.connect(port, "ana", { key: await testKey() });
  await using mod = await NativeClient.connect(port, "mod");
  await using sam = await NativeClient.connect(port, "sam");
  await ana.send({ type: "msg", text: "hello" });
  await mod.next("msg", (e) => e.text === "hello");
  for (const { name } of nats.nodes) await nats.kill(name);
  await server.waitStderr((line) => line.includes("event=cluster_link state=down"), 10_000);
  await delay(5_000);
  const logFrom = server.stderr.length;
  for (const { name } of nats.nodes) nats.restart(name);
  const back = performance.now();
  const since = (at: number) => Math.round(at - back);
  const meta = poll(() => nats.metaLeader(), 40_000, "meta leader").then(() => performance.now());
  // A restarted node may name itself the leader from its store before any election.
  const stream = meta.then(() => poll(() => nats.streamLeader(ROOM_STREAM), 40_000, "leader"))
    .then(() => performance.now());
  const gate = firstLine(
    server.stderr,
    (l) => l.includes("event=cluster_available"),
    logFrom,
    40e3,
  );
  const delivered = firstLine(mod.lines, (l) => l.includes('"text":"back'), mod.lines.length, 40e3);
  let done = false;
  const saying = (async () => {
    for (let i = 0; !done; i++) {
      await sam.send({ type: "msg", text: `back${i}` });
      await delay(100);
    }
  })();
  const registered = (async () => {
    for (let i = 0; performance.now() - back < 40_000; i++) {
      const from = ana.lines.length;
      await ana.send({ type: "input", line: "/register" });
      const answered = () =>
        ana.lines.slice(from).find((l) =>
          l.includes('"code":"store_error"') || l.includes("is now registered")
        );
      const reply = await poll(() => Promise.resolve(answered()), 20_000, "an answer to /register")
        .catch(
          (error) => {
            throw new Error(`${error.message}; ana got: ${ana.lines.slice(from).join(" | ")}`);
          },
        );
      if (reply.includes("is now registered")) return performance.now();
      await delay(100);
    }
    throw new Error("/register not accepted within 40 s");
  })();
  try {
    const result = {
      meta_leader_ms: since(await meta),
      stream_leader_ms: since(await stream),
      gate_open_ms: since(await gate),
      first_delivered_ms: since(await delivered),
      register_ms: since(await registered),
    };
    const restarts = server.stderr.slice(logFrom).filter((l) => l.includes("reader_restart"));
    return { ...result, reader_restarts: restarts.length };
  } finally {
    done = true;
    await saying;
  }
}

async function leader(): Promise<Record<string, number | string>> {
  await using chat = await ChatCluster.start({ args: ["--no-rate-limit"] });
  const names = ["A", "B", "C"];
  const observers = await Promise.all(names.map((name, i) => chat.native(name, `obs${i}`)));
  const senders: NativeClient[] = [];
  for (const name of names) {
    for (let i = 0; i < 4; i++) senders.push(await chat.native(name, `s${name}${i}`));
  }
  await senders[0].send({ type: "msg", text: "warm" });
  for (const observer of observers) await observer.next("msg", (e) => e.text === "warm");
  const killed = await chat.nats.streamLeader(ROOM_STREAM);
  if (!killed) throw new Error("the room stream has no leader");
  let done = false;
  const busy = new Set<NativeClient>();
  let n = 0;
  const saying = (async () => {
    for (let turn = 0; !done; turn++) {
      const sender = senders[turn % senders.length];
      if (!busy.has(sender)) {
        busy.add(sender);
        const from = sender.lines.length;
        const text = `k${n++}`;
        await sender.send({ type: "msg", text });
        // Its answer: its own message back, or an error; then it may say the next.
        firstLine(
          sender.lines,
          (l) => l.includes(`"text":"${text}"`) || l.includes('"type":"error"'),
          from,
          30_000,
        ).finally(() => busy.delete(sender)).catch(() => {});
      }
      await delay(50);
    }
  })();
  const marks = observers.map((o) => o.lines.length);
  const killedAt = performance.now();
  await chat.nats.kill(killed);
  const since = (at: number) => Math.round(at - killedAt);
  try {
    const elected = await poll(() => chat.nats.streamLeader(ROOM_STREAM), 40_000, "new leader");
    const electedMs = since(performance.now());
    const firsts = await Promise.all(
      observers.map((o, i) => firstLine(o.lines, (l) => l.includes('"text":"k'), marks[i], 40e3)),
    );
    const result: Record<string, number | string> = {
      killed,
      new_leader: elected,
      new_leader_ms: electedMs,
    };
    firsts.forEach((at, i) => result[`delivered_${names[i]}_ms`] = since(at));
    result.all_delivered_after_leader_ms = Math.max(...firsts.map(since)) - electedMs;
    return result;
  } finally {
    done = true;
    await saying;
  }
}

const trials = Number(arg("--trials") ?? 3);
const only = arg("--only");
const runs: [string, () => Promise<unknown>][] = [["outage", outage], ["leader", leader]];
for (const [name, run] of runs) {
  if (only && name !== only) continue;
  for (let trial = 1; trial <= trials; trial++) {
    try {
      console.log(JSON.stringify({ run: name, trial, ...await run() as object }));
    } catch (error) {
      const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
      console.log(JSON.stringify({ run: name, trial, failed: message }));
    }
  }
}
