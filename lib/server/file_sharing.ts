/**
 * Who may upload and download shared files (issue 18), between the HTTP
 * routes (`file_routes.ts`) and the chat:
 *
 * - every session is handed an upload token in its welcome (`files.token`);
 *   an upload must carry it (`Authorization: Bearer <token>`) and is then
 *   the member's, checked against the room it is in or the member it
 *   writes to, and announced by the hub as a message; the token dies with
 *   the session, so nobody off the chat can fill the disk;
 * - per member, at most `maxConcurrent` uploads at once and a rate of new
 *   ones (a token bucket), counted by its address and, when registered,
 *   also by its nick, both to pass (`uploaderKeys`), so neither a reconnect
 *   nor throw-away keys reset them; and a quota of
 *   the budget per nick (`quotaBytes`), counted by the store;
 * - a file in a DM, or any file on a server with a password, is fetched
 *   only with its capability token (`?k=`), which travels only in the
 *   announcing message; without it the file does not exist (404).
 *
 * @module
 */

import { formatSize } from "../core/file_name.ts";
import type { SharedFile } from "../core/events.ts";
import type { Hub } from "../core/hub.ts";
import type { Member } from "../core/member.ts";
import type { FileRecord } from "../core/state/file_index.ts";
import { TokenBucket } from "../core/token_bucket.ts";
import type { FileStore } from "../files/file_store.ts";
import { randomId } from "../files/random_id.ts";
import type { LogRecord } from "./log_record.ts";
import { fileCommands } from "./file_commands.ts";

/** Settings of {@linkcode FileSharing}. */
export interface FileSharingOptions {
  /** Whether the server has a password: then every download needs the file's token. */
  private: boolean;
  /**
   * Uploads one member may have under way at once.
   * @default {2}
   */
  maxConcurrent?: number;
  /**
   * Uploads under way on the server in all, whoever sends them (each holds
   * a few MiB of buffers while it lasts).
   * @default {16}
   */
  maxUploadsInAll?: number;
  /**
   * New uploads per member: a rate per second and a burst.
   * @default {{ rate: 0.2, burst: 5 }}
   */
  uploadRate?: { rate: number; burst: number };
  /**
   * Most bytes of distinct content one nick may have stored.
   * @default {defaultQuota(store.budgetBytes, store.maxFileBytes)}
   */
  quotaBytes?: number;
  /**
   * The slowest upload taken: cut when no byte came for `idleMs`, or when
   * fewer than `minBytesPerSecond` came on average over the last `windowMs`
   * (idle under the HTTP front's 30 s answer deadline, which cuts without a word).
   * @default {{ idleMs: 20_000, windowMs: 60_000, minBytesPerSecond: 1024 }}
   */
  uploadFloor?: UploadFloor;
  /** Where uploads, refusals and downloads refused are logged. */
  log?: (record: LogRecord) => void;
  /** The clock. @default {Date.now} */
  now?: () => number;
}

/** The limits of members' uploads, as `ChatServerOptions.fileLimits` gives them. */
export type FileLimits = Pick<
  FileSharingOptions,
  "maxConcurrent" | "maxUploadsInAll" | "uploadRate" | "quotaBytes" | "uploadFloor"
>;

/** See {@linkcode FileSharingOptions.uploadFloor}. */
export interface UploadFloor {
  /** Longest wait for the next byte, in ms. */
  idleMs: number;
  /** The window the average rate is taken over, in ms. */
  windowMs: number;
  /** The least average rate over the window, in bytes per second. */
  minBytesPerSecond: number;
}

/** A quarter of the budget, but at least one largest file: `--files-quota` by default. */
export function defaultQuota(budgetBytes: number, maxFileBytes: number): number {
  return Math.min(budgetBytes, Math.max(Math.floor(budgetBytes / 4), maxFileBytes));
}

/** Why an upload may not start: the HTTP status and the code it answers with. */
export class UploadRefused extends Error {
  /** A refusal, with the status and code of the answer. */
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
    this.name = "UploadRefused";
  }
}

/** See the module doc. */
export class FileSharing {
  /** The store the files are in. */
  readonly store: FileStore;
  /** `https://<host>:<port>` (or `http://` under `--plain`): where links point. */
  origin = "";
  #hub: Hub | undefined;
  readonly #private: boolean;
  readonly #maxConcurrent: number;
  readonly #maxInAll: number;
  #inAll = 0;
  readonly #uploadRate: { rate: number; burst: number };
  readonly #now: () => number;
  readonly #tokens = new Map<string, Member>();
  readonly #active = new Map<string, number>();
  readonly #buckets = new Map<string, TokenBucket>();
  /** Most bytes one nick may store. */
  readonly quotaBytes: number;
  /** The slowest upload taken. */
  readonly uploadFloor: UploadFloor;
  /** Where uploads and refusals are logged (the server sets its own). */
  log: (record: LogRecord) => void;

  /** Shares the files of `store` (attach a hub before any session joins). */
  constructor(store: FileStore, options: FileSharingOptions) {
    this.store = store;
    this.#private = options.private;
    this.#maxConcurrent = options.maxConcurrent ?? 2;
    this.#maxInAll = options.maxUploadsInAll ?? 16;
    this.#uploadRate = options.uploadRate ?? { rate: 0.2, burst: 5 };
    this.#now = options.now ?? Date.now;
    this.quotaBytes = options.quotaBytes ?? defaultQuota(store.budgetBytes, store.maxFileBytes);
    this.uploadFloor = options.uploadFloor ??
      { idleMs: 20_000, windowMs: 60_000, minBytesPerSecond: 1024 };
    this.log = options.log ?? (() => {});
  }

  /** The hub whose members upload. */
  get hub(): Hub {
    if (!this.#hub) throw new Error("FileSharing has no hub yet");
    return this.#hub;
  }

  /**
   * Sets the hub (it is made with {@linkcode FileSharing.welcome} as its
   * hook) and adds the file commands (`file_commands.ts`) to its registry.
   */
  attach(hub: Hub): void {
    this.#hub = hub;
    for (const command of fileCommands(this)) {
      if (!hub.commands.find(command.name)) hub.commands.add(command);
    }
  }

  /** The hub's `welcomeFiles` hook: a new upload token for `member`'s session. */
  readonly welcome = (member: Member): { token: string; maxFileBytes: number } => {
    this.#forgetGone();
    const token = randomId();
    this.#tokens.set(token, member);
    return { token, maxFileBytes: this.store.maxFileBytes };
  };

  /** The member whose session `authorization` (`Bearer <token>`) names, while it is online. */
  member(authorization: string | undefined): Member | undefined {
    const token = /^Bearer ([A-Za-z0-9_-]{22})$/.exec(authorization ?? "")?.[1];
    if (!token) return undefined;
    const member = this.#tokens.get(token);
    if (member && this.#online(member)) return member;
    this.#tokens.delete(token);
    return undefined;
  }

  /**
   * Starts an upload counted by each of `uploaders` (the keys of
   * `uploaderKeys`: the address, and a registered nick), within the limits
   * of every one of them; the function returned ends it (call it once,
   * whatever happened).
   *
   * @throws {UploadRefused} `429 too_many_uploads` or `429 upload_rate`
   */
  begin(uploaders: readonly string[]): () => void {
    if (this.#inAll >= this.#maxInAll) {
      throw new UploadRefused(
        429,
        "too_many_uploads",
        `The server has ${this.#maxInAll} uploads under way; wait for one to finish`,
      );
    }
    for (const uploader of uploaders) {
      if ((this.#active.get(uploader) ?? 0) >= this.#maxConcurrent) {
        throw new UploadRefused(
          429,
          "too_many_uploads",
          `At most ${this.#maxConcurrent} uploads at once${
            uploader.startsWith("ip:") ? ` from ${uploader.slice(3)}` : ""
          }; wait for one to finish`,
        );
      }
    }
    const buckets = uploaders.map((uploader) => {
      let bucket = this.#buckets.get(uploader);
      if (!bucket) {
        this.#forgetRested();
        this.#buckets.set(uploader, bucket = new TokenBucket(this.#uploadRate, this.#now));
      }
      return bucket;
    });
    // A token from each, or from none: a refusal by one key costs the others nothing.
    const empty = buckets.filter((bucket) => bucket.tokens < 1);
    if (empty.length > 0) {
      const waitMs = Math.max(...empty.map((bucket) => bucket.waitMs()));
      throw new UploadRefused(
        429,
        "upload_rate",
        `Too many uploads; try again in ${Math.ceil(waitMs / 1000)} s`,
      );
    }
    for (const bucket of buckets) bucket.take();
    for (const uploader of uploaders) {
      this.#active.set(uploader, (this.#active.get(uploader) ?? 0) + 1);
    }
    this.#inAll++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.#inAll--;
      for (const uploader of uploaders) {
        const left = (this.#active.get(uploader) ?? 1) - 1;
        if (left > 0) this.#active.set(uploader, left);
        else this.#active.delete(uploader);
      }
    };
  }

  /** Drops the rate of uploaders whose bucket is full again (as a new one), now and then. */
  #forgetRested(): void {
    if (this.#buckets.size < 1024) return;
    for (const [uploader, bucket] of this.#buckets) {
      if (bucket.tokens >= this.#uploadRate.burst && !this.#active.has(uploader)) {
        this.#buckets.delete(uploader);
      }
    }
  }

  /** Whether a download showing `key` (`?k=`, or none) may have `record`. */
  mayDownload(record: FileRecord, key: string | null): boolean {
    if (record.dm === undefined && !this.#private) return true;
    return key !== null && sameText(key, record.key);
  }

  /** The structured field of the announcing message, with an absolute link. */
  sharedFile(record: FileRecord): SharedFile {
    const path = `/f/${record.id}/${encodeURIComponent(record.name)}`;
    const key = record.dm !== undefined || this.#private ? `?k=${record.key}` : "";
    return {
      id: record.id,
      name: record.name,
      size: record.size,
      type: record.type,
      url: `${this.origin}${path}${key}`,
    };
  }

  #online(member: Member): boolean {
    return this.#hub?.member(member.nick) === member;
  }

  /** Drops tokens of sessions gone, now and then (amortised over joins). */
  #forgetGone(): void {
    if (this.#tokens.size < 2 * (this.#hub?.size ?? 0) + 64) return;
    for (const [token, member] of this.#tokens) {
      if (!this.#online(member)) this.#tokens.delete(token);
    }
  }
}

/** The line a text or IRC client shows for a shared file: name, size, link. */
export function fileLine(file: SharedFile): string {
  return `[file] ${file.name} (${formatSize(file.size)}) ${file.url}`;
}

/** Compares two tokens in time that does not depend on where they differ. */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
