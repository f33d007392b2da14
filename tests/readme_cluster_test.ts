/**
 * The README's NATS config for "More than one server", run as written on
 * loopback (only addresses, ports and file paths replaced): three
 * nats-server 2.9 form a JetStream cluster over TLS routes with a route
 * password; a chat-server's NATS client needs the credentials; and a rogue
 * nats-server without the cluster's certificate and password cannot join
 * as a route (the security review's F1: it then read and wrote everything).
 */

import assert from "node:assert/strict";
import { jetstreamManager } from "@nats-io/jetstream";
import { ROOT } from "./_entry_process.ts";
import { freePort, NATS_SERVER } from "./_nats_cluster.ts";
import { until as waitFor } from "./_waiting.ts";
import { connectNats } from "../lib/server/nats_connect.ts";

/** The code block that follows `marker` in the README. */
function blockAfter(readme: string, marker: string): string {
  const at = readme.indexOf(marker);
  assert.ok(at >= 0, `the README has no "${marker}"`);
  const open = readme.indexOf("\n```\n", at);
  const close = readme.indexOf("\n```\n", open + 5);
  return readme.slice(open + 5, close + 1);
}

function openssl(dir: string, ...args: string[]): void {
  const out = new Deno.Command("openssl", { args, cwd: dir, stdout: "null", stderr: "piped" })
    .outputSync();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
}

/** A CA and one certificate for localhost / 127.0.0.1, named as the README names them. */
function certificates(dir: string): void {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  openssl(
    dir,
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca-key.pem",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-subj",
    "/CN=test ca",
  );
  openssl(
    dir,
    "req",
    ...ec,
    "-keyout",
    "server-key.pem",
    "-out",
    "server.csr",
    "-subj",
    "/CN=localhost",
  );
  Deno.writeTextFileSync(`${dir}/ext`, "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  openssl(
    dir,
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca-key.pem",
    "-CAcreateserial",
    "-out",
    "server.pem",
    "-days",
    "2",
    "-extfile",
    "ext",
  );
}

function spawnNats(dir: string, name: string, config: string): Deno.ChildProcess {
  Deno.writeTextFileSync(`${dir}/${name}.conf`, config);
  return new Deno.Command(NATS_SERVER, {
    args: ["-c", `${dir}/${name}.conf`, "-l", `${dir}/${name}.log`],
    stdout: "null",
    stderr: "null",
  }).spawn();
}

function logOf(dir: string, name: string): string {
  try {
    return Deno.readTextFileSync(`${dir}/${name}.log`);
  } catch {
    return "";
  }
}

/**
 * Starts the README's three nats-servers on free ports (`children` gets them). A port found free
 * can be taken by another process of this shared machine before nats-server binds it: when one
 * exits before all are ready, all three start again on other ports (at most three tries).
 */
async function startReadmeCluster(
  dir: string,
  template: string,
  children: Deno.ChildProcess[],
): Promise<{ client: number[]; route: number[] }> {
  for (let attempt = 1;; attempt++) {
    const client = [freePort(), freePort(), freePort()];
    const route = [freePort(), freePort(), freePort()];
    const started: Deno.ChildProcess[] = [];
    let exited = false;
    for (const i of [0, 1, 2]) {
      let config = template
        .replace("server_name: nats1", `server_name: nats${i + 1}`)
        .replace("0.0.0.0:4222", `127.0.0.1:${client[i]}`)
        .replace("0.0.0.0:6222", `127.0.0.1:${route[i]}`)
        .replace("/var/lib/nats/jetstream", `${dir}/js${i + 1}`)
        .replaceAll("/etc/nats/", `${dir}/`);
      for (const j of [0, 1, 2]) {
        config = config.replace(`nats${j + 1}.lan:6222`, `localhost:${route[j]}`);
      }
      // Nothing but addresses, ports and paths changed: the rest is the README's text.
      assert.doesNotMatch(config, /0\.0\.0\.0|\.lan\b|\/etc\/|\/var\//);
      try {
        Deno.removeSync(`${dir}/nats${i + 1}.log`);
      } catch {
        // The first try.
      }
      const child = spawnNats(dir, `nats${i + 1}`, config);
      child.status.then(() => void (exited = true));
      started.push(child);
      children.push(child);
    }
    await waitFor(
      () => exited || [1, 2, 3].every((n) => logOf(dir, `nats${n}`).includes("Server is ready")),
      15_000,
    );
    if (!exited) return { client, route };
    if (attempt >= 3) {
      throw new Error(`a nats-server exited before it was ready: ${logOf(dir, "nats1")}`);
    }
    console.error("a nats-server exited before it was ready (a port taken?); trying other ports");
    for (const child of started) {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already exited.
      }
      await child.status;
      children.splice(children.indexOf(child), 1);
    }
    // What the nodes that did start stored goes too: the next try is a new cluster.
    for (const n of [1, 2, 3]) {
      try {
        Deno.removeSync(`${dir}/js${n}`, { recursive: true });
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
    }
  }
}

Deno.test("README: the three-machine NATS config secures the client and the cluster port (nats-server 2.9)", async () => {
  const readme = Deno.readTextFileSync(`${ROOT}README.md`);
  const template = blockAfter(readme, "The NATS config of the first");
  const dir = Deno.makeTempDirSync({ prefix: "lanchat-readme-nats-" });
  const children: Deno.ChildProcess[] = [];
  const closers: (() => Promise<void>)[] = [];
  try {
    certificates(dir);
    const { client, route } = await startReadmeCluster(dir, template, children);
    const urls = client.map((port) => `tls://127.0.0.1:${port}`);
    const caFile = `${dir}/ca.pem`;

    // A chat-server's client with the README's credentials: an R3 stream, so the routes work;
    // it stays to answer on a subject, which a route to the cluster would carry.
    const credentials = { kind: "user" as const, user: "lanchat", pass: "a long random password" };
    const nc = await connectNats({ urls, caFile, credentials }, "readme test");
    closers.push(() => nc.close());
    nc.subscribe("readme.ping", { callback: (_, m) => void m.respond("pong") });
    await nc.flush();
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        const jsm = await jetstreamManager(nc, { timeout: 2_000 });
        await jsm.streams.add({ name: "README", subjects: ["readme.s.>"], num_replicas: 3 });
        break;
      } catch (error) {
        if (Date.now() > deadline) {
          throw new Error(`no R3 stream: ${logOf(dir, "nats1")}`, { cause: error });
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    // Every node carries the answer (the subscription's interest went over the routes).
    for (const url of urls.slice(1)) {
      const other = await connectNats({ urls: [url], caFile, credentials }, "readme test");
      closers.push(() => other.close());
      const until = Date.now() + 10_000;
      while (!(await other.request("readme.ping", "", { timeout: 1_000 }).catch(() => undefined))) {
        assert.ok(Date.now() < until, `no answer through ${url}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }

    // Without credentials the client port refuses.
    await assert.rejects(connectNats({ urls: [urls[0]], caFile }, "no credentials"), /credentials/);

    // A rogue nats-server with no certificate: as the review's, and one knowing the route password.
    const rogue = freePort();
    const rogueRoute = freePort();
    children.push(spawnNats(
      dir,
      "rogue",
      `server_name: rogue\nlisten: 127.0.0.1:${rogue}\n` +
        `cluster { name: lanchat, listen: 127.0.0.1:${rogueRoute}, routes: [ ` +
        `nats-route://127.0.0.1:${route[0]}, ` +
        `nats-route://route:another%20long%20random%20password@localhost:${route[1]} ] }\n`,
    ));
    // Both nodes have turned it away, more than once (it retries every second).
    const refusals = (n: number) =>
      (logOf(dir, `nats${n}`).match(/rid:\d+ - .*(TLS|[Aa]uthorization)/g) ?? []).length;
    await waitFor(() => refusals(1) >= 2 && refusals(2) >= 2, 15_000);
    const spy = await connectNats({ urls: [`nats://127.0.0.1:${rogue}`] }, "rogue client");
    closers.push(() => spy.close());
    // Joined, it would carry the request to the answering client; alone, no one answers.
    await assert.rejects(spy.request("readme.ping", "", { timeout: 2_000 }), /no responders/i);
  } finally {
    for (const close of closers) await close().catch(() => {});
    for (const child of children) {
      try {
        child.kill("SIGKILL");
      } catch {
        // Exited already (the error above says why).
      }
      await child.status;
    }
    Deno.removeSync(dir, { recursive: true });
  }
});
