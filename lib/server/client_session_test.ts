import assert from "node:assert/strict";
import { findCommand } from "../core/commands/default_commands.ts";
import type { ByeFrame, ServerFrame } from "../protocol/wire_frames.ts";
import { Hub, type HubOptions } from "../core/hub.ts";
import { PLAIN_BINDING } from "../protocol/key_proof.ts";
import { NativeCodec } from "../protocol/native_codec.ts";
import type { Codec } from "../protocol/codec.ts";
import { FakePipe } from "./_fake_pipe.ts";
import { ClientSession, type SessionContext, type SessionLimits } from "./client_session.ts";
import { Admission, type AdmissionOptions } from "./handshake.ts";
import type { LogRecord } from "./log_record.ts";

const START = 1_700_000_000_000;
const LIMITS: SessionLimits = {
  maxLineBytes: 1024,
  sendQueueBytes: 4096,
  textPromptDelayMs: 60_000,
  httpHeadersMs: 10_000,
  handshakeTimeoutMs: 10_000,
  promptTimeoutMs: 120_000,
  pingIntervalMs: 30_000,
  pingTimeoutMs: 15_000,
};
const hello = (nick: string, extra = "") =>
  `{"type":"hello","protocol":1,"nick":"${nick}","client":"test"${extra}}\n`;

/** A member joined straight to the hub, recording what it sees (to watch leaves). */
function observer(hub: Hub, nick = "obs") {
  const events: ServerFrame[] = [];
  const ended: ByeFrame[] = [];
  hub.join({ nick, client: "test" }, {
    deliver: (event) => void events.push(event),
    end: (event) => void ended.push(event),
  });
  return { events, ended };
}

/**
 * A real hub with a clock the test controls, the server-wide session
 * context, and a way to connect fake pipes.
 */
function setup(
  options: {
    hub?: HubOptions;
    admission?: Partial<AdmissionOptions>;
    limits?: Partial<SessionLimits>;
  } = {},
) {
  let time = START;
  let closing = false;
  const records: LogRecord[] = [];
  const hub = new Hub({ now: () => time, ...options.hub });
  const log = (record: LogRecord) => void records.push(record);
  const admission = new Admission({ hub, log, closing: () => closing, ...options.admission });
  let pings = 0;
  const context: SessionContext = {
    hub,
    admission,
    limits: { ...LIMITS, ...options.limits },
    log,
    sessions: new Set(),
    isQuit: (name) => findCommand(name)?.name === "quit",
    nextPingToken: () => String(++pings),
  };
  return {
    hub,
    context,
    records,
    tick: (ms: number) => (time += ms),
    close: () => (closing = true),
    /** A session on a fresh fake pipe, running. */
    connect(codec?: Codec, ip = "192.0.2.1") {
      const pipe = new FakePipe(`${ip}:40000`);
      const ticket = { alive: 0, joined: 0 };
      const session = new ClientSession(context, {
        pipe,
        ip,
        binding: PLAIN_BINDING,
        codec,
        ticket: {
          alive: () => void ticket.alive++,
          joined: () => void ticket.joined++,
          onEvict: () => {},
          release: () => {},
        },
      });
      const running = new Promise<void>((resolve, reject) =>
        session.run({ served: () => resolve(), failed: (_, error) => reject(error) })
      );
      return { pipe, session, ticket, running };
    },
  };
}

Deno.test("ClientSession: a native hello joins the hub and the welcome goes out as JSON", async () => {
  const { connect, context, records } = setup();
  const { pipe, session, ticket, running } = connect();
  assert.ok(context.sessions.has(session));
  await pipe.feed(hello("ana"));
  assert.equal(session.member?.nick, "ana");
  assert.equal(session.member?.echo, true);
  assert.deepEqual(ticket, { alive: 1, joined: 1 });
  assert.equal(pipe.frames()[0].type, "welcome");
  assert.ok(records.some((r) => r.event === "join" && r.nick === "ana" && r.client === "native"));
  pipe.close();
  await running;
  assert.equal(context.sessions.size, 0);
  assert.equal(session.member?.gone, true);
  assert.ok(records.some((r) => r.event === "disconnect" && r.reason === "quit"));
});

Deno.test("ClientSession: frames before the hello are not_ready, a second hello already_hello, a ping is answered", async () => {
  const { connect } = setup();
  const { pipe, running } = connect();
  await pipe.feed('{"type":"msg","text":"hi"}\n{"type":"ping","token":"t1"}\n');
  assert.deepEqual(pipe.frames().map((f) => [f.type, f.code ?? f.token]), [
    ["error", "not_ready"],
    ["pong", "t1"],
  ]);
  await pipe.feed(hello("ana"));
  pipe.clear();
  await pipe.feed(hello("ana") + '{"type":"auth","signature":"x"}\n');
  assert.deepEqual(pipe.frames().map((f) => f.code), ["already_hello", "already_hello"]);
  pipe.close();
  await running;
});

Deno.test("ClientSession: a first byte other than { is a person at nc: greeted, prompted, no echo", async () => {
  const { connect } = setup();
  const { pipe, session, running } = connect();
  await pipe.feed("\r\n");
  assert.equal(pipe.text(), "Welcome to lanchat. Pick a nick.\r\nNick? Nick? ");
  await pipe.feed("ana\r\n");
  assert.equal(session.member?.echo, false);
  assert.match(pipe.text(), /Welcome to lanchat, ana!/);
  pipe.close();
  await running;
});

Deno.test("ClientSession: a silent peer is greeted as text, and a late { still speaks JSON", async () => {
  const { connect } = setup({ limits: { textPromptDelayMs: 5 } });
  const { pipe, session, running } = connect();
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(pipe.text(), "Welcome to lanchat. Pick a nick.\r\nNick? ");
  pipe.clear();
  await pipe.feed(hello("ana"));
  assert.equal(pipe.text().slice(0, 2), "\r\n");
  assert.equal(session.member?.echo, true);
  pipe.close();
  await running;
});

Deno.test("ClientSession: /quit at the nick prompt says goodbye and closes; what came before is moot", async () => {
  const { connect, hub } = setup();
  const { pipe, running } = connect();
  await pipe.feed("ana\r\n/quit\r\n");
  await running;
  assert.ok(pipe.closed);
  assert.match(pipe.text(), /\* Goodbye\r\n$/);
  assert.equal(hub.size, 0);
});

Deno.test("ClientSession: a line after a refused nick is the next nick tried", async () => {
  const { connect, hub } = setup();
  observer(hub, "ana");
  const { pipe, session, running } = connect();
  await pipe.feed("ana\r\nbob\r\n");
  assert.equal(session.member?.nick, "bob");
  assert.match(pipe.text(), /Nick\? .*\r\nNick\? /s);
  pipe.close();
  await running;
});

Deno.test("ClientSession: a fatal protocol error drops the member with the reason, in the client's format", async () => {
  const { connect, hub } = setup();
  const watch = observer(hub);
  const { pipe, running } = connect();
  await pipe.feed(hello("ana"));
  pipe.clear();
  await pipe.feed(`{"type":"msg","text":"${"x".repeat(2000)}"}\n`);
  await running;
  assert.deepEqual(pipe.frames().map((f) => [f.type, f.code ?? f.reason]), [
    ["error", "line_too_long"],
    ["bye", "protocol"],
  ]);
  const leave = watch.events.find((e) => e.type === "leave");
  assert.equal(leave?.type === "leave" && leave.reason, "dropped");
});

Deno.test("ClientSession: an overflowing outbox drops the member after the broadcast, with a final goodbye", async () => {
  const { connect, hub, records } = setup();
  const watch = observer(hub);
  const { pipe, running } = connect();
  await pipe.feed(hello("ana"));
  pipe.clear();
  pipe.overflow();
  assert.equal(hub.size, 2, "nobody leaves in the middle of a broadcast");
  await running;
  assert.equal(hub.size, 1);
  assert.deepEqual(pipe.frames().map((f) => [f.type, f.code]), [["bye", "send_queue_exceeded"]]);
  assert.match(String(pipe.frames()[0].message), /more than 4096 bytes/);
  assert.ok(watch.events.some((e) => e.type === "leave" && e.reason === "dropped"));
  assert.ok(records.some((r) => r.event === "drop" && r.nick === "ana"));
});

Deno.test("ClientSession.sweep(): a program gets the handshake timeout, a person the prompt timeout", async () => {
  const { connect } = setup();
  const program = connect();
  await program.pipe.feed('{"type":"ping"}\n');
  const person = connect();
  await person.pipe.feed("\r\n");
  const later = performance.now() + 11_000;
  program.session.sweep(later);
  person.session.sweep(later);
  await program.running;
  assert.equal(program.pipe.frames().at(-1)?.code, "handshake_timeout");
  assert.equal(person.pipe.closed, false);
  person.session.sweep(later + 120_000);
  await person.running;
  assert.match(person.pipe.text(), /! Did not join within 120 s; closing\r\n$/);
});

Deno.test("ClientSession.sweep(): a peer that never said a byte is closed with a plain line", async () => {
  const { connect } = setup();
  const { pipe, session, running } = connect();
  session.sweep(performance.now() + 11_000);
  await running;
  assert.equal(pipe.text(), "! Did not join within 10 s; closing\r\n");
});

Deno.test("ClientSession.sweep(): keepalive pings a quiet native member and drops it when no answer comes", async () => {
  const { connect, hub } = setup();
  const watch = observer(hub);
  const native = connect();
  await native.pipe.feed(hello("ana"));
  const text = connect();
  await text.pipe.feed("bob\r\n");
  native.pipe.clear();
  text.pipe.clear();
  const quiet = performance.now() + 31_000;
  native.session.sweep(quiet);
  text.session.sweep(quiet);
  assert.deepEqual(native.pipe.frames(), [{ type: "ping", token: "1" }]);
  assert.equal(text.pipe.text(), "", "text mode has no keepalive");
  native.session.sweep(quiet + 15_001);
  await native.running;
  assert.equal(native.pipe.frames().at(-1)?.code, "timed_out");
  assert.ok(watch.events.some((e) => e.type === "leave" && e.reason === "timeout"));
  text.pipe.close();
  await text.running;
});

Deno.test("ClientSession.sweep(): an answer to the ping keeps the member", async () => {
  const { connect, hub } = setup();
  const { pipe, session, running } = connect();
  await pipe.feed(hello("ana"));
  const quiet = performance.now() + 31_000;
  session.sweep(quiet);
  pipe.lastReceived = quiet + 1;
  session.sweep(quiet + 15_001);
  assert.equal(pipe.closed, false);
  assert.equal(hub.size, 1);
  pipe.close();
  await running;
});

Deno.test("ClientSession on a private server: a wrong password is denied, a right one admits", async () => {
  const { connect, records } = setup({ admission: { password: "pw" } });
  const wrong = connect(undefined, "192.0.2.7");
  await wrong.pipe.feed(hello("ana", ',"password":"nope"'));
  await wrong.running;
  assert.deepEqual(wrong.pipe.frames().map((f) => [f.type, f.code]), [
    ["error", "access_denied"],
    ["bye", "access_denied"],
  ]);
  assert.ok(records.some((r) => r.event === "denied" && r.failures === 1));
  const right = connect(undefined, "192.0.2.8");
  await right.pipe.feed(hello("ana", ',"password":"pw"'));
  assert.equal(right.session.member?.nick, "ana");
  right.pipe.close();
  await right.running;
});

Deno.test("ClientSession on a private server: text mode asks for the password, then the nick", async () => {
  const { connect } = setup({ admission: { password: "pw" } });
  const { pipe, session, running } = connect();
  await pipe.feed("pw\r\n");
  assert.match(pipe.text(), /Password\? Password accepted\. Pick a nick\.\r\nNick\? $/);
  await pipe.feed("ana\r\n");
  assert.equal(session.member?.nick, "ana");
  pipe.close();
  await running;
});

Deno.test("ClientSession.evict(): told in its own format, or as a plain line before it spoke", async () => {
  const { connect } = setup();
  const silent = connect();
  silent.session.evict();
  await silent.running;
  assert.equal(
    silent.pipe.text(),
    "! Too many connections are waiting to join; try again in a moment\r\n",
  );
  const program = connect();
  await program.pipe.feed('{"type":"ping"}\n');
  program.session.evict();
  await program.running;
  assert.deepEqual(program.pipe.frames().slice(1).map((f) => [f.type, f.code]), [
    ["error", "server_busy"],
    ["bye", "server_busy"],
  ]);
});

Deno.test("ClientSession.shutdown(): a goodbye in the client's format; nothing more is handled", async () => {
  const { connect, close } = setup();
  const program = connect();
  await program.pipe.feed('{"type":"ping"}\n');
  const silent = connect();
  close();
  program.session.shutdown();
  silent.session.shutdown();
  await Promise.all([program.running, silent.running]);
  assert.deepEqual(program.pipe.frames().at(-1), {
    type: "bye",
    reason: "shutdown",
    message: "Server shutting down",
  });
  assert.equal(silent.pipe.text(), "");
});

Deno.test("ClientSession with a codec handed over by its listener: no sniffing, no greeting", async () => {
  const { connect } = setup({ limits: { textPromptDelayMs: 1 } });
  const { pipe, session, running } = connect(new NativeCodec(1024));
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(pipe.text(), "");
  await pipe.feed(hello("ana"));
  assert.equal(pipe.text()[0], "{");
  assert.equal(session.member?.nick, "ana");
  pipe.close();
  await running;
});

Deno.test("ClientSession: a failing pipe ends the member as dropped, with the error as detail", async () => {
  const { connect, hub, records } = setup();
  const watch = observer(hub);
  const { pipe, running } = connect();
  await pipe.feed(hello("ana"));
  pipe.fail(new Error("connection reset"));
  await running;
  const leave = watch.events.find((e) => e.type === "leave");
  assert.equal(leave?.type === "leave" && leave.reason, "dropped");
  assert.ok(records.some((r) => r.event === "disconnect" && r.detail === "connection reset"));
});

Deno.test("ClientSession: a pipe failing with a value that has no text still ends the member, logged", async () => {
  const { connect, hub, records } = setup();
  const watch = observer(hub);
  const { pipe, running } = connect();
  await pipe.feed(hello("ana"));
  // String(Object.create(null)) throws: the session must end all the same.
  pipe.fail(Object.create(null));
  await running;
  const leave = watch.events.find((e) => e.type === "leave");
  assert.equal(leave?.type === "leave" && leave.reason, "dropped");
  assert.ok(
    records.some((r) => r.event === "disconnect" && r.detail === "an error with no description"),
  );
});

Deno.test("ClientSession.run(): one that fails before its read loop starts is let go: out of the sessions, its pipe closed, its host told once", () => {
  const { context } = setup();
  // The connect record is the first thing run() logs: an embedder's log that throws fails it.
  const broken: typeof context = {
    ...context,
    log: () => {
      throw new Error("the log is broken");
    },
  };
  const pipe = new FakePipe();
  const session = new ClientSession(broken, {
    pipe,
    ip: "192.0.2.1",
    binding: PLAIN_BINDING,
    ticket: { alive: () => {}, joined: () => {}, onEvict: () => {}, release: () => {} },
  });
  const told: string[] = [];
  session.run({
    served: () => void told.push("served"),
    failed: (_, error) => void told.push(`failed: ${(error as Error).message}`),
  });
  assert.deepEqual(told, ["failed: the log is broken"]);
  assert.equal(broken.sessions.size, 0, "no session left in the server's set, swept forever");
  assert.equal(pipe.closed, true, "nothing else would ever close its connection");
});
