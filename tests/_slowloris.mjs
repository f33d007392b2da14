// A slowloris from many addresses (127.1.x.y), for tests/front_door_test.ts (Node.js,
// its own process, like a real attacker). Every address
// keeps `perAddress` connections open that never join: one in `finishEvery`
// finishes the TLS handshake and then says nothing, the others never start it. Whatever the
// server closes is opened again after `reconnectMs`, until stdin closes.
//
// Usage: node tests/_slowloris.mjs \
//   '{"port":N,"addresses":100,"perAddress":16,"finishEvery":4,"reconnectMs":200}'
// Prints one line "holding <n>" once every connection was opened once, and
// a JSON summary when stdin closes.

import net from "node:net";
import tls from "node:tls";
import process from "node:process";

const { port, addresses, perAddress, finishEvery, reconnectMs } = JSON.parse(process.argv[2]);
let stopping = false;
let opened = 0;
let closedByServer = 0;
let handshakes = 0;
const sockets = new Set();

function open(address, finishHandshake) {
  if (stopping) return;
  opened++;
  const socket = finishHandshake
    ? tls.connect({ port, host: "127.0.0.1", localAddress: address, rejectUnauthorized: false })
    : net.connect({ port, host: "127.0.0.1", localAddress: address });
  sockets.add(socket);
  if (finishHandshake) socket.once("secureConnect", () => handshakes++);
  socket.on("data", () => {}); // Whatever the server says, never answer.
  socket.on("error", () => {});
  socket.once("close", () => {
    sockets.delete(socket);
    if (stopping) return;
    closedByServer++;
    setTimeout(() => open(address, finishHandshake), reconnectMs);
  });
}

for (let a = 1; a <= addresses; a++) {
  const address = `127.1.${a >> 8}.${a & 255}`;
  for (let i = 0; i < perAddress; i++) open(address, i % finishEvery === finishEvery - 1);
}
console.log(`holding ${opened}`);

process.stdin.resume();
process.stdin.on("end", () => {
  stopping = true;
  for (const socket of sockets) socket.destroy();
  console.log(JSON.stringify({ opened, closedByServer, handshakes }));
  process.exit(0);
});
