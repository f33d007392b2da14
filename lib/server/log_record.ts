/** How much a log record matters; `--log-level` filters by it. */
export type LogLevel = "debug" | "info" | "warn" | "error";

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
