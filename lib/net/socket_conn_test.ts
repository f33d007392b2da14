import * as assert from "node:assert/strict";
import * as net from "node:net";
import { SocketConn } from "./socket_conn.ts";

/** A node:net server socket as a SocketConn, and the client's socket; closed on dispose. */
async function socketPair(): Promise<
  { conn: SocketConn; client: net.Socket } & AsyncDisposable
> {
  const server = net.createServer();
  const accepted = new Promise<net.Socket>((resolve) => server.once("connection", resolve));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  const client = net.connect(port, "127.0.0.1");
  const conn = new SocketConn(await accepted);
  return {
    conn,
    client,
    async [Symbol.asyncDispose]() {
      conn.close();
      client.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

Deno.test("SocketConn.readChunk() hands out the socket's chunks as plain Uint8Arrays, then null at the end", async () => {
  await using pair = await socketPair();
  const waiting = pair.conn.readChunk(); // Before anything arrived: settled by the data event.
  pair.client.write("hello");
  const chunk = (await waiting)!;
  assert.equal(text(chunk), "hello");
  // Not node's Buffer, whose slice() would share the bytes instead of copying them.
  assert.equal(Object.getPrototypeOf(chunk), Uint8Array.prototype);
  pair.client.end("bye");
  let rest = "";
  for (let next = await pair.conn.readChunk(); next; next = await pair.conn.readChunk()) {
    rest += text(next);
  }
  assert.equal(rest, "bye");
});

Deno.test("SocketConn.read() copies what fits and leaves the rest for the next read, whichever way it is read", async () => {
  await using pair = await socketPair();
  pair.client.write("abcdef");
  const buffer = new Uint8Array(4);
  let got = "";
  while (got.length < 6) {
    if (got.length === 0) got += text(buffer.subarray(0, (await pair.conn.read(buffer))!));
    else got += text((await pair.conn.readChunk())!);
  }
  assert.equal(got, "abcdef");
  pair.conn.close();
  assert.equal(await pair.conn.read(buffer), null, "a closed conn reads nothing more");
});
