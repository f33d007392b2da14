/**
 * The cluster's commands are found from the help: `chat-server --help`
 * names `cluster status` and export's `--cluster`; `cluster status --help`
 * and `export --cluster ... --help` print their usage (exit 0). Real
 * `server.ts` processes; none of them reaches NATS.
 */

import assert from "node:assert/strict";
import { runEntry } from "./_entry_process.ts";

async function run(...args: string[]) {
  await using process = runEntry("server", args);
  const { code } = await process.finished();
  return { code, out: process.stdout.join("\n"), err: process.stderr.join("\n") };
}

Deno.test("chat-server --help, cluster status --help and export --cluster --help show the cluster's commands", async () => {
  const help = await run("--help");
  assert.equal(help.code, 0);
  assert.match(help.out, /chat-server cluster status --cluster <urls>/);
  assert.match(help.out, /chat-server export --room <#room> --cluster <urls>/);

  for (const flag of ["--help", "-h"]) {
    const status = await run("cluster", "status", flag);
    assert.equal(status.code, 0, status.err);
    assert.match(status.out, /^Usage: chat-server cluster status --cluster <urls>/);
  }
  const withUrls = await run("cluster", "status", "--cluster", "nats://127.0.0.1:1", "--help");
  assert.equal(withUrls.code, 0, withUrls.err);
  assert.match(withUrls.out, /^Usage: chat-server cluster status/);

  const exportHelp = await run("export", "--cluster", "nats://127.0.0.1:1", "--help");
  assert.equal(exportHelp.code, 0, exportHelp.err);
  assert.match(exportHelp.out, /--cluster <urls> +read the room from the NATS JetStream stream/);
});
