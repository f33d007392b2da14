/**
 * The reference relays of bench/reference/ (the C floor and Deno's floor),
 * which the bench's connect figures are read against: they greet a client at
 * the accept, or with `--hello` only at its first line, which they do not
 * relay; Deno's chat floor renders and checks what it relays. Deno's WebSocket relay (both designs) greets a client at its hello
 * and relays every message to every client, in an event as long as
 * lanchat's.
 */

import assert from "node:assert/strict";
import { LinePeer } from "./_line_peer.ts";
import { ROOT } from "./_entry_process.ts";
import { delay, within } from "./_waiting.ts";
import { WebSocketCodec } from "../lib/protocol/websocket_codec.ts";
import { startListening } from "../bench/server_process.ts";

/** A started relay: its port; killed (and its build removed) when the test's scope ends. */
interface Relay extends AsyncDisposable {
  port: number;
}

/**
 * Starts `program args... port after...` on a free port and waits until it listens (on another
 * port if the first was taken before the relay bound it: `startListening`).
 */
async function startRelay(
  program: string,
  args: string[],
  cleanup = async () => {},
  ...after: string[]
): Promise<Relay> {
  let started;
  try {
    started = await startListening((port) =>
      new Deno.Command(program, {
        args: [...args, String(port), ...after],
        cwd: ROOT,
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn()
    );
  } catch (error) {
    await cleanup();
    throw error;
  }
  const { port, server } = started;
  return {
    port,
    async [Symbol.asyncDispose]() {
      try {
        server.kill();
      } catch {
        // Already exited.
      }
      await server.status;
      await cleanup();
    },
  };
}

async function connect(port: number): Promise<LinePeer> {
  return new LinePeer(await Deno.connect({ hostname: "127.0.0.1", port }));
}

/** Each relay, started with or without `--hello`. */
const RELAYS: Record<string, (hello: boolean) => Promise<Relay>> = {
  "the C relay (floor_relay.c)": async (hello) => {
    const dir = await Deno.makeTempDir({ prefix: "lanchat-relay-" });
    const binary = `${dir}/floor_relay`;
    const removeDir = () => Deno.remove(dir, { recursive: true });
    const build = await new Deno.Command("cc", {
      args: ["-O2", "-pthread", "-o", binary, "bench/reference/floor_relay.c"],
      cwd: ROOT,
      stderr: "piped",
    }).output();
    if (build.code !== 0) {
      await removeDir();
      assert.fail(new TextDecoder().decode(build.stderr));
    }
    return startRelay(binary, hello ? ["--hello"] : [], removeDir);
  },
  "Deno's relay (deno_relay.ts)": (hello) =>
    startRelay(Deno.execPath(), [
      ...["run", "-q", "-A", "bench/reference/deno_relay.ts"],
      ...(hello ? ["--hello"] : []),
    ]),
  "Deno's relay sharing joins (deno_relay.ts --share-joins)": (hello) =>
    startRelay(Deno.execPath(), [
      ...["run", "-q", "-A", "bench/reference/deno_relay.ts", "--share-joins"],
      ...(hello ? ["--hello"] : []),
    ]),
};

for (const [name, startRelayOf] of Object.entries(RELAYS)) {
  Deno.test(`${name} greets a client at the accept and relays its first line`, async () => {
    await using relay = await startRelayOf(false);
    await using a = await connect(relay.port);
    await using b = await connect(relay.port);
    await a.waitLine((line) => line === "ok");
    await b.waitLine((line) => line === "ok");
    await a.write("first\n");
    await b.waitLine((line) => line === "first");
  });

  Deno.test(`${name} relays several lines of one read, and a line cut by reads, whole and in order`, async () => {
    await using relay = await startRelayOf(false);
    await using a = await connect(relay.port);
    await using b = await connect(relay.port);
    await a.waitLine((line) => line === "ok");
    await b.waitLine((line) => line === "ok");
    await a.write("one\ntw");
    await b.waitLine((line) => line === "one");
    await a.write("o\nthree\nfo");
    await a.write("ur\n");
    await b.waitLine((line) => line === "four");
    assert.deepEqual(b.lines, ["ok", "one", "two", "three", "four"]);
    assert.deepEqual(a.lines, ["ok"], "a sender's own lines are not sent back");
  });

  Deno.test(`${name} with --hello greets a client only at its first line and relays what follows, not that line`, async () => {
    await using relay = await startRelayOf(true);
    await using witness = await connect(relay.port);
    await witness.write("witness\n");
    await witness.waitLine((line) => line === "ok");
    // `quiet` is connected but has said nothing: not greeted, and not sent what others say.
    await using quiet = await connect(relay.port);
    await using talker = await connect(relay.port);
    await talker.write("talker\nsaid with the name\n");
    await talker.waitLine((line) => line === "ok");
    await witness.waitLine((line) => line === "said with the name");
    await delay(100);
    assert.deepEqual(quiet.lines, [], "greeted or sent lines before its name line");
    // Its name line, cut by a read, admits it; the name is not relayed.
    await quiet.write("qu");
    await delay(50);
    await quiet.write("iet\n");
    await quiet.waitLine((line) => line === "ok");
    await talker.write("after\n");
    await quiet.waitLine((line) => line === "after");
    await quiet.write("from quiet\n");
    await talker.waitLine((line) => line === "from quiet");
    await witness.waitLine((line) => line === "from quiet");
    assert.deepEqual(quiet.lines, ["ok", "after"]);
    assert.deepEqual(talker.lines, ["ok", "from quiet"]);
    assert.deepEqual(witness.lines, ["ok", "said with the name", "after", "from quiet"]);
  });
}

/** Deno's chat floor (bench/reference/deno_chat_floor.ts), started. */
function startChatFloor(): Promise<Relay> {
  return startRelay(Deno.execPath(), ["run", "-q", "-A", "bench/reference/deno_chat_floor.ts"]);
}

Deno.test("Deno's chat floor (deno_chat_floor.ts) greets at the nick, renders each line as a lanchat text line, and refuses controls and bytes that are not UTF-8 to their sender alone", async () => {
  await using relay = await startChatFloor();
  await using reader = await connect(relay.port);
  await reader.write("reader\n");
  await reader.waitLine((line) => line === "ok");
  await using writer = await connect(relay.port);
  // The nick and two lines in one read, the second cut by reads; then lines it refuses.
  await writer.write("ana\nfirst line\nsecond, h\xe9");
  await delay(50);
  await writer.write("llo\n");
  await writer.write(new Uint8Array([0x62, 0x65, 0x6c, 0x6c, 0x07, 0x0a, 0xff, 0x0a]));
  await writer.write("last\r\n");
  const stamped = /^\[\d\d:\d\d\] <ana> /;
  await reader.waitLine((line) => line.endsWith("last"));
  assert.deepEqual(
    reader.lines.map((line) => line.replace(stamped, "<ana> ")),
    ["ok", "<ana> first line", "<ana> second, h\u00e9llo", "<ana> last"],
  );
  await writer.waitLine((line) => line === "! Not UTF-8");
  assert.deepEqual(writer.lines, [
    "ok",
    "! Control characters are not allowed",
    "! Not UTF-8",
  ]);
});

Deno.test("Deno's chat floor (deno_chat_floor.ts) refuses a malformed nick and one taken (in any case), then takes the next line as the nick", async () => {
  await using relay = await startChatFloor();
  await using ana = await connect(relay.port);
  await ana.write("Ana\n");
  await ana.waitLine((line) => line === "ok");
  await using other = await connect(relay.port);
  await other.write("no spaces\nANA\nbob\nhi\n");
  await other.waitLine((line) => line === "ok");
  await ana.waitLine((line) => line.endsWith("<bob> hi"));
  assert.deepEqual(other.lines, [
    "! Nick may only contain letters, digits, _ - and .",
    "! Nick taken",
    "ok",
  ]);
});

/** A WebSocket client of a relay: the messages it received, in order. */
interface WsPeer extends AsyncDisposable {
  socket: WebSocket;
  received: string[];
  waitFor(check: (text: string) => boolean): Promise<string>;
}

/** Opens `ws://127.0.0.1:port/ws` with Deno's own client and says hello as `nick`; in at the welcome. */
async function wsPeer(port: number, nick: string): Promise<WsPeer> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`);
  const received: string[] = [];
  const waiting = new Set<() => void>();
  socket.onmessage = (event) => {
    received.push(String(event.data));
    for (const wake of waiting) wake();
  };
  const closed = new Promise((resolve) => (socket.onclose = resolve));
  const peer: WsPeer = {
    socket,
    received,
    waitFor: (check) =>
      within(
        5000,
        new Promise((resolve) => {
          const wake = () => {
            const found = received.find(check);
            if (found === undefined) return;
            waiting.delete(wake);
            resolve(found);
          };
          waiting.add(wake);
          wake();
        }),
        "a WebSocket message",
      ),
    async [Symbol.asyncDispose]() {
      socket.close();
      await closed;
    },
  };
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  socket.send(JSON.stringify({ type: "hello", protocol: 1, nick, client: "load_gen" }));
  await peer.waitFor((text) => text.includes('"welcome"'));
  return peer;
}

for (const design of ["raw", "serve"]) {
  Deno.test(`Deno's WebSocket relay (deno_ws_relay.ts ${design}) relays each message to every client as an event of lanchat's size`, async () => {
    await using relay = await startRelay(
      Deno.execPath(),
      [
        ...["run", "-q", "-A", "bench/reference/deno_ws_relay.ts"],
      ],
      undefined,
      design,
    );
    await using a = await wsPeer(relay.port, "f0x0");
    await using b = await wsPeer(relay.port, "f1x17");
    const text = `M 0 5 123456.789 ${"x".repeat(40)}`;
    a.socket.send(JSON.stringify({ type: "msg", text }));
    const got = await b.waitFor((t) => t.includes(text));
    // The sender gets it too, as lanchat echoes to native and WebSocket clients.
    assert.equal(await a.waitFor((t) => t.includes(text)), got);
    const event = JSON.parse(got);
    assert.equal(event.from, "f0x0");
    assert.deepEqual(event.received, { type: "msg", text });
    // As many bytes as lanchat's own frame of the same message (ts, sender, id).
    const lanchat = new WebSocketCodec(1024).encode({
      type: "msg",
      ts: event.ts,
      from: "f0x0",
      text,
      kind: "say",
      room: "#lobby",
      id: event.id,
    });
    const header = (lanchat[1] & 0x7f) < 126 ? 2 : 4;
    assert.equal(new TextEncoder().encode(got).length, lanchat.length - header);
    const long = "y".repeat(300); // a 16-bit length, both ways
    b.socket.send(JSON.stringify({ type: "msg", text: long }));
    assert.equal(JSON.parse(await a.waitFor((t) => t.includes(long))).received.text, long);
  });
}

Deno.test("startListening() starts a server again on another port when it exits before listening (its port was taken)", async () => {
  const ports: number[] = [];
  const { port, server } = await startListening((port) => {
    ports.push(port);
    // The first start fails as a bind to a taken port does; the second listens (ncat).
    const script = ports.length === 1 ? "exit 3" : `exec ncat -l -k 127.0.0.1 ${port}`;
    return new Deno.Command("sh", { args: ["-c", script], stdout: "null", stderr: "null" })
      .spawn();
  });
  try {
    assert.equal(ports.length, 2);
    assert.equal(port, ports[1]);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
  } finally {
    server.kill();
    await server.status;
  }
});
