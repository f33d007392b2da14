/** How much a log record matters; `--log-level` filters by it. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** A structured log record; `server.ts` prints them on stderr, one line each. */
export interface LogRecord {
  level: LogLevel;
  event: string;
  [field: string]: string | number | undefined;
}

/** Where the server's pieces send their records (through the `LogLimiter`). */
export type Log = (record: LogRecord) => void;
