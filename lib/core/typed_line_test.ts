import assert from "node:assert/strict";
import { isPlainMessage, parseTypedLine } from "./typed_line.ts";

Deno.test("parseTypedLine() splits a command into its name and the rest of the line", () => {
  assert.deepEqual(parseTypedLine("/msg ana  hi there"), {
    kind: "command",
    name: "msg",
    args: "ana  hi there",
  });
  assert.deepEqual(parseTypedLine("/quit"), { kind: "command", name: "quit", args: "" });
  assert.deepEqual(parseTypedLine("/"), { kind: "command", name: "", args: "" });
  assert.deepEqual(parseTypedLine("/me\nwaves"), { kind: "command", name: "me", args: "waves" });
});

Deno.test("parseTypedLine() reads // as a literal slash and anything else as a message", () => {
  assert.deepEqual(parseTypedLine("//etc/hosts"), { kind: "message", text: "/etc/hosts" });
  assert.deepEqual(parseTypedLine("hello /all"), { kind: "message", text: "hello /all" });
  assert.deepEqual(parseTypedLine(" /not a command"), {
    kind: "message",
    text: " /not a command",
  });
});

Deno.test("isPlainMessage() is true exactly for the lines parseTypedLine() gives back whole as a message", () => {
  for (
    const line of ["hi", "", " /x", "//etc", "/", "/me waves", "a/b", "\u00e9/", "\t/x", "/ space"]
  ) {
    const typed = parseTypedLine(line);
    const whole = typed.kind === "message" && typed.text === line;
    assert.equal(isPlainMessage(line), whole, JSON.stringify(line));
  }
});
