/**
 * `/history`: messages of a room from the store, a page at a time: older
 * ones by default, or before, after, around or between a message id or a
 * time (lib/core/state/history_query.ts).
 *
 * @module
 */

import { ChatError } from "../errors.ts";
import type { Command } from "../command_registry.ts";
import type { HistoryEvent } from "../events.ts";
import { excerpt } from "../sanitize.ts";
import { type HistoryQuery, type HistoryRef, queryHistory } from "../state/history_query.ts";

/** Most messages one `/history` page holds. */
export const MAX_HISTORY_PAGE = 500;

/** A time as `/history` takes it: ISO 8601 in UTC, seconds and milliseconds optional. */
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?Z$/;

/** The options, each naming a query; at most one is given. */
const QUERIES = ["--before", "--after", "--around", "--between", "--latest"] as const;

/**
 * A message id (a whole number) or a time (`2024-05-01T12:00:00.000Z`).
 *
 * @throws {ChatError} `bad_args` for anything else
 */
export function parseHistoryRef(word: string): HistoryRef {
  if (/^\d{1,15}$/.test(word)) return { id: Number(word) };
  const ts = TIME.test(word) ? Date.parse(word) : NaN;
  // Date.parse rolls an impossible date or time over (02-30 to 03-01, 24:00 to the next day).
  if (Number.isFinite(ts) && new Date(ts).toISOString().startsWith(word.slice(0, -1))) {
    return { ts };
  }
  throw new ChatError(
    "bad_args",
    `"${excerpt(word)}" must be a message id or a time like 2024-05-01T12:00:00Z`,
  );
}

function parseCount(count: string): number {
  const limit = Number(count);
  if (!/^\d+$/.test(count) || limit < 1 || limit > MAX_HISTORY_PAGE) {
    throw new ChatError(
      "bad_args",
      `Count "${excerpt(count)}" must be a number from 1 to ${MAX_HISTORY_PAGE}`,
    );
  }
  return limit;
}

/**
 * `/history [count] [before-id]`, or with one option: `--before <ref>
 * [count]`, `--after <ref> [count]`, `--around <ref> [count]`, `--between
 * <ref> <ref> [count]`, `--latest <ref> [count]` (the newest after the
 * point); a ref is a message id or a time.
 */
export const HISTORY_COMMAND: Command = {
  name: "history",
  usage: "[count] [before-id] | --before|--after|--around|--latest <ref> [count] | " +
    "--between <ref> <ref> [count]",
  help: "Show older messages of the room (50 by default), or those before, after, around or " +
    "between a message id or a time (2024-05-01T12:00:00Z)",
  minArgs: 0,
  maxArgs: 3,
  rest: false,
  flags: QUERIES,
  run: async ({ chat, room, reply, flags }, args) => {
    const given = QUERIES.filter((flag) => flags.has(flag));
    if (given.length > 1) {
      throw new ChatError("bad_args", `Only one of ${given.join(", ")} at a time`);
    }
    const option = given[0]?.slice(2) as HistoryQuery["kind"] | undefined;
    const refs = option === undefined ? 0 : option === "between" ? 2 : 1;
    if (option === undefined ? args.length > 2 : args.length < refs || args.length > refs + 1) {
      throw new ChatError("bad_args", `Usage: /history ${HISTORY_COMMAND.usage}`);
    }
    let query: HistoryQuery;
    if (option === undefined) {
      // The first form: [count] [before-id], the newest without an id.
      const [count = "50", before] = args;
      const limit = parseCount(count);
      if (before !== undefined && !/^\d+$/.test(before)) {
        throw new ChatError("bad_args", `Message id "${excerpt(before)}" must be a whole number`);
      }
      const id = before === undefined ? chat.rooms.lastId(room) + 1 : Number(before);
      query = { kind: "before", ref: { id }, limit };
    } else {
      const ref = parseHistoryRef(args[0]);
      const limit = parseCount(args[refs] ?? "50");
      query = option === "between"
        ? { kind: "between", ref, end: parseHistoryRef(args[1]), limit }
        : { kind: option, ref, limit };
    }
    // One more than asked says whether there is more (not for around: it has two ends).
    const extra = query.kind === "around" ? 0 : 1;
    let page;
    try {
      page = await queryHistory(chat.history, room.foldedName, {
        ...query,
        limit: query.limit + extra,
      });
    } catch (cause) {
      throw new ChatError("store_error", "History is not available right now", { cause });
    }
    const more = page.length > query.limit;
    // The extra message is at the far end: before the first, or after the last going forward.
    const forward = query.kind === "after" ||
      (query.kind === "between" && page.length > 0 && !wentBack(query.ref, page[0]));
    const messages = !more ? page : forward ? page.slice(0, -1) : page.slice(1);
    const event: HistoryEvent = { type: "history", room: room.name, messages, more };
    if (option !== undefined && option !== "before") event.query = option;
    reply(event);
  },
};

/** Whether a `between` page was taken going back from its first point `ref`: it lies after the page. */
function wentBack(ref: HistoryRef, first: { id: number; ts: number }): boolean {
  return "id" in ref ? ref.id > first.id : ref.ts > first.ts;
}
