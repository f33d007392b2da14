import assert from "node:assert/strict";
import { formatHostPort, parseHostPort, stripBrackets, unmapAddress } from "./host_port.ts";

Deno.test("unmapAddress() turns an IPv4-mapped IPv6 address back into IPv4 and leaves others alone", () => {
  assert.equal(unmapAddress("::ffff:192.168.1.7"), "192.168.1.7");
  assert.equal(unmapAddress("::FFFF:127.0.0.1"), "127.0.0.1");
  assert.equal(unmapAddress("::1"), "::1");
  assert.equal(unmapAddress("fe80::ffff:1"), "fe80::ffff:1");
  assert.equal(unmapAddress("10.0.0.1"), "10.0.0.1");
});

Deno.test("formatHostPort() brackets IPv6 addresses only", () => {
  assert.equal(formatHostPort("::1", 7777), "[::1]:7777");
  assert.equal(formatHostPort("fe80::1%eth0", 7777), "[fe80::1%eth0]:7777");
  assert.equal(formatHostPort("192.168.1.20", 7777), "192.168.1.20:7777");
  assert.equal(formatHostPort("chat.local", 7777), "chat.local:7777");
  assert.equal(stripBrackets("[::1]"), "::1");
  assert.equal(stripBrackets("::1"), "::1");
});

Deno.test("parseHostPort() accepts both spellings of IPv6 and refuses a broken one", () => {
  assert.deepEqual(parseHostPort("[::1]:7706"), { host: "::1", port: 7706 });
  assert.deepEqual(parseHostPort("[::1]"), { host: "::1" });
  assert.deepEqual(parseHostPort("::1"), { host: "::1" });
  assert.deepEqual(parseHostPort("fd00::20"), { host: "fd00::20" });
  assert.deepEqual(parseHostPort("192.168.1.20:7777"), { host: "192.168.1.20", port: 7777 });
  assert.deepEqual(parseHostPort("chat.local"), { host: "chat.local" });
  assert.throws(() => parseHostPort("[::1"), /unclosed/);
  assert.throws(() => parseHostPort("[::1]x"), /after "\]"/);
  assert.throws(() => parseHostPort("host:99999"), /not a port/);
  assert.throws(() => parseHostPort("host:"), /not a port/);
});
