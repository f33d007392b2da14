/**
 * The server's whole-number limit flags (`--max-clients`, `--rate`, ...): one
 * table drives their parsing and their `--help` lines (`server_config.ts`).
 *
 * @module
 */

import { DEFAULT_RATE_LIMIT } from "../core/hub.ts";
import { DEFAULT_HISTORY_MEMORY_BYTES } from "../core/history.ts";
import type { ChatServerOptions } from "./chat_server.ts";

/** A whole-number flag that sets one limit; the table below drives parsing and `--help`. */
export interface LimitFlag {
  flag: string;
  /** The option it sets. */
  option: keyof ChatServerOptions;
  default: number;
  min: number;
  max: number;
  /** Multiplier from the flag's unit to the option's (seconds to ms: 1000). */
  scale?: number;
  help: string;
}

/** Every limit, with its flag and safe default (docs/limits.md explains each). */
export const LIMIT_FLAGS: readonly LimitFlag[] = [
  {
    flag: "max-clients",
    option: "maxClients",
    default: 1000,
    min: 1,
    max: 1_000_000,
    help: "clients at once; more are refused",
  },
  {
    flag: "max-per-ip",
    option: "maxPerIp",
    default: 16,
    min: 1,
    max: 1_000_000,
    help: "open connections from one IP address",
  },
  {
    flag: "max-frame-bytes",
    option: "maxLineBytes",
    default: 65_536,
    min: 1024,
    max: 16 * 1024 * 1024,
    help: "longest line (frame) a client may send, in bytes",
  },
  {
    flag: "max-message-chars",
    option: "maxMessageLength",
    default: 4000,
    min: 1,
    max: 100_000,
    help: "longest message, in characters",
  },
  {
    flag: "max-message-lines",
    option: "maxMessageLines",
    default: 20,
    min: 1,
    max: 1000,
    help: "most lines in one (pasted) message",
  },
  {
    flag: "max-nick-length",
    option: "maxNickLength",
    default: 24,
    min: 1,
    max: 64,
    help: "longest nick, in characters",
  },
  {
    flag: "history-memory",
    option: "historyMemoryBytes",
    default: DEFAULT_HISTORY_MEMORY_BYTES / (1024 * 1024),
    min: 1,
    max: 65_536,
    scale: 1024 * 1024,
    help: "MiB of messages kept in memory, all rooms together",
  },
  {
    flag: "max-rooms",
    option: "maxRooms",
    default: 1000,
    min: 1,
    max: 1_000_000,
    help: "rooms that can exist at once",
  },
  {
    flag: "announce-limit",
    option: "announceLimit",
    default: 200,
    min: 0,
    max: 1_000_000,
    help: "announce joins and leaves only in rooms of up to this many members",
  },
  {
    flag: "send-queue-bytes",
    option: "sendQueueBytes",
    default: 1024 * 1024,
    min: 16 * 1024,
    max: 1024 * 1024 * 1024,
    help: "bytes waiting for a slow client before it is dropped",
  },
  {
    flag: "max-pending",
    option: "maxPending",
    default: 256,
    min: 1,
    max: 1_000_000,
    help: "connections not joined yet; when full, a newcomer still gets in and one waiting goes",
  },
  {
    flag: "handshake-timeout",
    option: "handshakeTimeoutMs",
    default: 10,
    min: 1,
    max: 3600,
    scale: 1000,
    help: "seconds for a program (chat-client, a TLS handshake) to join",
  },
  {
    flag: "prompt-timeout",
    option: "promptTimeoutMs",
    default: 120,
    min: 1,
    max: 3600,
    scale: 1000,
    help: "seconds for a person at nc/telnet to answer the prompts",
  },
  {
    flag: "ping-interval",
    option: "pingIntervalMs",
    default: 30,
    min: 0,
    max: 3600,
    scale: 1000,
    help: "seconds of silence before a native client is pinged (0: off)",
  },
  {
    flag: "ping-timeout",
    option: "pingTimeoutMs",
    default: 15,
    min: 1,
    max: 3600,
    scale: 1000,
    help: "seconds to answer a ping before being dropped as timed out",
  },
  {
    flag: "rate",
    option: "rateLimit",
    default: DEFAULT_RATE_LIMIT.rate,
    min: 1,
    max: 1_000_000,
    help: "messages and commands a client may send per second",
  },
  {
    flag: "burst",
    option: "rateLimit",
    default: DEFAULT_RATE_LIMIT.burst,
    min: 1,
    max: 1_000_000,
    help: "messages a client may send at once before the rate applies",
  },
];
