/**
 * The chat's own commands, in the order `/help` lists them, gathered from
 * the handler modules beside it. {@linkcode defaultCommands} makes a
 * registry of them for a hub; {@linkcode COMMANDS} and
 * {@linkcode findCommand} read the same table for front ends that only need
 * the names (a client's completion, its `/quit` detection).
 *
 * @module
 */

import { type Command, CommandRegistry, HELP_COMMAND } from "../command_registry.ts";
import { HISTORY_COMMAND } from "./history.ts";
import {
  NICK_COMMAND,
  QUIT_COMMAND,
  REGISTER_COMMAND,
  UNREGISTER_COMMAND,
  WHOIS_COMMAND,
} from "./identity.ts";
import { DESCRIBE_COMMAND, ME_COMMAND, MSG_COMMAND, NOTICE_COMMAND } from "./messages.ts";
import {
  BAN_COMMAND,
  BANS_COMMAND,
  KICK_COMMAND,
  MUTE_COMMAND,
  UNBAN_COMMAND,
  UNMUTE_COMMAND,
} from "./moderation.ts";
import { JOIN_COMMAND, PART_COMMAND, ROOMS_COMMAND, WHO_COMMAND } from "./rooms.ts";
import { AWAY_COMMAND, BACK_COMMAND, TOPIC_COMMAND } from "./status.ts";

export type { Command, CommandContext } from "../command_registry.ts";

/** Every command of the chat, in the order `/help` lists them. */
export const COMMANDS: readonly Command[] = Object.freeze([
  HELP_COMMAND,
  NICK_COMMAND,
  MSG_COMMAND,
  ME_COMMAND,
  DESCRIBE_COMMAND,
  NOTICE_COMMAND,
  WHO_COMMAND,
  JOIN_COMMAND,
  PART_COMMAND,
  HISTORY_COMMAND,
  ROOMS_COMMAND,
  TOPIC_COMMAND,
  AWAY_COMMAND,
  BACK_COMMAND,
  REGISTER_COMMAND,
  UNREGISTER_COMMAND,
  WHOIS_COMMAND,
  KICK_COMMAND,
  BAN_COMMAND,
  UNBAN_COMMAND,
  BANS_COMMAND,
  MUTE_COMMAND,
  UNMUTE_COMMAND,
  QUIT_COMMAND,
]);

/** A new registry holding the chat's own commands; add a front end's verbs to it. */
export function defaultCommands(): CommandRegistry {
  return new CommandRegistry(COMMANDS);
}

const DEFAULT = defaultCommands();

/** Finds one of the chat's own commands by name or alias, case-insensitively. */
export function findCommand(name: string): Command | undefined {
  return DEFAULT.find(name);
}
