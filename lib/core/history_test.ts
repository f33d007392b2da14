import assert from "node:assert/strict";
import { History } from "./history.ts";

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
