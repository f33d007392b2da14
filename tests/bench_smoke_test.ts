/**
 * The benchmark harness on a tiny workload, so it cannot rot. No timing
 * assertions: only that every workload ran, completed, and reported its
 * metrics.
 */

import assert from "node:assert/strict";
import { ROOT } from "./_entry_process.ts";
import { pointName, scaleWorkload, SMOKE_SCALE_POINTS } from "../bench/scale_workload.ts";

/** Runs `bench/bench.ts --smoke --out <out> ...args`; its exit code, stdout and stderr. */
async function smokeBench(out: string, args: string[] = []) {
  const result = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-q", "-P=bench", "bench/bench.ts", "--smoke", "--out", out, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  return {
    code: result.code,
    stdout: decoder.decode(result.stdout),
    stderr: decoder.decode(result.stderr),
  };
}

Deno.test("deno task bench --smoke runs every workload to completion and writes its JSON", async () => {
  const out = `${ROOT}bench/results/smoke-${crypto.randomUUID()}.json`;
  const { code, stdout, stderr } = await smokeBench(out);
  try {
    assert.equal(code, 0, stderr);
    const report = JSON.parse(await Deno.readTextFile(out));
    const names = report.rows.map((row: { workload: string }) => row.workload);
    assert.deepEqual(names, [
      ...["flood", "latency", "crowd", "stalled", "native", "persist", "web", "web"],
    ]);
    for (const row of report.rows) {
      for (const run of row.runs) {
        assert.equal(run.ok, true, `${row.workload}: ${run.failure}`);
      }
    }
    const flood = report.rows[0].runs[0];
    assert.equal(flood.deliveries, 2 * 50 * 5, "every message reached every other client");
    assert.ok(flood.deliveriesPerSec > 0);
    assert.ok(report.rows[1].runs[0].p99 > 0);
    assert.match(stdout, /^\| workload \| metric \| lanchat \|$/m);
    // The web workload: WebSocket clients, then native and text ones, in a table of its own.
    const web = report.rows.filter((row: { workload: string }) => row.workload === "web");
    assert.deepEqual(web.map((row: { target: string }) => row.target), [
      ...["lanchat WebSocket", "lanchat native/text"],
    ]);
    for (const row of web) {
      assert.equal(row.runs[0].deliveries, 2 * 50 * 6, `${row.target}: echoed to every client`);
      assert.ok(row.runs[0].idleRssPerClientKiB > 0);
    }
    assert.match(stdout, /^\| web \| flood deliveries\/s \| .* \| .* \| \d+\.\d\dx \|$/m);
  } finally {
    await Deno.remove(out).catch(() => {});
  }
});

Deno.test("deno task bench --smoke --generator c drives the flood, latency and crowd with the C load generator", async () => {
  const out = `${ROOT}bench/results/smoke-${crypto.randomUUID()}.json`;
  const { code, stderr } = await smokeBench(out, [
    ...["--only", "flood,latency,crowd", "--generator", "c"],
  ]);
  try {
    assert.equal(code, 0, stderr);
    const report = JSON.parse(await Deno.readTextFile(out));
    assert.equal(report.generator, "c");
    const [flood, latency, crowd] = report.rows.map((row: { runs: Record<string, unknown>[] }) =>
      row.runs[0]
    );
    assert.deepEqual(report.rows.map((row: { workload: string }) => row.workload), [
      ...["flood", "latency", "crowd"],
    ]);
    for (const run of [flood, latency, crowd]) assert.equal(run.ok, true, String(run.failure));
    // 2 senders x 50 messages, each to the 5 other clients.
    assert.equal(flood.deliveries, 2 * 50 * 5, "every message reached every other client");
    // 20 messages in 1 s over 10 senders: 20 to each of 10 readers, 18 to each sender.
    assert.equal(latency.deliveries, 10 * 20 + 10 * 18);
    assert.ok(latency.p50 > 0 && latency.p99 >= latency.p50, JSON.stringify(latency));
    // The generators' own CPU, which the C generator reports as the Node one does.
    assert.ok(latency.generatorCpuSec > 0, JSON.stringify(latency));
    // One broadcast from one of 60 clients to the 59 others.
    assert.equal(crowd.deliveries, 59);
    assert.ok(crowd.broadcastMs > 0 && crowd.connectSec > 0, JSON.stringify(crowd));
    // The server's CPU over the connect, read from /proc in clock ticks (60 connects may take none).
    assert.ok(
      typeof crowd.serverConnectCpuSec === "number" && crowd.serverConnectCpuSec >= 0,
      JSON.stringify(crowd),
    );
  } finally {
    await Deno.remove(out).catch(() => {});
  }
});

Deno.test("deno task bench --generator c refuses the WebSocket workload, which only Node's generator drives", async () => {
  const out = `${ROOT}bench/results/smoke-${crypto.randomUUID()}.json`;
  const { code, stderr } = await smokeBench(out, ["--only", "web", "--generator", "c"]);
  assert.equal(code, 2);
  assert.match(stderr, /The web workload needs the Node load generator/);
  await Deno.remove(out).catch(() => {});
});

Deno.test("deno task bench --against drives a foreign line server (the C floor relay) through the text workloads", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lanchat-floor-" });
  const relay = `${dir}/floor_relay`;
  const out = `${dir}/report.json`;
  try {
    const build = await new Deno.Command("cc", {
      args: ["-O2", "-pthread", "-o", relay, "bench/reference/floor_relay.c"],
      cwd: ROOT,
      stderr: "piped",
    }).output().catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      throw new Error("no C compiler (cc) to build the relay: install gcc (.ci/run does)");
    });
    assert.equal(build.code, 0, new TextDecoder().decode(build.stderr));
    const { code, stdout, stderr } = await smokeBench(out, [
      ...["--only", "flood,latency,crowd,stalled", "--against", `${relay} {port} 2`],
    ]);
    assert.equal(code, 0, stderr);
    const report = JSON.parse(await Deno.readTextFile(out));
    const foreign = report.rows.filter((row: { target: string }) => row.target !== "lanchat");
    assert.deepEqual(
      foreign.map((row: { workload: string }) => row.workload),
      ["flood", "latency", "crowd", "stalled"],
    );
    for (const row of foreign) {
      for (const run of row.runs) assert.equal(run.ok, true, `${row.workload}: ${run.failure}`);
    }
    assert.equal(foreign[0].runs[0].deliveries, 2 * 50 * 5, "the relay passed every line on");
    assert.match(stdout, /^\| workload \| metric \| lanchat \| .*floor_relay .*\|$/m);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("deno task bench --against relay,ncat,ngircd runs every reference by name, each with its own clients, in one table", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lanchat-refs-" });
  const out = `${dir}/report.json`;
  try {
    const { code, stdout, stderr } = await smokeBench(out, [
      ...["--only", "flood,latency,crowd", "--against", "relay,ncat,ngircd"],
      ...["--modes", "native,irc"],
    ]);
    assert.equal(code, 0, stderr);
    const report = JSON.parse(await Deno.readTextFile(out));
    type Run = Record<string, number | boolean | string>;
    const rows: { workload: string; target: string; runs: Run[] }[] = report.rows;
    const run = (workload: string, target: string) => {
      const row = rows.find((r) => r.workload === workload && r.target === target);
      assert.ok(row, `no ${workload} row for ${target}: ${rows.map((r) => r.target).join(", ")}`);
      assert.equal(row.runs[0].ok, true, `${workload} ${target}: ${row.runs[0].failure}`);
      return row.runs[0];
    };
    for (const target of ["lanchat", "relay", "ncat", "ngircd"]) {
      // 2 senders x 50 messages, each to the 5 other clients: text, or IRC for ngircd.
      assert.equal(run("flood", target).deliveries, 2 * 50 * 5, `flood ${target}`);
      assert.equal(typeof run("flood", target).serverNsPerDelivery, "number");
      assert.ok((run("latency", target).p99 as number) > 0, `latency ${target}`);
      assert.ok((run("crowd", target).broadcastMs as number) > 0, `crowd ${target}`);
    }
    // --modes: lanchat's native clients get their own messages back too.
    assert.equal(run("flood", "lanchat-native").deliveries, 2 * 50 * 6);
    assert.equal(run("flood", "lanchat-irc").deliveries, 2 * 50 * 5);
    assert.ok(!rows.some((r) => r.workload !== "flood" && r.target.startsWith("lanchat-")));
    assert.match(
      stdout,
      /^\| workload \| metric \| lanchat \| relay \| ncat \| ngircd \| lanchat\/relay \| lanchat\/best IRC \|$/m,
    );
    assert.match(stdout, /^\| flood \(irc\) \| server CPU ns\/delivery \| (?:[^|]+\|){6}$/m);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("deno task bench --smoke --only irc drives lanchat with IRC clients and text clients", async () => {
  const out = `${ROOT}bench/results/smoke-${crypto.randomUUID()}.json`;
  const { code, stdout, stderr } = await smokeBench(out, ["--only", "irc"]);
  try {
    assert.equal(code, 0, stderr);
    const report = JSON.parse(await Deno.readTextFile(out));
    const rows = report.rows.map((row: { workload: string; target: string }) =>
      `${row.workload} ${row.target}`
    );
    for (const workload of ["irc-flood", "irc-latency", "irc-idle", "irc-crowd"]) {
      assert.ok(rows.includes(`${workload} lanchat-irc`), rows.join(", "));
      assert.ok(rows.includes(`${workload} lanchat-text`), rows.join(", "));
    }
    for (const row of report.rows) {
      for (const run of row.runs) assert.equal(run.ok, true, `${row.workload}: ${run.failure}`);
    }
    // 2 senders x 50 PRIVMSGs, each to the 5 other members of #lobby.
    assert.equal(report.rows[0].runs[0].deliveries, 2 * 50 * 5);
    assert.match(stdout, /^\| irc-flood \| deliveries\/s \| .* \| .* \| \d+\.\d\dx \|$/m);
  } finally {
    await Deno.remove(out).catch(() => {});
  }
});

Deno.test("deno task bench --smoke --only scale reports every point against the relay, a row per point and metric", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lanchat-scale-" });
  const out = `${dir}/report.json`;
  try {
    const { code, stdout, stderr } = await smokeBench(out, [
      ...["--only", "scale", "--against", "relay"],
    ]);
    assert.equal(code, 0, stderr);
    const report = JSON.parse(await Deno.readTextFile(out));
    type Run = Record<string, number | boolean | string>;
    const rows: { workload: string; target: string; runs: Run[] }[] = report.rows;
    assert.deepEqual(rows.map((row) => `${row.workload} ${row.target}`), [
      ...["scale lanchat", "scale relay"],
    ]);
    for (const row of rows) {
      const run = row.runs[0];
      assert.equal(run.ok, true, `${row.target}: ${run.failure}`);
      for (const point of SMOKE_SCALE_POINTS) {
        const name = pointName(point);
        // Each of the rate messages in 1 s reaches every client but its sender.
        assert.equal(
          run[`${name} deliveries`],
          point.clients * point.rate - point.rate,
          `${row.target} ${name}: every message reached every other client`,
        );
        assert.ok((run[`${name} p99`] as number) > 0, `${row.target} ${name}`);
        assert.equal(typeof run[`${name} serverCpuShare`], "number", `${row.target} ${name}`);
      }
    }
    // One row per point and metric, each with a number for both targets.
    const number = String.raw`\d+(?:\.\d+)?[kM]?`;
    for (const point of SMOKE_SCALE_POINTS) {
      for (const { label } of scaleWorkload.metrics) {
        const row = `| scale ${pointName(point)} | ${label} | `;
        const line = stdout.split("\n").find((line) => line.startsWith(row));
        assert.ok(line, `no row "${row}" in:\n${stdout}`);
        assert.match(line, new RegExp(`^\\| [^|]+ \\| [^|]+ \\| ${number} \\| ${number} \\| `));
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

for (const generator of ["c", "node", "deno"]) {
  Deno.test(`deno task bench --against relay-hello,deno-relay-hello connects ${generator} generator clients with a name line first (the "hello" handshake)`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "lanchat-hello-" });
    const out = `${dir}/report.json`;
    try {
      const { code, stderr } = await smokeBench(out, [
        ...["--only", "flood,crowd", "--against", "relay-hello,deno-relay-hello"],
        ...["--generator", generator],
      ]);
      assert.equal(code, 0, stderr);
      const report = JSON.parse(await Deno.readTextFile(out));
      type Run = Record<string, number | boolean | string>;
      const rows: { workload: string; target: string; runs: Run[] }[] = report.rows;
      for (const target of ["relay-hello", "deno-relay-hello"]) {
        const [flood, crowd] = ["flood", "crowd"].map((workload) => {
          const row = rows.find((r) => r.workload === workload && r.target === target);
          assert.ok(row, `no ${workload} row for ${target}`);
          assert.equal(row.runs[0].ok, true, `${workload} ${target}: ${row.runs[0].failure}`);
          return row.runs[0];
        });
        // Every client said its name and was greeted (a relay with --hello greets no one
        // before that) before the traffic, which reached every one of them.
        assert.equal(flood.deliveries, 2 * 50 * 5, `flood ${target}`);
        assert.equal(crowd.deliveries, 59, `crowd ${target}`);
        assert.ok((crowd.connectSec as number) > 0, `crowd ${target}`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  });
}

Deno.test("deno task bench --modes web --against deno-ws-relay drives Deno's WebSocket floor with the same WebSocket clients", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lanchat-ws-floor-" });
  const out = `${dir}/report.json`;
  try {
    const refused = await smokeBench(out, [
      "--only",
      "flood",
      "--against",
      "deno-ws-relay",
      "--generator",
      "c",
    ]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--against deno-ws-relay needs the Node load generator/);
    const { code, stdout, stderr } = await smokeBench(out, [
      ...["--only", "flood", "--modes", "web", "--against", "deno-ws-relay", "--generator", "node"],
    ]);
    assert.equal(code, 0, stderr);
    const report = JSON.parse(await Deno.readTextFile(out));
    const rows: { workload: string; target: string; runs: Record<string, unknown>[] }[] =
      report.rows;
    for (const target of ["lanchat-web", "deno-ws-relay"]) {
      const row = rows.find((r) => r.workload === "flood" && r.target === target);
      assert.equal(row?.runs[0].ok, true, `${target}: ${row?.runs[0].failure}`);
      // 2 senders x 50 messages to all 6 clients, the sender's own back too.
      assert.equal(row?.runs[0].deliveries, 2 * 50 * 6, target);
    }
    assert.match(stdout, /^\| flood \(web\) \| server CPU ns\/delivery \| (?:[^|]+\|){3}$/m);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
