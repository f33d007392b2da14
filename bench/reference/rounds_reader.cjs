// The reader of write_rounds.ts and write_rounds.c: one Node.js process holding N loopback
// connections, every socket reading into one shared buffer. Exits when its stdin ends.
// Usage: node bench/reference/rounds_reader.cjs <port> <connections>
"use strict";
const net = require("node:net");
const [port, n] = [Number(process.argv[2]), Number(process.argv[3])];
const buffer = Buffer.allocUnsafe(65536);
let open = 0;
(async () => {
  for (let i = 0; i < n; i += 200) {
    await Promise.all(Array.from({ length: Math.min(200, n - i) }, () =>
      new Promise((resolve) => {
        const socket = net.connect({
          host: "127.0.0.1",
          port,
          noDelay: true,
          onread: { buffer, callback: () => {} },
        });
        socket.on("connect", () => {
          open++;
          resolve();
        });
        socket.on("error", (error) => {
          console.error("reader: " + error.message);
          process.exit(1);
        });
      })));
  }
  console.error("reader: " + open + " connected");
})();
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
