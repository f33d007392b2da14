/**
 * Slash commands as rows of a table held by a {@linkcode CommandRegistry}:
 * argument counts and options are checked once, here, before a handler runs,
 * and `/help` is generated from the same table. A front end (an IRC gateway)
 * or an embedding program adds its own verbs with
 * {@linkcode CommandRegistry.add}.
 *
 * @module
 */

import { ChatError } from "./errors.ts";
import type { ChatErrorCode, ChatEvent } from "./events.ts";
import { excerpt, unsafeCharacter } from "./sanitize.ts";
import type { ChatServices } from "./chat_services.ts";
import type { Member } from "./member.ts";
import type { Room } from "./room.ts";

/** What a command handler gets besides its arguments: who typed it, where, and what it may do. */
export interface CommandContext {
  /** The member who typed the command. */
  readonly member: Member;
  /** The room the command was typed in (the member's current room by default). */
  readonly room: Room;
  /** The options of {@linkcode Command.flags} that were given, e.g. `--key-only`. */
  readonly flags: ReadonlySet<string>;
  /** What the chat lets a handler see and do (never the whole hub). */
  readonly chat: ChatServices;
  /** Sends an event to the member who typed the command, and to no one else. */
  reply(event: ChatEvent): void;
}

/** One row of the command table. */
export interface Command {
  /** The verb, lower case, without the slash. */
  name: string;
  /** Argument synopsis, e.g. `<nick> <text>`. */
  usage: string;
  /** One line on what it does, shown by `/help`. */
  help: string;
  /** Fewest arguments it takes. */
  minArgs: number;
  /** Most arguments it takes. */
  maxArgs: number;
  /** Whether the last argument takes the rest of the line, spaces included. */
  rest: boolean;
  /** Other names it answers to. */
  aliases?: readonly string[];
  /**
   * Options it takes, each one word like `--key-only`, written anywhere
   * among its words (before the text that takes the rest of the line). They
   * are not counted as arguments; an unknown `--word` is refused. Commands
   * without options take `--word` as an ordinary argument.
   */
  flags?: readonly string[];
  /**
   * Only operators (keys named with `--op`) may run it; others get
   * `not_operator`, and `/help` lists it only to operators.
   */
  op?: boolean;
  /**
   * Only the members it says yes to may run it and see it in `/help`; to
   * others it is an unknown command (a hint meant for the clients that
   * lack a verb of their own, which those that have it never see).
   */
  shownTo?(member: Member): boolean;
  /**
   * Does the command. A `ChatError` thrown (or a promise rejected with one)
   * becomes an `error` event for the sender only. A handler that waits on a
   * store returns a promise; the sender's next requests wait behind it.
   */
  run(ctx: CommandContext, args: string[]): void | Promise<void>;
}

/** A command's arguments as typed, and the options among them. */
export interface ParsedArgs {
  /** The words, the last one taking the rest of the line when the command says so. */
  args: string[];
  /** The options given, e.g. `--key-only`. */
  flags: Set<string>;
}

/** Thrown by {@linkcode CommandRegistry.add} for a name or alias already taken. */
export class CommandClashError extends Error {
  /** Names the clashing command. */
  constructor(name: string) {
    super(`Command name "/${name}" is already taken`);
    this.name = "CommandClashError";
  }
}

/** A command name or alias that no one could type as one word after `/`. */
export class CommandNameError extends Error {
  /** Names the bad name. */
  constructor(name: string) {
    super(
      `Command name "/${excerpt(name)}" must be one word of letters, digits, "-" or "_"`,
    );
    this.name = "CommandNameError";
  }
}

const COMMAND_NAME = /^[\p{L}\p{N}][\p{L}\p{N}_-]*$/u;

/**
 * The commands a hub knows, in the order `/help` lists them. Each hub holds
 * one (`HubOptions.commands`); {@linkcode defaultCommands} builds the chat's
 * own, and a front end may add more.
 *
 * @example The chat's own commands and one verb more, for a hub
 * ```ts
 * import { defaultCommands } from "./commands/default_commands.ts";
 * import { Hub } from "./hub.ts";
 *
 * const commands = defaultCommands().add({
 *   name: "roll", usage: "", help: "Roll a die", minArgs: 0, maxArgs: 0, rest: false,
 *   run: (ctx) => ctx.reply({ type: "notice", message: `${ctx.member.nick} rolls a 4` }),
 * });
 * const hub = new Hub({ commands });
 * const ana = hub.join({ nick: "ana", client: "example" }, { deliver: console.log, end() {} });
 * hub.input(ana, "/roll"); // ana alone gets: { type: "notice", message: "ana rolls a 4" }
 * ```
 *
 * A `new CommandRegistry()` starts empty: no `/help`, `/join` or `/quit`
 * unless they are added.
 */
export class CommandRegistry {
  readonly #list: Command[] = [];
  readonly #byName = new Map<string, Command>();

  /** Starts with `commands`, in order. */
  constructor(commands: Iterable<Command> = []) {
    for (const command of commands) this.add(command);
  }

  /**
   * Adds a command, listed after those already there.
   *
   * @throws {CommandNameError} when its name or an alias is not one word
   * @throws {CommandClashError} when its name or an alias is taken, or
   * given twice
   */
  add(command: Command): this {
    const names = [command.name, ...(command.aliases ?? [])].map((name) => name.toLowerCase());
    for (const name of names) if (!COMMAND_NAME.test(name)) throw new CommandNameError(name);
    for (const [i, name] of names.entries()) {
      if (this.#byName.has(name) || names.indexOf(name) !== i) throw new CommandClashError(name);
    }
    for (const name of names) this.#byName.set(name, command);
    this.#list.push(command);
    return this;
  }

  /**
   * Finds a command by name or alias, case-insensitively; with `member`,
   * only one shown to it ({@linkcode Command.shownTo}).
   */
  find(name: string, member?: Member): Command | undefined {
    const command = this.#byName.get(name.toLowerCase());
    return member && command?.shownTo && !command.shownTo(member) ? undefined : command;
  }

  /** Every command, in the order they were added (the order `/help` lists them). */
  list(): readonly Command[] {
    return this.#list;
  }

  /**
   * The name or alias nearest to a `name` that is none, for its error ("did
   * you mean /join?" after `/jion`): one typing slip away (a letter wrong,
   * missing, added, or two swapped), or two for a name of six letters or
   * more. Only commands shown to `member`, and operator commands only with
   * `operatorCommands`; undefined when none is that near.
   */
  closest(name: string, member: Member, operatorCommands: boolean): string | undefined {
    const typed = name.toLowerCase();
    const slips = typed.length >= 6 ? 2 : 1;
    let best: { name: string; distance: number } | undefined;
    for (const command of this.#list) {
      if ((command.op && !operatorCommands) || !(command.shownTo?.(member) ?? true)) continue;
      for (const candidate of [command.name, ...(command.aliases ?? [])]) {
        const distance = editDistance(typed, candidate.toLowerCase());
        if (distance <= slips && distance < (best?.distance ?? Infinity)) {
          best = { name: candidate, distance };
        }
      }
    }
    return best?.name;
  }
}

/**
 * How many typing slips turn `a` into `b`: letters replaced, inserted,
 * deleted, or two neighbours swapped (the optimal string alignment distance).
 */
export function editDistance(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  // Far longer or shorter: not a slip, and no table for a pasted paragraph.
  if (Math.abs(x.length - y.length) > 2) return Math.abs(x.length - y.length);
  const d = Array.from(
    { length: x.length + 1 },
    (_, i) => Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[x.length][y.length];
}

/** ` (did you mean /join?)` after an unknown command's name, or nothing. */
function didYouMean(closest: string | undefined): string {
  return closest === undefined ? "" : ` (did you mean /${closest}?)`;
}

/**
 * The error for a typed command `name` that `commands` does not know (or
 * does not show `member`): the name, the nearest one when there is one, and
 * where the list is. Operator commands are suggested to operators only.
 */
export function unknownCommand(commands: CommandRegistry, name: string, member: Member): ChatError {
  if (!name) return new ChatError("unknown_command", 'Missing command name after "/"');
  const near = commands.closest(name, member, member.operator);
  return new ChatError(
    "unknown_command",
    `Unknown command "/${excerpt(name)}"${didYouMean(near)}; type /help for a list`,
  );
}

/**
 * What `/help` says a command does: its help text and, when it has aliases,
 * the other names it answers to, e.g. `... (also /dm, /query)`.
 */
export function helpOf(command: Command): string {
  const aliases = command.aliases ?? [];
  return aliases.length === 0
    ? command.help
    : `${command.help} (also ${aliases.map((alias) => `/${alias}`).join(", ")})`;
}

/** The one-line synopsis of a command, e.g. `/msg <nick> <text>`. */
export function usageOf(command: Command): string {
  return command.usage ? `/${command.name} ${command.usage}` : `/${command.name}`;
}

/**
 * `/help`, generated from the registry it is asked in: every command (those
 * for operators to operators only), or one by name.
 */
export const HELP_COMMAND: Command = {
  name: "help",
  usage: "[command]",
  help: "List the commands, or explain one",
  minArgs: 0,
  maxArgs: 1,
  rest: false,
  run: ({ chat, member, reply }, [name]) => {
    // Operator commands are listed to operators only; asked for by name,
    // they are explained to anyone, marked as such.
    const list = name
      ? [chat.commands.find(name.replace(/^\//, ""), member)]
      : chat.commands.list().filter((c) =>
        (!c.op || member.operator) && (c.shownTo?.(member) ?? true)
      );
    if (!list[0]) {
      // Asked by name, anyone may have an operator command explained: suggest those too.
      const asked = (name ?? "").replace(/^\//, "");
      const near = asked ? chat.commands.closest(asked, member, true) : undefined;
      throw new ChatError(
        "unknown_command",
        `No command "/${excerpt(asked)}" to explain${
          didYouMean(near)
        }; type /help alone for the list of commands`,
      );
    }
    reply({
      type: "help",
      commands: list.map((c) => ({
        name: c!.name,
        usage: usageOf(c!),
        help: helpOf(c!),
        ...(c!.op ? { op: true as const } : {}),
      })),
    });
  },
};

/**
 * Splits an argument string for `command`, takes out its options
 * ({@linkcode Command.flags}) and checks the count. This is where command
 * arguments enter the core: the words (a nick, a room, a number) must be
 * free of controls and invisible characters, or the command is refused; the
 * text that takes the rest of the line (a message, a reason) is cleaned by
 * the hub where it becomes part of an event.
 *
 * @throws {ChatError} `bad_args` with the usage line when the count is wrong,
 * naming an unknown option, or naming the character when a word holds one it
 * must not
 */
export function parseArgs(command: Command, input: string): ParsedArgs {
  const args: string[] = [];
  const flags = new Set<string>();
  const words = command.rest ? command.maxArgs - 1 : Infinity;
  let remaining = input.trim();
  while (remaining !== "") {
    const match = /^(\S+)\s*([\s\S]*)$/.exec(remaining)!;
    if (command.flags && match[1].startsWith("--")) {
      if (!command.flags.includes(match[1])) {
        throw new ChatError(
          "bad_args",
          `Unknown option "${excerpt(match[1])}" for /${command.name}; it takes ${
            command.flags.join(", ")
          }`,
        );
      }
      flags.add(match[1]);
      remaining = match[2];
    } else if (args.length >= words) {
      args.push(remaining);
      break;
    } else {
      args.push(match[1]);
      remaining = match[2];
    }
  }
  if (args.length < command.minArgs || args.length > command.maxArgs) {
    throw new ChatError("bad_args", `Usage: ${usageOf(command)}`);
  }
  const checked = command.rest ? Math.min(args.length, command.maxArgs - 1) : args.length;
  for (let i = 0; i < checked; i++) {
    const unsafe = unsafeCharacter(args[i]);
    if (!unsafe || startsText(command, i, args[i])) continue;
    const [what, code] = wordKind(command, i);
    throw new ChatError(code, `${what} "${excerpt(args[i])}" contains ${unsafe}`);
  }
  return { args, flags };
}

/** The `index`th word of a command's usage, options left out: `[#room]`, `<nick>`. */
function usageWord(command: Command, index: number): string | undefined {
  return command.usage.split(" ").filter((word) =>
    !word.replace(/^\[/, "").startsWith("--")
  )[index];
}

/**
 * Whether `word`, in the place of an optional room before the command's text, names no room and
 * so begins the text ("/topic release on friday", "/part bye"): cleaned as the text is, not
 * refused as a room name.
 */
function startsText(command: Command, index: number, word: string): boolean {
  return command.rest && !word.startsWith("#") && usageWord(command, index) === "[#room]";
}

/** What the `index`th word of a command is, and the code of an error about it. */
function wordKind(command: Command, index: number): [string, ChatErrorCode] {
  const token = usageWord(command, index)?.replace(/[<>[\]]/g, "");
  if (token === "nick") return ["Nick", "bad_nick"];
  if (token?.startsWith("#")) return ["Room name", "bad_room"];
  return ["Argument", "bad_args"];
}
