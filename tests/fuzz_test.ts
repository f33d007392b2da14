import assert from "node:assert/strict";
import { expectNative, FuzzServer, generateCase, runFuzz } from "./fuzz.ts";

const SEED = 0x1a7c4a7;

Deno.test("the server answers 3000 fuzzed connections, every bad frame with an error, and keeps chatting", async () => {
  await using server = await FuzzServer.start();
  const summary = await runFuzz({ seed: SEED, cases: 3000, port: server.port, target: server });
  assert.deepEqual(summary.failures, [], summary.failures.join("\n\n"));
  // The run must have exercised what it claims to.
  assert.ok(summary.modes.native > 2000, `native cases: ${summary.modes.native}`);
  assert.ok(summary.modes.text > 300, `text cases: ${summary.modes.text}`);
  assert.ok(summary.badLines > 2000, `bad lines answered: ${summary.badLines}`);
  assert.ok(summary.welcomes > 100, `cases that joined: ${summary.welcomes}`);
  assert.ok(summary.healthChecks >= 2, `health checks: ${summary.healthChecks}`);
});

Deno.test("a fuzz case is rebuilt from its seed and number alone", () => {
  const a = generateCase(SEED, 1234, 4096);
  const b = generateCase(SEED, 1234, 4096);
  assert.deepEqual(a, b);
  assert.notDeepEqual(generateCase(SEED, 1235, 4096).payload, a.payload);
  assert.notDeepEqual(generateCase(SEED + 1, 1234, 4096).payload, a.payload);
});

Deno.test("the fuzz oracle predicts one error per bad line and a pong per ping", () => {
  const bytes = new TextEncoder().encode(
    [
      "{bad",
      '{"type":"ping","token":"a"}',
      "",
      "  ",
      '{"type":"msg","text":1}',
      '["ping"]',
      '{"type":"shout"}',
      '{"type":"cmd","name":"who"}',
      "x".repeat(11),
      '{"type":"ping"}',
      "",
    ].join("\r\n"),
  );
  const withBadUtf8 = new Uint8Array([0x7b, 0xff, 0x0a, ...bytes]);
  assert.deepEqual(expectNative(withBadUtf8, 10).markers, [
    "error:bad_utf8",
    "error:bad_json",
    "error:line_too_long",
  ]);
  assert.deepEqual(expectNative(withBadUtf8, 100).markers, [
    "error:bad_utf8",
    "error:bad_json",
    "pong:a",
    "error:bad_frame",
    "error:bad_frame",
    "error:unknown_type",
    "error:bad_json",
    "pong:",
  ]);
});
