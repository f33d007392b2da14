/**
 * The slash commands, as a table. Argument counts are checked once, before a
 * handler runs, and `/help` is generated from the same table.
 *
 * @module
 */

import { ChatError } from "../errors.ts";
import type { ErrorCode } from "./events.ts";
import { excerpt, unsafeCharacter } from "./sanitize.ts";
import type { Hub } from "./hub.ts";
import type { Member } from "./member.ts";
import type { Room } from "./room.ts";

/** What a command handler gets besides its arguments. */
export interface CommandContext {
  hub: Hub;
  member: Member;
  /** The room the command was typed in (the member's current room by default). */
  room: Room;
  /** The options of {@linkcode Command.flags} that were given, e.g. `--key-only`. */
  flags: ReadonlySet<string>;
}

/** One row of the command table. */
export interface Command {
  name: string;
  /** Argument synopsis, e.g. `<nick> <text>`. */
  usage: string;
  help: string;
  minArgs: number;
  maxArgs: number;
  /** Whether the last argument takes the rest of the line, spaces included. */
  rest: boolean;
  aliases?: string[];
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
  run(ctx: CommandContext, args: string[]): void;
}

/** A command's arguments as typed, and the options among them. */
export interface ParsedArgs {
  args: string[];
  flags: Set<string>;
}

/** Every command, in the order `/help` lists them. */
export const COMMANDS: readonly Command[] = [
  {
    name: "help",
    usage: "[command]",
    help: "List the commands, or explain one",
    minArgs: 0,
    maxArgs: 1,
    rest: false,
    run: ({ hub, member }, [name]) => hub.help(member, name),
  },
  {
    name: "nick",
    usage: "<nick>",
    help: "Change your nick",
    minArgs: 1,
    maxArgs: 1,
    rest: false,
    run: ({ hub, member }, [nick]) => hub.rename(member, nick),
  },
  {
    name: "msg",
    usage: "<nick> <text>",
    help: "Send a private message that only you and <nick> see",
    minArgs: 2,
    maxArgs: 2,
    rest: true,
    aliases: ["dm", "query"],
    run: ({ hub, member }, [nick, text]) => hub.direct(member, nick, text),
  },
  {
    name: "me",
    usage: "<action>",
    help: "Describe what you do, e.g. /me waves",
    minArgs: 1,
    maxArgs: 1,
    rest: true,
    run: ({ hub, member, room }, [text]) => hub.say(member, text, room, "action"),
  },
  {
    name: "who",
    usage: "[#room]",
    help: "List the members of the room",
    minArgs: 0,
    maxArgs: 1,
    rest: false,
    aliases: ["names"],
    run: ({ hub, member, room }, [name]) => hub.who(member, name ?? room.name),
  },
  {
    name: "join",
    usage: "<#room>",
    help: "Join a room (created if new) and make it your current room",
    minArgs: 1,
    maxArgs: 1,
    rest: false,
    run: ({ hub, member }, [name]) => hub.joinRoom(member, name),
  },
  {
    name: "part",
    usage: "[#room] [reason]",
    help: "Leave the room (the current one by default)",
    minArgs: 0,
    maxArgs: 2,
    rest: true,
    aliases: ["leave"],
    run: ({ hub, member, room }, args) => {
      // "/part bye all" leaves the current room with a reason; only a word
      // starting with "#" names a room.
      const named = args[0]?.startsWith("#");
      const target = named ? args[0] : room.name;
      const reason = named ? args[1] : args.join(" ");
      hub.partRoom(member, target, reason || undefined);
    },
  },
  {
    name: "history",
    usage: "[count] [before-id]",
    help:
      "Show older messages of the room (50 by default); each page ends with the command for the one before it",
    minArgs: 0,
    maxArgs: 2,
    rest: false,
    run: ({ hub, member, room }, [count, before]) => hub.history(member, room, count, before),
  },
  {
    name: "rooms",
    usage: "",
    help: "List the rooms and how many are in each",
    minArgs: 0,
    maxArgs: 0,
    rest: false,
    aliases: ["list"],
    run: ({ hub, member }) => hub.listRooms(member),
  },
  {
    name: "register",
    usage: "",
    help: "Bind your nick to your key, so that no other key can use it",
    minArgs: 0,
    maxArgs: 0,
    rest: false,
    run: ({ hub, member }) => hub.register(member),
  },
  {
    name: "unregister",
    usage: "[nick]",
    help: "Free a nick registered to your key (yours by default)",
    minArgs: 0,
    maxArgs: 1,
    rest: false,
    run: ({ hub, member }, [nick]) => hub.unregister(member, nick),
  },
  {
    name: "whois",
    usage: "<nick>",
    help: "Show who a member is: its key fingerprint, client, rooms",
    minArgs: 1,
    maxArgs: 1,
    rest: false,
    run: ({ hub, member }, [nick]) => hub.whois(member, nick),
  },
  {
    name: "kick",
    usage: "<nick> [reason]",
    help: "Disconnect a member, telling it why",
    minArgs: 1,
    maxArgs: 2,
    rest: true,
    op: true,
    run: ({ hub, member }, [nick, reason]) => hub.kick(member, nick, reason),
  },
  {
    name: "ban",
    usage: "<nick> [--key-only] [reason]",
    help:
      "Ban a member's key and IP address (kept across restarts) and disconnect everyone they match; --key-only bans the key alone",
    minArgs: 1,
    maxArgs: 2,
    rest: true,
    flags: ["--key-only"],
    op: true,
    run: ({ hub, member, flags }, [nick, reason]) =>
      hub.ban(member, nick, reason, flags.has("--key-only")),
  },
  {
    name: "unban",
    usage: "<SHA256:...|ip>",
    help: "Lift a ban on a key or an IP address (see /bans)",
    minArgs: 1,
    maxArgs: 1,
    rest: false,
    op: true,
    run: ({ hub, member }, [target]) => hub.unban(member, target),
  },
  {
    name: "bans",
    usage: "",
    help: "List the bans",
    minArgs: 0,
    maxArgs: 0,
    rest: false,
    op: true,
    run: ({ hub, member }) => hub.listBans(member),
  },
  {
    name: "mute",
    usage: "<nick> [--key-only] [minutes]",
    help:
      "Refuse a member's messages for a while, or until /unmute: by key and IP address (everyone there but operators), or by key alone with --key-only",
    minArgs: 1,
    maxArgs: 2,
    rest: false,
    flags: ["--key-only"],
    op: true,
    run: ({ hub, member, flags }, [nick, minutes]) =>
      hub.mute(member, nick, minutes, flags.has("--key-only")),
  },
  {
    name: "unmute",
    usage: "<nick>",
    help: "Let a muted member talk again",
    minArgs: 1,
    maxArgs: 1,
    rest: false,
    op: true,
    run: ({ hub, member }, [nick]) => hub.unmute(member, nick),
  },
  {
    name: "quit",
    usage: "[reason]",
    help: "Leave the chat",
    minArgs: 0,
    maxArgs: 1,
    rest: true,
    aliases: ["exit", "bye"],
    run: ({ hub, member }, [reason]) => hub.quit(member, reason),
  },
];

const BY_NAME = new Map<string, Command>();
for (const command of COMMANDS) {
  BY_NAME.set(command.name, command);
  for (const alias of command.aliases ?? []) BY_NAME.set(alias, command);
}

/** Finds a command by name or alias, case-insensitively. */
export function findCommand(name: string): Command | undefined {
  return BY_NAME.get(name.toLowerCase());
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
    if (!unsafe) continue;
    const [what, code] = wordKind(command, i);
    throw new ChatError(code, `${what} "${excerpt(args[i])}" contains ${unsafe}`);
  }
  return { args, flags };
}

/** What the `index`th word of a command is, and the code of an error about it. */
function wordKind(command: Command, index: number): [string, ErrorCode] {
  const token = command.usage.split(" ")
    .map((word) => word.replace(/[<>[\]]/g, ""))
    .filter((word) => !word.startsWith("--"))[index];
  if (token === "nick") return ["Nick", "bad_nick"];
  if (token?.startsWith("#")) return ["Room name", "bad_room"];
  return ["Argument", "bad_args"];
}
