/**
 * Faults: abrupt disconnects (RST), half-written frames, a client process
 * killed mid-message, hostile text, and what the server logs.
 */

import assert from "node:assert/strict";
import { ROOT, runEntry } from "./_entry_process.ts";
import { startServer } from "./_in_process_server.ts";
import { NativeClient } from "./_native_client.ts";
import { TextClient } from "./_text_client.ts";
import { delay } from "./_waiting.ts";

const encoder = new TextEncoder();

Deno.test("a connection reset (RST) mid-session is cleaned up and announced", async () => {
  await using server = await startServer();
  await using ana = await NativeClient.connect(server.addr.port, "ana");
  // A socket closed with unread data in its receive buffer makes the kernel send RST.
  const rude = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
  await rude.write(encoder.encode('{"type":"hello","protocol":1,"nick":"rude","client":"t"}\n'));
  await ana.next("join", (e) => e.nick === "rude");
  await ana.send({ type: "msg", text: "this lands unread in rude's buffer" });
  await ana.next("msg", (e) => e.text.startsWith("this lands"));
  await delay(20);
  rude.close();
  const leave = await ana.next("leave", (e) => e.nick === "rude");
  assert.ok(leave.reason === "quit" || leave.reason === "dropped", leave.reason);
  await delay(20);
  assert.equal(server.stats().connections, 1);
});

Deno.test("a half-written frame before a disconnect delivers nothing and leaks nothing", async () => {
  await using server = await startServer();
  await using ana = await NativeClient.connect(server.addr.port, "ana");
  const half = await NativeClient.connect(server.addr.port, "half");
  await half.write('{"type":"msg","text":"never fini');
  await half[Symbol.asyncDispose]();
  const leave = await ana.next("leave", (e) => e.nick === "half");
  assert.equal(leave.reason, "quit");
  assert.ok(!ana.events.some((e) => e.type === "msg"), "the half frame was never relayed");
  await delay(20);
  assert.equal(server.stats().connections, 1);
});

Deno.test("a client process killed mid-message is cleaned up and the others keep chatting", async () => {
  await using server = await startServer();
  const port = server.addr.port;
  await using ana = await NativeClient.connect(port, "ana");
  await using bob = await NativeClient.connect(port, "bob");
  // A separate process that joins, writes half a frame, and then is killed.
  const script = `
    const c = await Deno.connect({ hostname: "127.0.0.1", port: ${port} });
    const e = new TextEncoder();
    await c.write(e.encode('{"type":"hello","protocol":1,"nick":"doomed","client":"t"}\\n'));
    await c.write(e.encode('{"type":"msg","text":"cut off in the mid'));
    console.log("ready");
    setInterval(() => {}, 60_000); // stay alive until killed (a bare promise would not)
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    cwd: ROOT,
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  assert.equal((await reader.read()).value?.trim(), "ready");
  await ana.next("join", (e) => e.nick === "doomed");
  child.kill("SIGKILL");
  await child.status;
  await reader.cancel();
  const leave = await ana.next("leave", (e) => e.nick === "doomed");
  assert.ok(["quit", "dropped"].includes(leave.reason));
  await bob.send({ type: "msg", text: "still here" });
  await ana.next("msg", (e) => e.text === "still here");
  assert.ok(!ana.events.some((e) => e.type === "msg" && e.text.includes("cut off")));
});

/** Strings that try to take over a terminal, and what must be left of them. */
const HOSTILE: [string, string][] = [
  ["clear \x1b[2J\x1b[Hscreen", "clear screen"],
  ["set \x1b]0;pwned\x07title", "set title"],
  ["set \x1b]2;pwned\x1b\\title, ST form", "set title, ST form"],
  ["link \x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\ here", "link click here"],
  ["move \x1b[10;10Hcursor \x1b[5A\x1b[2Kup", "move cursor up"],
  ["RTL \u202eevil\u202c override \u2067isolate\u2069", "RTL evil override isolate"],
  ["NUL\x00 BEL\x07 BS\x08 DEL\x7f", "NUL BEL BS DEL"],
  ["C1 CSI \x9b31m red \x9d0;t\x9c done", "C1 CSI  red  done"],
  ["DCS \x1bPq#0;2;0;0;0\x1b\\ sixel", "DCS  sixel"],
  ["save \x1b7 restore \x1b8", "save  restore "],
  ["tab\there", "tab here"],
];

Deno.test("hostile text reaches other users with no control characters or escape sequences", async () => {
  await using server = await startServer({ rateLimit: false });
  const port = server.addr.port;
  await using evil = await NativeClient.connect(port, "evil");
  await using ana = await NativeClient.connect(port, "ana");
  await using text = await TextClient.connect(port, "tex");
  for (const [hostile] of HOSTILE) await evil.send({ type: "msg", text: hostile });
  await evil.send({ type: "msg", text: "end of corpus" });
  await ana.next("msg", (e) => e.text === "end of corpus");
  await text.waitLine((l) => l.endsWith("<evil> end of corpus"));
  const got = ana.events.flatMap((e) => e.type === "msg" && e.from === "evil" ? [e.text] : []);
  assert.deepEqual(got.slice(0, HOSTILE.length), HOSTILE.map(([, clean]) => clean));
  const unsafe = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;
  for (const line of text.lines) assert.doesNotMatch(line, unsafe, JSON.stringify(line));
  for (const line of ana.lines) assert.doesNotMatch(JSON.parse(line).text ?? "", unsafe);
});

Deno.test("the server logs one line per event on stderr and never the message text at info level", async () => {
  const server = runEntry("server", ["--host", "127.0.0.1", "--port", "0"]);
  const line = await server.waitStdout((l) => l.startsWith("listening on 127.0.0.1:"));
  const port = Number(line.split(":").at(-1));
  const ana = await NativeClient.connect(port, "ana");
  await ana.send({ type: "msg", text: "the secret launch code" });
  await ana.next("msg");
  await ana[Symbol.asyncDispose]();
  await delay(100);
  server.kill("SIGTERM");
  assert.equal((await server.finished()).code, 0);
  const log = server.stderr.join("\n");
  assert.doesNotMatch(log, /secret launch code/);
  assert.match(log, /level=info event=start /);
  assert.match(log, /level=info event=join remote=127\.0\.0\.1:\d+ nick=ana client=native/);
  assert.match(log, /level=info event=disconnect remote=127\.0\.0\.1:\d+ nick=ana reason=quit/);
  assert.match(log, /level=info event=shutdown/);
  assert.doesNotMatch(log, /event=connect /, "connects are debug-level");
  for (const entry of server.stderr) {
    assert.match(entry, /^\d{4}-\d\d-\d\dT[\d:.]+Z level=\w+ event=\w+/);
  }
});
