// The access store seen from the hub: /whois, a failing store, and requests waiting on it.

import assert from "node:assert/strict";
import { ChatError } from "./errors.ts";
import { MemoryAccessStore } from "./state/access_store.ts";
import { LocalPresence } from "./state/presence.ts";
import { RecordingSink } from "./_recording_sink.ts";
import {
  ANA_FINGERPRINT,
  BO_FINGERPRINT,
  lastError,
  OP_FINGERPRINT,
  setup,
} from "./_access_harness.ts";

Deno.test("/whois shows the key, registration and operator flag; the address to operators only", async () => {
  const { connect } = setup();
  const ana = connect("ana", ANA_FINGERPRINT, "10.0.0.3");
  await ana.input("/register");
  const op = connect("mod", OP_FINGERPRINT);
  const nc = connect("nc", undefined, "10.0.0.4");
  await nc.input("/whois ana");
  assert.deepEqual(nc.sink.last(), {
    type: "whois",
    nick: "ana",
    client: "test",
    fingerprint: ANA_FINGERPRINT,
    registered: true,
    operator: false,
    rooms: ["#lobby"],
  });
  await op.input("/whois nc");
  assert.deepEqual(op.sink.last(), {
    type: "whois",
    nick: "nc",
    client: "test",
    registered: false,
    operator: false,
    address: "10.0.0.4",
    rooms: ["#lobby"],
  });
  await nc.input("/whois zed");
  lastError(nc, "no_such_nick");
});

/** Presence as a cluster's node has it: this node's name. */
class NodePresence extends LocalPresence {
  readonly node = "alpha-1a2b3c4d";
}

Deno.test("/whois on a cluster names the member's node to operators only", async () => {
  const { connect } = setup({ presence: new NodePresence() });
  const op = connect("mod", OP_FINGERPRINT);
  const ana = connect("ana", ANA_FINGERPRINT, "10.0.0.3");
  await op.input("/whois ana");
  const seen = op.sink.last();
  assert.equal(seen?.type === "whois" && seen.node, "alpha-1a2b3c4d");
  assert.equal(seen?.type === "whois" && seen.address, "10.0.0.3");
  await ana.input("/whois mod");
  const asked = ana.sink.last();
  assert.equal(asked?.type, "whois");
  assert.ok(!("node" in asked!), JSON.stringify(asked));
});

Deno.test("a failing access store refuses the request with store_error instead of crashing", () => {
  const access = new MemoryAccessStore();
  access.registration = () => {
    throw new Error("disk I/O error");
  };
  const { hub } = setup({ access });
  assert.throws(
    () => hub.join({ nick: "ana", client: "t" }, new RecordingSink()),
    (e: ChatError) => e.code === "store_error" && !/disk/.test(e.message),
  );
});

Deno.test("a request waiting on the store is answered before the member's next request", async () => {
  const { hub, connect } = setup();
  const op = connect("mod", OP_FINGERPRINT);
  const eve = connect("eve", BO_FINGERPRINT, "10.0.0.9");
  op.sink.clear();
  const ban = hub.input(op.member, "/ban eve");
  const after = hub.input(op.member, "/bans");
  assert.ok(after instanceof Promise, "the next request waits behind the ban");
  assert.equal(await ban, true);
  assert.equal(await after, true);
  assert.deepEqual(op.sink.events.map((e) => e.type), ["leave", "notice", "bans"]);
  assert.equal(eve.sink.ended[0]?.code, "banned");
});
