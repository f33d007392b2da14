/**
 * Operating a cluster (issue 17): credentials and TLS to NATS, one
 * replica against a single nats-server, the start line, `chat-server
 * cluster status`, and a line-mode client given `--host a,b` failing over
 * when its node is killed.
 */

import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { Kvm } from "@nats-io/kv";
import { runEntry, runServer } from "./_entry_process.ts";
import { NativeClient } from "./_native_client.ts";
import { freePort, NatsCluster } from "./_nats_cluster.ts";
import { soloNats } from "./_solo_nats.ts";
import { until, within } from "./_waiting.ts";
import { NODES_BUCKET } from "../lib/cluster/cluster_names.ts";

Deno.test("--cluster-creds with one nats-server: one replica by default, the start line, cluster status lists a node", async () => {
  await using nats = await soloNats("authorization { user: chat, password: s3cret }");
  const { dir } = nats;
  const url = `nats://127.0.0.1:${nats.port}`;
  Deno.writeTextFileSync(`${dir}/creds`, "chat:s3cret\n");
  const { server } = await runServer([
    "--no-discovery",
    "--cluster",
    url,
    "--cluster-creds",
    `${dir}/creds`,
  ]);
  await using _server = server;
  const start = server.stdout.find((line) => line.startsWith("cluster node "));
  assert.match(
    start ?? "",
    /NATS connected to 127\.0\.0\.1:\d+ \(solo\); stream LANCHAT_ROOMS 1 replica/,
  );

  // The node's own heartbeat record is there; one more, as another node's heartbeat writes it.
  const nc = await connect({ servers: url, user: "chat", pass: "s3cret" });
  const kv = await new Kvm(nc).create(NODES_BUCKET, { replicas: 1 });
  const now = Date.now();
  await kv.put(
    "office-1234abcd",
    JSON.stringify({
      node: "office-1234abcd",
      server: "office",
      listen: ["10.0.0.5:7000"],
      started: now - 60_000,
      seen: now,
      clients: 7,
      version: "0.1.0",
    }),
  );
  await nc.close();
  await using status = runEntry("server", [
    "cluster",
    "status",
    "--cluster",
    url,
    "--cluster-creds",
    `${dir}/creds`,
  ]);
  assert.equal((await within(15_000, status.status, "cluster status")).code, 0);
  const out = status.stdout.join("\n");
  assert.match(out, /^NATS: connected to 127\.0\.0\.1:\d+ \(solo\)/m);
  // The stream holds the node's start probe (and joins, leaves, topics): stored messages, not chat.
  assert.match(out, /^Stream LANCHAT_ROOMS: \d+ message\(s\).*1 replica\(s\), one NATS server/m);
  assert.match(out, /^Nodes: 2, 7 client\(s\) in all$/m);
  assert.match(out, /^ {2}lanchat-[0-9a-f]{8}: 0 client\(s\), listening on 127\.0\.0\.1:\d+/m);
  assert.match(out, /^ {2}office-1234abcd: 7 client\(s\), listening on 10\.0\.0\.5:7000/m);

  // Without the credentials: exit 1, and the words say what to give.
  await using refused = runEntry("server", ["cluster", "status", "--cluster", url]);
  assert.equal((await within(15_000, refused.status, "cluster status")).code, 1);
  assert.match(refused.stderr.join("\n"), /give --cluster-creds/);

  // export reads the stream with the same credentials; without them it is refused alike.
  const exportArgs = ["export", "--room", "#lobby", "--cluster", url];
  await using exported = runEntry("server", [...exportArgs, "--cluster-creds", `${dir}/creds`]);
  // Read, and found empty: exit 1 as the local export's, saying so (not the credentials).
  assert.equal((await within(15_000, exported.status, "export")).code, 1);
  assert.match(exported.stderr.join("\n"), /no messages for #lobby in the room stream/);
  await using unexported = runEntry("server", exportArgs);
  assert.equal((await within(15_000, unexported.status, "export")).code, 1);
  assert.match(unexported.stderr.join("\n"), /give --cluster-creds/);
});

Deno.test("--cluster tls:// with --cluster-ca reaches a nats-server that requires TLS", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "lanchat-ops-tls-" });
  const openssl = (...args: string[]) => {
    const out = new Deno.Command("openssl", { args, cwd: dir, stdout: "null", stderr: "piped" })
      .outputSync();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
  };
  openssl(
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=test ca",
  );
  openssl(
    "req",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    "srv.key",
    "-out",
    "srv.csr",
    "-subj",
    "/CN=127.0.0.1",
  );
  Deno.writeTextFileSync(`${dir}/ext`, "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  openssl(
    "x509",
    "-req",
    "-in",
    "srv.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "srv.pem",
    "-days",
    "2",
    "-extfile",
    "ext",
  );
  await using nats = await soloNats(
    `tls { cert_file: "${dir}/srv.pem", key_file: "${dir}/srv.key" }`,
  );
  const url = `tls://127.0.0.1:${nats.port}`;
  const { server } = await runServer([
    "--no-discovery",
    "--cluster",
    url,
    "--cluster-ca",
    `${dir}/ca.pem`,
  ]);
  await using _server = server;
  assert.ok(server.stdout.some((line) => /^cluster node .*NATS connected/.test(line)));
  // Without the CA the certificate is not trusted: no start.
  await using untrusted = runEntry("server", [
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--no-discovery",
    "--cluster",
    url,
  ]);
  assert.equal((await within(20_000, untrusted.status, "refusal")).code, 1);
  assert.match(untrusted.stderr.join("\n"), /--cluster: cannot reach NATS/);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("chat-client --host a,b: kill -9 of its node, it goes on through the other with its nick and rooms", async () => {
  await using cluster = await NatsCluster.start();
  const node = async (url: string) =>
    await runServer(["--no-discovery", "--cluster", url, "--name", "office"]);
  const a = await node(cluster.urls[0]);
  await using serverA = a.server;
  const b = await node(cluster.urls[1]);
  await using _serverB = b.server;
  // The first listed node is down: the client starts on the next one that answers.
  const dead = freePort();
  await using ana = runEntry("client", [
    "--host",
    `127.0.0.1:${dead},127.0.0.1:${a.port},127.0.0.1:${b.port}`,
    "--nick",
    "ana",
  ], { stdin: "piped" });
  await ana.waitStdout((line) => line === "Welcome to office, ana!");
  await ana.write("/join #ops\n");
  await ana.waitStdout((line) => line.includes("#ops"));
  await using bob = await NativeClient.connect(b.port, "bob");
  await bob.send({ type: "cmd", name: "join", args: "#ops" });
  await bob.next("joined", (e) => e.room === "#ops");

  serverA.kill("SIGKILL");
  const killed = performance.now();
  await ana.write("typed while its node was gone\n");
  const typed = () =>
    bob.events.find((e) =>
      e.type === "msg" && e.from === "ana" && e.text === "typed while its node was gone"
    );
  await until(() => typed() !== undefined, 30_000);
  const failover = performance.now() - killed;
  const event = typed()!;
  assert.equal(event.type === "msg" && event.room, "#ops", "the line went to the room typed in");
  console.log(
    `failover: kill -9 of the client's node -> its line delivered via the other: ${
      Math.round(failover)
    } ms`,
  );
});
