// A second opinion on the latency workload with a Node.js load generator (one process):
// node bench/latency_probe_node.mjs <port> [clients]  against  deno task start --port <port>
//   --no-rate-limit --max-per-ip 100000 --history 0. Prints p50/p99/p99.9 in ms.
// See docs/performance.md: it shows how much of the measured latency is the generator's own.
import net from "node:net";
const port = Number(process.argv[2]);
const clients = Number(process.argv[3] ?? 1000);
const seconds = 10;
const rate = 100;
const now = () => performance.timeOrigin + performance.now();
const lat = [];
let connected = 0;
const socks = [];
await new Promise((resolve) => {
  for (let i = 0; i < clients; i++) {
    const s = net.connect({ host: "127.0.0.1", port }, () => {
      s.setNoDelay(true);
      s.write(`n${i}\n`);
    });
    let partial = "";
    let welcomed = false;
    s.on("data", (buf) => {
      const text = partial + buf.toString("latin1");
      const lines = text.split("\n");
      partial = lines.pop();
      for (const line of lines) {
        if (!welcomed) {
          if (line.includes("Welcome to lanchat, ")) {
            welcomed = true;
            if (++connected === clients) resolve();
          }
          continue;
        }
        let k = line.indexOf("M ");
        while (k !== -1) {
          const t = Number(line.slice(k).split(" ")[3]);
          if (t > 0) lat.push(now() - t);
          k = line.indexOf("M ", k + 2);
        }
      }
    });
    socks.push(s);
  }
});
console.error("connected");
const start = performance.now();
for (let k = 0; k < rate * seconds; k++) {
  const due = start + k * (1000 / rate);
  const wait = due - performance.now();
  if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  socks[k % 10].write(
    `M ${k % 10} ${k} ${now().toFixed(3)} xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n`,
  );
}
await new Promise((r) => setTimeout(r, 1000));
lat.sort((a, b) => a - b);
const q = (p) => lat[Math.floor(p * lat.length)].toFixed(2);
console.log(JSON.stringify({ n: lat.length, p50: q(0.5), p99: q(0.99), p999: q(0.999) }));
process.exit(0);
