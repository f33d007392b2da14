/** The terminal UI's /send, /get and /cancel: the file line, the progress bar, cancelling, Tab on paths. */

import assert from "node:assert/strict";
import { FileCommands } from "../file_commands.ts";
import { CTRL_C, showing, startTui, TAB } from "./_tui_app_harness.ts";
import { progressBar } from "./tui_files.ts";
import { Transfer } from "../file_commands.ts";

const ID = "BBBBBBBBBBBBBBBBBBBBBB";

/** Serves 20 kB, 1 kB every 50 ms, on 127.0.0.1. */
function slowServer(): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull: (controller) =>
        new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            controller.enqueue(new Uint8Array(1000));
            if (++sent === 20) controller.close();
            resolve();
          }, 50);
        }),
      cancel: () => clearTimeout(timer),
    });
    return new Response(body, { headers: { "Content-Length": "20000" } });
  });
}

Deno.test("runTui() shows a shared file as a /get line, a progress bar while fetching, and Ctrl-C cancels it", async () => {
  await using server = slowServer();
  const dir = await Deno.makeTempDir({ prefix: "lanchat_tui_get_" });
  try {
    const files = new FileCommands({
      server: { address: { host: "127.0.0.1", port: server.addr.port } },
    });
    await using tui = await startTui({ files, columns: 90 });
    tui.session.emit({
      type: "msg",
      room: "#lobby",
      id: 9,
      ts: Date.now(),
      from: "bob",
      text: "[file] a.bin (20 KiB) http://x/f/...",
      kind: "say",
      file: {
        id: ID,
        name: "a.bin",
        size: 20000,
        type: "application/octet-stream",
        url: `http://127.0.0.1:${server.addr.port}/f/${ID}/a.bin`,
      },
    });
    // Wrapped at 90 columns: the id goes on the next row.
    await tui.waitFor(showing("[file] a.bin (20 KiB, application/octet-stream) /get"), "the line");
    await tui.waitFor(showing(ID), "the id");
    tui.terminal.type(`/get ${ID} ${dir}\r`);
    // Some bytes held (an empty .part is not kept).
    await tui.waitFor(
      (rows) => /\[#lobby \| ↓ a\.bin █*░+ [1-9]\d*%\]/.test(rows.at(-1)!),
      "the bar",
    );
    tui.terminal.press(CTRL_C);
    await tui.waitFor(showing("fetching a.bin cancelled"), "the cancel");
    assert.equal(tui.inputRow(), "[#lobby]");
    // Still running: Ctrl-C stopped the transfer, not the UI.
    tui.terminal.type("still here\r");
    await tui.terminal.idle();
    assert.deepEqual(tui.session.sent.at(-1), { type: "msg", text: "still here", room: "#lobby" });
    // The part is kept for a later /get to resume; nothing under the final name.
    const left = [...Deno.readDirSync(dir)].map((e) => e.name);
    assert.equal(left.length, 1, left.join());
    assert.match(left[0], /^a\.bin\.[0-9a-f]{12}\.part$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runTui() cancels a transfer at a lone Esc, without waiting for another key", async () => {
  await using server = slowServer();
  const dir = await Deno.makeTempDir({ prefix: "lanchat_tui_esc_" });
  try {
    const files = new FileCommands({
      server: { address: { host: "127.0.0.1", port: server.addr.port } },
    });
    await using tui = await startTui({ files, columns: 120 });
    const url = `http://127.0.0.1:${server.addr.port}/f/${ID}/a.bin`;
    const file = { id: ID, name: "a.bin", size: 20000, type: "application/octet-stream", url };
    tui.session.emit({
      type: "msg",
      room: "#lobby",
      id: 9,
      ts: Date.now(),
      from: "bob",
      text: "[file]",
      kind: "say",
      file,
    });
    await tui.waitFor(showing(ID), "the line");
    tui.terminal.type(`/get ${ID} ${dir}\r`);
    await tui.waitFor((rows) => /↓ a\.bin/.test(rows.at(-1)!), "the bar");
    tui.terminal.press("\x1b");
    await tui.waitFor(showing("cancelling fetching a.bin"), "the /cancel's word");
    await tui.waitFor(showing("fetching a.bin cancelled"), "the cancel");
    assert.equal(tui.inputRow(), "[#lobby]");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runTui() completes the path of a /send with Tab, and says when a file is unknown", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lanchat_tui_send_" });
  try {
    await Deno.writeTextFile(`${dir}/report.txt`, "x");
    await Deno.mkdir(`${dir}/reports`);
    const files = new FileCommands({ server: { address: { host: "127.0.0.1", port: 9 } } });
    await using tui = await startTui({ files, columns: 120 });
    tui.terminal.type(`/send ${dir}/rep`);
    tui.terminal.press(TAB);
    await tui.terminal.idle();
    assert.equal(tui.inputRow(), `[#lobby] /send ${dir}/report.txt`);
    tui.terminal.press(TAB);
    await tui.terminal.idle();
    assert.equal(tui.inputRow(), `[#lobby] /send ${dir}/reports/`);
    tui.terminal.type("\x15/get nothing\r");
    await tui.waitFor(showing(`"nothing" is not a file's id`), "the refusal");
    // The welcome carried no upload token: the server takes no files.
    tui.terminal.type(`/send ${dir}/report.txt\r`);
    await tui.waitFor(showing("this server takes no files"), "the refusal");
    assert.deepEqual(tui.session.sent, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("progressBar() shows the first transfer's name, a bar, the percentage and how many more", () => {
  const a = new Transfer("send", "a-very-long-file-name.tar.gz");
  a.done = 50;
  a.total = 100;
  assert.equal(progressBar([a]), "↑ a-very-long-fil… █████░░░░░ 50%");
  assert.equal(progressBar([a, new Transfer("get", "b")]), "↑ a-very-long-fil… █████░░░░░ 50% +1");
  assert.equal(progressBar([]), undefined);
});

Deno.test("runTui() shows a hostile server's refusal of a /get cleaned, nothing a terminal acts on or hides", async () => {
  // A raw HTTP server on 127.0.0.1 that refuses with escapes, a bidi override and zero-width characters.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const body = JSON.stringify({
    error: "forbidden",
    message: "go away\x1b]0;PWNED\x07\x1b[31mRED\x1b[0m\u202eevil\u200b\u2066\x9b2J now",
  });
  const answering = (async () => {
    for await (const conn of listener) {
      await conn.read(new Uint8Array(65536));
      await conn.write(new TextEncoder().encode(
        `HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${new TextEncoder().encode(body).length}\r\n\r\n${body}`,
      )).catch(() => {});
      conn.close();
    }
  })().catch(() => {});
  const dir = await Deno.makeTempDir({ prefix: "lanchat_tui_hostile_" });
  try {
    const files = new FileCommands({
      server: { address: { host: "127.0.0.1", port: listener.addr.port } },
    });
    await using tui = await startTui({ files, columns: 120 });
    tui.session.emit({
      type: "msg",
      room: "#lobby",
      id: 9,
      ts: Date.now(),
      from: "bob",
      text: "[file] a.bin",
      kind: "say",
      file: {
        id: ID,
        name: "a.bin",
        size: 20,
        type: "application/octet-stream",
        url: `http://127.0.0.1:${listener.addr.port}/f/${ID}/a.bin`,
      },
    });
    await tui.waitFor(showing(ID), "the /get line");
    tui.terminal.type(`/get ${ID} ${dir}\r`);
    await tui.waitFor(
      showing("fetching a.bin failed: the server refused it (go awayREDevil now)"),
      "the refusal",
    );
    const written = tui.terminal.writes.join("");
    assert.ok(!/PWNED|\u202e|\u200b|\u2066|\x9b|\x07/.test(written), JSON.stringify(written));
  } finally {
    listener.close();
    await answering;
    await Deno.remove(dir, { recursive: true });
  }
});
