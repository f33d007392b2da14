import assert from "node:assert/strict";
import { sniffFirstBytes } from "./http_sniff.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const sniff = (text: string, max = 8192) => sniffFirstBytes(bytes(text), max);

Deno.test("sniffFirstBytes() takes a whole HTTP/1.x request line for HTTP", () => {
  assert.equal(sniff("GET / HTTP/1.1\r\nHost: a\r\n"), "http");
  assert.equal(sniff("GET /ws HTTP/1.0\n"), "http");
  assert.equal(sniff("HEAD /x?y=1 HTTP/1.1\r\n"), "http");
  assert.equal(sniff("POST / HTTP/1.1\r\n"), "http");
});

Deno.test("sniffFirstBytes() hands native frames and text clients to the chat", () => {
  assert.equal(sniff("{"), "chat");
  assert.equal(sniff('{"type":"hello"}\n'), "chat");
  assert.equal(sniff("ana\r\n"), "chat");
  assert.equal(sniff("hello"), "chat");
  assert.equal(sniff("get / HTTP/1.1\r\n"), "chat");
});

Deno.test("sniffFirstBytes() lets a text client whose nick is GET join", () => {
  assert.equal(sniff("GET\r\n"), "chat");
  assert.equal(sniff("GET\n"), "chat");
  assert.equal(sniff("GET /\r\n"), "chat");
  assert.equal(sniff("GET  HTTP/1.1\r\n"), "chat");
  assert.equal(sniff("GET / HTTP/2\r\n"), "chat");
  assert.equal(sniff("GET / HTTP/1.1 extra\r\n"), "chat");
  assert.equal(sniff("GET the milk\r\n"), "chat");
});

Deno.test("sniffFirstBytes() asks for more while a request line is unfinished, byte by byte", () => {
  const line = "GET /ws HTTP/1.1\r\n";
  for (let i = 1; i < line.length; i++) {
    assert.equal(sniff(line.slice(0, i)), "more", JSON.stringify(line.slice(0, i)));
  }
  assert.equal(sniff(line), "http");
  assert.equal(sniff("GE"), "more");
  assert.equal(sniff("GEX"), "chat");
  assert.equal(sniff("GET /a\x01"), "chat");
});

Deno.test("sniffFirstBytes() takes a request line past the limit for HTTP (the HTTP server refuses it)", () => {
  assert.equal(sniff("GET /" + "a".repeat(100), 64), "http");
  assert.equal(sniff("hello " + "a".repeat(100), 64), "chat");
});

Deno.test("sniffFirstBytes() tells a chat client at a first byte no method starts with, and waits on the others", () => {
  for (let byte = 0; byte < 256; byte++) {
    const expected = "CDGHOPT\r".includes(String.fromCharCode(byte)) ? "more" : "chat";
    assert.equal(sniffFirstBytes(Uint8Array.of(byte), 4096), expected, `byte ${byte}`);
    assert.equal(sniffFirstBytes(Uint8Array.of(byte, 0x0a), 4096), "chat", `byte ${byte} and LF`);
  }
  assert.equal(sniffFirstBytes(new TextEncoder().encode("c0x1\n"), 4096), "chat");
  assert.equal(sniffFirstBytes(new TextEncoder().encode("GET / HTTP/1.1\r\n"), 4096), "http");
});
