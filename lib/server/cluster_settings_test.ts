import assert from "node:assert/strict";
import { UsageError } from "../errors.ts";
import {
  CLUSTER_CREDS_ENV,
  defaultReplicas,
  parseClusterSettings,
  parseNatsCredentials,
} from "./cluster_settings.ts";
import { parseServerArgs } from "./server_config.ts";

const CREDS = `-----BEGIN NATS USER JWT-----
eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.e30.x
------END NATS USER JWT------
-----BEGIN USER NKEY SEED-----
SUAEXAMPLE
------END USER NKEY SEED------
`;

Deno.test("parseNatsCredentials() tells a .creds file, user:password and a token apart", () => {
  assert.deepEqual(parseNatsCredentials(CREDS, "f"), { kind: "creds", text: CREDS });
  assert.deepEqual(parseNatsCredentials("chat:pa:ss\n", "f"), {
    kind: "user",
    user: "chat",
    pass: "pa:ss",
  });
  assert.deepEqual(parseNatsCredentials("  t0ken \n", "f"), { kind: "token", token: "t0ken" });
  for (const bad of ["", "a\nb", ":pw", "user:", CREDS.split("-----BEGIN USER")[0]]) {
    assert.throws(() => parseNatsCredentials(bad, "f"), UsageError, JSON.stringify(bad));
  }
});

Deno.test("replicas: the flag's number, else 3 or as many NATS servers as are known", () => {
  const flags = (values: Record<string, string>) => (name: string) => values[name];
  const none = () => undefined;
  assert.equal(parseClusterSettings(flags({ cluster: "a" }), none)!.replicas, undefined);
  assert.equal(
    parseClusterSettings(flags({ cluster: "a", "cluster-replicas": "1" }), none)!.replicas,
    1,
  );
  assert.throws(
    () => parseClusterSettings(flags({ cluster: "a", "cluster-replicas": "0" }), none),
    UsageError,
  );
  assert.equal(parseClusterSettings(none, none), undefined);
  assert.equal(defaultReplicas(1, 0), 1); // one nats-server
  assert.equal(defaultReplicas(1, 3), 3); // one URL of a 3-node cluster
  assert.equal(defaultReplicas(2, 0), 2);
  assert.equal(defaultReplicas(5, 5), 3);
});

Deno.test("--cluster-node-timeout: seconds, 1 to 600, as ms; only with --cluster", () => {
  const flags = (values: Record<string, string>) => (name: string) => values[name];
  const none = () => undefined;
  assert.equal(parseClusterSettings(flags({ cluster: "a" }), none)!.nodeTimeoutMs, undefined);
  const settings = (value: string) =>
    parseClusterSettings(flags({ cluster: "a", "cluster-node-timeout": value }), none);
  assert.equal(settings("3")!.nodeTimeoutMs, 3_000);
  assert.equal(settings("600")!.nodeTimeoutMs, 600_000);
  for (const bad of ["0", "601", "2.5", "-1", "soon"]) {
    assert.throws(() => settings(bad), /--cluster-node-timeout must be a whole number/, bad);
  }
  assert.throws(
    () => parseClusterSettings(flags({ "cluster-node-timeout": "3" }), none),
    /--cluster-node-timeout goes with --cluster/,
  );
});

Deno.test("parseClusterSettings() reads credentials from the file, else the environment variable", () => {
  const files: Record<string, string> = { "/c": "chat:secret\n", "/ca.pem": "PEM" };
  const read = (path: string) => {
    if (!(path in files)) throw new Deno.errors.NotFound("no such file");
    return files[path];
  };
  const env = (name: string) => name === CLUSTER_CREDS_ENV ? "envtoken" : undefined;
  const fromFile = parseClusterSettings(
    (name) => ({ cluster: "tls://n1", "cluster-creds": "/c", "cluster-ca": "/ca.pem" })[name],
    env,
    read,
  )!;
  assert.deepEqual(fromFile.credentials, { kind: "user", user: "chat", pass: "secret" });
  assert.equal(fromFile.caFile, "/ca.pem");
  const fromEnv = parseClusterSettings((name) => ({ cluster: "n1" })[name], env, read)!;
  assert.deepEqual(fromEnv.credentials, { kind: "token", token: "envtoken" });
  assert.equal(fromEnv.credentialsFrom, CLUSTER_CREDS_ENV);
  assert.throws(
    () =>
      parseClusterSettings((name) => ({ cluster: "n1", "cluster-creds": "/x" })[name], env, read),
    UsageError,
    "cannot read --cluster-creds",
  );
  assert.throws(
    () =>
      parseClusterSettings((name) => ({ cluster: "n1", "cluster-ca": "/ca.pem" })[name], env, read),
    UsageError,
    "tls://",
  );
});

Deno.test("chat-server refuses --cluster-creds, --cluster-ca and --cluster-replicas without --cluster", () => {
  for (const flag of ["--cluster-creds", "--cluster-ca", "--cluster-replicas"]) {
    assert.throws(
      () => parseServerArgs([flag, "1", "--data-dir", ":memory:"], () => undefined),
      UsageError,
      "goes with --cluster",
    );
  }
  const command = parseServerArgs(
    ["--cluster", "n1,n2", "--cluster-replicas", "1", "--data-dir", ":memory:"],
    () => undefined,
  );
  assert.equal(command.kind, "serve");
  if (command.kind !== "serve") return;
  assert.deepEqual(command.cluster, ["nats://n1:4222", "nats://n2:4222"]);
  assert.equal(command.clusterSettings?.replicas, 1);
});
