/**
 * What the README shows the programs print (the server's start, the example
 * session, the question about a new server), checked against the real
 * programs.
 */

import { hexFingerprint } from "../lib/protocol/fingerprint.ts";
import assert from "node:assert/strict";
import { ROOT, runServer } from "./_entry_process.ts";
import { type NetNamespace, NetPair } from "./_net_namespace.ts";
import { within } from "./_waiting.ts";
import { TmuxSession } from "./_tmux.ts";

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
    // SIGTERM first: `deno task` passes it on to the server it started, where
    // a SIGKILL would leave that server running, holding the output pipe open
    // (and the test, after a failed assertion, waiting for ever).
    this.signal("SIGTERM");
    const exited = await Promise.race([
      this.#child.status.then(() => true),
      new Promise<false>((resolve) => {
        const timer = setTimeout(() => resolve(false), 5000);
        this.#child.status.finally(() => clearTimeout(timer));
      }),
    ]);
    if (!exited) this.signal("SIGKILL");
    await this.#child.status;
    await this.#reading;
  }
}

/**
 * `deno task start ...` with its stderr (deno's task line, the server's log)
 * merged into stdout, inside `netns`: it listens on every interface, as the
 * README shows, and the namespace has its loopback and one LAN address.
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
      .replaceAll(hexFingerprint(real.fingerprint), hexFingerprint(readmeFingerprint))
      .replaceAll(bareHex(real.fingerprint), bareHex(readmeFingerprint))
      .replaceAll(real.dataDir, "/home/ana/.local/share/lanchat")
      .replace(/ '--port' '0'$/, "")
      .replace(/\bport=\d+\b/, "port=7777")
      // The LAN interfaces it announces on, whichever this machine has.
      .replace(/( event=announce .*) on=\S+/, "$1 on=eth0")
      // Every address of this machine but loopback stands for the README's LAN address.
      .replace(/^listening on (?!127\.)[\d.]+:\d+$/, "listening on 192.168.1.20:7777")
      .replace(/^listening on \[(?!::1\])[\da-f:]+\]:\d+$/, "listening on [2001:db8::20]:7777")
      .replace(/^listening on 127\.0\.0\.1:\d+$/, "listening on 127.0.0.1:7777")
      .replace(/^listening on \[::1\]:\d+$/, "listening on [::1]:7777")
      // The first address others can use, whichever this machine has.
      .replace(
        /^open (https?):\/\/\S+:\d+\/ in a browser$/,
        "open $1://192.168.1.20:7777/ in a browser",
      );
    if (out.at(-1) !== normal || !normal.startsWith("listening on ")) out.push(normal);
  }
  return out.map(timeless);
}

/**
 * The README's sample, less the LAN address lines of a kind (IPv4, IPv6)
 * this machine does not have (with loopback only, the server lists
 * 127.0.0.1 and [::1] alone), and less the announce line where there is
 * no LAN to announce on.
 */
function forThisMachine(sample: string[], real: string[]): string[] {
  const lan4 = (line: string) => /^listening on (?!127\.)\d/.test(line);
  const lan6 = (line: string) => /^listening on \[(?!::1\])/.test(line);
  const loop6 = (line: string) => line.startsWith("listening on [::1]");
  // A machine with no LAN interface (the test's namespace) announces nothing.
  const announce = (line: string) => / event=announce /.test(line);
  return sample.filter((line) =>
    !(announce(line) && !real.some(announce)) &&
    !(lan4(line) && !real.some(lan4)) && !(lan6(line) && !real.some(lan6)) &&
    !(loop6(line) && !real.some(loop6))
  );
}

/** The fingerprint as the `in weechat:` line spells it. */
function bareHex(fingerprint: string): string {
  return hexFingerprint(fingerprint).replaceAll(":", "").toLowerCase();
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
  // A LAN of the test's own: the server announces itself there, as on a real one.
  await using lan = await NetPair.create();
  const netns = lan.a.netns;
  let fingerprint: string;
  {
    await using first = startTask(["--port", "0"], dataHome, netns);
    await first.until(
      (text) => /^open https?:\/\/\S+ in a browser$/m.test(text),
      "the last start line",
    );
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
  await server.until(
    (text) => /^open https?:\/\/\S+ in a browser$/m.test(text),
    "the last start line",
  );
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
