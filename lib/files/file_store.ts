/**
 * Shared files, stored once per content (by SHA-256) in a
 * {@linkcode FileContent}: by default on disk under a directory of the data
 * directory (`DiskContent`), on a cluster in NATS's object store:
 *
 * ```
 * <dir>/sha256/ab/ab12…ef   the content, named by its hash (read-only once in place)
 * <dir>/tmp/<random>        an upload on its way; emptied at every start
 * ```
 *
 * An upload is streamed to a temporary file while it is hashed and counted,
 * never held whole in memory; it is renamed into place (or dropped, when the
 * same content is stored already) only once complete, within the file size
 * limit and within the budget of all files' content, and only then recorded
 * in the {@linkcode FileIndex}. An upload cut short or over a limit removes
 * its temporary file: nothing of it is left, and nothing partial is served.
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { FileContent, FileIndex, FileRecord } from "../core/state/file_index.ts";
import { cleanFileName } from "../core/file_name.ts";
import { DiskContent } from "./disk_content.ts";
import { sniffImageType, storedType } from "./file_type.ts";

/** `--max-file-bytes` by default: 100 MiB. */
export const DEFAULT_MAX_FILE_BYTES = 100 * 1024 * 1024;
/** `--files-budget` by default: 2 GiB of distinct content. */
export const DEFAULT_FILES_BUDGET_BYTES = 2 * 1024 * 1024 * 1024;

/** Settings of a {@linkcode FileStore}. */
export interface FileStoreOptions {
  /**
   * Most bytes of one file.
   * @default {DEFAULT_MAX_FILE_BYTES}
   */
  maxFileBytes?: number;
  /**
   * Most bytes of all files' distinct content.
   * @default {DEFAULT_FILES_BUDGET_BYTES}
   */
  budgetBytes?: number;
  /** The clock, for the files' times. @default {Date.now} */
  now?: () => number;
  /** Where the content goes. @default {DiskContent in the store's directory} */
  content?: FileContent;
}

/** What an upload says of itself, before its bytes. */
export interface UploadMeta {
  /** The name it was sent with (cleaned here). */
  name: string;
  /** The media type the sender gave (kept only as a hint; see `storedType`). */
  declaredType?: string;
  /** The size the sender announced (`Content-Length`): refused at once when over a limit. */
  declaredSize?: number;
  /** Who sends it. */
  uploader: string;
  /** The room (folded) it goes to; or `dm`. */
  room?: string;
  /** The two folded nicks of a DM, in any order. */
  dm?: readonly [string, string];
}

/** Why an upload was refused; `code` is what the HTTP answer and the clients show. */
export class FileStoreError extends Error {
  /** Names the rule broken. */
  constructor(
    readonly code:
      | "file_too_large"
      | "files_budget_full"
      | "upload_incomplete"
      | "bad_upload"
      | "files_unavailable",
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "FileStoreError";
  }
}

/** See the module doc. */
export class FileStore {
  readonly #dir: string;
  readonly #index: FileIndex;
  readonly #content: FileContent;
  readonly #maxFileBytes: number;
  readonly #budgetBytes: number;
  readonly #now: () => number;
  /** Bytes of distinct content stored. */
  #storedBytes: number;
  /** Bytes received by uploads under way, which the budget counts too. */
  #inFlight = 0;

  private constructor(
    dir: string,
    index: FileIndex,
    content: FileContent,
    options: FileStoreOptions,
  ) {
    this.#dir = dir.replace(/[\\/]+$/, "");
    this.#index = index;
    this.#content = content;
    this.#maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    this.#budgetBytes = options.budgetBytes ?? DEFAULT_FILES_BUDGET_BYTES;
    this.#now = options.now ?? Date.now;
    this.#storedBytes = index.contentBytes();
  }

  /** Opens (creating) the store in `dir`, removing uploads a previous run left unfinished. */
  static async open(
    dir: string,
    index: FileIndex,
    options: FileStoreOptions = {},
  ): Promise<FileStore> {
    const content: FileContent = options.content ?? await DiskContent.open(dir);
    const store = new FileStore(dir, index, content, options);
    if (content.storedBytes) store.#storedBytes = await content.storedBytes();
    await Deno.remove(store.#tmpDir, { recursive: true }).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
    await Deno.mkdir(store.#tmpDir, { recursive: true, mode: 0o700 });
    return store;
  }

  /** The largest file accepted, in bytes. */
  get maxFileBytes(): number {
    return this.#maxFileBytes;
  }

  /** Bytes of distinct content stored (what the budget counts, with uploads under way). */
  get storedBytes(): number {
    return this.#storedBytes;
  }

  get #tmpDir(): string {
    return `${this.#dir}/tmp`;
  }

  /** Where the content is (a directory, a bucket). */
  get contentWhere(): string {
    return this.#content.where;
  }

  /** The file of an id (its content is in place). */
  async get(id: string): Promise<FileRecord | undefined> {
    return await this.#index.get(id);
  }

  /** Bytes `start` to `end` (inclusive) of a file's content. */
  read(record: FileRecord, start: number, end: number): AsyncIterable<Uint8Array> {
    return this.#content.read(record.sha256, start, end);
  }

  /**
   * Stores an upload's bytes (see the module doc) and records it.
   *
   * @throws {FileStoreError} `file_too_large`, `files_budget_full`, `upload_incomplete`
   *   (fewer bytes than declared), `bad_upload` (a room and a DM, or neither); and
   *   whatever `body` throws (a cut connection). Nothing is left on disk either way.
   */
  async put(body: AsyncIterable<Uint8Array>, meta: UploadMeta): Promise<FileRecord> {
    if ((meta.room === undefined) === (meta.dm === undefined)) {
      throw new FileStoreError(
        "bad_upload",
        "A file goes to a room or to a DM, not both or neither",
      );
    }
    // Shared with other servers (a cluster): their uploads count too.
    await this.#refreshStored();
    if (meta.declaredSize !== undefined) this.#checkSize(meta.declaredSize, 0);
    const tmp = `${this.#tmpDir}/${randomId()}`;
    const file = await Deno.open(tmp, { write: true, createNew: true, mode: 0o600 });
    const hash = createHash("sha256");
    let size = 0;
    let head: Uint8Array = new Uint8Array(0);
    let closed = false;
    try {
      for await (const chunk of body) {
        this.#checkSize(size + chunk.length, size);
        this.#inFlight += chunk.length;
        size += chunk.length;
        hash.update(chunk);
        if (head.length < 16) head = concat(head, chunk.subarray(0, 16 - head.length));
        for (let written = 0; written < chunk.length;) {
          written += await file.write(chunk.subarray(written));
        }
      }
      if (meta.declaredSize !== undefined && size !== meta.declaredSize) {
        throw new FileStoreError(
          "upload_incomplete",
          `The upload stopped after ${size} of ${meta.declaredSize} bytes`,
        );
      }
      file.close();
      closed = true;
      const sha256 = hash.digest("hex");
      if (this.#content.storedBytes) {
        await this.#refreshStored();
        this.#checkSize(size, size);
      }
      this.#storedBytes += await unavailable(this.#content.place(tmp, sha256, size));
      const type = storedType(sniffImageType(head), meta.declaredType);
      const record: FileRecord = {
        id: randomId(),
        name: cleanFileName(meta.name),
        size,
        type,
        sha256,
        uploader: meta.uploader,
        ...(meta.room !== undefined ? { room: meta.room } : {}),
        ...(meta.dm !== undefined ? { dm: [...meta.dm].sort() as [string, string] } : {}),
        ts: this.#now(),
        key: randomId(),
      };
      await unavailable(Promise.resolve(this.#index.add(record)));
      return record;
    } finally {
      this.#inFlight -= size;
      if (!closed) file.close();
      await Deno.remove(tmp).catch(() => {});
    }
  }

  /**
   * Retention: forgets the files stored before `olderThan` that no kept
   * message announces, and deletes their content when no other file has it.
   * Returns how many contents were deleted.
   */
  async prune(olderThan: number): Promise<number> {
    const released = await this.#index.removeUnreferenced(olderThan);
    for (const { sha256, size } of released) {
      await this.#content.remove(sha256);
      this.#storedBytes -= size;
    }
    return released.length;
  }

  /** Reads the bytes stored where other servers store too (a cluster's object store). */
  async #refreshStored(): Promise<void> {
    if (this.#content.storedBytes) {
      this.#storedBytes = await unavailable(this.#content.storedBytes());
    }
  }

  /** Refuses `total` bytes of one upload, `counted` of them already in flight. */
  #checkSize(total: number, counted: number): void {
    if (total > this.#maxFileBytes) {
      throw new FileStoreError(
        "file_too_large",
        `The file is larger than this server's limit of ${this.#maxFileBytes} bytes`,
      );
    }
    if (this.#storedBytes + this.#inFlight - counted + total > this.#budgetBytes) {
      throw new FileStoreError(
        "files_budget_full",
        `The server's space for files is full (${this.#budgetBytes} bytes)`,
      );
    }
  }
}

/** `promise`, its failure a `files_unavailable` refusal (a cluster's NATS out of reach). */
async function unavailable<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof FileStoreError) throw error;
    throw new FileStoreError(
      "files_unavailable",
      `Files cannot be stored now (${(error as Error).message}); try again later`,
      { cause: error },
    );
  }
}

/** 16 random bytes as 22 base64url characters. */
export function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(
    /=+$/,
    "",
  );
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
