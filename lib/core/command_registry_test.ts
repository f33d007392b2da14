import assert from "node:assert/strict";
import {
  type Command,
  CommandClashError,
  type CommandContext,
  CommandNameError,
  CommandRegistry,
} from "./command_registry.ts";
import { defaultCommands } from "./commands/default_commands.ts";
import { Hub } from "./hub.ts";
import { RecordingSink } from "./_recording_sink.ts";

const PING: Command = {
  name: "ping",
  usage: "[word]",
  help: "Answer pong",
  minArgs: 0,
  maxArgs: 1,
  rest: false,
  aliases: ["p"],
  run: (ctx: CommandContext, [word]: string[]) =>
    ctx.reply({ type: "notice", message: `pong ${word ?? ""}`.trim() }),
};

Deno.test("CommandRegistry.add() lists a verb after the others and finds it by name or alias", () => {
  const registry = new CommandRegistry().add(PING);
  assert.deepEqual(registry.list().map((c) => c.name), ["ping"]);
  assert.equal(registry.find("PING"), PING);
  assert.equal(registry.find("p"), PING);
  assert.equal(registry.find("pong"), undefined);
});

Deno.test("CommandRegistry.add() refuses a name or alias already taken", () => {
  const registry = defaultCommands();
  assert.throws(() => registry.add({ ...PING, name: "msg", aliases: [] }), CommandClashError);
  assert.throws(() => registry.add({ ...PING, aliases: ["dm"] }), /"\/dm" is already taken/);
  assert.equal(registry.find("ping"), undefined, "a refused command is not half added");
});

Deno.test("CommandRegistry.add() refuses a name given twice, and a name no one could type as one word", () => {
  const registry = new CommandRegistry();
  assert.throws(() => registry.add({ ...PING, aliases: ["PING"] }), /"\/ping" is already taken/);
  for (const name of ["", "two words", "/ping", "ping\u001b[31m", "-x"]) {
    assert.throws(() => registry.add({ ...PING, name, aliases: [] }), CommandNameError);
  }
  assert.throws(
    () => registry.add({ ...PING, name: "ping\u001b[31m", aliases: [] }),
    /"\/ping\\x1b\[31m" must be one word/,
  );
  assert.deepEqual(registry.list(), []);
});

Deno.test("a verb a front end adds runs through the hub, with its arguments checked first and /help listing it", () => {
  const hub = new Hub({ commands: defaultCommands().add(PING), rateLimit: false });
  const sink = new RecordingSink();
  const ana = hub.join({ nick: "ana", client: "test" }, sink);
  sink.clear();
  hub.input(ana, "/ping hello");
  assert.deepEqual(sink.events, [{ type: "notice", message: "pong hello" }]);
  sink.clear();
  hub.input(ana, "/p one two");
  assert.deepEqual(sink.events, [{
    type: "error",
    code: "bad_args",
    message: "Usage: /ping [word]",
  }]);
  sink.clear();
  hub.input(ana, "/help");
  const help = sink.of("help")[0];
  assert.deepEqual(help.commands.at(-1), {
    name: "ping",
    usage: "/ping [word]",
    help: "Answer pong (also /p)",
  });
});

Deno.test("a hub without the verb refuses it as an unknown command", () => {
  const hub = new Hub({ rateLimit: false });
  const sink = new RecordingSink();
  const ana = hub.join({ nick: "ana", client: "test" }, sink);
  sink.clear();
  hub.input(ana, "/ping");
  assert.equal(sink.of("error")[0].code, "unknown_command");
});
