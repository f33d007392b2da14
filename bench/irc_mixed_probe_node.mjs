// IRC against text latency in one room of one lanchat server, at the same
// moment: half the readers are IRC clients, half text clients, and the
// senders take turns between the two kinds. Whatever the machine's load, both
// kinds see the same; a difference between them is the IRC path's own (the
// server's codec and session, or this process's parsing, which is the same
// code for both kinds here).
//
//   deno task start --plain --no-persist --host 127.0.0.1 --port P --no-rate-limit \
//     --max-per-ip 100000 --max-clients 100000 --history 0 --log-level error
//   node bench/irc_mixed_probe_node.mjs P [clients=1000] [rate=100] [seconds=10]
//
// Prints one JSON line: p50/p99 in ms for IRC readers and for text readers,
// by sender kind too (IRC sender, text sender), and the deliveries counted.
import net from "node:net";
import process from "node:process";

const port = Number(process.argv[2]);
const clients = Number(process.argv[3] ?? 1000);
const rate = Number(process.argv[4] ?? 100);
const seconds = Number(process.argv[5] ?? 10);
const SENDERS = 10;
/** Monotonic ms (the clock the senders stamp). */
const now = () => {
  const [s, ns] = process.hrtime();
  return s * 1000 + ns / 1e6;
};
/** Latencies by `${reader kind}<-${sender kind}`. */
const lat = { "irc<-irc": [], "irc<-text": [], "text<-irc": [], "text<-text": [] };
const socks = [];

/** One receive buffer for every socket (net's `onread`): no allocation per read. */
const shared = Buffer.allocUnsafe(64 * 1024);

/** "M <from> <seq> <sent-at>" in `buf[start..end)`: the latency, by kind. */
function line(irc, buf, start, end, got) {
  const m = buf.indexOf("M ", start, "latin1");
  if (m === -1 || m >= end) return;
  let i = m + 2;
  let from = 0;
  while (buf[i] !== 0x20) from = from * 10 + buf[i++] - 0x30;
  i++;
  while (buf[i] !== 0x20) i++;
  const t = Number(buf.toString("latin1", i + 1, buf.indexOf(0x20, i + 1)));
  if (t > 0) lat[`${irc ? "irc" : "text"}<-${from % 2 === 0 ? "irc" : "text"}`].push(got - t);
}

function client(i) {
  const irc = i % 2 === 0;
  const nick = `${irc ? "i" : "t"}${i}`;
  return new Promise((resolve, reject) => {
    let head = "";
    let welcomed = false;
    let partial = null;
    const feed = (n, buf) => {
      const got = now();
      if (!welcomed) {
        head += buf.toString("latin1", 0, n);
        if (irc ? / 366 /.test(head) : /Welcome to .*, /.test(head)) {
          welcomed = true;
          resolve();
        }
        return;
      }
      if (partial) {
        buf = Buffer.concat([partial, buf.subarray(0, n)]);
        n = buf.length;
        partial = null;
      }
      let start = 0;
      for (let nl = buf.indexOf(0x0a); nl !== -1 && nl < n; nl = buf.indexOf(0x0a, start)) {
        if (irc && buf[start] === 0x50) { // PING
          s.write(`PONG ${buf.toString("latin1", start + 5, nl).trim()}\r\n`);
        } else line(irc, buf, start, nl, got);
        start = nl + 1;
      }
      if (start < n) partial = Buffer.from(buf.subarray(start, n));
    };
    const s = net.connect({
      host: "127.0.0.1",
      port,
      noDelay: true,
      onread: { buffer: shared, callback: feed },
    }, () => s.write(irc ? `NICK ${nick}\r\nUSER ${nick} 0 * :${nick}\r\n` : `${nick}\n`));
    s.on("error", reject);
    socks.push({ s, irc });
  });
}

for (let i = 0; i < clients; i += 100) {
  await Promise.all(Array.from({ length: Math.min(100, clients - i) }, (_, k) => client(i + k)));
}
// Senders 0, 2, 4... are IRC clients (even indexes), 1, 3, 5... text clients.
const senders = socks.slice(0, SENDERS);
const start = performance.now();
for (let k = 0; k < rate * seconds; k++) {
  const wait = start + k * (1000 / rate) - performance.now();
  if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  const who = k % SENDERS;
  const text = `M ${who} ${k} ${now().toFixed(3)} ${"x".repeat(40)}`;
  senders[who].s.write(senders[who].irc ? `PRIVMSG #lobby :${text}\r\n` : `${text}\n`);
}
await new Promise((r) => setTimeout(r, 1000));
const q = (xs, p) => Number(xs[Math.min(xs.length - 1, Math.floor(p * xs.length))].toFixed(2));
const out = {};
for (const [key, xs] of Object.entries(lat)) {
  xs.sort((a, b) => a - b);
  out[key] = xs.length ? { n: xs.length, p50: q(xs, 0.5), p99: q(xs, 0.99) } : { n: 0 };
}
const all = (kind) => [...lat[`${kind}<-irc`], ...lat[`${kind}<-text`]].sort((a, b) => a - b);
out.irc = { p50: q(all("irc"), 0.5), p99: q(all("irc"), 0.99) };
out.text = { p50: q(all("text"), 0.5), p99: q(all("text"), 0.99) };
console.log(JSON.stringify(out));
for (const { s } of socks) s.destroy();
process.exit(0);
