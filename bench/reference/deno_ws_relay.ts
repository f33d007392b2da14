/**
 * Deno's own floor for the WebSocket flood (`--modes web`): a bare WebSocket relay that does
 * only the I/O lanchat's WebSocket clients cost. It accepts the upgrade they send (`GET /ws`,
 * answered with `Sec-WebSocket-Accept`), takes a client's first message (the native `hello`) as
 * its name and greets it with a `welcome` frame, then unmasks every text frame a client sends
 * and writes it, wrapped in an event of the very size lanchat's `msg` event has, as one server
 * frame to every client, the sender too (lanchat echoes to native and WebSocket clients, and the
 * bench counts those deliveries). No nicks, rooms, sanitising, history, limits or pings.
 *
 * The event: `{"ts":<13 digits>,"from":"<name>","room":"#lobby","id":<n>,"received":<frame>}`
 * with the client's frame (`{"type":"msg","text":"<text>"}`) as it came: for the same text,
 * name and id digits it is exactly as long as lanchat's
 * `{"type":"msg","ts":...,"from":"<name>","text":"<text>","kind":"say","room":"#lobby","id":<n>}`
 * (tests/bench_relays_test.ts checks it against lanchat's own encoder). The id counts joins and
 * messages, as lanchat's room log does. The frame is built once per message (header, event
 * prefix, then the payload unmasked straight into it) and shared by every recipient.
 *
 * Two designs:
 * - `raw` (default): `Deno.listen`, the HTTP upgrade and the frames read and written here, with
 *   the writer of `deno_relay.ts` (bench/reference/_relay_writer.ts: one write per client in
 *   flight, what queues behind it joined, at most 128 writes in flight), with the joins shared:
 *   a client whose queue holds the very frames of the last join writes that join, as
 *   lanchat's send queue does (without it this relay cost more than lanchat per delivery).
 * - `serve`: `Deno.serve` and `Deno.upgradeWebSocket`, Deno's own WebSocket: the event is built
 *   once per message as a string and sent to each client with `send` (Deno frames it per client).
 *   A client with more than 16 MiB buffered is closed.
 *
 *   deno task bench --only flood --modes web --against deno-ws-relay,deno-ws-serve-relay,deno-relay
 *   deno run -A bench/reference/deno_ws_relay.ts <port> [raw|serve]
 *
 * @module
 */

import { nextReadBuffer, READ_BYTES } from "./_relay_lines.ts";
import { RelayWriter, writeLimit } from "./_relay_writer.ts";

const port = Number(Deno.args[0]);
const design = Deno.args[1] ?? "raw";
if (!Number.isInteger(port) || (design !== "raw" && design !== "serve")) {
  console.error("usage: deno_ws_relay.ts <port> [raw|serve]");
  Deno.exit(2);
}

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const HEADER_LIMIT = 8192;
const FIN_TEXT = 0x81;
const OPCODE_TEXT = 1;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** The room log's id: joins and messages, as lanchat counts them. */
let nextId = 1;

/** The event's text before the client's frame. */
function eventPrefix(name: string): string {
  return `{"ts":${Date.now()},"from":"${name}","room":"#lobby","id":${nextId++},"received":`;
}

/** The greeting: the bench's WebSocket clients are in once a frame says "welcome". */
function welcome(name: string): string {
  nextId++;
  return JSON.stringify({ type: "welcome", nick: name, room: "#lobby" });
}

/** The client's name from its hello (`{"type":"hello","nick":...}`). */
function nameOf(hello: string): string {
  try {
    const nick = JSON.parse(hello).nick;
    return typeof nick === "string" && /^[\w-]{1,32}$/.test(nick) ? nick : "anonymous";
  } catch {
    return "anonymous";
  }
}

/** The header of an unmasked server text frame of `length` payload bytes, written at 0. */
function writeHeader(frame: Uint8Array, length: number): number {
  frame[0] = FIN_TEXT;
  if (length < 126) {
    frame[1] = length;
    return 2;
  }
  if (length < 0x10000) {
    frame[1] = 126;
    frame[2] = length >>> 8;
    frame[3] = length & 0xff;
    return 4;
  }
  frame[1] = 127;
  new DataView(frame.buffer, frame.byteOffset).setUint32(6, length);
  return 10;
}

function headerBytes(length: number): number {
  return length < 126 ? 2 : length < 0x10000 ? 4 : 10;
}

/** A server text frame of ASCII/UTF-8 `text`. */
function textFrame(text: string): Uint8Array {
  const payload = encoder.encode(text);
  const frame = new Uint8Array(headerBytes(payload.length) + payload.length);
  frame.set(payload, writeHeader(frame, payload.length));
  return frame;
}

// ---- raw: Deno.listen, frames by hand ----

const rawClients = new Set<RelayWriter>();
writeLimit.shareJoins = true;
// As the flood's lanchat (`--send-queue-bytes` 16 MiB): its frames are 2.5x a text line, and
// at 1 MiB a generator's momentary stall got clients dropped.
writeLimit.queueBytes = 16 << 20;

class RawClient extends RelayWriter {
  name: string | undefined;
}

/**
 * The frame for one client message: its payload (`length` bytes at `at` in
 * `bytes`, masked with the 4 bytes before it) unmasked into the event.
 */
function relayFrame(client: RawClient, bytes: Uint8Array, at: number, length: number): Uint8Array {
  const prefix = eventPrefix(client.name!);
  const eventBytes = prefix.length + length + 1;
  const frame = new Uint8Array(headerBytes(eventBytes) + eventBytes);
  let out = writeHeader(frame, eventBytes);
  // The prefix is ASCII (digits, the checked name, punctuation).
  for (let i = 0; i < prefix.length; i++) frame[out++] = prefix.charCodeAt(i);
  const m0 = bytes[at - 4], m1 = bytes[at - 3], m2 = bytes[at - 2], m3 = bytes[at - 1];
  const end = at + length;
  let i = at;
  for (; i + 4 <= end; i += 4) {
    frame[out++] = bytes[i] ^ m0;
    frame[out++] = bytes[i + 1] ^ m1;
    frame[out++] = bytes[i + 2] ^ m2;
    frame[out++] = bytes[i + 3] ^ m3;
  }
  for (let k = 0; i < end; i++, k++) frame[out++] = bytes[i] ^ bytes[at - 4 + k];
  frame[out] = 0x7d; // "}"
  return frame;
}

/** One client message, masked, at `at` in `bytes`: the hello, or a message to relay. */
function message(client: RawClient, bytes: Uint8Array, at: number, length: number): void {
  if (client.name === undefined) {
    const plain = new Uint8Array(length);
    for (let i = 0; i < length; i++) plain[i] = bytes[at + i] ^ bytes[at - 4 + (i & 3)];
    client.name = nameOf(decoder.decode(plain));
    rawClients.add(client);
    client.send(textFrame(welcome(client.name)));
    return;
  }
  const frame = relayFrame(client, bytes, at, length);
  for (const other of rawClients) other.send(frame);
}

/**
 * The frames in `bytes`: each whole one handled; returns where the first
 * incomplete one starts, or -1 when the client must be closed (a close
 * frame, an unmasked or fragmented frame, another opcode than text or close).
 */
function frames(client: RawClient, bytes: Uint8Array): number {
  let at = 0;
  while (bytes.length - at >= 2) {
    const first = bytes[at];
    const second = bytes[at + 1];
    if ((second & 0x80) === 0 || (first & 0x80) === 0) return -1;
    const opcode = first & 0x0f;
    let length = second & 0x7f;
    let header = 6;
    if (length === 126) {
      if (bytes.length - at < 4) break;
      length = (bytes[at + 2] << 8) | bytes[at + 3];
      header = 8;
    } else if (length === 127) {
      if (bytes.length - at < 10) break;
      length = bytes[at + 6] * 0x1000000 + ((bytes[at + 7] << 16) | (bytes[at + 8] << 8) |
        bytes[at + 9]);
      header = 14;
    }
    if (bytes.length - at < header + length) break;
    if (opcode !== OPCODE_TEXT) return -1; // a close, or anything the bench does not send
    message(client, bytes, at + header, length);
    at += header + length;
  }
  return at;
}

/** The `Sec-WebSocket-Accept` for a key. */
async function acceptOf(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", encoder.encode(key + GUID));
  return btoa(String.fromCharCode(...new Uint8Array(digest)));
}

/** The request's headers (up to the blank line) and what came after them. */
async function readRequest(conn: Deno.Conn): Promise<[string, Uint8Array] | undefined> {
  let have = new Uint8Array(0);
  const buffer = new Uint8Array(2048);
  while (have.length < HEADER_LIMIT) {
    const n = await conn.read(buffer);
    if (n === null) return undefined;
    const joined = new Uint8Array(have.length + n);
    joined.set(have);
    joined.set(buffer.subarray(0, n), have.length);
    have = joined;
    for (let i = 3; i < have.length; i++) {
      if (
        have[i] === 0x0a && have[i - 1] === 0x0d && have[i - 2] === 0x0a && have[i - 3] === 0x0d
      ) {
        return [decoder.decode(have.subarray(0, i + 1)), have.slice(i + 1)];
      }
    }
  }
  return undefined;
}

async function serveRaw(client: RawClient): Promise<void> {
  try {
    const request = await readRequest(client.conn);
    const key = request?.[0].match(/^sec-websocket-key:\s*(\S+)\s*$/im)?.[1];
    if (!request || !key || !request[0].startsWith("GET /ws ")) return;
    client.send(encoder.encode(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        `Sec-WebSocket-Accept: ${await acceptOf(key)}\r\n\r\n`,
    ));
    // Reads grow while they come back full and shrink after small ones (as deno_relay's).
    let buffer = new Uint8Array(READ_BYTES);
    let rest: Uint8Array = request[1];
    while (true) {
      if (rest.length > 0) {
        const used = frames(client, rest);
        if (used < 0) return;
        rest = rest.slice(used);
      }
      const n = await client.conn.read(buffer);
      if (n === null) return;
      if (rest.length === 0) {
        const used = frames(client, buffer.subarray(0, n));
        if (used < 0) return;
        rest = buffer.slice(used, n);
      } else {
        const joined = new Uint8Array(rest.length + n);
        joined.set(rest);
        joined.set(buffer.subarray(0, n), rest.length);
        rest = joined;
      }
      buffer = nextReadBuffer(buffer, n);
    }
  } catch {
    // Reset by the peer.
  } finally {
    client.close();
  }
}

async function listenRaw(): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  for await (const conn of listener) {
    conn.setNoDelay(true);
    serveRaw(new RawClient(conn, rawClients));
  }
}

// ---- serve: Deno.serve and Deno.upgradeWebSocket ----

/** As the bench's lanchat (`--send-queue-bytes` 16 MiB in the flood): Deno's sends lag far behind. */
const QUEUE_LIMIT = 16 << 20;
const served = new Set<WebSocket>();

function upgrade(request: Request): Response {
  if (new URL(request.url).pathname !== "/ws") return new Response("Not found", { status: 404 });
  const { socket, response } = Deno.upgradeWebSocket(request);
  let name: string | undefined;
  socket.onmessage = (event) => {
    if (name === undefined) {
      name = nameOf(String(event.data));
      served.add(socket);
      socket.send(welcome(name));
      return;
    }
    const text = eventPrefix(name) + event.data + "}";
    for (const other of served) {
      if (other.bufferedAmount > QUEUE_LIMIT) {
        served.delete(other);
        other.close();
      } else other.send(text);
    }
  };
  socket.onclose = () => served.delete(socket);
  socket.onerror = () => served.delete(socket);
  return response;
}

// A clean exit on the harness's SIGTERM (a --cpu-prof profile is written at exit).
Deno.addSignalListener("SIGTERM", () => Deno.exit(0));

if (design === "raw") await listenRaw();
else Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, upgrade);
