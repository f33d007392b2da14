import assert from "node:assert/strict";
import { TelnetFilter } from "./telnet_filter.ts";

const IAC = 0xff;
const SB = 0xfa;
const SE = 0xf0;
const WILL = 0xfb;
const WONT = 0xfc;
const DO = 0xfd;
const DONT = 0xfe;
const NOP = 0xf1;
const GA = 0xf9;
const ECHO = 0x01;
const NAWS = 0x1f;
const TTYPE = 0x18;

const bytes = (...values: number[]) => new Uint8Array(values);
const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));

Deno.test("TelnetFilter.filter() returns a chunk without IAC unchanged, as the same array", () => {
  const filter = new TelnetFilter();
  const chunk = bytes(...ascii("hello\r\n"));
  assert.equal(filter.filter(chunk), chunk);
});

Deno.test("TelnetFilter.filter() removes WILL, WONT, DO and DONT negotiations", () => {
  const filter = new TelnetFilter();
  const chunk = bytes(
    IAC,
    WILL,
    ECHO,
    ...ascii("a"),
    IAC,
    WONT,
    ECHO,
    ...ascii("b"),
    IAC,
    DO,
    NAWS,
    ...ascii("c"),
    IAC,
    DONT,
    TTYPE,
    ...ascii("d"),
  );
  assert.deepEqual(filter.filter(chunk), bytes(...ascii("abcd")));
});

Deno.test("TelnetFilter.filter() keeps an option byte that follows a negotiation as data only once", () => {
  // The option byte (here "A") belongs to the negotiation, the next "A" is data.
  const filter = new TelnetFilter();
  assert.deepEqual(filter.filter(bytes(IAC, WILL, 0x41, 0x41)), bytes(0x41));
});

Deno.test("TelnetFilter.filter() turns an escaped IAC IAC into one 0xFF byte", () => {
  const filter = new TelnetFilter();
  assert.deepEqual(filter.filter(bytes(0x61, IAC, IAC, 0x62)), bytes(0x61, IAC, 0x62));
});

Deno.test("TelnetFilter.filter() removes two-byte commands such as NOP and GA", () => {
  const filter = new TelnetFilter();
  assert.deepEqual(
    filter.filter(bytes(0x61, IAC, NOP, 0x62, IAC, GA, 0x63)),
    bytes(0x61, 0x62, 0x63),
  );
});

Deno.test("TelnetFilter.filter() removes a whole subnegotiation", () => {
  const filter = new TelnetFilter();
  // Window size 80x24: IAC SB NAWS 0 80 0 24 IAC SE
  const chunk = bytes(...ascii("x"), IAC, SB, NAWS, 0, 80, 0, 24, IAC, SE, ...ascii("y"));
  assert.deepEqual(filter.filter(chunk), bytes(...ascii("xy")));
});

Deno.test("TelnetFilter.filter() stays in a subnegotiation across an escaped IAC IAC", () => {
  const filter = new TelnetFilter();
  const chunk = bytes(IAC, SB, NAWS, 0, IAC, IAC, 0, 24, IAC, SE, ...ascii("ok"));
  assert.deepEqual(filter.filter(chunk), bytes(...ascii("ok")));
});

Deno.test("TelnetFilter.filter() hides text inside a subnegotiation", () => {
  const filter = new TelnetFilter();
  const chunk = bytes(IAC, SB, TTYPE, 0, ...ascii("xterm-256color"), IAC, SE, ...ascii("ana\r\n"));
  assert.deepEqual(filter.filter(chunk), bytes(...ascii("ana\r\n")));
});

Deno.test("TelnetFilter keeps its state when a command is split across chunks", () => {
  const filter = new TelnetFilter();
  assert.deepEqual(filter.filter(bytes(0x61, IAC)), bytes(0x61));
  assert.deepEqual(filter.filter(bytes(DO)), bytes());
  assert.deepEqual(filter.filter(bytes(ECHO, 0x62)), bytes(0x62));
});

Deno.test("TelnetFilter keeps its state when an escaped IAC is split across chunks", () => {
  const filter = new TelnetFilter();
  assert.deepEqual(filter.filter(bytes(IAC)), bytes());
  assert.deepEqual(filter.filter(bytes(IAC, 0x61)), bytes(IAC, 0x61));
});

Deno.test("TelnetFilter keeps its state when a subnegotiation is split across chunks", () => {
  const filter = new TelnetFilter();
  assert.deepEqual(filter.filter(bytes(0x61, IAC, SB, NAWS, 0)), bytes(0x61));
  // No IAC in this chunk, but it is still inside the subnegotiation.
  assert.deepEqual(filter.filter(bytes(...ascii("secret"))), bytes());
  assert.deepEqual(filter.filter(bytes(IAC)), bytes());
  assert.deepEqual(filter.filter(bytes(SE, 0x62)), bytes(0x62));
  assert.deepEqual(filter.filter(bytes(0x63)), bytes(0x63));
});

Deno.test("TelnetFilter gives the same bytes when fed one byte at a time", () => {
  const stream = bytes(
    IAC,
    DO,
    ECHO,
    IAC,
    WILL,
    NAWS,
    ...ascii("an"),
    IAC,
    IAC,
    IAC,
    SB,
    NAWS,
    0,
    IAC,
    IAC,
    0,
    24,
    IAC,
    SE,
    ...ascii("a\r\n"),
    IAC,
    GA,
    ...ascii("hi"),
  );
  const whole = new TelnetFilter().filter(stream);
  const filter = new TelnetFilter();
  const pieces: number[] = [];
  for (let i = 0; i < stream.length; i++) pieces.push(...filter.filter(stream.subarray(i, i + 1)));
  assert.deepEqual(whole, bytes(...ascii("an"), IAC, ...ascii("a\r\nhi")));
  assert.deepEqual(bytes(...pieces), whole);
});

Deno.test("TelnetFilter.filter() does not modify the chunk it is given", () => {
  const filter = new TelnetFilter();
  const chunk = bytes(IAC, WILL, ECHO, 0x61);
  filter.filter(chunk);
  assert.deepEqual(chunk, bytes(IAC, WILL, ECHO, 0x61));
});
