/**
 * The chat commands of shared files that the server adds to its hub's
 * registry when it takes files (issue 18):
 *
 * - `/rmfile <id>` (operators): forgets a shared file, deletes its content
 *   when no other file has it, and tells the room it was in;
 * - `/send` and `/get` for the clients that do not have them (nc and IRC,
 *   whose codecs name them `text` and `irc`): a hint where files are sent
 *   from and fetched. Native clients neither see these rows in `/help` nor
 *   may run them: chat-client has its own `/send` and `/get` (which never
 *   reach the server), and the page its picker, drop and Download buttons.
 *
 * @module
 */

import type { Command } from "../core/command_registry.ts";
import type { Member } from "../core/member.ts";
import { ChatError } from "../core/errors.ts";
import { formatSize } from "../core/file_name.ts";
import { excerpt } from "../core/sanitize.ts";
import type { FileSharing } from "./file_sharing.ts";

/** The commands above, for `sharing`'s files. */
export function fileCommands(sharing: FileSharing): Command[] {
  const rmfile: Command = {
    name: "rmfile",
    usage: "<id>",
    help: "Delete a shared file (the id is in its link: /f/<id>/...) and tell its room",
    minArgs: 1,
    maxArgs: 1,
    rest: false,
    op: true,
    run: async ({ chat, member: op }, [argument]) => {
      // The id alone, or a whole link to the file.
      const id = /\/f\/([A-Za-z0-9_-]{22})(?:[/?]|$)/.exec(argument)?.[1] ?? argument;
      const record = await sharing.store.remove(id);
      if (!record) {
        throw new ChatError("bad_args", `There is no shared file "${excerpt(id)}"`);
      }
      sharing.log({
        level: "info",
        event: "file_removed",
        by: op.nick,
        id: record.id,
        name: record.name,
        uploader: record.uploader,
      });
      const what = `the file ${record.name} (${
        formatSize(record.size)
      }) sent by ${record.uploader}`;
      const room = record.room !== undefined ? chat.rooms.find(record.room) : undefined;
      if (room) await chat.say(op, `removed ${what}`, room, "action");
      chat.notice(op, `Removed ${what}`);
    },
  };
  const hint = (verb: string): Command => ({
    name: verb,
    usage: "",
    help: `${verb === "send" ? "Send" : "Fetch"} a file: from the browser or chat-client`,
    shownTo: sendsNoFiles,
    minArgs: 0,
    maxArgs: 1,
    rest: true,
    run: ({ chat, member }) => {
      chat.notice(
        member,
        `This client cannot ${verb} files: ${
          verb === "send" ? "send them" : "open the link of a file, or fetch it"
        } from the browser or chat-client; see ${sharing.origin}`,
      );
    },
  });
  return [rmfile, hint("send"), hint("get")];
}

/** Whether `member` connected with a client that cannot send files itself (nc, IRC). */
export function sendsNoFiles(member: Member): boolean {
  return member.client === "text" || member.client === "irc";
}
