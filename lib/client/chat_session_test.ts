import assert from "node:assert/strict";
import { ConnectError } from "../errors.ts";
import { newNonce } from "../protocol/key_proof.ts";
import { ChatSession, RefusedError, type SessionOptions } from "./chat_session.ts";
import { FakePipe, settledWithin, welcomeFrame } from "./_fake_pipe.ts";
import { PipeError, PipeMismatchError, type ServerAddress } from "./pipe.ts";

const options: SessionOptions = { host: "127.0.0.1", port: 7777, nick: "ana", client: "test" };

/** A pipe whose server welcomes every hello. */
function welcoming(): FakePipe {
  return new FakePipe((frame) => frame.type === "hello" ? [welcomeFrame(String(frame.nick))] : []);
}

Deno.test("ChatSession.start() sends the hello over the pipe and returns the welcome", async () => {
  const pipe = welcoming();
  await using session = await ChatSession.start(pipe, { ...options, password: "pw" });
  assert.equal(session.welcome.nick, "ana");
  assert.deepEqual(pipe.written, [
    { type: "hello", protocol: 1, nick: "ana", client: "test", password: "pw" },
  ]);
});

Deno.test("ChatSession answers a ping with a pong and does not show it", async () => {
  const pipe = welcoming();
  await using session = await ChatSession.start(pipe, options);
  pipe.say({ type: "ping", token: "t1" }, { type: "notice", message: "hi" });
  const events = session.events()[Symbol.asyncIterator]();
  const first = await events.next();
  assert.deepEqual(first.value, { type: "notice", message: "hi" });
  assert.deepEqual(pipe.written.at(-1), { type: "pong", token: "t1" });
  session.close();
  assert.equal((await events.next()).done, true);
  assert.equal(pipe.closed, true);
});

Deno.test("ChatSession signs a key challenge bound to the pipe's binding", async () => {
  const nonce = newNonce();
  const signed: [string, string][] = [];
  const pipe = new FakePipe((frame) => {
    if (frame.type === "hello") return [{ type: "challenge", nonce }];
    if (frame.type === "auth") return [welcomeFrame("ana")];
    return [];
  }, "SHA256:certificate");
  const identity = {
    publicKey: "key",
    sign: (n: string, binding: string) => {
      signed.push([n, binding]);
      return Promise.resolve("signature");
    },
  };
  await using _session = await ChatSession.start(pipe, { ...options, identity });
  assert.deepEqual(signed, [[nonce, "SHA256:certificate"]]);
  assert.deepEqual(pipe.written.at(-1), { type: "auth", signature: "signature" });
});

Deno.test("ChatSession.start() turns an error frame into a RefusedError and closes the pipe", async () => {
  const pipe = new FakePipe(() => [
    { type: "error", code: "nick_taken", message: 'Nick "ana" is taken; try "ana_"' },
  ]);
  const error = await ChatSession.start(pipe, options).catch((e) => e);
  assert.ok(error instanceof RefusedError);
  assert.equal(error.code, "nick_taken");
  assert.equal(error.message, `cannot join 127.0.0.1:7777: Nick "ana" is taken; try "ana_"`);
  assert.equal(pipe.closed, true);
});

Deno.test("ChatSession.start() reports a pipe that speaks another protocol as 'cannot join'", async () => {
  const pipe = new FakePipe();
  pipe.fail(new PipeMismatchError("the server speaks TLS; connect without --plain"));
  const error = await ChatSession.start(pipe, options).catch((e) => e);
  assert.ok(error instanceof ConnectError);
  assert.equal(
    error.message,
    "cannot join 127.0.0.1:7777: the server speaks TLS; connect without --plain",
  );
});

Deno.test("ChatSession.start() reports a failing pipe as a lost connection", async () => {
  const pipe = new FakePipe();
  pipe.fail(new PipeError("connection reset by the server"));
  const error = await ChatSession.start(pipe, options).catch((e) => e);
  assert.ok(error instanceof ConnectError);
  assert.equal(error.message, "lost connection to 127.0.0.1:7777: connection reset by the server");
});

Deno.test("ChatSession.connect() opens its pipe with the openPipe it is given", async () => {
  const asked: ServerAddress[] = [];
  const pipe = welcoming();
  await using session = await ChatSession.connect({
    ...options,
    openPipe: (address) => {
      asked.push(address);
      return Promise.resolve(pipe);
    },
  });
  assert.equal(session.welcome.nick, "ana");
  assert.equal(asked.length, 1);
  assert.equal(asked[0].host, "127.0.0.1");
  assert.equal(asked[0].port, 7777);
});

Deno.test("ChatSession.start() gives up when no welcome comes in time", async () => {
  const pipe = new FakePipe();
  const error = await ChatSession.start(pipe, { ...options, timeoutMs: 50 }).catch((e) => e);
  assert.ok(error instanceof ConnectError);
  assert.equal(error.message, "cannot reach 127.0.0.1:7777: timed out after 0.05 s");
  assert.equal(pipe.closed, true);
});

Deno.test("ChatSession.start() gives up on a pipe whose hello write never settles, and closes it", async () => {
  const pipe = new FakePipe();
  pipe.write = () => new Promise<void>(() => {});
  const error = await settledWithin(
    2000,
    ChatSession.start(pipe, { ...options, timeoutMs: 50 }).catch((e) => e),
  );
  assert.ok(error instanceof ConnectError, String(error));
  assert.equal(error.message, "cannot reach 127.0.0.1:7777: timed out after 0.05 s");
  assert.equal(pipe.closed, true);
});

Deno.test("ChatSession.connect() reports an openPipe that throws at once as 'cannot reach'", async () => {
  const error = await ChatSession.connect({
    ...options,
    openPipe: () => {
      throw new PipeError("no route");
    },
  }).catch((e) => e);
  assert.ok(error instanceof ConnectError, String(error));
  assert.equal(error.message, "cannot reach 127.0.0.1:7777: no route");
});
