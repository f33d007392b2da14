import assert from "node:assert/strict";
import { expandHome, FileCommands, Transfer, withFileHelp } from "./file_commands.ts";

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
    // An answer at once, not a transfer: no "sending big.bin…" line goes before the refusal.
    const started = files.start(`/send ${dir}/big.bin`, { room: "#lobby" });
    assert.ok(!(started instanceof Transfer));
    assert.deepEqual(started, {
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

Deno.test("withFileHelp() gives the whole /help the client's file rows, in place of a server's hints", () => {
  const row = (name: string) => ({ name, usage: `/${name}`, help: name });
  const help = {
    type: "help" as const,
    commands: [row("help"), row("join"), row("send"), row("get")],
  };
  const shown = withFileHelp(help);
  assert.ok(shown.type === "help");
  assert.deepEqual(shown.commands.map((c) => c.name), ["help", "join", "send", "get", "cancel"]);
  assert.equal(shown.commands[2].usage, "/send [--to <nick>] <path>");
  assert.deepEqual(withFileHelp(shown), shown);
  // `/help rmfile` is one row: nothing added.
  const one = { type: "help" as const, commands: [row("rmfile")] };
  assert.deepEqual(withFileHelp(one), one);
});

Deno.test("withFileHelp() answers /help cancel, which the server does not know, with its row", () => {
  const refused = (name: string) => ({
    type: "error" as const,
    code: "unknown_command" as const,
    message: `Unknown command "${name}"`,
  });
  for (const name of ["cancel", "/send", "GET"]) {
    const shown = withFileHelp(refused(name));
    assert.ok(shown.type === "help", name);
    assert.deepEqual(shown.commands.map((c) => c.name), [name.replace("/", "").toLowerCase()]);
  }
  assert.deepEqual(withFileHelp(refused("dance")), refused("dance"));
  // The refusal of a server with "No command ... to explain" (the older one's above).
  const explained = (name: string) => ({
    ...refused(name),
    message: `No command "/${name}" to explain; type /help alone for the list of commands`,
  });
  for (const name of ["cancel", "send", "GET"]) {
    const shown = withFileHelp(explained(name));
    assert.ok(shown.type === "help", name);
    assert.deepEqual(shown.commands.map((c) => c.name), [name.toLowerCase()]);
  }
  assert.deepEqual(withFileHelp(explained("dance")), explained("dance"));
  // The hub's refusal of a typed `/cancel` is not /help's: left alone.
  const typed = {
    ...refused("/cancel"),
    message: 'Unknown command "/cancel"; type /help for a list',
  };
  assert.deepEqual(withFileHelp(typed), typed);
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

Deno.test("expandHome() reads a leading ~ or ~/ as the home directory, and nothing else", () => {
  assert.equal(expandHome("~/slides.pdf", "/home/ana"), "/home/ana/slides.pdf");
  assert.equal(expandHome("~", "/home/ana/"), "/home/ana");
  assert.equal(expandHome("~/", "/home/ana"), "/home/ana/");
  assert.equal(expandHome("~\\a.txt", "C:\\Users\\ana"), "C:\\Users\\ana\\a.txt");
  assert.equal(expandHome("~bob/a.txt", "/home/ana"), "~bob/a.txt");
  assert.equal(expandHome("a/~/b", "/home/ana"), "a/~/b");
  assert.equal(expandHome("~/a", ""), "~/a");
});

Deno.test("FileCommands /send ~/path reads the file in the home directory", () => {
  const home = Deno.makeTempDirSync({ prefix: "lanchat_home_" });
  const before = Deno.env.get("HOME");
  try {
    Deno.env.set("HOME", home);
    Deno.writeFileSync(`${home}/big.bin`, new Uint8Array(2048));
    const files = new FileCommands({ server: { address: { host: "127.0.0.1", port: 9 } } });
    files.observe(
      {
        type: "welcome",
        nick: "ana",
        room: "#lobby",
        history: [],
        files: { token: "t".repeat(16), maxFileBytes: 1024 },
      } as unknown as Parameters<FileCommands["observe"]>[0],
    );
    // Found (so refused for its size, at once), not "cannot read ~/big.bin".
    const started = files.start("/send ~/big.bin", { room: "#lobby" });
    assert.ok(!(started instanceof Transfer));
    assert.match(started.message, /too large for this server \(2\.0 KiB\)/);
    const missing = files.start("/send ~/none.bin", { room: "#lobby" });
    assert.ok(!(missing instanceof Transfer));
    assert.equal(
      missing.message,
      `sending none.bin failed: cannot read ${home}/none.bin: no such file or directory`,
    );
  } finally {
    if (before === undefined) Deno.env.delete("HOME");
    else Deno.env.set("HOME", before);
    Deno.removeSync(home, { recursive: true });
  }
});

Deno.test("Transfer: an upload all written stays at 99 % and says it waits for the server", () => {
  const transfer = new Transfer("send", "two.bin");
  transfer.sized = true;
  transfer.total = 2_400_000;
  transfer.done = 1_200_000;
  assert.equal(transfer.fraction(), 0.5);
  transfer.done = 2_400_000;
  assert.equal(transfer.fraction(), 0.99);
  assert.equal(
    transfer.progressText(),
    "sending two.bin 99% (2.3 MiB written, waiting for the server)",
  );
  const fetched = new Transfer("get", "two.bin");
  fetched.sized = true;
  fetched.total = fetched.done = 10;
  assert.equal(fetched.fraction(), 1);
  const queued = new Transfer("send", "n3.txt");
  queued.waiting = true;
  assert.equal(queued.progressText(), "sending n3.txt (waiting for its turn)");
});
