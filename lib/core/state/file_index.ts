/**
 * The metadata of shared files: what was sent, by whom, where (a room or a
 * DM pair), and which stored content (by SHA-256) it is. The bytes live
 * elsewhere (`lib/files/`, behind {@linkcode FileContent}); this seam only
 * records them. An in-process implementation is here; `SqliteFileIndex`
 * (`lib/store/`) keeps it on disk; `NatsFileIndex` (`lib/cluster/`) in a
 * KV bucket shared by a cluster's nodes, which answers with promises.
 *
 * @module
 */

import { foldNick } from "../nick.ts";

/** One shared file. */
export interface FileRecord {
  /** Its id, as it appears in `/f/<id>/<name>`: random, unguessable (22 base64url characters). */
  id: string;
  /** Its name, cleaned (`cleanFileName`). */
  name: string;
  /** Its size in bytes. */
  size: number;
  /** Its media type: a sniffed image type or `application/octet-stream` and the like. */
  type: string;
  /** The SHA-256 of its content, lowercase hex: where the content is stored. */
  sha256: string;
  /** Who sent it (a nick, or the address of an anonymous upload while uploads are not tied to a session). */
  uploader: string;
  /** The room it was sent to (folded), or undefined for a DM. */
  room?: string;
  /** The two folded nicks of a DM, sorted, or undefined for a room. */
  dm?: readonly [string, string];
  /** When it was stored (ms since the epoch). */
  ts: number;
  /**
   * Its capability token (22 base64url characters), which a download must
   * show (`?k=`) when the file is in a DM or on a server with a password.
   */
  key: string;
}

/** Content no file records any more: its hash and size, to delete. */
export interface ReleasedContent {
  /** The content's SHA-256, lowercase hex. */
  sha256: string;
  /** Its size in bytes (freed from the budget). */
  size: number;
}

/** A file forgotten by {@linkcode FileIndex.remove}, and its content if no other file has it. */
export interface RemovedFile {
  /** The file's record. */
  record: FileRecord;
  /** Its content, to delete, when no other file records it. */
  released?: ReleasedContent;
}

/** Where file metadata is kept; see the module doc. */
export interface FileIndex {
  /** Records a file whose content is already stored. */
  add(record: FileRecord): void | Promise<void>;
  /** The file of an id, if any. */
  get(id: string): FileRecord | undefined | Promise<FileRecord | undefined>;
  /**
   * Bytes of distinct content recorded: what the files budget counts (read
   * once, at the store's opening; a content seam that is shared with other
   * servers counts for itself: {@linkcode FileContent.storedBytes}).
   */
  contentBytes(): number;
  /** Whether some file records this content. */
  hasContent(sha256: string): boolean | Promise<boolean>;
  /** Whether some file records content of exactly `size` bytes (a re-send could be stored already). */
  hasContentOfSize(size: number): boolean | Promise<boolean>;
  /**
   * Bytes of the distinct content `uploader` sent (a nick, compared without
   * case): what the per-member quota counts.
   */
  uploaderBytes(uploader: string): number | Promise<number>;
  /** Whether `uploader` (without case) sent a file of this content. */
  uploaderHas(uploader: string, sha256: string): boolean | Promise<boolean>;
  /**
   * Forgets one file (an operator's `/rmfile`): its record, and its content
   * when no other file records it.
   */
  remove(id: string): RemovedFile | undefined | Promise<RemovedFile | undefined>;
  /**
   * Forgets the files stored before `olderThan` that no kept message
   * announces (retention: a file lives while a message points at it), and
   * returns the content no remaining file records.
   */
  removeUnreferenced(olderThan: number): ReleasedContent[] | Promise<ReleasedContent[]>;
}

/**
 * Where shared files' bytes are, one content per SHA-256: a directory
 * (`DiskContent`, `lib/files/`) or NATS's object store (`NatsObjectContent`,
 * `lib/cluster/`, so every node of a cluster serves every file). An upload
 * is first complete on this machine's disk (hashed, within the limits),
 * then placed; nothing partial is ever readable.
 */
export interface FileContent {
  /** Where the content is, for the logs (a directory, a bucket). */
  readonly where: string;
  /**
   * Stores the complete upload in the file `path` as the content of
   * `sha256` (`size` bytes), unless that content is stored already. Returns
   * the bytes newly stored (0 when it was there). `path` may be moved away.
   */
  place(path: string, sha256: string, size: number): Promise<number>;
  /** Bytes `start` to `end` (inclusive) of stored content, in order. */
  read(sha256: string, start: number, end: number): AsyncIterable<Uint8Array>;
  /** Deletes stored content (nothing when it is not there). */
  remove(sha256: string): Promise<void>;
  /**
   * Bytes of all content, when other servers store into the same place
   * (asked before each upload: the budget is shared); absent, the store
   * counts for itself.
   */
  storedBytes?(): Promise<number>;
  /**
   * Deletes what uploads cut short left where other servers store too (a
   * cluster's object store: chunks of no object), with the retention check;
   * returns how many such leftovers went.
   */
  sweep?(): Promise<number>;
}

/** A {@linkcode FileIndex} in memory (tests, `--data-dir :memory:`). */
export class MemoryFileIndex implements FileIndex {
  readonly #records = new Map<string, FileRecord>();
  readonly #contents = new Map<string, { size: number; count: number }>();

  /** Records a file. */
  add(record: FileRecord): void {
    if (this.#records.has(record.id)) throw new Error(`File id "${record.id}" is already used`);
    this.#records.set(record.id, record);
    const content = this.#contents.get(record.sha256);
    if (content) content.count++;
    else this.#contents.set(record.sha256, { size: record.size, count: 1 });
  }

  /** The file of an id. */
  get(id: string): FileRecord | undefined {
    return this.#records.get(id);
  }

  /** Whether this content is recorded. */
  hasContent(sha256: string): boolean {
    return this.#contents.has(sha256);
  }

  /** Bytes of distinct content. */
  contentBytes(): number {
    let total = 0;
    for (const { size } of this.#contents.values()) total += size;
    return total;
  }

  /** Whether content of `size` bytes is recorded. */
  hasContentOfSize(size: number): boolean {
    for (const content of this.#contents.values()) if (content.size === size) return true;
    return false;
  }

  /** Bytes of the distinct content `uploader` sent. */
  uploaderBytes(uploader: string): number {
    const sizes = new Map<string, number>();
    for (const record of this.#records.values()) {
      if (sameNick(record.uploader, uploader)) sizes.set(record.sha256, record.size);
    }
    let total = 0;
    for (const size of sizes.values()) total += size;
    return total;
  }

  /** Whether `uploader` sent this content. */
  uploaderHas(uploader: string, sha256: string): boolean {
    for (const record of this.#records.values()) {
      if (record.sha256 === sha256 && sameNick(record.uploader, uploader)) return true;
    }
    return false;
  }

  /** Forgets one file, releasing its content when no other file has it. */
  remove(id: string): RemovedFile | undefined {
    const record = this.#records.get(id);
    if (!record) return undefined;
    this.#records.delete(id);
    const content = this.#contents.get(record.sha256)!;
    if (--content.count > 0) return { record };
    this.#contents.delete(record.sha256);
    return { record, released: { sha256: record.sha256, size: content.size } };
  }

  /**
   * Nothing: a memory index cannot ask the history which files messages
   * still announce (with `:memory:` the files live in a temporary directory
   * removed at exit, bounded by the budget).
   */
  removeUnreferenced(_olderThan: number): ReleasedContent[] {
    return [];
  }
}

function sameNick(a: string, b: string): boolean {
  return foldNick(a) === foldNick(b);
}
