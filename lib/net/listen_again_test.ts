import assert from "node:assert/strict";
import type { Server } from "node:net";
import { keepAccepting } from "./listen_again.ts";

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A stand-in for a node:net server: its native handle records each listen(). */
function fakeServer(status = 0) {
  const backlogs: number[] = [];
  const server = { _handle: { listen: (backlog: number) => (backlogs.push(backlog), status) } };
  return { server: server as unknown as Server, backlogs, raw: server as { _handle: unknown } };
}

Deno.test("keepAccepting() calls the handle's listen() again until stopped", async () => {
  const { server, backlogs } = fakeServer();
  const stop = keepAccepting(server, 1024, undefined, 10);
  await delay(60);
  stop();
  const seen = backlogs.length;
  assert.ok(seen >= 2, `listen() called ${seen} times`);
  assert.ok(backlogs.every((backlog) => backlog === 1024));
  await delay(40);
  assert.equal(backlogs.length, seen);
});

Deno.test("keepAccepting() leaves a closed server (no handle) alone", async () => {
  const { server, raw } = fakeServer();
  raw._handle = null;
  const stop = keepAccepting(server, 1024, undefined, 10);
  await delay(40);
  stop();
});

Deno.test("keepAccepting() tells a refused listen() once", async () => {
  const { server, backlogs } = fakeServer(-22);
  const errors: Error[] = [];
  const stop = keepAccepting(server, 8, (error) => errors.push(error), 10);
  await delay(60);
  stop();
  assert.ok(backlogs.length >= 2);
  assert.equal(errors.length, 1);
  assert.match(errors[0].message, /status -22/);
});
