/**
 * Shared files' content in a directory, one file per SHA-256 (read-only
 * once in place): `<dir>/sha256/ab/ab12…ef`. The {@linkcode FileContent}
 * of a single server; a cluster's is NATS's object store (`lib/cluster/`).
 *
 * @module
 */

import { open } from "node:fs/promises";
import type { FileContent } from "../core/state/file_index.ts";

/**
 * The bytes a download reads from disk at a time. 256 KiB against node's
 * 64 KiB file stream: 40 % more throughput for ten downloads at once over
 * TLS, the same RSS; 1 MiB: no faster, 40 MB more (docs/performance.md,
 * "Shared files").
 */
export const DOWNLOAD_CHUNK_BYTES = 256 * 1024;

/** See the module doc. */
export class DiskContent implements FileContent {
  readonly #dir: string;

  /** Content under `<dir>/sha256/` (see {@linkcode DiskContent.open}). */
  private constructor(dir: string) {
    this.#dir = dir.replace(/[\\/]+$/, "");
  }

  /** Opens (creating) the content directory under `dir`. */
  static async open(dir: string): Promise<DiskContent> {
    const content = new DiskContent(dir);
    await Deno.mkdir(`${content.#dir}/sha256`, { recursive: true, mode: 0o700 });
    return content;
  }

  /** The directory. */
  get where(): string {
    return this.#dir;
  }

  /** Where the content of a hash is (or would be) stored. */
  path(sha256: string): string {
    return `${this.#dir}/sha256/${sha256.slice(0, 2)}/${sha256}`;
  }

  /** Renames the complete upload into place, unless that content is there already. */
  async place(path: string, sha256: string, size: number): Promise<number> {
    const target = this.path(sha256);
    try {
      await Deno.lstat(target);
      return 0; // Stored once: the caller removes its copy.
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true, mode: 0o700 });
    await Deno.chmod(path, 0o400).catch(() => {}); // Not on Windows.
    await Deno.rename(path, target);
    return size;
  }

  /**
   * The bytes asked for, {@linkcode DOWNLOAD_CHUNK_BYTES} at a time into one
   * buffer, reused: each chunk is valid until the next is asked for (a
   * download writes it out first, so it holds one chunk in flight).
   */
  async *read(sha256: string, start: number, end: number): AsyncGenerator<Uint8Array> {
    const file = await open(this.path(sha256), "r");
    try {
      const buffer = new Uint8Array(Math.min(DOWNLOAD_CHUNK_BYTES, end - start + 1));
      for (let at = start; at <= end;) {
        const { bytesRead } = await file.read(buffer, 0, Math.min(buffer.length, end - at + 1), at);
        if (bytesRead === 0) throw new Error("the stored file is shorter than its record");
        at += bytesRead;
        yield buffer.subarray(0, bytesRead);
      }
    } finally {
      await file.close();
    }
  }

  /** Deletes the content's file. */
  async remove(sha256: string): Promise<void> {
    const path = this.path(sha256);
    await Deno.chmod(path, 0o600).catch(() => {});
    await Deno.remove(path).catch(() => {});
  }
}
