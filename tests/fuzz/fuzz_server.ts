/**
 * The servers the fuzzer runs against in its own process: an open one and a
 * private one, with the settings the fuzzer is built for, recording every
 * error they log.
 *
 * @module
 */

import type { ChatServer, ChatServerOptions } from "../../lib/server/chat_server.ts";
import { startServer } from "../_in_process_server.ts";

/**
 * Server settings the fuzzer is built for: a small line cap so huge lines are
 * cheap, no rate limit (cases are bursts), room for many connections from
 * 127.0.0.1, and a handshake timeout short enough that silent cases end.
 */
export const FUZZ_SERVER_OPTIONS = {
  maxLineBytes: 4096,
  handshakeTimeoutMs: 1000,
  // Text cases that never give a nick end as soon as the others.
  promptTimeoutMs: 1000,
  textPromptDelayMs: 100,
  rateLimit: false,
  maxPerIp: 1000,
  maxPending: 1000,
  maxClients: 1000,
} as const satisfies ChatServerOptions;

/** The password of the private fuzz server (not ASCII, so NFC and NFD spellings differ). */
export const FUZZ_PASSWORD = "fuzz pässwörd";

/**
 * The private fuzz server: {@linkcode FUZZ_SERVER_OPTIONS} with a password,
 * and password delays of milliseconds, not seconds (every case comes from
 * 127.0.0.1, so each wrong guess delays every other case's answer).
 */
export const FUZZ_PRIVATE_OPTIONS = {
  ...FUZZ_SERVER_OPTIONS,
  password: FUZZ_PASSWORD,
  passwordGate: { baseDelayMs: 1, maxDelayMs: 4 },
} as const satisfies ChatServerOptions;

/** What the fuzzer can see of a server running in the same process. */
export interface FuzzTarget {
  /** The server's connections and members now. */
  stats(): { connections: number; members: number };
  /** Error records the server logged (an exception in a connection task). */
  readonly errors: readonly string[];
}

/**
 * Two {@linkcode ChatServer}s that record logged errors: an open one with
 * {@linkcode FUZZ_SERVER_OPTIONS}, and a private one with
 * {@linkcode FUZZ_PRIVATE_OPTIONS} for the password cases.
 */
export class FuzzServer implements FuzzTarget, AsyncDisposable {
  readonly errors: string[] = [];
  #server: ChatServer | undefined;
  #private: ChatServer | undefined;

  /** Starts both servers on 127.0.0.1, port 0; `options` apply to both. */
  static async start(options: ChatServerOptions = {}): Promise<FuzzServer> {
    const fuzz = new FuzzServer();
    const log = (record: Parameters<NonNullable<ChatServerOptions["log"]>>[0]) => {
      if (record.level === "error") fuzz.errors.push(JSON.stringify(record));
      options.log?.(record);
    };
    fuzz.#server = await startServer({ ...FUZZ_SERVER_OPTIONS, ...options, log });
    fuzz.#private = await startServer({ ...FUZZ_PRIVATE_OPTIONS, ...options, log });
    return fuzz;
  }

  /** The port the open server listens on. */
  get port(): number {
    return this.#server!.addr.port;
  }

  /** The private server, for {@linkcode FuzzOptions.privateServer}. */
  get privateServer(): { port: number; password: string } {
    return { port: this.#private!.addr.port, password: FUZZ_PRIVATE_OPTIONS.password };
  }

  /** Both servers together. */
  stats(): { connections: number; members: number } {
    const open = this.#server!.stats();
    const closed = this.#private!.stats();
    return {
      connections: open.connections + closed.connections,
      members: open.members + closed.members,
    };
  }

  /** Shuts both servers down. */
  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all([this.#server?.shutdown(), this.#private?.shutdown()]);
  }
}
