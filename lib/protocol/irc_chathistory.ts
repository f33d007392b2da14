/**
 * IRCv3 `draft/chathistory` for {@linkcode IrcCodec}: `CHATHISTORY LATEST |
 * BEFORE | AFTER | AROUND | BETWEEN <target> <ref> [<ref>] <limit>` becomes
 * the core's `/history` with an option (`--after <id>` and so on), asked in
 * the room the target names; its answer comes back as a `chathistory` batch
 * (always, empty too), its errors as `FAIL CHATHISTORY`. A ref is
 * `msgid=<lanchat msgid>` (irc_batch.ts's form: the room event id and a hash
 * of the room, checked) or `timestamp=<ISO 8601>`. Private conversations are
 * not kept where they could be asked for (only `--store-private` writes them,
 * by nick, for the operator's export), so a nick target gets an empty batch.
 * Markers (irc_local.ts) around the request tell which answer is its own.
 *
 * @module
 */

import { MAX_HISTORY_PAGE, parseHistoryRef } from "../core/commands/history.ts";
import type { HistoryEvent } from "../core/events.ts";
import { foldRoom } from "../core/room_name.ts";
import type { HistoryRef } from "../core/state/history_query.ts";
import type { DecodedFrame } from "./codec.ts";
import { msgid } from "./irc_batch.ts";
import type { IrcLocalLines } from "./irc_local.ts";
import { historyLines, type IrcReader, serverLine, textLine } from "./irc_render.ts";
import type { ErrorFrame } from "./wire_frames.ts";

/** The subcommands served, each the `/history` option it becomes. */
const SUBCOMMANDS: Record<string, string> = {
  LATEST: "--latest",
  BEFORE: "--before",
  AFTER: "--after",
  AROUND: "--around",
  BETWEEN: "--between",
};

/** The request being answered (set and cleared by markers in its turn). */
interface Asked {
  subcommand: string;
  target: string;
}

/** One connection's `CHATHISTORY` requests; see the module doc. */
export class IrcChathistory {
  #asked: Asked | undefined;

  /**
   * The frames of one `CHATHISTORY` line: the `/history` command between
   * two markers, or a `FAIL` (or an empty batch) in its turn.
   */
  command(
    params: readonly string[],
    local: IrcLocalLines,
    reader: () => IrcReader,
    charged: boolean,
  ): DecodedFrame[] {
    const [word = "", target = "", ...rest] = params;
    const subcommand = word.toUpperCase();
    const fail = (code: string, context: string[], text: string) => [
      local.line(textLine("FAIL", ["CHATHISTORY", code, ...context, text]), { request: charged }),
    ];
    if (word === "") return fail("NEED_MORE_PARAMS", ["*"], "Missing parameters");
    const option = SUBCOMMANDS[subcommand];
    if (option === undefined) {
      return fail("UNKNOWN_COMMAND", [subcommand], "Unknown CHATHISTORY subcommand");
    }
    const refs = subcommand === "BETWEEN" ? 2 : 1;
    if (rest.length < refs + 1) {
      return fail("NEED_MORE_PARAMS", [subcommand], "Missing parameters");
    }
    const limitWord = rest[refs];
    if (!/^\d{1,9}$/.test(limitWord) || Number(limitWord) < 1) {
      return fail("INVALID_PARAMS", [subcommand, limitWord], "The limit must be a positive number");
    }
    // A client may ask for more than CHATHISTORY= says: it gets at most that many.
    const limit = Math.min(Number(limitWord), MAX_HISTORY_PAGE);
    const room = target.startsWith("#");
    const words: string[] = [];
    for (const ref of rest.slice(0, refs)) {
      if (ref === "*" && subcommand === "LATEST") continue;
      const parsed = room ? parseRef(ref, foldRoom(target)) : parseRef(ref, undefined);
      if (parsed === undefined) {
        return fail("INVALID_PARAMS", [subcommand, ref], "Unknown message reference");
      }
      words.push("id" in parsed ? String(parsed.id) : new Date(parsed.ts).toISOString());
    }
    if (!room) {
      // No private history to give (see the module doc): an empty batch, in its turn.
      return [local.later(() => this.#batch(target, [], reader()), charged)];
    }
    // LATEST *: the first form of /history, the newest messages.
    const args = words.length === 0 ? String(limit) : `${option} ${words.join(" ")} ${limit}`;
    const asked = { subcommand, target };
    return [
      local.mark(() => this.#asked = asked),
      { type: "cmd", name: "history", args, room: target },
      local.mark(() => this.#asked = undefined),
    ];
  }

  /** The answer to a `CHATHISTORY`, or undefined for a `/history` page of its own. */
  render(event: HistoryEvent, reader: IrcReader): string | undefined {
    if (this.#asked === undefined) return undefined;
    return this.#batch(this.#asked.target, event.messages, reader);
  }

  /** An error of the core answering a `CHATHISTORY`, as its `FAIL`; else undefined. */
  fail(event: ErrorFrame): string | undefined {
    const asked = this.#asked;
    if (asked === undefined) return undefined;
    const code = failCode(event.code);
    const context = code === "INVALID_PARAMS"
      ? [asked.subcommand]
      : [asked.subcommand, asked.target];
    return textLine("FAIL", ["CHATHISTORY", code, ...context, event.message]);
  }

  /** The messages as a `chathistory` batch (empty too); one after another without `batch`. */
  #batch(target: string, messages: HistoryEvent["messages"], reader: IrcReader): string {
    if (!reader.batch) return messages.map((message) => historyLines(message, reader)).join("");
    const ref = reader.batch();
    let out = serverLine("BATCH", [`+${ref}`, "chathistory", target]);
    for (const message of messages) out += historyLines(message, reader, `batch=${ref}`);
    return out + serverLine("BATCH", [`-${ref}`]);
  }
}

/** `msgid=` (of this room, when it is one) or `timestamp=`; undefined when neither. */
function parseRef(word: string, foldedRoom: string | undefined): HistoryRef | undefined {
  const at = word.indexOf("=");
  const [kind, value] = [word.slice(0, at), word.slice(at + 1)];
  if (at === -1 || value === "") return undefined;
  if (kind === "timestamp") {
    try {
      const ref = parseHistoryRef(value);
      return "ts" in ref ? ref : undefined;
    } catch {
      return undefined;
    }
  }
  if (kind !== "msgid") return undefined;
  const match = /^(\d{1,15})-[0-9a-z]+$/.exec(value);
  if (!match) return undefined;
  const id = Number(match[1]);
  // The hash names the room: a msgid of another room is no place in this one.
  if (foldedRoom !== undefined && msgid(foldedRoom, id) !== value) return undefined;
  return { id };
}

/** The `FAIL` code of an error of the core's. */
function failCode(code: string): string {
  switch (code) {
    case "not_in_room":
    case "bad_room":
      return "INVALID_TARGET";
    case "bad_args":
      return "INVALID_PARAMS";
    default:
      return "MESSAGE_ERROR";
  }
}
