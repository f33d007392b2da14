/**
 * `/history`: older messages of a room, a page at a time, from the store.
 *
 * @module
 */

import { ChatError } from "../errors.ts";
import type { Command } from "../command_registry.ts";
import { excerpt } from "../sanitize.ts";

/** Most messages one `/history` page holds. */
export const MAX_HISTORY_PAGE = 500;

/** `/history [count] [before-id]`: a page of older messages of the room. */
export const HISTORY_COMMAND: Command = {
  name: "history",
  usage: "[count] [before-id]",
  help:
    "Show older messages of the room (50 by default); each page ends with the command for the one before it",
  minArgs: 0,
  maxArgs: 2,
  rest: false,
  run: async ({ chat, room, reply }, [count = "50", before]) => {
    const limit = Number(count);
    if (!/^\d+$/.test(count) || limit < 1 || limit > MAX_HISTORY_PAGE) {
      throw new ChatError(
        "bad_args",
        `Count "${excerpt(count)}" must be a number from 1 to ${MAX_HISTORY_PAGE}`,
      );
    }
    const beforeId = before === undefined ? chat.rooms.lastId(room) + 1 : Number(before);
    if (before !== undefined && !/^\d+$/.test(before)) {
      throw new ChatError("bad_args", `Message id "${excerpt(before)}" must be a whole number`);
    }
    let page;
    try {
      page = await chat.history.page(room.foldedName, beforeId, limit + 1);
    } catch (cause) {
      throw new ChatError("store_error", "History is not available right now", { cause });
    }
    const more = page.length > limit;
    reply({ type: "history", room: room.name, messages: more ? page.slice(1) : page, more });
  },
};
