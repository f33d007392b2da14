/**
 * One nats-server with JetStream on loopback, for tests that need NATS but
 * not a cluster of them (one process instead of three).
 */

import { NATS_SERVER } from "./_nats_cluster.ts";
import { until } from "./_waiting.ts";
import { startListening } from "../bench/server_process.ts";

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
 * Starts one nats-server with JetStream and `extra` config lines, on another port if the first
 * was taken before it bound it (`startListening`).
 */
export async function soloNats(extra = ""): Promise<SoloNats> {
  const dir = Deno.makeTempDirSync({ prefix: "lanchat-solo-nats-" });
  const { port, server } = await startListening((port) => {
    const conf = `${dir}/nats.conf`;
    Deno.writeTextFileSync(
      conf,
      `listen: 127.0.0.1:${port}\nserver_name: solo\njetstream { store_dir: "${dir}/js" }\n${extra}\n`,
    );
    return new Deno.Command(NATS_SERVER, {
      args: ["-c", conf, "-l", `${dir}/nats.log`],
      stdout: "null",
      stderr: "null",
    }).spawn();
  });
  await until(() => logSays(dir, "Server is ready"), 10_000);
  return solo(port, dir, server);
}

function logSays(dir: string, text: string): boolean {
  try {
    return Deno.readTextFileSync(`${dir}/nats.log`).includes(text);
  } catch {
    return false;
  }
}

function solo(port: number, dir: string, child: Deno.ChildProcess): SoloNats {
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
      await child.status;
      Deno.removeSync(dir, { recursive: true });
    },
  };
}
