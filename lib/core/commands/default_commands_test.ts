import assert from "node:assert/strict";
import { ChatError } from "../errors.ts";
import { type Command, parseArgs, usageOf } from "../command_registry.ts";
import { COMMANDS, findCommand } from "./default_commands.ts";
import { isNickWord, isQuitWord } from "./command_words.ts";

function command(name: string): Command {
  const found = findCommand(name);
  assert.ok(found, `no command "${name}"`);
  return found;
}

/** The arguments of `input` to `command`, options aside. */
function args(c: Command, input: string): string[] {
  return parseArgs(c, input).args;
}

function assertUsageError(name: string, input: string, usage: string): void {
  assert.throws(
    () => args(command(name), input),
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
      "describe",
      "notice",
      "who",
      "join",
      "part",
      "history",
      "rooms",
      "topic",
      "away",
      "back",
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
  assert.deepEqual(args(command("nick"), "ana"), ["ana"]);
  assert.deepEqual(args(command("who"), "  #dev  "), ["#dev"]);
});

Deno.test("parseArgs() returns no arguments for empty or blank input", () => {
  assert.deepEqual(args(command("rooms"), ""), []);
  assert.deepEqual(args(command("help"), "   "), []);
  assert.deepEqual(args(command("quit"), " \t "), []);
});

Deno.test("parseArgs() gives the rest of the line, inner spaces kept, to the last argument", () => {
  assert.deepEqual(args(command("msg"), "bob hello   there,  friend"), [
    "bob",
    "hello   there,  friend",
  ]);
});

Deno.test("parseArgs() skips any whitespace between the leading arguments and the rest", () => {
  assert.deepEqual(args(command("msg"), "bob \t  hi"), ["bob", "hi"]);
  assert.deepEqual(args(command("msg"), "bob\nhi"), ["bob", "hi"]);
});

Deno.test("parseArgs() trims only the ends of a rest argument", () => {
  assert.deepEqual(args(command("me"), "  waves   at  everyone  "), ["waves   at  everyone"]);
});

Deno.test("parseArgs() keeps line breaks inside a rest argument", () => {
  assert.deepEqual(args(command("msg"), "bob line one\nline two"), [
    "bob",
    "line one\nline two",
  ]);
});

Deno.test("parseArgs() gives a one-argument rest command the whole line", () => {
  assert.deepEqual(args(command("quit"), "gone fishing, back soon"), [
    "gone fishing, back soon",
  ]);
});

Deno.test("parseArgs() lets optional rest arguments be left out", () => {
  assert.deepEqual(args(command("part"), ""), []);
  assert.deepEqual(args(command("part"), "#dev"), ["#dev"]);
  assert.deepEqual(args(command("part"), "#dev  see you all"), ["#dev", "see you all"]);
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

Deno.test("parseArgs() takes a command's options out of its words, anywhere before the rest", () => {
  const mute = command("mute");
  for (const input of ["bo --key-only 5", "bo 5 --key-only", "--key-only bo 5"]) {
    const parsed = parseArgs(mute, input);
    assert.deepEqual(parsed.args, ["bo", "5"], input);
    assert.deepEqual([...parsed.flags], ["--key-only"], input);
  }
  assert.deepEqual(parseArgs(mute, "bo 5").flags.size, 0);
  const ban = command("ban");
  const keyOnly = parseArgs(ban, "bo --key-only  spamming --key-only again");
  assert.deepEqual(keyOnly.args, ["bo", "spamming --key-only again"]);
  assert.deepEqual([...keyOnly.flags], ["--key-only"]);
  assert.deepEqual(parseArgs(ban, "bo spamming --key-only").args, ["bo", "spamming --key-only"]);
  // Options are not arguments: they do not count towards the usage.
  assertUsageError("mute", "--key-only", "/mute <nick> [--key-only] [minutes]");
  assertUsageError("mute", "bo 5 6 --key-only", "/mute <nick> [--key-only] [minutes]");
});

Deno.test("parseArgs() refuses an unknown option, naming it and the ones the command takes", () => {
  assert.throws(
    () => parseArgs(command("ban"), "bo --keyonly spamming"),
    (error: unknown) =>
      error instanceof ChatError && error.code === "bad_args" &&
      error.message === 'Unknown option "--keyonly" for /ban; it takes --key-only',
  );
});

Deno.test("parseArgs() leaves --words alone for a command without options", () => {
  assert.deepEqual(args(command("msg"), "bo --help me"), ["bo", "--help me"]);
  assert.deepEqual(args(command("part"), "--- bye"), ["---", "bye"]);
  assert.deepEqual(parseArgs(command("msg"), "bo --help").flags.size, 0);
});

Deno.test("parseArgs() names a bad word by its place in the usage, options skipped", () => {
  assert.throws(
    () => parseArgs(command("mute"), "--key-only b\u0007o"),
    (error: unknown) =>
      error instanceof ChatError && error.code === "bad_nick" &&
      /^Nick "b.*o" contains/.test(error.message),
  );
});

Deno.test("command_words: the words clients recognise are the registry's own /quit and /nick", () => {
  for (const word of ["quit", "EXIT", "Bye", "nick", "NICK", "msg", "q", "nicks"]) {
    assert.equal(isQuitWord(word), findCommand(word)?.name === "quit", word);
    assert.equal(isNickWord(word), findCommand(word)?.name === "nick", word);
  }
});
