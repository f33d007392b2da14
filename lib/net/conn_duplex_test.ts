import assert from "node:assert/strict";
import { ConnDuplex } from "./conn_duplex.ts";
import type { ByteConn } from "./socket_conn.ts";

/** A connection whose writes finish only when told, a few bytes at a time; what it was sent. */
function heldConn() {
  const written: number[] = [];
  const held: (() => void)[] = [];
  let closedWrite = false;
  const conn: ByteConn & { closeWrite(): void } = {
    read: () => new Promise(() => {}),
    write(bytes) {
      // At most 3 bytes a write: writeAll loops, and each step waits to be released.
      const n = Math.min(3, bytes.length);
      return new Promise((resolve) =>
        held.push(() => {
          written.push(...bytes.subarray(0, n));
          resolve(n);
        })
      );
    },
    close() {},
    closeWrite: () => (closedWrite = true),
    remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 1 },
  };
  /** Finishes the writes waiting, until none is left. */
  const drain = async () => {
    for (let i = 0; i < 1000; i++) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      const next = held.shift();
      if (next) next();
      else if (i > 10) return;
    }
  };
  return { conn, written, drain, closedWrite: () => closedWrite };
}

Deno.test("ConnDuplex.writeDirect() keeps the order of direct writes, the stream's own writes and its end", async () => {
  const { conn, written, drain, closedWrite } = heldConn();
  const duplex = new ConnDuplex(conn, new Uint8Array(0));
  const done: string[] = [];
  // A stream write first (the upgrade's answer), then direct writes behind it and behind each other.
  duplex.write(new Uint8Array([1, 2, 3, 4, 5]));
  duplex.writeDirect(new Uint8Array([6, 7, 8, 9]), () => done.push("a"));
  await drain();
  duplex.writeDirect(new Uint8Array([10, 11, 12, 13]), () => done.push("b"));
  // Behind a direct write in flight: a direct write and the stream's (a close frame), then the end.
  duplex.writeDirect(new Uint8Array([14, 15]), () => done.push("c"));
  duplex.write(new Uint8Array([16, 17, 18, 19]), () => done.push("d"));
  duplex.end();
  assert.equal(closedWrite(), false);
  await drain();
  assert.deepEqual(written, Array.from({ length: 19 }, (_, i) => i + 1));
  assert.deepEqual(done, ["a", "b", "c", "d"]);
  assert.equal(closedWrite(), true, "the end came after every write");
  duplex.destroy();
});
