/** How much a log record matters; `--log-level` filters by it. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** The levels in order, least first: a record is logged at `--log-level` when its rank is as high. */
export const LOG_LEVEL_RANK: Readonly<Record<LogLevel, number>> = Object.freeze({
  debug: 0,
  info: 1,
  warn: 2,
  error: 3,
});

/** A structured log record; `server.ts` prints them on stderr, one line each. */
export interface LogRecord {
  /** How much it matters. */
  level: LogLevel;
  /** What happened, one word (`join`, `drop`, `refused`, ...). */
  event: string;
  /** The details (`remote`, `nick`, `reason`, ...); undefined ones are not printed. */
  [field: string]: string | number | undefined;
}

/** Where the server's pieces send their records (through the `LogLimiter`). */
export type Log = (record: LogRecord) => void;

/**
 * Whether records of `level` are logged at all (`--log-level`): a site
 * that makes a record on every connection asks first, and makes none that
 * would be dropped (its fields, such as the peer's formatted address, cost
 * something on each of thousands of connects).
 */
export type LogFilter = (level: LogLevel) => boolean;
