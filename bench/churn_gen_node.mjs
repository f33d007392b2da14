// The churn workload's generator (Node.js): what a connection flooder does
// to a TLS server, and what it leaves behind in the server process.
//
// 1. `raw` TCP connections, `concurrency` at a time, each closed as soon as
//    it is connected (no byte sent);
// 2. `handshakes` full TLS handshakes, `concurrency` at a time, each closed
//    once the handshake is done;
// 3. `silent` connections that never send a byte, held until the server
//    closes them (or `silentWaitMs` passes).
//
// Between the phases it reads the server's RSS and open file descriptors
// from /proc/<pid>; at the end it leaves the server alone for `settleMs`
// (V8 gives unused heap pages back only after some idle seconds) and reads
// them once more. It prints one JSON report.
//
// Usage (by bench/bench.ts): node bench/churn_gen_node.mjs '<config JSON>'
//   config: { port, pid, raw, handshakes, silent, silentWaitMs, settleMs, concurrency }

import net from "node:net";
import tls from "node:tls";
import fs from "node:fs";
import process from "node:process";

const config = JSON.parse(process.argv[2]);
const { port, pid } = config;

function rssMiB() {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}

function fds() {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `task` `total` times, `concurrency` at once. */
async function pool(total, concurrency, task) {
  let started = 0;
  let failures = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (started < total) {
      started++;
      if (!(await task())) failures++;
    }
  }));
  return failures;
}

/** Connects and closes at once; true when the connection was made. */
function raw() {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** A full TLS handshake, then close; true when the handshake finished. */
function handshake() {
  return new Promise((resolve) => {
    const socket = tls.connect({ port, host: "127.0.0.1", rejectUnauthorized: false });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, 10_000);
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

/**
 * Waits until the RSS stops moving for a moment (four readings 250 ms apart
 * within 0.5 MiB of each other, at most `ms`) and the fd count is back to
 * `fdTarget`: the state right after a phase.
 */
async function pause(fdTarget, ms = 5000) {
  const deadline = Date.now() + ms;
  const readings = [rssMiB()];
  while (Date.now() < deadline) {
    await sleep(250);
    readings.push(rssMiB());
    const last = readings.slice(-4);
    const steady = last.length === 4 && Math.max(...last) - Math.min(...last) <= 0.5;
    if (steady && fds() <= fdTarget) break;
  }
  return { rssMiB: readings.at(-1), fds: fds() };
}

async function main() {
  await sleep(500);
  const start = { rssMiB: rssMiB(), fds: fds() };
  const rawFailures = await pool(config.raw, config.concurrency, raw);
  const afterRaw = await pause(start.fds);
  const handshakeFailures = await pool(config.handshakes, config.concurrency, handshake);
  const afterHandshakes = await pause(start.fds);

  // Silent peers: connected, never a byte. The server must close them.
  const opened = Date.now();
  const sockets = [];
  let closedByServer = 0;
  let lastClose = opened;
  for (let i = 0; i < config.silent; i++) {
    const socket = net.connect({ port, host: "127.0.0.1" });
    socket.on("error", () => {});
    socket.on("data", () => {}); // A plain-text hint may come before the close.
    socket.once("close", () => {
      closedByServer++;
      lastClose = Date.now();
    });
    sockets.push(socket);
  }
  await sleep(300);
  const silentOpenFds = fds();
  const until = Date.now() + config.silentWaitMs;
  while (Date.now() < until && closedByServer < config.silent) await sleep(50);
  const silentLeftOpen = fds() - start.fds;
  for (const socket of sockets) socket.destroy();

  // Left alone: what the server keeps for good.
  await sleep(config.settleMs);
  const settled = await pause(start.fds);

  console.log(JSON.stringify({
    start,
    afterRaw,
    afterHandshakes,
    settled,
    rawFailures,
    handshakeFailures,
    silentOpenFds,
    silentClosedByServer: closedByServer,
    silentClosedAfterMs: closedByServer === config.silent ? lastClose - opened : undefined,
    silentLeftOpen,
  }));
}

main().catch((error) => {
  console.error(`churn_gen_node: ${error?.stack ?? error}`);
  process.exit(1);
});
