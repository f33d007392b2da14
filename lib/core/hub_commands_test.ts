// The hub's command path: /help from the table, unknown and malformed commands, errors.

import assert from "node:assert/strict";
import { helpOf, usageOf } from "./command_registry.ts";
import { COMMANDS } from "./commands/default_commands.ts";
import { assertError, assertNothing, quiet, setup } from "./_hub_harness.ts";

Deno.test("/help lists every command a member may run, in table order, with its usage", () => {
  const { connect } = setup();
  const ana = connect("ana");
  quiet(ana);
  assert.equal(ana.input("/help"), true);
  assert.deepEqual(ana.sink.only(), {
    type: "help",
    commands: COMMANDS.filter((c) => !c.op).map((c) => ({
      name: c.name,
      usage: usageOf(c),
      help: helpOf(c),
    })),
  });
  const help = ana.sink.only();
  assert.equal(help.type === "help" && help.commands.length, 18);
});

Deno.test("/help explains one command, found by name or alias, with or without '/'", () => {
  const { connect } = setup();
  const ana = connect("ana");
  for (const name of ["msg", "/msg", "dm", "MSG"]) {
    quiet(ana);
    ana.input(`/help ${name}`);
    const help = ana.sink.only();
    assert.equal(help.type, "help");
    assert.deepEqual(help.commands.map((c) => c.usage), ["/msg <nick> <text>"], name);
  }
});

Deno.test("/help of a command names its aliases, for every command that has some", () => {
  const { connect } = setup();
  const ana = connect("ana");
  quiet(ana);
  ana.input("/help msg");
  const msg = ana.sink.only();
  assert.equal(
    msg.type === "help" && msg.commands[0].help,
    "Send a private message that only you and <nick> see (also /dm, /query)",
  );
  const withAliases = COMMANDS.filter((c) => c.aliases?.length);
  assert.ok(withAliases.length >= 5);
  for (const command of withAliases) {
    quiet(ana);
    ana.input(`/help ${command.aliases!.at(-1)}`);
    const help = ana.sink.only();
    const text = help.type === "help" ? help.commands[0].help : "";
    for (const alias of command.aliases!) {
      assert.ok(text.includes(`/${alias}`), `${alias}: ${text}`);
    }
  }
});

Deno.test("/help of an unknown command says there is none and where the list is", () => {
  const { connect } = setup();
  const ana = connect("ana");
  quiet(ana);
  ana.input("/help fly");
  assertError(
    ana,
    "unknown_command",
    'No command "/fly" to explain; type /help alone for the list of commands',
  );
  quiet(ana);
  ana.input("/help /fly");
  assertError(
    ana,
    "unknown_command",
    'No command "/fly" to explain; type /help alone for the list of commands',
  );
});

Deno.test("/help of a misspelt command names the nearest one, operator commands included", () => {
  const { connect } = setup();
  const ana = connect("ana");
  quiet(ana);
  ana.input("/help jion");
  assertError(
    ana,
    "unknown_command",
    'No command "/jion" to explain (did you mean /join?); type /help alone for the list of commands',
  );
  // /help explains an operator command to anyone, so it suggests one too.
  quiet(ana);
  ana.input("/help kik");
  assertError(
    ana,
    "unknown_command",
    'No command "/kik" to explain (did you mean /kick?); type /help alone for the list of commands',
  );
});

Deno.test("A misspelt command names the nearest one; an operator command only to operators", () => {
  const { connect } = setup();
  const ana = connect("ana");
  quiet(ana);
  ana.input("/mgs bob hi");
  assertError(
    ana,
    "unknown_command",
    'Unknown command "/mgs" (did you mean /msg?); type /help for a list',
  );
  quiet(ana);
  ana.input("/kik bob");
  assertError(ana, "unknown_command", 'Unknown command "/kik"; type /help for a list');
});

Deno.test("An unknown command answers only its sender", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  quiet(ana, bob);
  assert.equal(ana.input("/frobnicate the widgets"), false);
  assertError(ana, "unknown_command", 'Unknown command "/frobnicate"; type /help for a list');
  assertNothing(bob);
});

Deno.test("A lone '/' is an error naming the missing command", () => {
  const { connect } = setup();
  const ana = connect("ana");
  quiet(ana);
  assert.equal(ana.input("/"), false);
  assertError(ana, "unknown_command", 'Missing command name after "/"');
});

Deno.test("Command names are case-insensitive", () => {
  const { connect } = setup();
  const ana = connect("ana");
  quiet(ana);
  assert.equal(ana.input("/ROOMS"), true);
  assert.equal(ana.sink.only().type, "rooms");
});

Deno.test("Malformed arguments answer 'Usage: ...' only to the sender", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const bob = connect("bob");
  const cases: [string, string][] = [
    ["/nick", "Usage: /nick <nick>"],
    ["/nick two words", "Usage: /nick <nick>"],
    ["/msg bob", "Usage: /msg <nick> <text>"],
    ["/msg", "Usage: /msg <nick> <text>"],
    ["/me", "Usage: /me <action>"],
    ["/me    ", "Usage: /me <action>"],
    ["/join", "Usage: /join <#room>"],
    ["/rooms please", "Usage: /rooms"],
    ["/who #a #b", "Usage: /who [#room]"],
    ["/help a b", "Usage: /help [command]"],
  ];
  for (const [line, usage] of cases) {
    quiet(ana, bob);
    assert.equal(ana.input(line), false, line);
    assertError(ana, "bad_args", usage);
    assertNothing(bob);
  }
  assert.equal(ana.member.nick, "ana");
  assert.equal(ana.member.rooms.size, 1);
});

Deno.test("Hub.command() runs a command given by name and argument string", () => {
  const { hub, connect } = setup();
  const ana = connect("ana");
  quiet(ana);
  assert.equal(hub.command(ana.member, "join", "#dev"), true);
  assert.equal(ana.member.current?.name, "#dev");
});

Deno.test("errors that quote user input never carry escape sequences", () => {
  const { connect } = setup();
  const ana = connect("ana");
  const hostile = "x\x1b[2J\x1b]0;pwned\x07y";
  for (
    const line of [
      `/nick ${hostile}`,
      `/msg ${hostile} hi`,
      `/${hostile}`,
      `/help ${hostile}`,
      `/who #${hostile}`,
    ]
  ) {
    quiet(ana);
    assert.equal(ana.input(line), false, line);
    const event = ana.sink.only();
    assert.equal(event.type, "error");
    assert.doesNotMatch(JSON.stringify(event), /\\u001b|\\u0007/, line);
  }
});

Deno.test("/topic and /part take a first word with a control character as the start of their text, cleaned as text is, not as a bad room name", () => {
  const { connect } = setup({ rateLimit: false });
  const ana = connect("ana");
  const bob = connect("bob");
  quiet(ana, bob);
  ana.input("/topic \x1b[31mhello there");
  const topic = bob.sink.events.find((event) => event.type === "topic");
  assert.ok(topic, `no topic: ${JSON.stringify(ana.sink.events)}`);
  assert.equal(topic.text, "hello there");
  quiet(ana, bob);
  // A word that does name a room is still checked as one.
  ana.input("/topic #a\x1b[31m hi");
  assertError(ana, "bad_room", /Room name "#a\\x1b\[31m" contains the control character U\+001B/);
  ana.input("/join #side");
  bob.input("/join #side");
  quiet(ana, bob);
  ana.input("/part \x1b]0;pwn\x07bye now");
  const left = bob.sink.events.find((event) => event.type === "leave");
  assert.ok(left, `no leave: ${JSON.stringify(ana.sink.events)}`);
  assert.doesNotMatch(JSON.stringify(left), /\\u001b|\\u0007/);
});
