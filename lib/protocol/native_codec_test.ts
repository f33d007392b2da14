import assert from "node:assert/strict";
import type { MessageEvent } from "../core/events.ts";
import { ProtocolError } from "./protocol_error.ts";
import { NativeCodec } from "./native_codec.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array | undefined) => new TextDecoder().decode(data);

function message(text: string): MessageEvent {
  return { type: "msg", room: "#lobby", id: 1, ts: 0, from: "ana", text, kind: "say" };
}

Deno.test("NativeCodec.decode() joins a frame split across chunks and skips blank lines", () => {
  const codec = new NativeCodec(1024);
  assert.deepEqual(codec.decode(bytes('{"type":"pi')).frames, []);
  const { frames, replies, bye } = codec.decode(bytes('ng","token":"7"}\r\n\n  \n'));
  assert.deepEqual(frames, [{ type: "ping", token: "7" }]);
  assert.deepEqual(replies, undefined);
  assert.deepEqual(bye, undefined);
});

Deno.test("NativeCodec.decode() turns a bad line into its error and goes on with the next", () => {
  const codec = new NativeCodec(1024);
  const { frames } = codec.decode(bytes('not json\n{"type":"msg","text":"hi"}\n'));
  assert.deepEqual(frames.length, 2);
  assert.ok(frames[0] instanceof ProtocolError);
  assert.deepEqual((frames[0] as ProtocolError).fatal, false);
  assert.deepEqual(frames[1], { type: "msg", text: "hi" });
});

Deno.test("NativeCodec.decode() ends with a fatal line_too_long after the frames before it", () => {
  const codec = new NativeCodec(16);
  const { frames } = codec.decode(bytes(`{"type":"ping"}\n${"x".repeat(40)}\n`));
  assert.deepEqual(frames[0], { type: "ping" });
  assert.ok(frames[1] instanceof ProtocolError);
  assert.deepEqual((frames[1] as ProtocolError).code, "line_too_long");
  assert.ok((frames[1] as ProtocolError).fatal);
  assert.deepEqual(codec.decode(bytes('{"type":"ping"}\n')).frames, []);
});

Deno.test("NativeCodec.encode() gives every recipient of one event the same bytes: one JSON line", () => {
  const a = new NativeCodec(1024);
  const b = new NativeCodec(1024);
  const event = message("hello");
  const first = a.encode(event);
  assert.equal(b.encode(event), first);
  assert.deepEqual(JSON.parse(text(first)), event);
  assert.ok(text(first).endsWith("}\n"));
  const next = a.encode(message("hello"));
  assert.ok(next !== first, "a new event is encoded afresh");
});

Deno.test("NativeCodec says its goodbye and declares echo and keepalive", () => {
  const codec = new NativeCodec(1024);
  const bye = codec.encodeEnd({ type: "bye", reason: "quit", message: "Goodbye" });
  assert.deepEqual(JSON.parse(text(bye)), { type: "bye", reason: "quit", message: "Goodbye" });
  assert.deepEqual(codec.capabilities, {
    name: "native",
    echo: true,
    keepalive: true,
    promptsForNick: false,
    uploads: true,
  });
});
