// Abandoned TLS handshakes from many addresses, for tests/front_door_test.ts
// (Node.js, its own process): `count` connections, `concurrency` at a time,
// each from one of `addresses` loopback addresses (127.2.x.y), sends a real
// ClientHello and is destroyed 1 ms later. Prints "done <count>" at the end.
//
// Usage: node tests/_abandon.mjs '{"port":N,"count":4000,"addresses":400,"concurrency":16}'

import net from "node:net";
import tls from "node:tls";
import process from "node:process";

const { port, count, addresses, concurrency } = JSON.parse(process.argv[2]);

// A real ClientHello, caught by a listener of our own.
const hello = await new Promise((resolve) => {
  const catcher = net.createServer((socket) =>
    socket.once("data", (data) => {
      resolve(data);
      socket.destroy();
      catcher.close();
    })
  );
  catcher.listen(0, "127.0.0.1", () => {
    const client = tls.connect({
      host: "127.0.0.1",
      port: catcher.address().port,
      rejectUnauthorized: false,
    });
    client.on("error", () => {});
  });
});

let next = 0;
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (next < count) {
    const k = next++ % addresses;
    await new Promise((resolve) => {
      const socket = net.connect({
        host: "127.0.0.1",
        port,
        localAddress: `127.2.${k >> 8}.${k & 255}`,
      });
      socket.on("error", resolve);
      socket.once("close", resolve);
      socket.once("connect", () => {
        socket.write(hello);
        setTimeout(() => socket.destroy(), 1);
      });
    });
  }
}));
console.log(`done ${count}`);
