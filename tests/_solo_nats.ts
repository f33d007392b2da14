/**
 * One nats-server with JetStream on loopback, for tests that need NATS but
 * not a cluster of them (one process instead of three).
 */

import { freePort, NATS_SERVER } from "./_nats_cluster.ts";
import { until } from "./_waiting.ts";

/** A running nats-server; killed and its directory removed on dispose. */
export interface SoloNats extends AsyncDisposable {
  /** Its client port on 127.0.0.1. */
  port: number;
  /** `nats://127.0.0.1:<port>`. */
  url: string;
  /** Its temporary directory (config, store, log). */
  dir: string;
  /** Sends the nats-server a signal (`SIGSTOP`: it hangs, its connections stay open). */
  kill(signal: Deno.Signal): void;
}

/**
 * Starts one nats-server with JetStream and `extra` config lines. A port found free can be taken
 * by another process of this shared machine before nats-server binds it: one that exits before it
 * is ready is started again on another port (at most three tries).
 */
export async function soloNats(extra = ""): Promise<SoloNats> {
  const dir = Deno.makeTempDirSync({ prefix: "lanchat-solo-nats-" });
  for (let attempt = 1;; attempt++) {
    const port = freePort();
    const conf = `${dir}/nats.conf`;
    Deno.writeTextFileSync(
      conf,
      `listen: 127.0.0.1:${port}\nserver_name: solo\njetstream { store_dir: "${dir}/js" }\n${extra}\n`,
    );
    const child = new Deno.Command(NATS_SERVER, {
      args: ["-c", conf, "-l", `${dir}/nats.log`],
      stdout: "null",
      stderr: "null",
    }).spawn();
    let exited = false;
    const status = child.status.then(() => void (exited = true));
    await until(() => exited || logSays(dir, "Server is ready"), 10_000);
    if (exited) {
      if (attempt >= 3) throw new Error(`nats-server exited before it was ready (port ${port})`);
      console.error(`nats-server on port ${port} exited before it was ready; trying another port`);
      continue;
    }
    return solo(port, dir, child, status);
  }
}

function logSays(dir: string, text: string): boolean {
  try {
    return Deno.readTextFileSync(`${dir}/nats.log`).includes(text);
  } catch {
    return false;
  }
}

function solo(
  port: number,
  dir: string,
  child: Deno.ChildProcess,
  status: Promise<void>,
): SoloNats {
  return {
    port,
    url: `nats://127.0.0.1:${port}`,
    dir,
    kill: (signal) => child.kill(signal),
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already exited.
      }
      await status;
      Deno.removeSync(dir, { recursive: true });
    },
  };
}
