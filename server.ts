/**
 * `chat-server`: parse flags, start the server, print where it listens, and
 * shut down cleanly on SIGINT/SIGTERM.
 *
 * @module
 */

import { ChatServer, type LogLevel, type LogRecord } from "./lib/server/chat_server.ts";
import { listenAddresses } from "./lib/server/listen_addresses.ts";
import { parseServerArgs, SERVER_USAGE } from "./lib/server/server_config.ts";
import { VERSION } from "./lib/version.ts";
import { startCommand } from "./lib/cli_args.ts";

const LEVELS = { debug: 0, info: 1, warn: 2, error: 3 } as const;

/** A logger that prints records at `minimum` or above as one `key=value` line each. */
function logger(minimum: LogLevel): (record: LogRecord) => void {
  return (record) => {
    if (LEVELS[record.level] < LEVELS[minimum]) return;
    const fields = Object.entries(record)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) =>
        `${key}=${/[\s"=]/.test(String(value)) ? JSON.stringify(value) : value}`
      );
    console.error(`${new Date().toISOString()} ${fields.join(" ")}`);
  };
}

async function main(): Promise<number> {
  const command = startCommand(
    "chat-server",
    VERSION,
    SERVER_USAGE,
    () => parseServerArgs(Deno.args),
  );
  if (typeof command === "number") return command;
  const { options } = command;
  const log = logger(command.logLevel);
  let server: ChatServer;
  try {
    server = await ChatServer.listen({ ...options, log });
  } catch (error) {
    const reason = error instanceof Deno.errors.AddrInUse
      ? "the port is already in use"
      : error instanceof Deno.errors.AddrNotAvailable
      ? "that address is not on this machine"
      : (error as Error).message;
    console.error(`chat-server: cannot listen on ${options.hostname}:${options.port}: ${reason}`);
    return 1;
  }
  log({
    level: "info",
    event: "start",
    version: VERSION,
    host: options.hostname,
    port: server.addr.port,
  });
  for (const address of listenAddresses(options.hostname)) {
    console.log(`listening on ${address}:${server.addr.port}`);
  }
  const stopped = Promise.withResolvers<void>();
  const stop = () => stopped.resolve();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await stopped.promise;
  await server.shutdown();
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  return 0;
}

Deno.exit(await main());
