/**
 * The server's flags for shared files (issue 18): `--max-file-bytes`,
 * `--files-budget`, `--files-quota` and `--no-files`, parsed apart from
 * `server_config.ts`.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { DEFAULT_FILES_BUDGET_BYTES, DEFAULT_MAX_FILE_BYTES } from "../files/file_store.ts";
import { defaultQuota } from "./file_sharing.ts";

/** What the file flags say; `undefined` when `--no-files` turns files off. */
export interface FileSettings {
  /** Most bytes of one file. */
  maxFileBytes: number;
  /** Most bytes of all files' distinct content. */
  budgetBytes: number;
  /** Most bytes of distinct content one nick may have stored. */
  quotaBytes: number;
}

/** The `parseArgs` spec of the file flags. */
export const FILE_FLAG_SPEC = {
  "max-file-bytes": { type: "string" },
  "files-budget": { type: "string" },
  "files-quota": { type: "string" },
  "no-files": { type: "boolean" },
} as const;

/** The file flags' part of `--help`. */
export const FILES_USAGE = `
Files (see "Sending files" in the README):
  --max-file-bytes <size>  largest file a member may send (default 100M); a size is
                           bytes, or with K, M or G (KiB, MiB, GiB)
  --files-budget <size>    space for all files' distinct content (default 2G); full,
                           uploads are refused until retention frees some
  --files-quota <size>     space one nick's files may take of the budget (default a
                           quarter of it, at least --max-file-bytes); content
                           stored already costs nothing
  --no-files               take no files (no upload token, no /f routes)`;

/** Reads the file flags from `text`/`flag` (the parsed flags). */
export function fileSettings(
  text: (name: string) => string | undefined,
  noFiles: boolean,
): FileSettings | undefined {
  const maxFileBytes = parseSize("max-file-bytes", text("max-file-bytes"), DEFAULT_MAX_FILE_BYTES);
  const budgetBytes = parseSize("files-budget", text("files-budget"), DEFAULT_FILES_BUDGET_BYTES);
  const quota = text("files-quota");
  const quotaBytes = parseSize("files-quota", quota, defaultQuota(budgetBytes, maxFileBytes));
  if (noFiles) return undefined;
  // Each as typed, or the default in the same form.
  const typed = (flag: string, bytes: number) => `--${flag} ${text(flag) ?? shortSize(bytes)}`;
  if (maxFileBytes > budgetBytes) {
    throw new UsageError(
      `${typed("max-file-bytes", maxFileBytes)} is more than ${
        typed("files-budget", budgetBytes)
      }: no file that large could be stored`,
    );
  }
  if (quota !== undefined && (quotaBytes > budgetBytes || quotaBytes < maxFileBytes)) {
    throw new UsageError(
      `${typed("files-quota", quotaBytes)} must be between ${
        typed("max-file-bytes", maxFileBytes)
      } and ${typed("files-budget", budgetBytes)}`,
    );
  }
  return { maxFileBytes, budgetBytes, quotaBytes };
}

const UNITS: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/**
 * A size flag: whole bytes, or a number with `K`, `M`, `G` or `T` (binary
 * units, an optional `B` or `iB` after), at least 1 byte.
 *
 * @throws {UsageError} naming the flag and the value
 */
export function parseSize(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const match = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i.exec(value.trim());
  const bytes = match ? Math.floor(Number(match[1]) * UNITS[match[2].toLowerCase()]) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1) {
    throw new UsageError(
      `--${flag} must be a size like 500000, 100M or 2G, got "${value}"`,
    );
  }
  return bytes;
}

/** A size in the flags' own form, for the log and messages: `100M`, `2G`, `1536K`, `1000`. */
export function shortSize(bytes: number): string {
  for (
    const [unit, size] of [["T", 1024 ** 4], ["G", 1024 ** 3], ["M", 1024 ** 2], [
      "K",
      1024,
    ]] as const
  ) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}
