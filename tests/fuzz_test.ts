import assert from "node:assert/strict";
import { runClientFuzz } from "./fuzz/client_fuzz.ts";
import { generateCase } from "./fuzz/connection_cases.ts";
import { FuzzServer } from "./fuzz/fuzz_server.ts";
import { judgeNative } from "./fuzz/native_oracle.ts";
import { generateServerCase } from "./fuzz/server_line_cases.ts";
import { runFuzz } from "./fuzz/server_fuzz.ts";

const SEED = 0x1a7c4a7;

Deno.test("the server answers 3000 fuzzed connections, every bad frame with an error, and keeps chatting", async () => {
  await using server = await FuzzServer.start();
  const summary = await runFuzz({
    seed: SEED,
    cases: 3000,
    port: server.port,
    privateServer: server.privateServer,
    target: server,
  });
  assert.deepEqual(summary.failures, [], summary.failures.join("\n\n"));
  // The run must have exercised what it claims to.
  assert.ok(summary.modes.native > 2000, `native cases: ${summary.modes.native}`);
  assert.ok(summary.modes.text > 300, `text cases: ${summary.modes.text}`);
  assert.ok(summary.badLines > 2000, `bad lines answered: ${summary.badLines}`);
  assert.ok(summary.welcomes > 100, `cases that joined: ${summary.welcomes}`);
  assert.ok(summary.challenges > 100, `cases that drew a key challenge: ${summary.challenges}`);
  assert.ok(summary.keyWelcomes > 30, `cases that joined by a key proof: ${summary.keyWelcomes}`);
  assert.ok(summary.denied > 50, `cases refused at the door: ${summary.denied}`);
  assert.equal(summary.skipped, 0);
  assert.ok(summary.healthChecks >= 2, `health checks: ${summary.healthChecks}`);
  // The hostile corpus went through every field, and a text (nc) bystander saw its authors.
  assert.ok((summary.kinds.hostile ?? 0) > 150, `hostile cases: ${summary.kinds.hostile}`);
  assert.ok(
    (summary.kinds["hostile-text"] ?? 0) > 50,
    `hostile text cases: ${summary.kinds["hostile-text"]}`,
  );
  assert.ok(summary.textJoins > 100, `hostile joins the nc bystander saw: ${summary.textJoins}`);
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
  const answers = [
    "error:bad_utf8",
    "error:bad_json",
    "pong:a",
    "error:bad_frame",
    "error:bad_frame",
    "error:unknown_type",
    "error:not_ready",
    "error:bad_json",
    "pong:",
  ];
  assert.equal(judgeNative(withBadUtf8, answers, { maxLineBytes: 100 }).problem, undefined);
  assert.equal(judgeNative(withBadUtf8, answers, { maxLineBytes: 100 }).badLines, 6);
  const capped = ["error:bad_utf8", "error:bad_json", "error:line_too_long", "bye:protocol"];
  assert.equal(judgeNative(withBadUtf8, capped, { maxLineBytes: 10 }).problem, undefined);
  assert.match(
    judgeNative(withBadUtf8, answers.toSpliced(6, 1), { maxLineBytes: 100 }).problem ?? "",
    /line 9 .*expected error:not_ready, got error:bad_json/,
  );
});

Deno.test("the fuzz oracle follows the handshake: auth, the key, the password", () => {
  const lines = (...frames: object[]) =>
    new TextEncoder().encode(frames.map((frame) => JSON.stringify(frame) + "\n").join(""));
  const key = "A".repeat(43);
  const hello = { type: "hello", protocol: 1, nick: "ana", client: "t" };
  const auth = { type: "auth", signature: "sig" };
  const open = { maxLineBytes: 4096 };
  const judge = (payload: Uint8Array, answers: string[], context = open) =>
    judgeNative(payload, answers, context).problem;
  // Before hello, after a keyless hello, and as a member: not_ready, not_ready, already_hello.
  assert.equal(
    judge(lines(auth, { ...hello, key: "AAAA" }, { ...hello, nick: "a b" }, auth, hello, auth), [
      "error:not_ready",
      "error:bad_frame",
      "error:bad_nick",
      "error:not_ready",
      "welcome",
      "error:already_hello",
    ]),
    undefined,
  );
  // A challenge: hello and msg wait, ping does not; a made-up signature is refused.
  const challenged = lines({ ...hello, key }, hello, { type: "ping" }, auth, { type: "ping" });
  assert.equal(
    judge(challenged, [
      "challenge",
      "error:not_ready",
      "pong:",
      "error:access_denied",
      "bye:denied",
    ]),
    undefined,
  );
  // The proof that verifies joins.
  assert.equal(
    judgeNative(challenged, ["challenge", "error:not_ready", "pong:", "welcome", "pong:"], {
      ...open,
      validAuth: JSON.stringify(auth),
    }).keyWelcome,
    true,
  );
  // A private server: a wrong password is refused; the right one goes on.
  const locked = { ...open, password: "pw" };
  assert.equal(
    judge(lines({ ...hello, password: "pw" }, { ...hello, password: "no" }), [
      "welcome",
      "error:already_hello",
    ], locked),
    undefined,
  );
  assert.equal(
    judge(
      lines({ ...hello, password: "no" }, hello),
      ["error:access_denied", "bye:denied"],
      locked,
    ),
    undefined,
  );
  assert.equal(judge(lines(hello), ["error:password_required", "bye:denied"], locked), undefined);
  assert.match(judge(lines(hello), ["welcome"], locked) ?? "", /expected error:password_required/);
});

Deno.test("the client takes 2000 fuzzed server frames: each shown cleaned, refused with one notice, or ignored", async () => {
  const summary = await runClientFuzz({ seed: SEED, cases: 2000 });
  assert.deepEqual(summary.failures, [], summary.failures.join("\n\n"));
  // The run must have exercised what it claims to.
  assert.ok(summary.outcomes.accepted > 350, `accepted: ${summary.outcomes.accepted}`);
  assert.ok(summary.outcomes.refused > 1000, `refused: ${summary.outcomes.refused}`);
  assert.ok(summary.outcomes.ignored > 100, `ignored: ${summary.outcomes.ignored}`);
  assert.ok(
    summary.kinds["string:text"] > 150,
    `text fields poisoned: ${summary.kinds["string:text"]}`,
  );
  assert.ok(summary.tagsShown > 120, `poisoned texts shown: ${summary.tagsShown}`);
  assert.ok(summary.drawn >= 2000, `drawn: ${summary.drawn}`);
});

Deno.test("a server-to-client fuzz case is rebuilt from its seed and number alone", () => {
  assert.deepEqual(generateServerCase(SEED, 77), generateServerCase(SEED, 77));
  assert.notDeepEqual(generateServerCase(SEED, 78).line, generateServerCase(SEED, 77).line);
});
