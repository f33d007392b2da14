import assert from "node:assert/strict";
import { FileCommands, Transfer, withFileHelp } from "./file_commands.ts";

Deno.test("FileCommands refuses at once a /send over the welcome's limit, without connecting", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let connections = 0;
  const accepting = (async () => {
    for await (const conn of listener) {
      connections++;
      conn.close();
    }
  })().catch(() => {});
  const dir = await Deno.makeTempDir({ prefix: "lanchat_send_limit_" });
  try {
    await Deno.writeFile(`${dir}/big.bin`, new Uint8Array(2048));
    const files = new FileCommands({
      server: { address: { host: "127.0.0.1", port: listener.addr.port } },
    });
    files.observe(
      {
        type: "welcome",
        nick: "ana",
        room: "#lobby",
        history: [],
        files: { token: "t".repeat(16), maxFileBytes: 1024 },
      } as unknown as Parameters<FileCommands["observe"]>[0],
    );
    const started = files.start(`/send ${dir}/big.bin`, { room: "#lobby" });
    assert.ok(started instanceof Transfer);
    assert.deepEqual(await started.outcome, {
      ok: false,
      message: "sending big.bin failed: the file is too large for this server (2.0 KiB); " +
        "the limit is 1.0 KiB",
    });
    assert.equal(connections, 0);
  } finally {
    listener.close();
    await accepting;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("withFileHelp() adds /send, /get and /cancel to /help once", () => {
  const help = {
    type: "help" as const,
    commands: [{ name: "join", usage: "/join <room>", help: "j" }],
  };
  const shown = withFileHelp(help);
  assert.deepEqual(shown.commands.map((c) => c.name), ["join", "send", "get", "cancel"]);
  assert.equal(withFileHelp(shown).commands.length, 4);
});

Deno.test("FileCommands: /cancel names what it cancels; bare /send and /get are usage errors", () => {
  const files = new FileCommands({ server: { address: { host: "127.0.0.1", port: 9 } } });
  assert.deepEqual(files.start("/cancel", undefined), {
    ok: true,
    message: "no transfer to cancel",
  });
  const running = new Transfer("get", "a.bin");
  files.running.add(running);
  assert.deepEqual(files.start("/cancel", undefined), {
    ok: true,
    message: "cancelling fetching a.bin",
  });
  assert.ok(running.controller.signal.aborted);
  for (const line of ["/send", "/get", "/send --to bob"]) {
    const answer = files.start(line, { room: "#lobby" });
    assert.ok(!(answer instanceof Transfer) && answer.usage === true, line);
  }
});

Deno.test("Transfer.progressText() says nothing of a size not known yet, and an empty file is empty", () => {
  const transfer = new Transfer("get", "a\x1b[2J\u202e.txt");
  assert.equal(transfer.name, "a.txt");
  assert.equal(transfer.progressText(), "fetching a.txt");
  transfer.sized = true;
  assert.equal(transfer.progressText(), "fetching a.txt (empty)");
  transfer.total = 12;
  assert.match(transfer.progressText(), /^fetching a\.txt 0% \(0 B of 12 B/);
});
