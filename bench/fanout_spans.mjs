// How long the server takes to hand one broadcast to the kernel: reads
// `perf script -F time,event` output of the server's sendto system calls
// (perf record -e syscalls:sys_enter_sendto -p <server pid>) on stdin, cuts
// it into broadcasts of <recipients> sends each, and prints the quantiles of
// the time from a broadcast's first send to its last. A recipient of the
// last send cannot read the message before that, whatever the generator.
//
// Usage: perf script -i perf.data -F time,event | node bench/fanout_spans.mjs 999

import process from "node:process";
import readline from "node:readline";

const recipients = Number(process.argv[2] ?? 999);
const times = [];
for await (const line of readline.createInterface({ input: process.stdin })) {
  if (line.includes("sendto")) times.push(parseFloat(line) * 1000);
}
const spans = [];
for (let i = 0; i + recipients <= times.length; i += recipients) {
  spans.push(times[i + recipients - 1] - times[i]);
}
spans.sort((a, b) => a - b);
const q = (p) => spans[Math.min(spans.length - 1, Math.floor(p * spans.length))]?.toFixed(2);
console.log(JSON.stringify({
  sends: times.length,
  broadcasts: spans.length,
  leftover: times.length % recipients,
  spanMs: { p50: q(0.5), p90: q(0.9), p99: q(0.99), max: q(1) },
  usPerSend: spans.length
    ? (spans[Math.floor(spans.length / 2)] * 1000 / (recipients - 1)).toFixed(2)
    : undefined,
}));
