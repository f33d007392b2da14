import assert from "node:assert/strict";
import { UsageError } from "../errors.ts";
import { parseClusterUrls } from "./cluster_flag.ts";
import { parseServerArgs } from "./server_config.ts";

Deno.test("parseClusterUrls() takes nats:// and tls:// URLs and bare host:port, with NATS's port by default", () => {
  assert.deepEqual(
    parseClusterUrls("nats://10.0.0.5:4222, tls://nats.example.com,10.0.0.6:5222,[::1]:4223"),
    [
      "nats://10.0.0.5:4222",
      "tls://nats.example.com:4222",
      "nats://10.0.0.6:5222",
      "nats://[::1]:4223",
    ],
  );
});

Deno.test("parseClusterUrls() refuses empty entries, other schemes, paths and credentials", () => {
  for (const bad of ["", "nats://a,", "http://a:4222", "nats://a:4222/x", "nats://u:p@a:4222"]) {
    assert.throws(() => parseClusterUrls(bad), UsageError, bad);
  }
  assert.throws(() => parseClusterUrls("nats://u:secret@a"), (error: Error) => {
    assert.ok(!error.message.includes("secret"), "the error does not repeat a password");
    return true;
  });
});

Deno.test("chat-server without --cluster stays on its own; with it, the URLs are parsed", () => {
  const alone = parseServerArgs(["--data-dir", ":memory:"]);
  assert.equal(alone.kind === "serve" && alone.cluster, undefined);
  const joined = parseServerArgs(["--data-dir", ":memory:", "--cluster", "127.0.0.1:4222"]);
  assert.deepEqual(joined.kind === "serve" && joined.cluster, ["nats://127.0.0.1:4222"]);
});
