/**
 * The server's flags for shared files (issue 18): `--max-file-bytes`,
 * `--files-budget` and `--no-files`, parsed apart from `server_config.ts`.
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { DEFAULT_FILES_BUDGET_BYTES, DEFAULT_MAX_FILE_BYTES } from "../files/file_store.ts";

/** What the file flags say; `undefined` when `--no-files` turns files off. */
export interface FileSettings {
  /** Most bytes of one file. */
  maxFileBytes: number;
  /** Most bytes of all files' distinct content. */
  budgetBytes: number;
}

/** The `parseArgs` spec of the file flags. */
export const FILE_FLAG_SPEC = {
  "max-file-bytes": { type: "string" },
  "files-budget": { type: "string" },
  "no-files": { type: "boolean" },
} as const;

/** The file flags' part of `--help`. */
export const FILES_USAGE = `
Files (see "Sending files" in the README):
  --max-file-bytes <size>  largest file a member may send (default 100M); a size is
                           bytes, or with K, M or G (KiB, MiB, GiB)
  --files-budget <size>    space for all files' distinct content (default 2G); full,
                           uploads are refused until retention frees some
  --no-files               take no files (no upload token, no /f routes)`;

/** Reads the file flags from `text`/`flag` (the parsed flags). */
export function fileSettings(
  text: (name: string) => string | undefined,
  noFiles: boolean,
): FileSettings | undefined {
  const maxFileBytes = parseSize("max-file-bytes", text("max-file-bytes"), DEFAULT_MAX_FILE_BYTES);
  const budgetBytes = parseSize("files-budget", text("files-budget"), DEFAULT_FILES_BUDGET_BYTES);
  if (noFiles) return undefined;
  if (maxFileBytes > budgetBytes) {
    throw new UsageError(
      `--max-file-bytes (${maxFileBytes}) is more than --files-budget (${budgetBytes})`,
    );
  }
  return { maxFileBytes, budgetBytes };
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
