// The hub's replay history: its size, its byte budget, and what it holds.

import assert from "node:assert/strict";
import { MemoryStore } from "./state/history_store.ts";
import { setup } from "./_hub_harness.ts";

Deno.test("Hub keeps only the last historySize messages of a room", () => {
  const { connect } = setup({ historySize: 3 });
  const ana = connect("ana");
  for (let i = 1; i <= 5; i++) ana.input(`message ${i}`);
  const bob = connect("bob");
  const welcome = bob.sink.only();
  assert.equal(welcome.type, "welcome");
  assert.deepEqual(welcome.history.map((m) => m.text), ["message 3", "message 4", "message 5"]);
});

Deno.test("Hub bounds the replay history of all rooms by bytes, oldest messages of all first; /history still pages from the store", async () => {
  const text = "漢".repeat(3990); // with "1.01 " and "ana": 2 x 3998 + 128 = 8,124 bytes counted
  const store = new MemoryStore(10_000, 1024 * 1024 * 1024);
  const { connect, hub } = setup({
    rateLimit: false,
    historyMemoryBytes: 20 * 8124,
    store,
  });
  const ana = connect("ana");
  for (let r = 1; r <= 5; r++) {
    ana.input(`/join #r${r}`);
    for (let i = 1; i <= 10; i++) ana.input(`${r}.${String(i).padStart(2, "0")} ${text}`);
  }
  assert.equal(hub.historyMemory.usedBytes, 20 * 8124);
  assert.equal(hub.historyMemory.evicted, 30);
  const replay = (room: string) => {
    const bob = connect(`bob${room.slice(1)}`);
    bob.input(`/join ${room}`);
    const joined = bob.sink.of("joined")[0];
    return joined.history.map((m) => m.text.split(" ")[0]);
  };
  assert.deepEqual(replay("#r1"), [], "the oldest room's replay went first");
  assert.deepEqual(replay("#r3"), [], "then the next oldest");
  assert.equal(replay("#r4").length, 10, "the newest 20 messages are kept");
  assert.deepEqual(
    replay("#r5"),
    Array.from({ length: 10 }, (_, i) => `5.${String(i + 1).padStart(2, "0")}`),
  );
  const carol = connect("carol");
  carol.input("/join #r1");
  await carol.input("/history 5");
  const page = carol.sink.of("history")[0];
  assert.deepEqual(page.messages.map((m) => m.text.split(" ")[0]), [
    "1.06",
    "1.07",
    "1.08",
    "1.09",
    "1.10",
  ]);
});

Deno.test("Hub keeps no history with historySize 0", () => {
  const { connect } = setup({ historySize: 0 });
  const ana = connect("ana");
  ana.input("gone");
  const welcome = connect("bob").sink.only();
  assert.equal(welcome.type === "welcome" && welcome.history.length, 0);
});

Deno.test("Hub history holds messages only, not joins or leaves", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  ana.input("hi");
  bob.input("/quit");
  const welcome = connect("carol").sink.only();
  assert.equal(welcome.type, "welcome");
  assert.deepEqual(welcome.history.map((m) => [m.type, m.text]), [["msg", "hi"]]);
});
