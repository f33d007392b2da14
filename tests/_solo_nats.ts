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

/** Starts one nats-server with JetStream and `extra` config lines. */
export async function soloNats(extra = ""): Promise<SoloNats> {
  const dir = Deno.makeTempDirSync({ prefix: "lanchat-solo-nats-" });
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
  await until(() => {
    try {
      return Deno.readTextFileSync(`${dir}/nats.log`).includes("Server is ready");
    } catch {
      return false;
    }
  }, 10_000);
  return {
    port,
    url: `nats://127.0.0.1:${port}`,
    dir,
    kill: (signal) => child.kill(signal),
    async [Symbol.asyncDispose]() {
      child.kill("SIGKILL");
      await child.status;
      Deno.removeSync(dir, { recursive: true });
    },
  };
}
