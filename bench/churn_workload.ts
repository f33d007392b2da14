/**
 * The churn workload: a connection flooder against TLS servers, lanchat next
 * to the two runtime baselines in bench/reference/.
 *
 * @module
 */

import { freePort, ROOT, waitForPort } from "./server_process.ts";
import { lanchat, referenceCertificateFiles, referenceTls } from "./targets.ts";
import type { Workload } from "./workload.ts";

/** Connection churn against TLS servers: memory, file descriptors and silent peers (opt-in: `--only churn`). */
export const churnWorkload: Workload = {
  name: "churn",
  description:
    "20,000 raw connect/close, 5,000 TLS handshakes, 200 silent peers, 30 s alone (TLS servers)",
  optIn: true,
  text: false,
  metrics: [
    { key: "rssStartMiB", label: "RSS at start MiB", higherIsBetter: false },
    { key: "rssAfterRawMiB", label: "RSS after the raw churn MiB", higherIsBetter: false },
    { key: "rssAfterHandshakesMiB", label: "RSS after the handshakes MiB", higherIsBetter: false },
    { key: "rssSettledMiB", label: "RSS settled (30 s later) MiB", higherIsBetter: false },
    { key: "rssGrowthMiB", label: "RSS growth, settled MiB", higherIsBetter: false },
    { key: "fdsLeft", label: "fds left open after the churn", higherIsBetter: false },
    { key: "silentClosedSec", label: "silent peers all closed after s", higherIsBetter: false },
    { key: "silentLeftOpen", label: "silent peers' fds still open", higherIsBetter: false },
  ],
  targets: async () => {
    const files = await referenceCertificateFiles();
    return [
      lanchat(true),
      referenceTls("node:tls (bare)", "bench/reference/node_tls_server.ts", files),
      referenceTls("Deno.listenTls (bare)", "bench/reference/deno_listen_tls_server.ts", files),
    ];
  },
  async run(target, smoke) {
    const port = freePort();
    const server = target.start(port);
    try {
      await waitForPort(port);
      const config = {
        port,
        pid: server.pid,
        raw: smoke ? 200 : 20_000,
        handshakes: smoke ? 50 : 5_000,
        silent: smoke ? 20 : 200,
        // Every server here gives a handshake 3 s; a second more to see them closed.
        silentWaitMs: 4_500,
        // V8 returns idle heap pages some 10-20 s after the last collection.
        settleMs: smoke ? 1000 : 30_000,
        concurrency: 8,
      };
      const child = new Deno.Command("node", {
        args: ["bench/churn_gen_node.mjs", JSON.stringify(config)],
        cwd: ROOT,
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      const output = await child.output();
      if (!output.success) throw new Error(`the churn generator failed (exit ${output.code})`);
      const report = JSON.parse(new TextDecoder().decode(output.stdout));
      const ours = target.name.startsWith("lanchat");
      const failures = report.rawFailures + report.handshakeFailures;
      return {
        ok: !ours || failures === 0,
        failure: failures ? `${failures} connections or handshakes failed` : undefined,
        rssStartMiB: report.start.rssMiB,
        rssAfterRawMiB: report.afterRaw.rssMiB,
        rssAfterHandshakesMiB: report.afterHandshakes.rssMiB,
        rssSettledMiB: report.settled.rssMiB,
        rssGrowthMiB: report.settled.rssMiB - report.start.rssMiB,
        fdsLeft: report.settled.fds - report.start.fds,
        silentClosedSec: report.silentClosedAfterMs === undefined
          ? undefined
          : report.silentClosedAfterMs / 1000,
        silentLeftOpen: report.silentLeftOpen,
        rawFailures: report.rawFailures,
        handshakeFailures: report.handshakeFailures,
      };
    } finally {
      try {
        server.kill("SIGTERM");
      } catch {
        // Already exited.
      }
      await server.status;
    }
  },
};
