import assert from "node:assert/strict";
import { ChatError } from "../errors.ts";
import { type Command, COMMANDS, findCommand, parseArgs, usageOf } from "./commands.ts";

function command(name: string): Command {
  const found = findCommand(name);
  assert.ok(found, `no command "${name}"`);
  return found;
}

function assertUsageError(name: string, input: string, usage: string): void {
  assert.throws(
    () => parseArgs(command(name), input),
    (error: unknown) => {
      assert.ok(error instanceof ChatError);
      assert.equal(error.code, "bad_args");
      assert.equal(error.message, `Usage: ${usage}`);
      return true;
    },
  );
}

Deno.test("COMMANDS lists the chat commands in help order", () => {
  assert.deepEqual(
    COMMANDS.map((c) => c.name),
    [
      "help",
      "nick",
      "msg",
      "me",
      "who",
      "join",
      "part",
      "history",
      "rooms",
      "register",
      "unregister",
      "whois",
      "kick",
      "ban",
      "unban",
      "bans",
      "mute",
      "unmute",
      "quit",
    ],
  );
});

Deno.test("COMMANDS rows are consistent: sane argument counts, help text, no clashing names", () => {
  const seen = new Set<string>();
  for (const c of COMMANDS) {
    assert.ok(c.minArgs >= 0 && c.minArgs <= c.maxArgs, `${c.name}: minArgs > maxArgs`);
    assert.ok(c.help.length > 0, `${c.name}: no help`);
    assert.equal(c.help, c.help.trim());
    if (c.maxArgs === 0) assert.equal(c.usage, "", `${c.name}: usage names arguments it refuses`);
    else assert.notEqual(c.usage, "", `${c.name}: usage is missing its arguments`);
    for (const name of [c.name, ...(c.aliases ?? [])]) {
      assert.equal(name, name.toLowerCase());
      assert.ok(!seen.has(name), `"${name}" names two commands`);
      seen.add(name);
    }
  }
});

Deno.test("findCommand() finds a command by name", () => {
  assert.equal(findCommand("msg")?.name, "msg");
  assert.equal(findCommand("quit")?.name, "quit");
});

Deno.test("findCommand() finds a command by alias", () => {
  assert.equal(findCommand("dm")?.name, "msg");
  assert.equal(findCommand("query")?.name, "msg");
  assert.equal(findCommand("names")?.name, "who");
  assert.equal(findCommand("leave")?.name, "part");
  assert.equal(findCommand("list")?.name, "rooms");
  assert.equal(findCommand("exit")?.name, "quit");
  assert.equal(findCommand("bye")?.name, "quit");
});

Deno.test("findCommand() ignores case", () => {
  assert.equal(findCommand("NICK")?.name, "nick");
  assert.equal(findCommand("Dm")?.name, "msg");
});

Deno.test("findCommand() returns undefined for an unknown name", () => {
  assert.equal(findCommand("frobnicate"), undefined);
  assert.equal(findCommand(""), undefined);
  assert.equal(findCommand("constructor"), undefined);
  assert.equal(findCommand("__proto__"), undefined);
});

Deno.test("usageOf() gives the command with its argument synopsis", () => {
  assert.equal(usageOf(command("msg")), "/msg <nick> <text>");
  assert.equal(usageOf(command("part")), "/part [#room] [reason]");
});

Deno.test("usageOf() gives just the name for a command without arguments", () => {
  assert.equal(usageOf(command("rooms")), "/rooms");
});

Deno.test("parseArgs() splits plain arguments on whitespace", () => {
  assert.deepEqual(parseArgs(command("nick"), "ana"), ["ana"]);
  assert.deepEqual(parseArgs(command("who"), "  #dev  "), ["#dev"]);
});

Deno.test("parseArgs() returns no arguments for empty or blank input", () => {
  assert.deepEqual(parseArgs(command("rooms"), ""), []);
  assert.deepEqual(parseArgs(command("help"), "   "), []);
  assert.deepEqual(parseArgs(command("quit"), " \t "), []);
});

Deno.test("parseArgs() gives the rest of the line, inner spaces kept, to the last argument", () => {
  assert.deepEqual(parseArgs(command("msg"), "bob hello   there,  friend"), [
    "bob",
    "hello   there,  friend",
  ]);
});

Deno.test("parseArgs() skips any whitespace between the leading arguments and the rest", () => {
  assert.deepEqual(parseArgs(command("msg"), "bob \t  hi"), ["bob", "hi"]);
  assert.deepEqual(parseArgs(command("msg"), "bob\nhi"), ["bob", "hi"]);
});

Deno.test("parseArgs() trims only the ends of a rest argument", () => {
  assert.deepEqual(parseArgs(command("me"), "  waves   at  everyone  "), ["waves   at  everyone"]);
});

Deno.test("parseArgs() keeps line breaks inside a rest argument", () => {
  assert.deepEqual(parseArgs(command("msg"), "bob line one\nline two"), [
    "bob",
    "line one\nline two",
  ]);
});

Deno.test("parseArgs() gives a one-argument rest command the whole line", () => {
  assert.deepEqual(parseArgs(command("quit"), "gone fishing, back soon"), [
    "gone fishing, back soon",
  ]);
});

Deno.test("parseArgs() lets optional rest arguments be left out", () => {
  assert.deepEqual(parseArgs(command("part"), ""), []);
  assert.deepEqual(parseArgs(command("part"), "#dev"), ["#dev"]);
  assert.deepEqual(parseArgs(command("part"), "#dev  see you all"), ["#dev", "see you all"]);
});

Deno.test("parseArgs() refuses too few arguments with the usage line", () => {
  assertUsageError("nick", "", "/nick <nick>");
  assertUsageError("msg", "bob", "/msg <nick> <text>");
  assertUsageError("msg", "bob   ", "/msg <nick> <text>");
  assertUsageError("join", "  ", "/join <#room>");
  assertUsageError("me", "", "/me <action>");
});

Deno.test("parseArgs() refuses too many arguments with the usage line", () => {
  assertUsageError("nick", "ana maria", "/nick <nick>");
  assertUsageError("rooms", "extra", "/rooms");
  assertUsageError("who", "#a #b", "/who [#room]");
  assertUsageError("help", "msg nick", "/help [command]");
});

Deno.test("parseArgs() uses the canonical name in the usage line even for an alias", () => {
  assertUsageError("dm", "bob", "/msg <nick> <text>");
});

Deno.test("COMMANDS marks exactly the moderation commands as operator-only", () => {
  assert.deepEqual(
    COMMANDS.filter((c) => c.op).map((c) => c.name),
    ["kick", "ban", "unban", "bans", "mute", "unmute"],
  );
});
