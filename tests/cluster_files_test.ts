/**
 * Shared files (issue 18) are off on a cluster node until they are shared
 * between nodes: a file's content would stay on the node it was sent to,
 * and the history that keeps a file alive is the stream, not the node's
 * own database.
 */

import assert from "node:assert/strict";
import { runServer } from "./_entry_process.ts";
import { NativeClient } from "./_native_client.ts";
import { soloNats } from "./_solo_nats.ts";
import { until } from "./_waiting.ts";

Deno.test("chat-server --cluster takes no files: it logs files_off, the welcome has no upload token, /f is not served", async () => {
  await using nats = await soloNats();
  const { server, port } = await runServer([
    "--no-discovery",
    "--data-dir",
    ":memory:",
    "--cluster",
    nats.url,
  ]);
  await using _server = server;
  await until(() => server.stderr.some((line) => line.includes("event=start ")));
  assert.ok(
    server.stderr.some((line) => line.includes("event=files_off ")),
    server.stderr.join("\n"),
  );
  assert.ok(
    server.stderr.some((line) => line.includes("event=start ") && line.includes("files=off")),
    server.stderr.join("\n"),
  );

  await using ana = await NativeClient.connect(port, "ana");
  const welcome = await ana.next("welcome");
  assert.equal(welcome.files, undefined);
  const upload = await fetch(`http://127.0.0.1:${port}/f?room=%23lobby&name=a.txt`, {
    method: "POST",
    body: "hello",
  });
  // 405: only GET and HEAD are served at all (with files on, no token is 401).
  assert.equal(upload.status, 405);
  await upload.body?.cancel();
});
