// WebSocket clients for the Node load generator (bench/load_gen_node.mjs,
// mode "web"), as a browser connects: GET /ws upgraded on the chat port, the
// native protocol inside, one JSON frame per WebSocket message each way.
//
// npm `ws` (pinned in bench/node/package.json and package-lock.json, the
// version and hash deno.lock has for the server; `deno task bench` installs
// it with `npm ci`) does the opening handshake and checks the server's
// answer (101, Sec-WebSocket-Accept, no extension that was not offered:
// permessage-deflate is not), and frames what the clients send (masked, as
// a client must). The server's frames are read off the socket here, into the
// generator's one shared buffer (net's `onread`), and their payloads are
// counted as the native reader counts lines: ws's own reader costs about
// 0.5 µs per message in this process, more than the server spends per
// delivery (docs/performance.md, "WebSocket clients (issue 14)"), so reading
// with it would measure the generator. The reader insists on what
// docs/protocol.md promises: every server message is one unfragmented,
// unmasked text frame.

import { createRequire } from "node:module";
import net from "node:net";
import { Buffer } from "node:buffer";

const require = createRequire(new URL("./node/package.json", import.meta.url));
let ws;
try {
  ws = require("ws");
} catch (error) {
  throw new Error(
    `npm ws is not installed in bench/node (deno task bench installs it with npm ci there): ${error.message}`,
  );
}
const { WebSocket, Sender } = ws;

const FIN_TEXT = 0x81;
const FIN_CLOSE = 0x88;

/**
 * The server's side of one WebSocket: frame headers and payloads from the
 * bytes as they arrive; `onPayload(buf, start, end)` once per text message
 * (the bytes are valid only during the call).
 */
export class FrameReader {
  #header = Buffer.alloc(10);
  #have = 0;
  #need = 2;
  /** Payload bytes of the current frame still to come (-1: reading a header). */
  #remaining = -1;
  /** The current frame is a close frame: its payload is not a message. */
  #closing = false;
  /** Pieces of a payload split across reads. */
  #pieces = null;

  constructor(onPayload) {
    this.onPayload = onPayload;
  }

  feed(buf, n) {
    let i = 0;
    while (i < n) {
      if (this.#remaining < 0) {
        this.#header[this.#have++] = buf[i++];
        if (this.#have === 2) this.#need = this.#headerBytes();
        if (this.#have === this.#need) this.#startPayload();
        continue;
      }
      const take = Math.min(this.#remaining, n - i);
      if (this.#pieces === null && take === this.#remaining) {
        this.#payload(buf, i, i + take);
      } else {
        (this.#pieces ??= []).push(Buffer.from(buf.subarray(i, i + take)));
        this.#remaining -= take;
        if (this.#remaining === 0) {
          const whole = Buffer.concat(this.#pieces);
          this.#pieces = null;
          this.#payload(whole, 0, whole.length);
        }
      }
      i += take;
    }
  }

  #headerBytes() {
    const [first, second] = this.#header;
    if (first !== FIN_TEXT && first !== FIN_CLOSE) {
      throw new Error(
        `the server sent a WebSocket frame that is not one whole text frame (first byte 0x${
          first.toString(16)
        })`,
      );
    }
    if (second & 0x80) throw new Error("the server sent a masked WebSocket frame");
    const length = second & 0x7f;
    return length < 126 ? 2 : length === 126 ? 4 : 10;
  }

  #startPayload() {
    const h = this.#header;
    const length7 = h[1] & 0x7f;
    const length = length7 < 126 ? length7 : length7 === 126 ? h.readUInt16BE(2) : Number(
      h.readBigUInt64BE(2),
    );
    this.#closing = h[0] === FIN_CLOSE;
    this.#have = 0;
    this.#need = 2;
    this.#remaining = length;
    if (length === 0) this.#payload(h, 0, 0);
  }

  #payload(buf, start, end) {
    this.#remaining = -1;
    if (!this.#closing) this.onPayload(buf, start, end);
  }
}

/**
 * Opens a WebSocket to the chat server on 127.0.0.1:`port` (no Origin, as a
 * program rather than a page); `onBytes(buf, n)` gets what the server sends
 * once it is open. Returns the WebSocket and the socket under it.
 */
export function openWebSocket(port, shared, onBytes) {
  let open = false;
  let socket;
  const websocket = new WebSocket(`ws://127.0.0.1:${port}/ws`, {
    perMessageDeflate: false,
    createConnection: () => {
      socket = net.connect({
        host: "127.0.0.1",
        port,
        noDelay: true,
        onread: {
          buffer: shared,
          // Until the upgrade, ws's HTTP client reads the answer as "data"
          // (a copy: the shared buffer is reused by the next read).
          callback: (n, buf) =>
            open ? onBytes(buf, n) : socket.emit("data", Buffer.from(buf.subarray(0, n))),
        },
      });
      return socket;
    },
  });
  // The server says nothing before the client's hello, so nothing came with the 101.
  websocket.once("open", () => (open = true));
  return { websocket, socket };
}

/** Messages as masked client text frames, one per payload, in one buffer (one write). */
export function clientFrames(payloads) {
  const parts = [];
  for (const payload of payloads) {
    parts.push(
      ...Sender.frame(Buffer.from(payload), {
        fin: true,
        mask: true,
        opcode: 1,
        readOnly: false,
        rsv1: false,
      }),
    );
  }
  return Buffer.concat(parts);
}
