/**
 * What the SQLite store tells its owner: failed writes, recovery, trimming
 * for the disk budget, losses at close. `server.ts` logs each as one line.
 *
 * @module
 */

/** What a `SqliteStore` tells its owner (`server.ts` logs each as one line). */
export type StoreReport =
  | {
    /** A write failed (the first time, then every 30 s while it keeps failing). */
    kind: "write_failed";
    error: Error;
    /** Accepted messages waiting to be written. */
    pending: number;
    /** Accepted messages dropped so far because too many were waiting. */
    dropped: number;
  }
  | {
    /** Writes work again after failing. */
    kind: "recovered";
    /** Messages written now that had waited. */
    written: number;
    /** Messages dropped while it failed. */
    dropped: number;
  }
  | {
    /** The disk budget was reached: the oldest messages were deleted. */
    kind: "trimmed";
    removed: number;
    usedBytes: number;
    maxBytes: number;
  }
  | {
    /** Deleting for the disk budget failed; it is tried again after the next write. */
    kind: "trim_failed";
    error: Error;
  }
  | {
    /** At close: accepted messages that were never written (dropped, or still failing). */
    kind: "lost";
    lost: number;
    error: Error | undefined;
  };
