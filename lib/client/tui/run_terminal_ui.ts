import { reportEnd } from "../line_mode.ts";
import type { FileCommands } from "../file_commands.ts";
import { DenoTerminal } from "./terminal.ts";
import { runTui, type TuiSession } from "./tui_app.ts";

const STOP_SIGNALS: Deno.Signal[] = ["SIGTERM", "SIGHUP", "SIGINT"];

/**
 * Runs the terminal UI on the process's own terminal and returns the exit
 * code. The terminal is restored on every way out: a quit, a lost
 * connection, a stop signal, and an uncaught error or rejection.
 */
export async function runTerminalUi(
  session: TuiSession & { close(): void },
  options: { color: boolean; notices?: string[]; files?: FileCommands },
): Promise<number> {
  const terminal = new DenoTerminal();
  const stop = Promise.withResolvers<void>();
  const onSignal = () => stop.resolve();
  const listening: Deno.Signal[] = [];
  for (const signal of STOP_SIGNALS) {
    try {
      Deno.addSignalListener(signal, onSignal);
      listening.push(signal);
    } catch {
      // Not available on this platform.
    }
  }
  const onCrash = (event: Event) => {
    terminal.restore();
    const reason = (event as PromiseRejectionEvent).reason ?? (event as ErrorEvent).error;
    console.error(`chat-client: ${reason instanceof Error ? reason.message : String(reason)}`);
    Deno.exit(1);
  };
  globalThis.addEventListener("unhandledrejection", onCrash);
  globalThis.addEventListener("error", onCrash);
  globalThis.addEventListener("unload", () => terminal.restore());
  try {
    const result = await runTui(session, terminal, {
      color: options.color,
      stop: stop.promise,
      notices: options.notices,
      files: options.files,
    });
    if (result.quit) return 0;
    return reportEnd(result.bye, result.failure, console.error);
  } finally {
    terminal.restore();
    for (const signal of listening) Deno.removeSignalListener(signal, onSignal);
    globalThis.removeEventListener("unhandledrejection", onCrash);
    globalThis.removeEventListener("error", onCrash);
    session.close();
  }
}
