/**
 * What the README promises, checked against the real programs, so the
 * README cannot drift from them unnoticed.
 */

import assert from "node:assert/strict";
import { ROOT, runServer } from "./_entry_process.ts";
import { NativeClient, testKey } from "./_native_client.ts";
import { NetNamespace } from "./_net_namespace.ts";
import { within } from "./_waiting.ts";
import { TmuxSession } from "./tmux.ts";

Deno.test("README: /ban shuts out everyone behind the address; /unban of the address lets the others back and keeps the key out; --key-only bans the key alone", async () => {
  const opKey = await testKey();
  const bobKey = await testKey();
  const carolKey = await testKey();
  // Every test client comes from 127.0.0.1: one shared address, like a NAT.
  const { server, port } = await runServer(["--op", opKey.fingerprint]);
  await using _server = server;
  await using mod = await NativeClient.connect(port, "mod", { key: opKey });
  await using bob = await NativeClient.connect(port, "bob", { key: bobKey });
  await using carol = await NativeClient.connect(port, "carol", { key: carolKey });
  await mod.send({ type: "cmd", name: "ban", args: "bob spamming" });
  await mod.next(
    "notice",
    (e) =>
      e.message ===
        `Banned bob: key ${bobKey.fingerprint} and IP 127.0.0.1; that also disconnected 1 other: carol`,
  );
  assert.equal((await bob.next("bye")).code, "banned");
  // carol did nothing, but shares bob's address.
  assert.deepEqual(await carol.next("bye"), {
    type: "bye",
    reason: "kicked",
    code: "banned",
    message: "You were banned by mod: spamming",
  });
  await using carolAgain = await NativeClient.connect(port);
  await carolAgain.hello("carol", { key: carolKey });
  assert.equal((await carolAgain.next("error")).code, "banned");

  // The README's advice: lift the address part at once.
  await mod.send({ type: "cmd", name: "unban", args: "127.0.0.1" });
  await mod.next("notice", (e) => e.message === "Unbanned IP 127.0.0.1");
  await using carolBack = await NativeClient.connect(port, "carol", { key: carolKey });
  await using _keyless = await NativeClient.connect(port, "dave");
  await using bobAgain = await NativeClient.connect(port);
  await bobAgain.hello("bob", { key: bobKey });
  assert.deepEqual(await bobAgain.next("error"), {
    type: "error",
    code: "banned",
    message: "You are banned from this server: spamming",
  });

  // The README's way to ban one person on a shared address: --key-only.
  const erinKey = await testKey();
  await using erin = await NativeClient.connect(port, "erin", { key: erinKey });
  await mod.send({ type: "input", line: "/ban erin --key-only flooding" });
  await mod.next("notice", (e) => e.message === `Banned erin: key ${erinKey.fingerprint}`);
  assert.equal((await erin.next("bye")).message, "You were banned by mod: flooding");
  // carol, on the same address, is still connected and another newcomer gets in.
  await carolBack.send({ type: "ping", token: "still here" });
  await carolBack.next("pong", (e) => e.token === "still here");
  assert.deepEqual(carolBack.events.filter((e) => e.type === "bye"), []);
  await using _erinsNeighbour = await NativeClient.connect(port, "frank");
});

/** A flag as `--help` or a README table lists it. */
interface ListedFlag {
  /** What follows the flag: `<n>`, `<file>`, or "" for a switch. */
  placeholder: string;
  /** The default as written (`--help`: the X of "(default X)"; README: the cell), or "". */
  default: string;
  /** README only: the default cell is a value in backticks (`7777`), not words ("none"). */
  value?: boolean;
}

/**
 * The flags of a `--help` text: every line that starts with two spaces and
 * a dash names one or more flags; the lines indented further below it carry
 * on its description, where "(default X)" states the default.
 */
function helpFlags(help: string): Map<string, ListedFlag> {
  const flags = new Map<string, ListedFlag>();
  let entry: { names: [string, string][]; text: string } | undefined;
  const finish = () => {
    if (!entry) return;
    // "(default 7777)", "(default: keep)", '(default "lanchat")', "(default 50, 0 to 1000)".
    const stated = /\(default:? ("?)([^",;:)]+)\1/.exec(entry.text)?.[2]?.trim() ?? "";
    for (const [name, placeholder] of entry.names) {
      flags.set(name, { placeholder, default: stated });
    }
    entry = undefined;
  };
  for (const line of help.split("\n")) {
    const start = /^ {2}(-.*?)(?: {2,}(.*))?$/.exec(line);
    if (start) {
      finish();
      const names = [...start[1].matchAll(/(--[a-z][a-z-]*)(?: (<[^>]+>))?/g)]
        .map((m): [string, string] => [m[1], m[2] ?? ""]);
      entry = { names, text: start[2] ?? "" };
    } else if (entry && /^ {4,}\S/.test(line)) {
      entry.text += ` ${line.trim()}`;
    } else {
      finish();
    }
  }
  finish();
  return flags;
}

/** The flags of the README tables in `section` (markdown), by their first column. */
function readmeFlags(section: string): Map<string, ListedFlag> {
  const flags = new Map<string, ListedFlag>();
  for (const line of section.split("\n")) {
    if (!line.startsWith("| `-")) continue;
    const [flagCell, defaultCell] = line.split(/(?<!\\)\|/).slice(1).map((cell) => cell.trim());
    for (const [, text] of flagCell.matchAll(/`(--[^`]+)`/g)) {
      const [, name, placeholder] = /^(--[a-z][a-z-]*)(?: (<[^>]+>))?$/.exec(text) ?? [];
      assert.ok(name, `README flag cell "${flagCell}"`);
      flags.set(name, {
        placeholder: placeholder ?? "",
        default: defaultCell.replace(/^`"?|"?`$/g, ""),
        value: /^`[^`]*`$/.test(defaultCell),
      });
    }
  }
  return flags;
}

/** What does not match between a program's `--help` and its README tables, in words. */
function mismatches(
  program: string,
  help: Map<string, ListedFlag>,
  readme: Map<string, ListedFlag>,
): string[] {
  const problems: string[] = [];
  for (const [name, listed] of help) {
    const row = readme.get(name);
    if (!row) {
      problems.push(`${program} --help lists ${name}; the README table does not`);
      continue;
    }
    if (row.placeholder !== listed.placeholder) {
      problems.push(
        `${program} ${name}: --help writes "${listed.placeholder}", the README "${row.placeholder}"`,
      );
    }
    // A default in backticks in the README is a value; --help must state the same one.
    if (listed.default !== "" ? row.default !== listed.default : row.value) {
      problems.push(
        `${program} ${name}: default "${
          listed.default || "(none stated)"
        }" in --help, "${row.default}" in the README`,
      );
    }
  }
  for (const name of readme.keys()) {
    if (!help.has(name)) problems.push(`the README lists ${program} ${name}; --help does not`);
  }
  return problems;
}

async function helpOf(args: string[]): Promise<string> {
  const entry = args[0] === "client" ? "client" : "server";
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-q", `-P=${entry}`, `${entry}.ts`, ...args.slice(1), "--help"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  return new TextDecoder().decode(output.stdout);
}

/** The part of the README from the line `start` to the next `## ` heading. */
function readmeSection(readme: string, start: string): string {
  const from = readme.indexOf(start);
  assert.ok(from >= 0, `the README has no "${start}"`);
  const end = readme.indexOf("\n## ", from + start.length);
  return readme.slice(from, end < 0 ? undefined : end);
}

Deno.test("README: the flag tables list exactly the flags of each program's --help, with the same defaults", async () => {
  const readme = Deno.readTextFileSync(`${ROOT}README.md`);
  const flagsSection = readmeSection(readme, "## Flags");
  const [serverTables, clientTables] = flagsSection.split("\n`chat-client`:\n");
  assert.ok(clientTables, 'the Flags section has no "`chat-client`:" table');
  const exportTable = readmeSection(readme, "`chat-server export` flags");
  const problems = [
    ...mismatches(
      "chat-server",
      helpFlags(await helpOf(["server"])),
      readmeFlags(serverTables),
    ),
    ...mismatches(
      "chat-server export",
      helpFlags(await helpOf(["server", "export"])),
      readmeFlags(exportTable),
    ),
    ...mismatches(
      "chat-client",
      helpFlags(await helpOf(["client"])),
      readmeFlags(clientTables),
    ),
  ];
  assert.deepEqual(problems, []);
});

Deno.test("README flag check: it sees a flag missing on either side, another placeholder and another default", () => {
  const help = helpFlags(
    [
      "Flags:",
      "  --port <n>         the port (default 7777)",
      "  --cert <file> --key <file>",
      "                     TLS files; by default its own",
      "  --nick <nick>      your nick (default: your user name)",
      "  --quiet            say less",
      "  -h, --help         show this help",
    ].join("\n"),
  );
  assert.deepEqual(Object.fromEntries(help), {
    "--port": { placeholder: "<n>", default: "7777" },
    "--cert": { placeholder: "<file>", default: "" },
    "--key": { placeholder: "<file>", default: "" },
    "--nick": { placeholder: "<nick>", default: "your user name" },
    "--quiet": { placeholder: "", default: "" },
    "--help": { placeholder: "", default: "" },
  });
  const table = [
    "| flag | default | meaning |",
    "| --- | --- | --- |",
    "| `--port <s>` | `7000` | the port |",
    "| `--cert <file>` | own | TLS |",
    "| `--key <file>` | `key.pem` | TLS |",
    "| `--nick <nick>` | your user name | nick |",
    "| `--loud` | | say more |",
    "| `-h`, `--help` | | help |",
  ].join("\n");
  assert.deepEqual(mismatches("p", help, readmeFlags(table)), [
    'p --port: --help writes "<n>", the README "<s>"',
    'p --port: default "7777" in --help, "7000" in the README',
    'p --key: default "(none stated)" in --help, "key.pem" in the README',
    "p --help lists --quiet; the README table does not",
    "the README lists p --loud; --help does not",
  ]);
});

/** A process whose output (stdout, and stderr when merged by the shell) is kept as one text. */
class Transcript implements AsyncDisposable {
  text = "";
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #reading: Promise<void>;
  #wake: (() => void)[] = [];

  constructor(command: string, args: string[], env: Record<string, string> = {}) {
    const child = new Deno.Command(command, {
      args,
      cwd: ROOT,
      env: { NO_COLOR: "1", ...env },
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    this.#child = child;
    this.#writer = child.stdin.getWriter();
    this.#reading = (async () => {
      for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
        this.text += chunk.replaceAll("\r\n", "\n");
        for (const wake of this.#wake.splice(0)) wake();
      }
    })();
  }

  /** Waits until the text satisfies `done`. */
  async until(done: (text: string) => boolean, what: string): Promise<void> {
    await within(
      15_000,
      (async () => {
        while (!done(this.text)) await new Promise<void>((resolve) => this.#wake.push(resolve));
      })(),
      `${what}; the output so far:\n${this.text}`,
    );
  }

  /** Types a line, which the terminal would echo where it was typed. */
  async type(line: string): Promise<void> {
    this.text += `${line}\n`;
    await this.#writer.write(new TextEncoder().encode(`${line}\n`));
  }

  signal(signal: Deno.Signal): void {
    try {
      this.#child.kill(signal);
    } catch {
      // Gone already.
    }
  }

  async finished(): Promise<Deno.CommandStatus> {
    const status = await within(15_000, this.#child.status, "the process to exit");
    await this.#reading;
    return status;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#writer.close().catch(() => {});
    this.signal("SIGKILL");
    await this.#child.status;
    await this.#reading;
  }
}

/**
 * `deno task start ...` with its stderr (deno's task line, the server's log)
 * merged into stdout, inside `netns`: it listens on every interface, as the
 * README shows, and the namespace has only its loopback.
 */
function startTask(args: string[], dataHome: string, netns: NetNamespace): Transcript {
  const [command, wrapped] = netns.wrap("sh", [
    "-c",
    `exec '${Deno.execPath()}' task start "$@" 2>&1`,
    "sh",
    ...args,
  ]);
  return new Transcript(command, wrapped, { XDG_DATA_HOME: dataHome });
}

/** The code block that follows `marker` in the README, as lines. */
function sampleAfter(readme: string, marker: string): string[] {
  const at = readme.indexOf(marker);
  assert.ok(at >= 0, `the README has no "${marker}"`);
  const open = readme.indexOf("\n```\n", at);
  const close = readme.indexOf("\n```\n", open + 5);
  return readme.slice(open + 5, close).split("\n");
}

/** Turns what varies from run to run into the README's spelling, line by line. */
function likeReadme(
  lines: string[],
  real: { fingerprint: string; port: number; dataDir: string },
  readmeFingerprint: string,
): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const normal = line
      .replaceAll(real.fingerprint, readmeFingerprint)
      .replaceAll(real.dataDir, "/home/ana/.local/share/lanchat")
      .replace(/ '--port' '0'$/, "")
      .replace(/\bport=\d+\b/, "port=7777")
      // Every address of this machine but loopback stands for the README's LAN address.
      .replace(/^listening on (?!127\.)[\d.]+:\d+$/, "listening on 192.168.1.20:7777")
      .replace(/^listening on \[(?!::1\])[\da-f:]+\]:\d+$/, "listening on [2001:db8::20]:7777")
      .replace(/^listening on 127\.0\.0\.1:\d+$/, "listening on 127.0.0.1:7777")
      .replace(/^listening on \[::1\]:\d+$/, "listening on [::1]:7777");
    if (out.at(-1) !== normal || !normal.startsWith("listening on ")) out.push(normal);
  }
  return out.map(timeless);
}

/**
 * The README's sample, less the LAN address lines of a kind (IPv4, IPv6)
 * this machine does not have (with loopback only, the server lists
 * 127.0.0.1 and [::1] alone).
 */
function forThisMachine(sample: string[], real: string[]): string[] {
  const lan4 = (line: string) => /^listening on (?!127\.)\d/.test(line);
  const lan6 = (line: string) => /^listening on \[(?!::1\])/.test(line);
  const loop6 = (line: string) => line.startsWith("listening on [::1]");
  return sample.filter((line) =>
    !(lan4(line) && !real.some(lan4)) && !(lan6(line) && !real.some(lan6)) &&
    !(loop6(line) && !real.some(loop6))
  );
}

/** Log timestamps and chat times differ on every run. */
function timeless(line: string): string {
  return line.replace(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /, "<timestamp> ")
    .replace(/\[\d\d:\d\d\]/g, "[hh:mm]");
}

Deno.test("README: the start output and the example session are what the programs print", async () => {
  const readme = Deno.readTextFileSync(`${ROOT}README.md`);
  const dataHome = Deno.makeTempDirSync({ prefix: "lanchat-readme-" });
  const dataDir = `${dataHome}/lanchat`;
  const startSample = sampleAfter(readme, "It prints its certificate's fingerprint");
  const readmeFingerprint = /SHA256:[A-Za-z0-9+/]{43}/.exec(startSample.join("\n"))![0];

  // "Start a server": the first start, on a machine where the data directory is new.
  await using netns = await NetNamespace.create();
  let fingerprint: string;
  {
    await using first = startTask(["--port", "0"], dataHome, netns);
    await first.until((text) => /^listening on 127\.0\.0\.1:\d+$/m.test(text), "listening");
    first.signal("SIGINT");
    assert.equal((await first.finished()).code, 0);
    const lines = first.text.split("\n");
    const started = lines.slice(0, lines.findIndex((line) => line.includes("event=shutdown")));
    fingerprint = /TLS fingerprint (\S+)/.exec(first.text)![1];
    const port = Number(/^listening on 127\.0\.0\.1:(\d+)$/m.exec(first.text)![1]);
    const real = likeReadme(started, { fingerprint, port, dataDir }, readmeFingerprint);
    assert.deepEqual(real, forThisMachine(startSample, real).map(timeless));
  }

  // "Example session": the server again, bob with ncat, then ana's script.
  const session = sampleAfter(readme, "## Example session").join("\n").split("\n\n$ ");
  const [serverPart, bobPart, anaPart] = session.map((part) =>
    part.replace(/^\$ /, "").split("\n")
  );
  assert.equal(serverPart[0], 'deno task start --name office --motd "standup at 10"');
  assert.match(bobPart[0], /^ncat --ssl 192\.168\.1\.20 7777 +# bob/);
  assert.equal(anaPart[0], "printf 'hi bob\\n/join #dev\\n/msg bob PR is up\\n' |");
  assert.equal(
    anaPart[1],
    `    chat-client --host 192.168.1.20 --nick ana --fingerprint ${readmeFingerprint}`,
  );

  await using server = startTask(
    ["--name", "office", "--motd", "standup at 10", "--port", "0"],
    dataHome,
    netns,
  );
  await server.until((text) => /^listening on 127\.0\.0\.1:\d+$/m.test(text), "listening");
  const port = Number(/^listening on 127\.0\.0\.1:(\d+)$/m.exec(server.text)![1]);
  const started = server.text.split("\n").filter((line) => line !== "");
  const real = likeReadme(started, { fingerprint, port, dataDir }, readmeFingerprint);
  assert.deepEqual(real, forThisMachine(serverPart.slice(1), real).map(timeless));

  await using bob = new Transcript(...netns.wrap("ncat", ["--ssl", "127.0.0.1", String(port)]));
  await bob.until((text) => text.endsWith("Nick? "), "the nick prompt");
  await bob.type("bob");
  await bob.until((text) => text.includes("Type /help for the commands.\n"), "the welcome");
  await bob.type("coffee's ready");
  // In the history (which ana is shown) before ana comes: what the export reads.
  await within(
    15_000,
    (async () => {
      while (true) {
        const exported = await new Deno.Command(Deno.execPath(), {
          args: ["run", "-q", "-P=server", "server.ts", "export", "--room", "#lobby"],
          cwd: ROOT,
          env: { XDG_DATA_HOME: dataHome },
          stdout: "piped",
          stderr: "null",
        }).output();
        if (new TextDecoder().decode(exported.stdout).includes("coffee's ready")) return;
      }
    })(),
    "bob's message in the history",
  );

  const [anaCommand, anaArgs] = netns.wrap(Deno.execPath(), [
    "run",
    "-q",
    "-P=client",
    "client.ts",
    ...["--host", "127.0.0.1", "--port", String(port), "--nick", "ana"],
    ...["--fingerprint", fingerprint],
    ...["--config-dir", Deno.makeTempDirSync({ prefix: "lanchat-readme-ana-" })],
  ]);
  const ana = new Deno.Command(anaCommand, {
    args: anaArgs,
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const input = ana.stdin.getWriter();
  await input.write(new TextEncoder().encode("hi bob\n/join #dev\n/msg bob PR is up\n"));
  await input.close();
  const anaOutput = await ana.output();
  assert.equal(anaOutput.code, 0, new TextDecoder().decode(anaOutput.stderr));
  assert.equal(new TextDecoder().decode(anaOutput.stderr), "");
  assert.deepEqual(
    new TextDecoder().decode(anaOutput.stdout).trimEnd().split("\n").map(timeless),
    anaPart.slice(2).map(timeless),
  );

  await bob.until((text) => text.includes("<- ana quit\n"), "ana's leaving");
  assert.deepEqual(bob.text.trimEnd().split("\n").map(timeless), bobPart.slice(1).map(timeless));
  server.signal("SIGINT");
  assert.equal((await server.finished()).code, 0);
});

Deno.test("README: the question chat-client asks on a terminal about a new server is the one shown", async () => {
  const readme = Deno.readTextFileSync(`${ROOT}README.md`);
  const sample = sampleAfter(readme, "The first time, the client shows the server's certificate");
  const readmeFingerprint = /SHA256:[A-Za-z0-9+/]{43}/.exec(sample.join("\n"))![0];
  const dir = Deno.makeTempDirSync({ prefix: "lanchat-readme-" });
  const { server, port } = await runServer(["--data-dir", dir], { tls: true });
  await using _server = server;
  const fingerprint = server.stdout.find((line) => line.startsWith("TLS fingerprint "))!
    .slice("TLS fingerprint ".length);
  await using terminal = await TmuxSession.start(
    `cd '${ROOT}' && '${Deno.execPath()}' run -q -P=client client.ts --host 127.0.0.1 --port ${port} --nick ana --config-dir '${dir}/client'; sleep 600`,
    100,
    12,
  );
  const rows = await terminal.waitFor((rows) => rows.some((row) => row.startsWith("Trust it")));
  assert.deepEqual(
    rows.filter((row) => row !== "").map((row) =>
      row.replaceAll(`127.0.0.1:${port}`, "192.168.1.20:7777")
        .replaceAll(fingerprint, readmeFingerprint)
    ),
    sample,
  );
  await terminal.type("no");
  await terminal.press("Enter");
  await terminal.waitFor((rows) =>
    rows.some((row) => row.includes("not trusted; nothing was sent"))
  );
});
