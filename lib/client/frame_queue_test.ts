import assert from "node:assert/strict";
import type { ClientFrame } from "../protocol/client_frames.ts";
import { FrameQueue, OfflineQueueFullError } from "./frame_queue.ts";

/** Our own message in `room`, as the server echoes it. */
const echo = (room: string, text: string) => ({ type: "msg", from: "me", room, text });

/** A connection that records what it is sent. */
function sink() {
  const sent: ClientFrame[] = [];
  return { sent, send: (frame: ClientFrame) => (sent.push(frame), Promise.resolve()) };
}

Deno.test("FrameQueue keeps frames typed offline, stamped with their room, and refuses past its limit", () => {
  const queue = new FrameQueue(2, () => undefined);
  queue.push({ type: "msg", text: "one" }, true, "#a");
  queue.push({ type: "msg", text: "two" }, true, "#b");
  assert.throws(
    () => queue.push({ type: "msg", text: "three" }, true, "#a"),
    OfflineQueueFullError,
  );
  assert.equal(queue.size, 2);
  assert.equal(queue.unsentLines, 2);
});

Deno.test("FrameQueue writes in order, then confirms with one ping whose pong empties it", async () => {
  const connection = sink();
  let up = false;
  const queue = new FrameQueue(10, () => up ? connection : undefined);
  queue.push({ type: "msg", text: "one" }, true, "#a");
  queue.push({ type: "cmd", name: "join", args: "#b" }, true, "#a");
  queue.push({ type: "msg", text: "two" }, true, "#a");
  up = true;
  await queue.drain();
  assert.deepEqual(connection.sent, [
    { type: "msg", text: "one", room: "#a" },
    { type: "cmd", name: "join", args: "#b", room: "#a" },
    // After a queued room change, the server's current room is the right one.
    { type: "msg", text: "two" },
    { type: "ping", token: "ack:3" },
  ]);
  assert.equal(queue.size, 3);
  queue.confirm("ack:3");
  assert.equal(queue.size, 0);
});

Deno.test("FrameQueue puts frames never confirmed back first in line after a loss", async () => {
  const connection = sink();
  const queue = new FrameQueue(10, () => connection);
  queue.push({ type: "msg", text: "one" }, false, undefined);
  await queue.drain();
  queue.push({ type: "cmd", name: "quit", args: "" }, false, undefined);
  await queue.drain();
  assert.equal(queue.requeueUnconfirmed(), 1, "the quit is not a line the user typed");
  assert.equal(queue.size, 2);
  connection.sent.length = 0;
  await queue.drain();
  assert.deepEqual(connection.sent.slice(0, 2), [
    { type: "msg", text: "one" },
    { type: "cmd", name: "quit", args: "" },
  ]);
});

Deno.test("FrameQueue holds everything while paused", async () => {
  const connection = sink();
  const queue = new FrameQueue(10, () => connection);
  queue.paused = true;
  queue.push({ type: "msg", text: "wait" }, false, undefined);
  await queue.drain();
  assert.deepEqual(connection.sent, []);
  queue.paused = false;
  await queue.drain();
  assert.deepEqual(connection.sent[0], { type: "msg", text: "wait" });
});

Deno.test("FrameQueue: the echo of a message confirms it and what was written before it, not what came after", async () => {
  const connection = sink();
  let up = false;
  const queue = new FrameQueue(10, () => up ? connection : undefined);
  queue.push({ type: "cmd", name: "join", args: "#b" }, true, "#a");
  queue.push({ type: "msg", text: "same" }, true, "#a");
  queue.push({ type: "msg", text: "same" }, true, "#a");
  queue.push({ type: "msg", text: "later", room: "#a" }, true, "#a");
  up = true;
  await queue.drain();
  assert.equal(connection.sent.length, 5, "four frames and the ping");
  assert.equal(queue.size, 4);
  queue.confirmEcho(echo("#b", "changed by the server"), "me");
  assert.equal(queue.size, 4, "a text that differs confirms nothing");
  queue.confirmEcho(echo("#b", "same"), "me");
  assert.equal(queue.size, 2, "the join and the first 'same'");
  queue.confirmEcho(echo("#b", "later"), "me");
  assert.equal(queue.size, 2, "'later' went to #a: an echo in #b is another message");
  queue.confirmEcho(echo("#A", "later"), "me");
  assert.equal(queue.size, 0, "rooms compare as the server folds them");
  // Nothing confirmed is sent again after a loss.
  assert.equal(queue.requeueUnconfirmed(), 0);
});

Deno.test("FrameQueue: an echo confirms a message sent to a room only from that room, as the server folds its name", async () => {
  const connection = sink();
  const queue = new FrameQueue(10, () => connection);
  queue.push({ type: "msg", text: "x", room: "#Dev" }, false, undefined);
  await queue.drain();
  queue.confirmEcho(echo("#other", "x"), "me");
  queue.confirmEcho({ ...echo("#dev", "x"), from: "someone else" }, "me");
  assert.equal(queue.size, 1);
  queue.confirmEcho(echo("#dev", "x"), "me");
  assert.equal(queue.size, 0);
});
