import assert from "node:assert/strict";
import { History } from "./history.ts";
import { MemoryStore } from "./history_store.ts";
import type { MessageEvent } from "./events.ts";

Deno.test("History starts empty", () => {
  const history = new History<number>(3);
  assert.equal(history.size, 0);
  assert.deepEqual(history.last(), []);
});

Deno.test("History.last() returns the items oldest first", () => {
  const history = new History<string>(5);
  history.push("a");
  history.push("b");
  history.push("c");
  assert.equal(history.size, 3);
  assert.deepEqual(history.last(), ["a", "b", "c"]);
});

Deno.test("History.push() evicts the oldest item once full", () => {
  const history = new History<number>(3);
  for (let i = 1; i <= 4; i++) history.push(i);
  assert.equal(history.size, 3);
  assert.deepEqual(history.last(), [2, 3, 4]);
});

Deno.test("History keeps only the last N items after wrapping around many times", () => {
  const history = new History<number>(4);
  for (let i = 1; i <= 103; i++) history.push(i);
  assert.equal(history.size, 4);
  assert.deepEqual(history.last(), [100, 101, 102, 103]);
});

Deno.test("History.last(count) returns the newest count items, oldest first", () => {
  const history = new History<number>(5);
  for (let i = 1; i <= 7; i++) history.push(i);
  assert.deepEqual(history.last(2), [6, 7]);
  assert.deepEqual(history.last(5), [3, 4, 5, 6, 7]);
});

Deno.test("History.last() clamps a count that is too large, zero or negative", () => {
  const history = new History<number>(5);
  history.push(1);
  history.push(2);
  assert.deepEqual(history.last(10), [1, 2]);
  assert.deepEqual(history.last(0), []);
  assert.deepEqual(history.last(-3), []);
});

Deno.test("History with capacity 1 holds only the newest item", () => {
  const history = new History<string>(1);
  history.push("old");
  history.push("new");
  assert.equal(history.size, 1);
  assert.deepEqual(history.last(), ["new"]);
});

Deno.test("History with capacity 0 keeps nothing", () => {
  const history = new History<number>(0);
  history.push(1);
  history.push(2);
  assert.equal(history.size, 0);
  assert.deepEqual(history.last(), []);
});

Deno.test("History.last() returns a fresh array the caller may change", () => {
  const history = new History<number>(3);
  history.push(1);
  history.push(2);
  const items = history.last();
  items.push(99);
  items[0] = 42;
  assert.deepEqual(history.last(), [1, 2]);
});

Deno.test("MemoryStore keeps each room's last perRoom messages, however many were appended", () => {
  const store = new MemoryStore(5);
  const at = (id: number): MessageEvent => ({
    type: "msg",
    room: "#a",
    id,
    ts: id,
    from: "ana",
    text: `m${id}`,
    kind: "say",
  });
  for (let id = 1; id <= 23; id++) store.append("#a", at(id));
  const ids = (messages: MessageEvent[]) => messages.map((m) => m.id);
  assert.deepEqual(ids(store.load("#a", 100).messages), [19, 20, 21, 22, 23]);
  assert.equal(store.load("#a", 100).lastId, 23);
  assert.deepEqual(ids(store.load("#a", 2).messages), [22, 23]);
  assert.deepEqual(ids(store.page("#a", 21, 10)), [19, 20], "nothing older than the kept five");
  assert.deepEqual(ids(store.page("#a", 24, 3)), [21, 22, 23]);
  assert.equal(store.prune(undefined, 3), 2, "only kept messages count as removed");
  assert.deepEqual(ids(store.load("#a", 100).messages), [21, 22, 23]);
  for (let id = 24; id <= 40; id++) store.append("#a", at(id));
  assert.deepEqual(ids(store.load("#a", 100).messages), [36, 37, 38, 39, 40]);
});
