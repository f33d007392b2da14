/**
 * A room event (a message, a join, a leave) as IRC lines, for every reader
 * at once: a broadcast hands the same event to every member in one loop, so
 * its bytes are made once per variant of what readers negotiated
 * (`server-time`, `message-tags`, a `draft/multiline` batch) and shared
 * (docs/performance.md). A multi-line message to a reader with
 * `draft/multiline` is one batch; to the others, one PRIVMSG per line.
 *
 * @module
 */

import type { MessageKind } from "../core/events.ts";
import { foldRoom } from "../core/room_name.ts";
import { joinTags, msgidTag } from "./irc_batch.ts";
import { byteLength, formatIrcLine, MAX_LINE_BYTES, splitUtf8 } from "./irc_line.ts";
import { privmsgLineParts, privmsgLines, timeTag, userSource } from "./irc_render.ts";
import type { ServerFrame } from "./wire_frames.ts";
import { utf8Bytes, utf8Joined } from "./utf8.ts";

/** The lines of a room event, the same for every reader of a variant. */
export function roomEventLines(
  event: Extract<ServerFrame, { type: "msg" | "join" | "leave" }>,
  tags: string | undefined,
): string {
  switch (event.type) {
    case "msg":
      return privmsgLines(event.from, event.room, event.text, event.kind, tags);
    case "join":
      return formatIrcLine(userSource(event.nick), "JOIN", [event.room], { tags });
    case "leave": {
      const why = event.message ?? "";
      if (event.reason === "part") {
        const params = why === "" ? [event.room] : [event.room, why];
        return formatIrcLine(userSource(event.nick), "PART", params, {
          tags,
          trailing: why !== "",
        });
      }
      const reason = event.reason === "quit" ? `Quit: ${why}` : `${event.reason}: ${why}`;
      return formatIrcLine(userSource(event.nick), "QUIT", [reason.replace(/: $/, "")], {
        trailing: true,
        tags,
      });
    }
  }
}

/**
 * A multi-line message as one `draft/multiline` batch: the batch start
 * carries `tags` (time, msgid), each line one PRIVMSG (NOTICE for a notice)
 * tagged with the batch, a line too long for 512 bytes continued with
 * `draft/multiline-concat`.
 */
export function multilineLines(
  from: string,
  target: string,
  text: string,
  ref: string,
  tags: string | undefined,
  command: "PRIVMSG" | "NOTICE" = "PRIVMSG",
): string {
  const source = userSource(from);
  const budget = Math.max(16, MAX_LINE_BYTES - 3 - byteLength(`${source} ${command} ${target} :`));
  let out = formatIrcLine(source, "BATCH", [`+${ref}`, "draft/multiline", target], { tags });
  const inBatch = `batch=${ref}`;
  for (const line of text.split("\n")) {
    const pieces = line === "" ? [""] : splitUtf8(line, budget);
    pieces.forEach((piece, i) => {
      out += formatIrcLine(source, command, [target, piece], {
        trailing: true,
        tags: i === 0 ? inBatch : `${inBatch};draft/multiline-concat`,
      });
    });
  }
  return out + formatIrcLine(source, "BATCH", [`-${ref}`]);
}

// A broadcast hands the same event to every member in one loop: its lines
// are made once per variant (server-time, msgid, multiline batch) and shared.
// A variant is a number (1 time, 2 msgid, 4 multiline batch) indexing a
// fixed array: no key is built and no map searched per reader. A reader's
// capabilities come as the same bits (roomCapabilityBits), worked out when
// its CAP changes, not asked of its set on every delivery.
let cachedEvent: ServerFrame | undefined;
const cachedVariants: (Uint8Array | undefined)[] = new Array(8).fill(undefined);
/** Whether the cached event is a message a `draft/multiline` batch would carry. */
let cachedMultiline = false;

/** Variant bit: the reader takes `server-time` tags. */
const TIME_BIT = 1;
/** Variant bit: the reader takes `message-tags` (a message's msgid). */
const MSGID_BIT = 2;
/** Variant bit: the reader takes `draft/multiline` batches (with `batch`). */
const MULTILINE_BIT = 4;

/**
 * What a reader's capabilities change in a room event's lines, as the
 * variant bits roomEventBytes takes: worked out once per CAP change.
 */
export function roomCapabilityBits(caps: ReadonlySet<string>): number {
  if (caps.size === 0) return 0;
  return (caps.has("server-time") ? TIME_BIT : 0) |
    (caps.has("message-tags") ? MSGID_BIT : 0) |
    (caps.has("draft/multiline") && caps.has("batch") ? MULTILINE_BIT : 0);
}

/**
 * A room event's bytes for a reader whose capabilities are `capBits`
 * (roomCapabilityBits), shared by every such reader.
 */
export function roomEventBytes(
  event: Extract<ServerFrame, { type: "msg" | "join" | "leave" }>,
  capBits: number,
): Uint8Array {
  if (event !== cachedEvent) {
    cachedEvent = event;
    cachedVariants.fill(undefined);
    cachedMultiline = event.type === "msg" && event.kind !== "action" &&
      event.text.includes("\n");
  }
  // A msgid is a message's; a batch is a multiline message's.
  const variant = capBits === 0 ? 0 : (capBits & TIME_BIT) |
    (event.type === "msg" ? capBits & MSGID_BIT : 0) |
    (cachedMultiline ? capBits & MULTILINE_BIT : 0);
  return cachedVariants[variant] ??= roomEventVariant(event, variant);
}

/** A room event's bytes in one variant (see roomEventBytes). */
function roomEventVariant(
  event: Extract<ServerFrame, { type: "msg" | "join" | "leave" }>,
  variant: number,
): Uint8Array {
  const timeT = variant & TIME_BIT ? timeTag(event.ts) : undefined;
  const idT = variant & MSGID_BIT ? msgidTag(foldRoom(event.room), event.id) : undefined;
  // Without a batch, a message of several lines carries its msgid on the first
  // line only (IRCv3 multiline's fallback): one msgid, one message.
  if (event.type === "msg" && !(variant & MULTILINE_BIT)) {
    const { from, room, text, kind } = event;
    const one = privmsgLineParts(from, room, text, kind, timeT, idT);
    return one ? utf8Joined(one) : utf8Bytes(privmsgLines(from, room, text, kind, timeT, idT));
  }
  const tags = joinTags(timeT, idT);
  // The batch reference is the event's id: the same bytes for every reader.
  return utf8Bytes(
    event.type === "msg"
      ? multilineLines(event.from, event.room, event.text, `m${event.id}`, tags, ircCommand(event))
      : roomEventLines(event, tags),
  );
}

/** The IRC command of a message: NOTICE for a notice, else PRIVMSG. */
function ircCommand(event: { kind: MessageKind }): "PRIVMSG" | "NOTICE" {
  return event.kind === "notice" ? "NOTICE" : "PRIVMSG";
}
