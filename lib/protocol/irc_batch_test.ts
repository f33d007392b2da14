import assert from "node:assert/strict";
import {
  applyCapRequest,
  type Capability,
  capLsLines,
  msgid,
  MultilineIntake,
} from "./irc_batch.ts";
import { type IrcMessage, parseIrcLine } from "./irc_line.ts";

const limits = { maxMessageLength: 10, maxMessageLines: 3 };
const line = (text: string) => parseIrcLine(text) as IrcMessage;

Deno.test("MultilineIntake joins a batch's lines, concat lines without a newline, blank ends dropped", () => {
  const intake = new MultilineIntake(limits);
  assert.deepEqual(intake.command(["+r", "draft/multiline", "#a"], true), { kind: "none" });
  for (
    const l of [
      "@batch=r PRIVMSG #a :",
      "@batch=r PRIVMSG #a :ab",
      "@batch=r;draft/multiline-concat PRIVMSG #a :cd",
    ]
  ) {
    assert.ok(intake.take(line(l)));
  }
  assert.deepEqual(intake.command(["-r"], true), {
    kind: "message",
    command: "PRIVMSG",
    target: "#a",
    text: "abcd",
  });
  // With no batch open, a line of another is not the intake's.
  assert.ok(!intake.take(line("@batch=other PRIVMSG #a :x")));
});

Deno.test("MultilineIntake fails over max-bytes, on a second target, on mixed commands, and when not negotiated", () => {
  const intake = new MultilineIntake(limits);
  const run = (lines: string[]) => {
    intake.command(["+r", "draft/multiline", "#a"], true);
    for (const l of lines) intake.take(line(`@batch=r ${l}`));
    return intake.command(["-r"], true);
  };
  assert.deepEqual(run(["PRIVMSG #a :123456", "PRIVMSG #a :7890"]), {
    kind: "fail",
    code: "MULTILINE_MAX_BYTES",
    context: ["10"],
    description: "Multiline batch max-bytes exceeded",
  });
  assert.equal((run(["PRIVMSG #b :x"]) as { code: string }).code, "MULTILINE_INVALID_TARGET");
  assert.equal(
    (run(["PRIVMSG #a :x", "NOTICE #a :y"]) as { code: string }).code,
    "MULTILINE_INVALID",
  );
  assert.equal((run([]) as { code: string }).code, "MULTILINE_INVALID");
  assert.equal(
    (intake.command(["+r", "draft/multiline", "#a"], false) as { code: string }).code,
    "UNKNOWN_TYPE",
  );
  assert.equal(intake.command(["+r", "draft/multiline"], true), "missing");
});

Deno.test("CAP REQ is all or nothing, and echo-message cannot change after registration", () => {
  const caps = new Set<Capability>();
  assert.ok(!applyCapRequest(["batch", "nope"], caps, false));
  assert.deepEqual([...caps], []);
  assert.ok(applyCapRequest(["batch", "echo-message"], caps, false));
  assert.ok(!applyCapRequest(["-echo-message"], caps, true));
  assert.ok(applyCapRequest(["-batch"], caps, true));
  assert.deepEqual([...caps], ["echo-message"]);
});

Deno.test("capLsLines() splits a long list with * under 302; msgid() differs by room", () => {
  const lines = capLsLines("lanchat", "x".repeat(440), true, limits).split("\r\n").filter(Boolean);
  assert.ok(lines.length > 1);
  assert.ok(lines.slice(0, -1).every((l) => l.includes(" LS * :")));
  assert.ok(!lines.at(-1)!.includes(" LS * "));
  assert.notEqual(msgid("#a", 1), msgid("#b", 1));
  assert.match(msgid("#a", 12), /^12-/);
});

Deno.test("MultilineIntake: a batch opened inside another is refused with its lines; the open one goes on", () => {
  const intake = new MultilineIntake({ maxMessageLength: 4000, maxMessageLines: 20 });
  const line = (ref: string, text: string) => {
    const parsed = parseIrcLine(`@batch=${ref} PRIVMSG #a :${text}`);
    assert.ok(typeof parsed !== "string");
    return parsed;
  };
  assert.deepEqual(intake.command(["+a", "draft/multiline", "#a"], true), { kind: "none" });
  assert.ok(intake.take(line("a", "one")));
  const nested = intake.command(["+b", "draft/multiline", "#a"], true);
  assert.ok(nested !== "missing" && nested.kind === "fail" && nested.code === "MULTILINE_INVALID");
  assert.ok(intake.take(line("b", "dropped")), "a refused batch's lines are not sent one by one");
  assert.deepEqual(intake.command(["-b"], true), { kind: "none" });
  assert.ok(intake.take(line("a", "two")));
  const sent = intake.command(["-a"], true);
  assert.ok(sent !== "missing" && sent.kind === "message");
  assert.equal(sent.text, "one\ntwo");
  // Refused for its type: its lines are dropped too, until its end.
  const other = intake.command(["+c", "netjoin", "#a"], true);
  assert.ok(other !== "missing" && other.kind === "fail" && other.code === "UNKNOWN_TYPE");
  assert.ok(intake.take(line("c", "x")));
  intake.command(["-c"], true);
  assert.equal(intake.take(line("c", "x")), false);
});
