import assert from "node:assert/strict";
import { History, MemoryBudget, messageBytes } from "./history.ts";
import { MemoryStore } from "./state/history_store.ts";
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

Deno.test("MemoryStore keeps each room's last perRoom messages, however many were appended", async () => {
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
  assert.deepEqual(
    ids(await store.page("#a", 21, 10)),
    [19, 20],
    "nothing older than the kept five",
  );
  assert.deepEqual(ids(await store.page("#a", 24, 3)), [21, 22, 23]);
  assert.equal(store.prune(undefined, 3), 2, "only kept messages count as removed");
  assert.deepEqual(ids(store.load("#a", 100).messages), [21, 22, 23]);
  for (let id = 24; id <= 40; id++) store.append("#a", at(id));
  assert.deepEqual(ids(store.load("#a", 100).messages), [36, 37, 38, 39, 40]);
});

Deno.test("a MemoryBudget shared by histories evicts the oldest items of all of them first", () => {
  const budget = new MemoryBudget(100);
  const sized = { budget, sizeOf: (item: number) => item };
  const a = new History<number>(10, sized);
  const b = new History<number>(10, sized);
  a.push(30); // oldest
  b.push(30);
  a.push(30);
  assert.equal(budget.usedBytes, 90);
  b.push(20); // 110: a's first goes
  assert.deepEqual([a.last(), b.last()], [[30], [30, 20]]);
  assert.equal(budget.usedBytes, 80);
  b.push(50); // 130: b's first goes (older than a's second), and that is enough
  assert.deepEqual([a.last(), b.last()], [[30], [20, 50]]);
  assert.equal(budget.usedBytes, 100);
  b.push(1); // 101: a's second goes
  assert.deepEqual([a.last(), b.last()], [[], [20, 50, 1]]);
  assert.equal(budget.usedBytes, 71);
  assert.equal(budget.evicted, 3);
});

Deno.test("a History dropping items itself (capacity, retain, keepLast) gives their bytes back", () => {
  const budget = new MemoryBudget(1000);
  const history = new History<number>(3, { budget, sizeOf: () => 10 });
  for (let i = 1; i <= 5; i++) history.push(i);
  assert.equal(budget.usedBytes, 30);
  assert.equal(history.retain((n) => n !== 4), 1);
  assert.equal(budget.usedBytes, 20);
  assert.equal(history.keepLast(1), 1);
  assert.deepEqual(history.last(), [5]);
  assert.equal(budget.usedBytes, 10);
  assert.equal(budget.evicted, 0, "none of that was the budget's doing");
});

Deno.test("a History keeps its order through many pushes, evictions and cuts", () => {
  const budget = new MemoryBudget(50);
  const history = new History<number>(8, { budget, sizeOf: () => 10 });
  for (let i = 1; i <= 1000; i++) {
    history.push(i);
    assert.deepEqual(
      history.last(),
      Array.from({ length: Math.min(5, i) }, (_, k) => i - Math.min(5, i) + 1 + k),
    );
  }
  assert.deepEqual(history.slice(1, 3), [997, 998]);
  assert.equal(history.at(0), 996);
  assert.equal(history.at(5), undefined);
});

Deno.test("an item bigger than the whole budget is not kept at all", () => {
  const budget = new MemoryBudget(100);
  const history = new History<number>(10, { budget, sizeOf: (n) => n });
  history.push(10);
  history.push(500);
  assert.deepEqual(history.last(), []);
  assert.equal(budget.usedBytes, 0);
});

Deno.test("messageBytes() counts two bytes a UTF-16 unit of text and nick, plus the event", () => {
  const event: MessageEvent = {
    type: "msg",
    room: "#a",
    id: 1,
    ts: 1,
    from: "ana",
    text: "漢".repeat(4000),
    kind: "say",
  };
  assert.equal(messageBytes(event), 2 * 4003 + 128);
});

Deno.test("MemoryStore keeps at most maxBytes of messages across rooms, dropping the oldest of all first", async () => {
  const text = "漢".repeat(1000); // 2,134 bytes a message
  const store = new MemoryStore(100, 10 * 2134);
  for (let id = 1; id <= 12; id++) {
    for (const room of ["#a", "#b"]) {
      store.append(room, { type: "msg", room, id, ts: id, from: "ana", text, kind: "say" });
    }
  }
  assert.ok(store.usedBytes <= 10 * 2134);
  const ids = (room: string) => store.load(room, 100).messages.map((m) => m.id);
  assert.deepEqual(ids("#a"), [8, 9, 10, 11, 12]);
  assert.deepEqual(ids("#b"), [8, 9, 10, 11, 12]);
  assert.deepEqual((await store.page("#a", 10, 100)).map((m) => m.id), [8, 9]);
  assert.equal(store.load("#a", 0).lastId, 12, "ids go on whatever was dropped");
});

Deno.test("full histories sharing a budget (their dropped charges reused) match a plain model", () => {
  // The model: every kept item in the order charged; a history past its
  // capacity drops its own oldest, then the budget drops the oldest of all.
  const budget = new MemoryBudget(60);
  const capacities = [3, 1, 4];
  const histories = capacities.map((c) =>
    new History<number>(c, { budget, sizeOf: (n) => n % 17 })
  );
  let kept: { owner: number; item: number }[] = [];
  let evicted = 0;
  for (let item = 1; item <= 2000; item++) {
    const owner = (item * 7) % 3;
    histories[owner].push(item);
    kept.push({ owner, item });
    const own = kept.filter((k) => k.owner === owner);
    if (own.length > capacities[owner]) kept = kept.filter((k) => k !== own[0]);
    let used = kept.reduce((sum, k) => sum + k.item % 17, 0);
    while (used > 60 && kept.length > 0) {
      used -= kept[0].item % 17;
      kept.shift();
      evicted++;
    }
    for (let h = 0; h < 3; h++) {
      assert.deepEqual(histories[h].last(), kept.filter((k) => k.owner === h).map((k) => k.item));
    }
    assert.equal(budget.usedBytes, used);
    assert.equal(budget.evicted, evicted);
  }
});

Deno.test("a History's ring grows, wraps, shrinks and stays in order against a plain list", () => {
  for (const capacity of [1, 5, 8, 9, 50]) {
    const history = new History<number>(capacity);
    const model: number[] = [];
    let next = 0;
    // Fill past the capacity, cut down to a few (the ring shrinks), fill again: wrapped each way.
    for (
      const [pushes, keep] of [[3 * capacity + 7, 2], [capacity + 3, 1], [5, 0], [
        2 * capacity,
        capacity,
      ]]
    ) {
      for (let i = 0; i < pushes; i++) {
        history.push(++next);
        model.push(next);
        if (model.length > capacity) model.shift();
        assert.deepEqual(history.last(), model, `capacity ${capacity}`);
      }
      assert.equal(history.keepLast(keep), Math.max(0, model.length - keep));
      model.splice(0, Math.max(0, model.length - keep));
      assert.deepEqual(history.last(), model);
      assert.deepEqual(history.slice(1, 3), model.slice(1, 3));
      assert.equal(history.at(model.length - 1), model.at(-1));
      assert.equal(history.at(model.length), undefined);
    }
    assert.equal(history.retain((n) => n % 2 === 0), model.filter((n) => n % 2 !== 0).length);
    history.push(++next);
    assert.deepEqual(
      history.last(),
      [...model.filter((n) => n % 2 === 0), next].slice(-capacity),
    );
  }
});
