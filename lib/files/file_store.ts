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
 * An upload is streamed to a temporary file while it is hashed (by a Worker,
 * upload_sink.ts) and counted, never held whole in memory; it is renamed into place (or dropped, when the
 * same content is stored already) only once complete, within the file size
 * limit and within the budget of all files' content, and only then recorded
 * in the {@linkcode FileIndex}. An upload cut short or over a limit removes
 * its temporary file: nothing of it is left, and nothing partial is served.
 *
 * @module
 */

import type { FileContent, FileIndex, FileRecord } from "../core/state/file_index.ts";
import { cleanFileName, formatSize } from "../core/file_name.ts";
import { foldNick } from "../core/nick.ts";
import { DiskContent } from "./disk_content.ts";
import { HashWorker } from "./upload_sink.ts";
import { sniffImageType, storedType } from "./file_type.ts";
import { randomId } from "./random_id.ts";

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
  /** The media type the sender gave: ignored, the type comes from the bytes and the name (`storedType`). */
  declaredType?: string;
  /** The size the sender announced (`Content-Length`): refused at once when over a limit. */
  declaredSize?: number;
  /** Who sends it. */
  uploader: string;
  /**
   * Most bytes of distinct content `uploader` may have stored, this upload
   * included (the per-member quota); none when not given.
   */
  quotaBytes?: number;
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
      | "files_quota_full"
      | "upload_incomplete"
      | "upload_too_slow"
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
  readonly #sinks = new HashWorker();
  /** Bytes of distinct content stored. */
  #storedBytes: number;
  /** Bytes received by uploads under way, which the budget counts too. */
  #inFlight = 0;
  /** Bytes under way per uploader (folded nick), which its quota counts too. */
  readonly #inFlightBy = new Map<string, number>();
  /** Content placed but not yet recorded, per uploader (folded nick). */
  readonly #placing = new Map<string, number>();

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

  /** Ends the Worker hashing uploads now (uploads under way fail); the store stays usable. */
  close(): void {
    this.#sinks.close();
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

  /** The most bytes of all files' distinct content. */
  get budgetBytes(): number {
    return this.#budgetBytes;
  }

  /**
   * Stores an upload's bytes (see the module doc) and records it. The budget
   * and the uploader's quota are checked once the content's hash is known,
   * so content stored already is taken even when they are full; while the
   * bytes arrive, uploads under way may pass the budget (or a quota) by at
   * most one `maxFileBytes`, which bounds the disk.
   *
   * @throws {FileStoreError} `file_too_large`, `files_budget_full`, `files_quota_full`,
   *   `upload_incomplete` (fewer bytes than declared), `bad_upload` (a room and a DM,
   *   or neither); and whatever `body` throws (a cut connection). Nothing is left on
   *   disk either way.
   */
  async put(body: AsyncIterable<Uint8Array>, meta: UploadMeta): Promise<FileRecord> {
    if ((meta.room === undefined) === (meta.dm === undefined)) {
      throw new FileStoreError(
        "bad_upload",
        "A file goes to a room or to a DM, not both or neither",
      );
    }
    // Counted as the hub compares nicks (a quota per nick, not per spelling of it).
    const who = foldNick(meta.uploader);
    // Shared with other servers (a cluster): their uploads count too.
    await this.#refreshStored();
    // What the uploader has stored, read once: the checks as bytes arrive are synchronous.
    const usedBefore = meta.quotaBytes === undefined ? 0 : await unavailable(
      Promise.resolve(this.#index.uploaderBytes(who)),
    );
    if (meta.declaredSize !== undefined) {
      await this.#checkDeclared(meta.declaredSize, who, usedBefore, meta.quotaBytes);
    }
    const tmp = `${this.#tmpDir}/${randomId()}`;
    (await onDisk(Deno.open(tmp, { write: true, createNew: true, mode: 0o600 }))).close();
    const sink = this.#sinks.open(tmp);
    let size = 0;
    let head: Uint8Array = new Uint8Array(0);
    let ended = false;
    try {
      for await (const chunk of body) {
        this.#checkArriving(size + chunk.length, size, who, usedBefore, meta.quotaBytes);
        this.#inFlight += chunk.length;
        this.#inFlightBy.set(who, (this.#inFlightBy.get(who) ?? 0) + chunk.length);
        size += chunk.length;
        if (head.length < 16) head = Uint8Array.of(...head, ...chunk.subarray(0, 16 - head.length));
        await onDisk(sink.write(chunk));
      }
      if (meta.declaredSize !== undefined && size !== meta.declaredSize) {
        throw new FileStoreError(
          "upload_incomplete",
          `The upload stopped after ${size} of ${meta.declaredSize} bytes`,
        );
      }
      ended = true;
      const sha256 = await onDisk(sink.end());
      await this.#refreshStored();
      await this.#checkComplete(sha256, size, who, meta.quotaBytes);
      this.#placing.set(who, (this.#placing.get(who) ?? 0) + size);
      try {
        await this.#place(tmp, sha256, size);
        const record: FileRecord = {
          id: randomId(),
          name: cleanFileName(meta.name),
          size,
          type: storedType(sniffImageType(head), cleanFileName(meta.name)),
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
        this.#count(this.#placing, who, -size);
      }
    } finally {
      this.#inFlight -= size;
      this.#count(this.#inFlightBy, who, -size);
      if (!ended) await sink.abort();
      await Deno.remove(tmp).catch(() => {});
    }
  }

  /**
   * Forgets the file `id` (an operator's `/rmfile`) and deletes its content
   * when no other file has it. Returns the record, or undefined if none.
   */
  async remove(id: string): Promise<FileRecord | undefined> {
    const removed = await this.#index.remove(id);
    if (!removed) return undefined;
    if (removed.released) await this.#delete(removed.released.sha256, removed.released.size);
    return removed.record;
  }

  /**
   * Retention: forgets the files stored before `olderThan` that no kept
   * message announces, and deletes their content when no other file has it;
   * on a shared content store, also what cut uploads left there
   * ({@linkcode FileContent.sweep}). Returns how many contents (and
   * leftovers) were deleted.
   */
  async prune(olderThan: number): Promise<number> {
    const released = await this.#index.removeUnreferenced(olderThan);
    for (const { sha256, size } of released) await this.#delete(sha256, size);
    const swept = await this.#content.sweep?.() ?? 0;
    if (swept > 0) await this.#refreshStored();
    return released.length + swept;
  }

  async #delete(sha256: string, size: number): Promise<void> {
    await this.#content.remove(sha256);
    this.#storedBytes -= size;
  }

  /** Reads the bytes stored where other servers store too (a cluster's object store). */
  async #refreshStored(): Promise<void> {
    if (this.#content.storedBytes) {
      this.#storedBytes = await unavailable(this.#content.storedBytes());
    }
  }

  /** Refuses at once an upload whose announced size is over a limit (and cannot be a re-send). */
  async #checkDeclared(
    size: number,
    who: string,
    usedBefore: number,
    quota: number | undefined,
  ): Promise<void> {
    if (size > this.#maxFileBytes) this.#tooLarge(size);
    // Content stored already costs nothing, but only content of that very size can be it.
    if (await unavailable(Promise.resolve(this.#index.hasContentOfSize(size)))) return;
    const budgetLeft = this.#budgetBytes - this.#storedBytes - this.#inFlight;
    if (size > budgetLeft) this.#budgetFull(this.#inFlight, size);
    if (quota !== undefined) {
      const used = usedBefore + (this.#placing.get(who) ?? 0) + (this.#inFlightBy.get(who) ?? 0);
      if (used + size > quota) this.#quotaFull(used, quota, size);
    }
  }

  /** Refuses `total` bytes of one upload as they arrive, `counted` of them in flight already. */
  #checkArriving(
    total: number,
    counted: number,
    who: string,
    usedBefore: number,
    quota: number | undefined,
  ): void {
    if (total > this.#maxFileBytes) this.#tooLarge();
    const slack = this.#maxFileBytes;
    const arriving = this.#inFlight - counted + total;
    if (this.#storedBytes + arriving > this.#budgetBytes + slack) {
      this.#budgetFull(this.#inFlight - counted);
    }
    if (quota !== undefined) {
      const placing = this.#placing.get(who) ?? 0;
      const used = usedBefore + placing + (this.#inFlightBy.get(who) ?? 0) - counted;
      if (used + total > quota + slack) this.#quotaFull(used, quota);
    }
  }

  /** Refuses a complete upload over the budget or the quota, unless its content is stored already. */
  async #checkComplete(
    sha256: string,
    size: number,
    who: string,
    quota: number | undefined,
  ): Promise<void> {
    const index = this.#index;
    const full = this.#storedBytes + size > this.#budgetBytes;
    if (full && !await unavailable(Promise.resolve(index.hasContent(sha256)))) {
      this.#budgetFull(this.#inFlight - size, size);
    }
    if (
      quota !== undefined && !await unavailable(Promise.resolve(index.uploaderHas(who, sha256)))
    ) {
      const used = await unavailable(Promise.resolve(index.uploaderBytes(who))) +
        (this.#placing.get(who) ?? 0);
      if (used + size > quota) this.#quotaFull(used, quota, size);
    }
  }

  #tooLarge(bytes?: number): never {
    let limit = formatSize(this.#maxFileBytes);
    let size = bytes === undefined ? undefined : formatSize(bytes);
    // Both round alike (64 KiB and one byte more): then in bytes.
    if (size === limit) [size, limit] = [`${bytes} bytes`, `${this.#maxFileBytes} bytes`];
    throw new FileStoreError(
      "file_too_large",
      size
        ? `File too large: ${size}, the limit is ${limit}`
        : `File too large: more than the limit of ${limit}`,
    );
  }

  /** `underWay`: bytes of other uploads under way, which hold their share until they end. */
  #budgetFull(underWay: number, size?: number): never {
    const now = underWay > 0 ? ` and ${formatSize(underWay)} being uploaded now` : "";
    const used = `${formatSize(this.#storedBytes)} of ${formatSize(this.#budgetBytes)} used${now}`;
    throw new FileStoreError(
      "files_budget_full",
      `The server's space for files is full: ${used}${
        size === undefined ? "" : `, this file needs ${formatSize(size)}`
      }`,
    );
  }

  #quotaFull(used: number, quota: number, size?: number): never {
    throw new FileStoreError(
      "files_quota_full",
      `Your share of the server's space for files is used up: ${formatSize(used)} of ${
        formatSize(quota)
      }${size === undefined ? "" : `, this file needs ${formatSize(size)}`}`,
    );
  }

  #count(map: Map<string, number>, who: string, bytes: number): void {
    const left = (map.get(who) ?? 0) + bytes;
    if (left > 0) map.set(who, left);
    else map.delete(who);
  }

  /** Moves a complete upload into place, or drops it when that content is stored already. */
  async #place(tmp: string, sha256: string, size: number): Promise<void> {
    // Counted before the first await, so a concurrent upload's check sees it.
    this.#storedBytes += size;
    try {
      const added = await unavailable(this.#content.place(tmp, sha256, size));
      // Stored once: the temporary copy goes in `put`'s finally.
      if (added === 0) this.#storedBytes -= size;
    } catch (error) {
      this.#storedBytes -= size;
      throw error;
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

/** `promise`, its failure a `files_unavailable` refusal (this server's disk full or failing). */
async function onDisk<T>(promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    throw new FileStoreError(
      "files_unavailable",
      `The server cannot write the upload to its disk (${
        (error as Error).message
      }); try again later`,
      { cause: error },
    );
  }
}
