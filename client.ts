/**
 * `chat-client`: parse flags, connect, then run the full-screen terminal UI
 * on a terminal or line mode on a pipe.
 *
 * @module
 */

import { ReconnectingSession } from "./lib/client/reconnecting_session.ts";
import { CLIENT_USAGE, parseClientArgs } from "./lib/client/client_config.ts";
import { runLineMode } from "./lib/client/line_mode.ts";
import { runTerminalUi } from "./lib/client/tui/run_terminal_ui.ts";
import { ConnectError } from "./lib/errors.ts";
import { RefusedError } from "./lib/client/chat_session.ts";
import { IdentityError, loadIdentity } from "./lib/client/identity.ts";
import { VERSION } from "./lib/version.ts";
import { startCommand } from "./lib/cli_args.ts";

function userName(): string | undefined {
  for (const name of ["USER", "LOGNAME", "USERNAME"]) {
    const value = Deno.env.get(name);
    if (value) return value;
  }
  return undefined;
}

async function main(): Promise<number> {
  const command = startCommand(
    "chat-client",
    VERSION,
    CLIENT_USAGE,
    () => parseClientArgs(Deno.args, userName(), (name) => Deno.env.get(name)),
  );
  if (typeof command === "number") return command;
  let identity;
  try {
    identity = await loadIdentity(command.configDir);
  } catch (error) {
    if (!(error instanceof IdentityError)) throw error;
    console.error(`chat-client: ${error.message}`);
    return 1;
  }
  if (command.kind === "whoami") {
    if (identity.created) console.error(`chat-client: created your key in ${identity.path}`);
    if (!identity.path) {
      console.error("chat-client: no config directory (HOME is not set): this key is not kept");
    }
    console.log(identity.fingerprint);
    return 0;
  }
  if (!identity.path) {
    console.error(
      "chat-client: no config directory (HOME is not set); using a key for this run only " +
        "(registered nicks and operator rights need a kept key: give --config-dir)",
    );
  }
  const options = {
    host: command.host,
    port: command.port,
    nick: command.nick,
    client: `chat-client/${VERSION}`,
    password: command.password,
    identity,
  };
  let session: ReconnectingSession;
  try {
    session = await ReconnectingSession.connect({ ...options, reconnect: command.reconnect });
  } catch (error) {
    if (!(error instanceof ConnectError)) throw error;
    console.error(`chat-client: ${error.message}`);
    if (error instanceof RefusedError && error.code === "password_required") {
      console.error(
        "chat-client: give the password with --password-file <path>, --password <pw> or LANCHAT_PASSWORD",
      );
    }
    return 1;
  }
  if (Deno.stdin.isTerminal() && Deno.stdout.isTerminal()) {
    return await runTerminalUi(session, { color: command.color && !Deno.env.get("NO_COLOR") });
  }
  const encoder = new TextEncoder();
  return await runLineMode(session, Deno.stdin.readable, {
    out: (line) => Deno.stdout.writeSync(encoder.encode(line + "\n")),
    err: (line) => console.error(line),
  });
}

try {
  Deno.exit(await main());
} catch (error) {
  // Last resort: one line, no stack trace.
  console.error(`chat-client: ${error instanceof Error ? error.message : String(error)}`);
  Deno.exit(1);
}
