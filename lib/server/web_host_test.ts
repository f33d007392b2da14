import assert from "node:assert/strict";
import { isWebHostName, webHostAllowed } from "./web_host.ts";

Deno.test("webHostAllowed: addresses and LAN names, with or without a port", () => {
  for (
    const host of [
      "192.168.1.20:7777",
      "192.168.1.20",
      "[2001:db8::20]:7777",
      "[::1]:7777",
      "localhost:7777",
      "chatbox:7777",
      "chatbox.local:7777",
      "CHATBOX.LOCAL.",
      "chat.office.lan",
      "chat.home.arpa:443",
      "chat.corp.internal",
    ]
  ) assert.equal(webHostAllowed(host), true, host);
});

Deno.test("webHostAllowed: another DNS name is refused (DNS rebinding) unless given with --web-host", () => {
  for (
    const host of ["evil.example:7777", "attacker.com", "192.168.1.20.nip.io:7777", "", "[::1"]
  ) {
    assert.equal(webHostAllowed(host), false, host);
  }
  assert.equal(webHostAllowed("chat.example.com:7777", ["Chat.Example.com"]), true);
  assert.equal(webHostAllowed("evil.example.com:7777", ["chat.example.com"]), false);
});

Deno.test("isWebHostName: DNS names only", () => {
  assert.equal(isWebHostName("chat.example.com"), true);
  assert.equal(isWebHostName("chat"), true);
  for (const bad of ["", "a b", "chat.example.com/x", "-chat.com", "chat..com", "x".repeat(300)]) {
    assert.equal(isWebHostName(bad), false, bad);
  }
});
