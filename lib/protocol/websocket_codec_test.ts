import assert from "node:assert/strict";
// @ts-types="../server/ws_types.d.ts"
import { Receiver } from "ws";
import { WebSocketCodec, webSocketTextFrame } from "./websocket_codec.ts";
import type { ServerFrame } from "./wire_frames.ts";

/** The messages a WebSocket client (npm ws's own parser) reads from `bytes`. */
function parse(bytes: Uint8Array): string[] {
  const messages: string[] = [];
  const receiver = new Receiver({ isServer: false });
  receiver.on("message", (data: Uint8Array) => messages.push(new TextDecoder().decode(data)));
  receiver.write(bytes);
  return messages;
}

Deno.test("webSocketTextFrame: the three length forms read back with ws's parser", () => {
  for (const length of [0, 1, 125, 126, 127, 65535, 65536, 200_000]) {
    const payload = new TextEncoder().encode("é".repeat(Math.ceil(length / 2)).slice(0, length));
    const text = new TextDecoder().decode(payload);
    assert.deepEqual(parse(webSocketTextFrame(payload)), [text], `length ${payload.length}`);
  }
});

Deno.test("WebSocketCodec: one frame per event, shared by every recipient, JSON without the line end", () => {
  const message = (id: number, text: string): ServerFrame => ({
    type: "msg",
    id,
    room: "#lobby",
    from: "ana",
    kind: "say",
    text,
    ts: 1,
  });
  const event = message(1, "hi");
  const a = new WebSocketCodec(1024);
  const b = new WebSocketCodec(1024);
  const frame = a.encode(event);
  assert.equal(b.encode(event), frame, "the same bytes for the next recipient");
  assert.deepEqual(parse(frame).map((message) => JSON.parse(message)), [event]);
  assert.ok(!parse(frame)[0].endsWith("\n"));
  // Frames queued together are messages one after the other.
  const other = message(2, "again");
  const both = new Uint8Array([...frame, ...a.encode(other)]);
  assert.deepEqual(parse(both).map((message) => JSON.parse(message).id), [1, 2]);
  // Decoding stays the native codec's: a message is a line.
  const { frames } = a.decode(new TextEncoder().encode('{"type":"ping"}\n'));
  assert.deepEqual(frames, [{ type: "ping" }]);
});

Deno.test("WebSocketCodec: every frame is the JSON's bytes after a whole header, ASCII or not, short or long, and stays intact", () => {
  const a = new WebSocketCodec(1024);
  const given: [ServerFrame, Uint8Array][] = [];
  // Around the 7-bit length (126), the slab's longest part (256) and non-ASCII text.
  const texts = ["", "hi", "caf\u00e9", "\u{1f600}"];
  for (let n = 30; n < 230; n++) texts.push("m".repeat(n));
  for (const [i, text] of texts.entries()) {
    const event: ServerFrame = {
      type: "msg",
      id: i,
      room: "#lobby",
      from: "ana",
      kind: "say",
      text,
      ts: 1,
    };
    const frame = a.encode(event);
    const json = new TextEncoder().encode(JSON.stringify(event));
    assert.deepEqual(frame, webSocketTextFrame(json), `${json.length} bytes of JSON`);
    given.push([event, frame]);
  }
  // Frames handed out earlier are never written again (they share slabs).
  for (const [event, frame] of given) {
    assert.deepEqual(parse(frame).map((message) => JSON.parse(message)), [event]);
  }
});
