/**
 * `/send`, `/get` and `/cancel`, the terminal clients' own commands for
 * shared files (issue 18): what they mean, the files seen so far (so `/get`
 * needs only the id), the session's upload token, and the transfers under
 * way with their progress. Line mode and the terminal UI show them their
 * own way.
 *
 * @module
 */

import { mayRead, NOT_PERMITTED, shownPath } from "./user_directory.ts";
import type { SharedFile } from "../core/events.ts";
import { cleanFileName, formatSize } from "../core/file_name.ts";
import type { SessionEvent } from "./session_events.ts";
import { describe, type FileServer, TransferError, uploadFile } from "./file_transfer.ts";
import { UploadQueue } from "./upload_queue.ts";
import { downloadFile, lookUpFile } from "./file_download.ts";
import { serverText } from "./terminal_text.ts";

/** The usage lines of the file commands, for `/help` and refusals. */
export const FILE_COMMANDS_HELP: readonly string[] = [
  "/send <path> — share a file in the current room (/send --to <nick> <path>: with one person)",
  "/get <id or link> [path] — fetch a shared file (into the downloads directory by default)",
  "/cancel — stop the file transfers under way",
];

/** A `/send` or `/get` under way. */
export class Transfer {
  /** Bytes moved so far. */
  done = 0;
  /** The whole size (0 until known). */
  total = 0;
  /** Whether the size is known (an empty file's is 0). */
  sized = false;
  /** When it started (`performance.now()`). */
  readonly started: number = performance.now();
  /** Aborting it cancels the transfer. */
  readonly controller: AbortController = new AbortController();
  /** Settles with the line that says how it ended, and whether it worked. */
  outcome!: Promise<{ ok: boolean; message: string }>;

  /** The file's name as shown: nothing a terminal would act on. */
  readonly name: string;

  /**
   * A transfer of `name`.
   *
   * @param kind sending or fetching
   * @param name the file's name (cleaned for the terminal here)
   */
  constructor(readonly kind: "send" | "get", name: string) {
    this.name = serverText(name, 200) || "file";
  }

  /** Whether an upload is queued behind the server's limits (waiting for its turn). */
  waiting = false;

  /**
   * How far it got, 0 to 1. An upload's stops at 0.99 until the server
   * answers: bytes written are not yet bytes the server took (a slow link
   * holds megabytes in the kernel's buffers).
   */
  fraction(): number {
    // An empty file whose size is known is all there at once.
    const whole = this.total > 0 ? Math.min(1, this.done / this.total) : this.sized ? 1 : 0;
    return this.kind === "send" ? Math.min(0.99, whole) : whole;
  }

  /** An upload all written, waiting for the server to take the rest and answer. */
  get confirming(): boolean {
    return this.kind === "send" && this.sized && this.total > 0 && this.done >= this.total;
  }

  /**
   * `sending a.bin 42% (21 MiB of 50 MiB, 12 MiB/s)`; `fetching a.bin` while
   * the size is not known, `fetching empty.txt (empty)` for an empty file,
   * `sending a.bin 99% (50 MiB written, waiting for the server)` once all
   * is written.
   */
  progressText(): string {
    const verb = this.kind === "send" ? "sending" : "fetching";
    if (this.waiting) return `${verb} ${this.name} (waiting for its turn)`;
    if (!this.sized) return `${verb} ${this.name}`;
    if (this.total === 0) return `${verb} ${this.name} (empty)`;
    const percent = Math.floor(this.fraction() * 100);
    if (this.confirming) {
      return `${verb} ${this.name} ${percent}% (${
        formatSize(this.total)
      } written, waiting for the server)`;
    }
    const seconds = (performance.now() - this.started) / 1000;
    const rate = seconds > 0.2 ? `, ${formatSize(this.done / seconds)}/s` : "";
    return `${verb} ${this.name} ${percent}% (${formatSize(this.done)} of ${
      formatSize(this.total)
    }${rate})`;
  }
}

/** The file commands as rows of `/help`, which the server's list does not have (they are the client's). */
export const FILE_HELP_ROWS: readonly { name: string; usage: string; help: string }[] = [
  {
    name: "send",
    usage: "/send [--to <nick>] <path>",
    help: "share a file in the current room, or with one person",
  },
  {
    name: "get",
    usage: "/get <file> [path]",
    help: "fetch a shared file: the code its [file] line shows after /get, or its link " +
      "(into the downloads directory by default)",
  },
  { name: "cancel", usage: "/cancel", help: "stop the file transfers under way" },
];

/**
 * `/help`'s answer with the file commands, which are the client's own: the
 * whole list gets their rows (in place of the hint rows for text clients an
 * older server lists to everyone), and `/help send`, `/help get` or `/help
 * cancel`, which the server refuses as `No command "/cancel" to explain` since the
 * verb is not its, gets the row instead of the refusal. Any other event, a
 * one-row answer included, goes through unchanged.
 */
export function withFileHelp(event: SessionEvent): SessionEvent {
  if (event.type === "error" && event.code === "unknown_command") {
    // The core's /help answers a name it does not know with this (an older server: the first).
    const refused = /^(?:Unknown command "\/?(\w+)"$|No command "\/?(\w+)" to explain)/
      .exec(event.message);
    const asked = refused?.[1] ?? refused?.[2];
    const row = FILE_HELP_ROWS.find((r) => r.name === asked?.toLowerCase());
    return row ? { type: "help", commands: [row] } : event;
  }
  const whole = event.type === "help" && event.commands.length > 1 &&
    event.commands.some((c) => c.name === "help");
  if (!whole) return event;
  const rows = event.commands.filter((c) => !FILE_HELP_ROWS.some((r) => r.name === c.name));
  return { ...event, commands: [...rows, ...FILE_HELP_ROWS] };
}

/**
 * The answer to a file command that started no transfer: `ok` false for a
 * refusal, and `usage` when the line itself was wrong (a missing path or
 * id), which is a bad line rather than a failed transfer.
 */
export interface FileCommandAnswer {
  /** Whether it worked (`/cancel`). */
  ok: boolean;
  /** What to show. */
  message: string;
  /** The line was not a valid use of the command. */
  usage?: boolean;
}

/** What `/get` says of an announced file the server no longer has. */
export const GONE = "no such file (removed by an operator or expired)";

/** A file id: 22 base64url characters. */
const FILE_ID = /^[A-Za-z0-9_-]{22}$/;
/** A file's link as text clients show it: `http(s)://host/f/<id>/<name>[?k=<key>]`. */
const FILE_LINK =
  /^https?:\/\/[^/\s]+\/f\/([A-Za-z0-9_-]{22})\/([^?#\s]*)(?:\?k=([A-Za-z0-9_-]{1,128}))?/;

/** Where a `/send` goes when it names nobody: the room, or the person of a private pane. */
export type SendTarget = { room: string } | { to: string };

/** Settings of {@linkcode FileCommands}. */
export interface FileCommandsOptions {
  /** The chat's server: transfers go to its host and port, over the same kind of pipe. */
  server: FileServer;
  /** The directory `/get` saves in by default (undefined: the current directory). */
  downloads?: string;
  /** Queues uploads to the server's limits (tests may shorten its waits). @default {new UploadQueue()} */
  uploads?: UploadQueue;
}

/** The files seen, the upload token, and the transfers under way. */
export class FileCommands {
  readonly #files = new Map<string, SharedFile>();
  #token: string | undefined;
  #maxFileBytes: number | undefined;
  readonly #uploads: UploadQueue;
  /** The transfers under way, oldest first. */
  readonly running: Set<Transfer> = new Set();
  /** Hears every change of a transfer (progress, end): the front end's. */
  onChange: ((transfer: Transfer) => void) | undefined;
  /** Hears what a transfer has to say on its way ("resuming a.bin at 1.2 MiB of 3 MiB"). */
  onNote: ((transfer: Transfer, message: string) => void) | undefined;

  /**
   * Commands on `options.server`.
   *
   * @param options where to send, where to save, who hears of progress
   */
  constructor(readonly options: FileCommandsOptions) {
    this.#uploads = options.uploads ?? new UploadQueue();
  }

  /** Learns the upload token (every welcome) and the files shared (messages and history). */
  observe(event: SessionEvent): void {
    if (event.type === "welcome") {
      this.#token = event.files?.token;
      this.#maxFileBytes = event.files?.maxFileBytes;
    }
    if (event.type === "msg" || event.type === "dm") this.#remember(event.file);
    if (event.type === "welcome" || event.type === "joined" || event.type === "rejoined") {
      for (const message of event.history) this.#remember(message.file);
    }
    if (event.type === "history") {
      for (const message of event.messages) this.#remember(message.file);
    }
  }

  #remember(file: SharedFile | undefined): void {
    if (file) this.#files.set(file.id, file);
  }

  /** Whether `line` is one of these commands (`/send`, `/get`, `/cancel`). */
  static handles(line: string): boolean {
    return /^\/(send|get|cancel)(\s|$)/i.test(line.trimStart());
  }

  /**
   * Starts what `line` asks: a transfer (returned; its `outcome` settles
   * later), or, for `/cancel` or a line that cannot start one, the answer
   * at once (`ok` false for a refusal).
   */
  start(line: string, current: SendTarget | undefined): Transfer | FileCommandAnswer {
    const [, verb, rest = ""] = /^\/(\w+)\s*(.*)$/s.exec(line.trim()) ?? [];
    const args = rest.trim();
    switch (verb.toLowerCase()) {
      case "cancel": {
        const names = [...this.running].map((transfer) =>
          `${transfer.kind === "send" ? "sending" : "fetching"} ${transfer.name}`
        );
        for (const transfer of this.running) transfer.controller.abort();
        return {
          ok: true,
          message: names.length === 0 ? "no transfer to cancel" : `cancelling ${names.join(", ")}`,
        };
      }
      case "send":
        return this.#send(args, current);
      default:
        return this.#get(args);
    }
  }

  #send(args: string, current: SendTarget | undefined): Transfer | FileCommandAnswer {
    const to = /^--to\s+(\S+)\s+(.+)$/s.exec(args);
    const path = expandHome(unquote(to ? to[2] : args));
    const target = to ? { to: to[1] } : current;
    if (path === "" || (args.startsWith("--to") && !to)) {
      return { ok: false, usage: true, message: `usage: ${FILE_COMMANDS_HELP[0]}` };
    }
    if (!target) return { ok: false, message: "no room to send to yet" };
    if (this.#token === undefined) {
      return { ok: false, message: "this server takes no files (chat-server --no-files)" };
    }
    // Unreadable, or over the server's limit: said at once, before any
    // "sending" line, and not after a refusal a closing connection may swallow.
    const name = path.split(/[\\/]/).pop() || path;
    const refused = (message: string): FileCommandAnswer => ({
      ok: false,
      message: serverText(`sending ${name} failed: ${message}`, 1000),
    });
    // A relative path is the user's directory's (user_directory.ts), and named with it.
    if (!mayRead(path)) return refused(`cannot read ${shownPath(path)}: ${NOT_PERMITTED}`);
    let size: number;
    try {
      const info = Deno.statSync(path);
      if (!info.isFile) return refused(`${shownPath(path)} is not a file`);
      size = info.size;
    } catch (error) {
      return refused(`cannot read ${shownPath(path)}: ${describe(error)}`);
    }
    const limit = this.#maxFileBytes;
    if (limit !== undefined && size > limit) {
      return refused(
        `the file is too large for this server (${formatSize(size)}); the limit is ${
          formatSize(limit)
        }`,
      );
    }
    const transfer = new Transfer("send", name);
    const token = this.#token;
    return this.#run(transfer, async (control) => {
      const file = await this.#uploads.run(
        () => uploadFile(this.options.server, token, path, target, control),
        {
          signal: control.signal,
          onWaiting: (why) => this.onNote?.(transfer, `waiting to send ${transfer.name}: ${why}`),
          onWaitChange: (waiting) => {
            transfer.waiting = waiting;
            this.onChange?.(transfer);
          },
        },
      );
      const where = "room" in target ? target.room : target.to;
      return `sent ${file.name} (${formatSize(file.size)}) to ${where}`;
    });
  }

  #get(args: string): Transfer | FileCommandAnswer {
    const [, first, path] = /^(\S+)\s*(.*)$/s.exec(args) ?? [];
    if (!first) return { ok: false, usage: true, message: `usage: ${FILE_COMMANDS_HELP[1]}` };
    const link = FILE_LINK.exec(first);
    const id = link ? link[1] : first;
    if (!FILE_ID.test(id)) {
      return {
        ok: false,
        usage: true,
        message: `"${id.slice(0, 40)}" is not a file's id (the 22 characters after /get in a ` +
          `[file] line) nor its link; usage: ${FILE_COMMANDS_HELP[1]}`,
      };
    }
    const known = this.#files.get(id);
    // Not seen announced (an older message, a link from elsewhere): ask the server.
    const request = link
      ? `/f/${id}/${link[2] || "file"}${link[3] ? `?k=${link[3]}` : ""}`
      : `/f/${id}/file`;
    const transfer = new Transfer(
      "get",
      known?.name ?? (link ? cleanFileName(safeName(link[2])) : id),
    );
    const directory = this.options.downloads ?? ".";
    const to = { directory, ...(path.trim() ? { path: expandHome(unquote(path)) } : {}) };
    return this.#run(transfer, async (control) => {
      const file = known ?? await lookUpFile(this.options.server, id, request, control).catch(
        (error) => {
          if (!(error instanceof TransferError) || error.status !== 404) throw error;
          throw new TransferError(
            "refused",
            `no file "${id}" was shared where you are${
              link ? "" : " (an older one? /history shows it, or give its whole link)"
            }`,
            404,
          );
        },
      );
      if (to.path === undefined) await Deno.mkdir(directory, { recursive: true });
      // A retry that had no byte yet is not a resume.
      const onResume = (at: number, total: number, why?: string) =>
        this.onNote?.(
          transfer,
          serverText(
            at > 0
              ? `resuming ${file.name} at ${formatSize(at)} of ${formatSize(total)}`
              : `retrying ${file.name}${why ? ` (${why})` : ""}`,
          ),
        );
      const got = await downloadFile(this.options.server, file, to, { ...control, onResume })
        .catch((error) => {
          // Announced (its link and token are the announcement's), yet gone.
          if (!known || !(error instanceof TransferError) || error.status !== 404) throw error;
          throw new TransferError("refused", GONE, 404, { cause: error });
        });
      const resumed = got.resumed > 0 ? `, resumed ${got.resumed} time(s)` : "";
      return `saved ${file.name} (${formatSize(got.size)}) as ${got.path}${resumed}`;
    });
  }

  #run(
    transfer: Transfer,
    work: (control: {
      signal: AbortSignal;
      onProgress: (done: number, total: number) => void;
    }) => Promise<string>,
  ): Transfer {
    this.running.add(transfer);
    const onProgress = (done: number, total: number) => {
      transfer.done = done;
      transfer.total = total;
      transfer.sized = true;
      this.onChange?.(transfer);
    };
    // What the server said reaches these lines (a status line, a refusal,
    // a name): cleaned here once more for the terminal, whatever the path.
    transfer.outcome = work({ signal: transfer.controller.signal, onProgress }).then(
      (message) => ({ ok: true, message: serverText(message, 1000) }),
      (error) => ({
        ok: false,
        message: serverText(failure(transfer, error, this.#maxFileBytes), 1000),
      }),
    ).finally(() => {
      this.running.delete(transfer);
      this.onChange?.(transfer);
    });
    return transfer;
  }

  /** Settles when no transfer is under way. */
  async idle(): Promise<void> {
    while (this.running.size > 0) {
      await Promise.allSettled([...this.running].map((transfer) => transfer.outcome));
    }
  }
}

/** Why a transfer failed, as a line. */
function failure(transfer: Transfer, error: unknown, maxFileBytes: number | undefined): string {
  const verb = transfer.kind === "send" ? "sending" : "fetching";
  if (error instanceof TransferError && error.code === "cancelled") {
    return `${verb} ${transfer.name} cancelled`;
  }
  let message = error instanceof Error ? error.message : String(error);
  if (
    error instanceof TransferError && error.status === 413 && maxFileBytes !== undefined &&
    !/\blimit\b/.test(message)
  ) {
    message += `; the limit is ${formatSize(maxFileBytes)}`;
  }
  return `${verb} ${transfer.name} failed: ${message}`;
}

/** A name from a link's path, decoded when it can be. */
function safeName(encoded: string): string {
  try {
    return decodeURIComponent(encoded) || "file";
  } catch {
    return encoded || "file";
  }
}

/**
 * `path` with a leading `~` or `~/` as the home directory (`$HOME`, or
 * `%USERPROFILE%`), as a shell and the terminal UI's Tab completion read
 * it; `~bob/...` and any other path unchanged.
 */
export function expandHome(
  path: string,
  home: string | undefined = Deno.env.get("HOME") || Deno.env.get("USERPROFILE"),
): string {
  if (!home || !/^~(?:[\\/]|$)/.test(path)) return path;
  return home.replace(/[\\/]+$/, "") + path.slice(1);
}

/** A path typed in quotes (to keep its spaces obvious) without them. */
function unquote(text: string): string {
  const trimmed = text.trim();
  const quoted = /^(["'])(.*)\1$/s.exec(trimmed);
  return quoted ? quoted[2] : trimmed;
}
