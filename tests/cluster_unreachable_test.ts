/**
 * `chat-server --cluster` while every NATS server is gone (all three killed
 * with SIGKILL), then back on the same ports and stores: the chat-server
 * process is never restarted. Its sessions stay, what it answers from
 * memory still answers, writes to NATS (and a newcomer's nick claim) are
 * refused at once with a clear error, and once NATS is back messages, history and access writes work
 * again, and a node started afterwards reaches it through the buckets.
 */

import assert from "node:assert/strict";
import { runServer } from "./_entry_process.ts";
import { NativeClient, testKey } from "./_native_client.ts";
import { NatsCluster } from "./_nats_cluster.ts";
import { delay, until, within } from "./_waiting.ts";

Deno.test("chat-server --cluster: NATS unreachable, then back, without restarting chat-server", async () => {
  await using cluster = await NatsCluster.start();
  const opKey = await testKey();
  const anaKey = await testKey();
  const node = () =>
    runServer([
      "--no-discovery",
      "--data-dir",
      ":memory:",
      "--op",
      opKey.fingerprint,
      "--cluster",
      cluster.urls.join(","),
    ]);
  const a = await node();
  await using serverA = a.server;
  await using mod = await NativeClient.connect(a.port, "mod", { key: opKey });
  await using ana = await NativeClient.connect(a.port, "ana", { key: anaKey });
  await using eve = await NativeClient.connect(a.port, "eve", { key: await testKey() });
  await ana.send({ type: "msg", text: "hello" });
  await within(5_000, mod.next("msg", (e) => e.text === "hello"), "hello before the outage");

  for (const { name } of cluster.nodes) await cluster.kill(name);
  const outage = performance.now();
  // A command the node answers from NATS: an error, each within a bound, never a hang.
  const answer = async (
    client: NativeClient,
    line: string,
    ok: (e: { message: string }) => boolean,
  ) => {
    const from = client.events.length;
    const started = performance.now();
    await client.send({ type: "input", line });
    const found = () =>
      client.events.slice(from).find((e) =>
        e.type === "error" || (e.type === "notice" && ok(e)) || e.type === "history"
      );
    await until(() => found() !== undefined, 8_000).catch(() => {
      throw new Error(
        `No answer to ${line} within 8 s (${
          Math.round(performance.now() - outage)
        } ms into the outage); A: ${a.server.stderr.slice(-6).join("\n")}`,
      );
    });
    const reply = found()!;
    return { reply, ms: Math.round(performance.now() - started) };
  };
  // Once the node has seen the connection go (it logs it), writes are refused at once. (A write
  // already in flight when NATS went waits out its own 5 s timeout.)
  await serverA.waitStderr((line) => line.includes("event=cluster_link state=down"), 10_000);
  const register = await answer(ana, "/register", (e) => e.message.includes("is now registered"));
  const during = {
    register,
    ban: await answer(mod, "/ban eve --key-only spam", (e) => e.message.startsWith("Banned")),
    mute: await answer(mod, "/mute eve 5", (e) => e.message.startsWith("Muted")),
    history: await answer(ana, "/history 5", () => false),
  };
  for (const [what, { reply, ms }] of Object.entries(during)) {
    assert.equal(reply.type, "error", `${what} refused: ${JSON.stringify(reply)}`);
    assert.equal((reply as { code: string }).code, "store_error", what);
    assert.ok(ms < 1_000, `${what} answered in ${ms} ms, at once`);
  }
  // Answered from memory: who is here.
  const whoFrom = ana.events.length;
  await ana.send({ type: "input", line: "/who" });
  const who = await within(5_000, ana.next("who", () => true, whoFrom), "/who");
  assert.ok(JSON.stringify(who).includes("eve"), JSON.stringify(who));
  // A newcomer is refused at once (no nick can be claimed cluster-wide without NATS), clearly.
  await using early = await NativeClient.connect(a.port);
  const knocked = performance.now();
  await early.hello("zed");
  const refused = await within(5_000, early.next("error"), "a newcomer's refusal");
  assert.equal(refused.code, "cluster_unavailable", JSON.stringify(refused));
  assert.match(refused.message, /cannot take a nick right now/);
  assert.ok(performance.now() - knocked < 1_000, "refused at once");

  // NATS stays away for 5 s in all (the client tries to reconnect meanwhile); refused at once still.
  await delay(Math.max(0, 5_000 - (performance.now() - outage)));
  const late = await answer(ana, "/register", (e) => e.message.includes("is now registered"));
  assert.equal(late.reply.type, "error");
  assert.ok(late.ms < 1_000, `refused at once after 5 s: ${late.ms} ms`);
  for (const { name } of cluster.nodes) cluster.restart(name);
  const back = performance.now();
  // For the measurement: when JetStream has a meta leader and the room stream a leader again.
  const leaders = { meta: -1, stream: -1 };
  const watching = (async () => {
    await cluster.waitForMetaLeader(40_000);
    leaders.meta = Math.round(performance.now() - back);
    while (!(await cluster.streamLeader("LANCHAT_ROOMS"))) await delay(100);
    leaders.stream = Math.round(performance.now() - back);
  })();
  // Until the cluster has a leader again a message may be refused or lost (the append's
  // acknowledgement is another part of the work); say one every 250 ms until one arrives.
  let sent = 0;
  let arrived: number | undefined;
  while (arrived === undefined && performance.now() - back < 40_000) {
    await ana.send({ type: "msg", text: `back${sent++}` });
    await delay(250);
    const got = mod.events.some((e) => e.type === "msg" && e.text.startsWith("back"));
    if (got) arrived = performance.now() - back;
  }
  assert.ok(arrived !== undefined, "a message is delivered again after NATS is back");
  await within(20_000, watching, "leaders again");
  console.log(
    `NATS back -> meta leader ${leaders.meta} ms, room stream leader ${leaders.stream} ms, ` +
      `first delivered message: ${Math.round(arrived)} ms (${sent} sent); ` +
      `refusals during: ${Object.entries(during).map(([w, { ms }]) => `${w} ${ms} ms`).join(", ")}`,
  );
  // Everything works again, on the same process and sessions; the newcomer gets in now. Its nick
  // claim is a write to the nicks bucket, which elects its own leader after the restart: until
  // then it is refused as a person would see it (cluster_unavailable), and they try again.
  const newcomer = async (): Promise<NativeClient> => {
    for (;;) {
      const client = await NativeClient.connect(a.port);
      await client.hello("zed");
      await until(
        () => client.events.some((e) => e.type === "error" || e.type === "welcome"),
        10_000,
      )
        .catch(() => {});
      const outcome = client.events.find((e) => e.type === "error" || e.type === "welcome");
      if (outcome?.type === "welcome") return client;
      await client[Symbol.asyncDispose]();
      assert.ok(
        performance.now() - back < 40_000,
        `the newcomer still not in 40 s after NATS is back: ${JSON.stringify(outcome)}`,
      );
      if (outcome?.type === "error") {
        assert.ok(["cluster_unavailable", "store_error"].includes(outcome.code), outcome.code);
      }
      await delay(250);
    }
  };
  await using zed = await newcomer();
  const after = async (
    client: NativeClient,
    line: string,
    ok: (e: { message: string }) => boolean,
  ) => {
    // Each bucket elects its own leader: until it has one a write is refused (store_error),
    // as a person would see it; they try again.
    let { reply } = await answer(client, line, ok);
    while (reply.type === "error" && performance.now() - back < 30_000) {
      assert.equal((reply as { code: string }).code, "store_error", JSON.stringify(reply));
      await delay(250);
      ({ reply } = await answer(client, line, ok));
    }
    assert.notEqual(reply.type, "error", `${line} after NATS is back: ${JSON.stringify(reply)}`);
    return Math.round(performance.now() - back);
  };
  const upLine = serverA.stderr.find((line) => line.includes("event=cluster_link state=up"));
  const downLine = serverA.stderr.find((line) => line.includes("event=cluster_link state=down"));
  assert.ok(downLine && upLine, "the node logs the loss and the return of NATS");
  console.log(
    `chat-server logged: ${downLine.slice(0, 24)} down, ${upLine.slice(0, 24)} up; restart at ${
      new Date(performance.timeOrigin + back).toISOString()
    }`,
  );
  const registered = await after(ana, "/register", (e) => e.message.includes("is now registered"));
  console.log(`NATS back -> /register accepted: ${registered} ms`);
  await after(mod, "/mute ana --key-only 5", (e) => e.message.startsWith("Muted"));
  const history = await answer(ana, "/history 50", () => false);
  assert.equal(history.reply.type, "history");
  const texts = JSON.stringify(history.reply);
  assert.ok(texts.includes('"hello"') && texts.includes("back"), texts);
  await after(mod, "/ban eve --key-only spam", (e) => e.message.startsWith("Banned"));
  assert.equal((await within(5_000, eve.next("bye"), "eve banned")).code, "banned");

  // A node started now: what it writes reaches A through the buckets and the stream.
  const b = await node();
  await using _serverB = b.server;
  await using bo = await NativeClient.connect(b.port, "bo", { key: await testKey() });
  await bo.send({ type: "input", line: "/register" });
  await bo.next("notice", (e) => e.message.includes("is now registered"));
  await bo.send({ type: "msg", text: "from B" });
  await until(() => mod.events.some((e) => e.type === "msg" && e.text === "from B"), 10_000).catch(
    () => {
      throw new Error(
        `B's message not on A; A: ${serverA.stderr.slice(-8).join("\n")}\nB: ${
          b.server.stderr.slice(-8).join("\n")
        }\nbo: ${bo.lines.slice(-5).join("\n")}\nmod: ${mod.lines.slice(-5).join("\n")}`,
      );
    },
  );
  // bo's registration reaches A through its registrations watch (bo itself online on B would be
  // "taken" on A anyway: it quits first, and A refuses the nick as registered, not merely taken).
  await bo.send({ type: "input", line: "/quit" });
  const otherKey = await testKey();
  const asked = performance.now();
  for (;;) {
    // Until the registration reaches A, the nick is still "taken" (bo's leave on its way) or even
    // free there (bo gone, the registration not yet seen): neither may last past the bound.
    await using notBo = await NativeClient.connect(a.port);
    await notBo.hello("bo", { key: otherKey });
    await until(() => notBo.events.some((e) => e.type === "error" || e.type === "welcome"), 5_000);
    const answer = notBo.events.find((e) => e.type === "error" || e.type === "welcome")!;
    const refusal = answer.type === "error" ? answer.code : "a welcome";
    if (refusal === "nick_registered") break;
    assert.ok(performance.now() - asked < 15_000, `A answered bo with ${refusal} for 15 s`);
    notBo.close();
    await delay(250);
  }
  // Nobody on A lost the session.
  for (const client of [mod, ana, zed]) {
    assert.ok(!client.events.some((e) => e.type === "bye"), JSON.stringify(client.events.at(-1)));
  }
});
