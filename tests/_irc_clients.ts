/**
 * Real IRC clients for the tests: which are installed, a test that needs
 * them (it fails under `CI=true` when one is missing, naming it, and is
 * skipped with a printed reason elsewhere), and weechat-headless driven
 * through its FIFO and read through its log files.
 *
 * @module
 */

import { until } from "./_waiting.ts";

/** Whether `program` is on the PATH. */
export function installed(program: string): boolean {
  try {
    return new Deno.Command("sh", { args: ["-c", `command -v ${program}`], stdout: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

/**
 * Registers `fn` as a test that needs the programs `tools`. With one of
 * them missing it fails under `CI=true` (`.ci/run` installs them all, so a
 * missing one is a broken CI, not a reason to pass), and is skipped with a
 * printed reason elsewhere.
 */
export function toolTest(
  name: string,
  tools: string[],
  fn: (t: Deno.TestContext) => Promise<void>,
): void {
  const missing = tools.filter((tool) => !installed(tool));
  if (missing.length === 0) {
    Deno.test(name, fn);
    return;
  }
  const reason = `${missing.join(", ")} not installed (.ci/run installs Debian's irssi, ` +
    `weechat-headless, ii, sic and tmux)`;
  if (Deno.env.get("CI") === "true") {
    Deno.test(name, () => {
      throw new Error(`${reason}; under CI=true this test fails rather than skip`);
    });
    return;
  }
  console.warn(`skipping "${name}": ${reason}`);
  Deno.test({ name, ignore: true, fn });
}

/** One line of a weechat log file: its time, its prefix (a nick, `-->`, ` *`...) and its text. */
export interface WeechatLine {
  prefix: string;
  text: string;
}

/** How to start weechat. */
export interface WeechatOptions {
  /** The lanchat port. */
  port: number;
  /** The nick. */
  nick: string;
  /** Connect over TLS and pin this certificate fingerprint (hex, SHA-256). */
  fingerprint?: string;
  /** A private server's password (weechat sends it as `PASS`). */
  password?: string;
}

/** The name the server gets in weechat: its buffers are `irc.server.lan`, `irc.lan.#lobby`. */
const SERVER = "lan";

/**
 * weechat-headless with a `--dir` of its own in a temporary directory:
 * commands go in through the FIFO plugin (`buffer *text`), and what it
 * shows is read back from the logger's files, flushed at once
 * (`logger.file.flush_delay 0`), one file a buffer.
 */
export class Weechat implements AsyncDisposable {
  /** Its home (`--dir`). */
  readonly dir: string;
  readonly #child: Deno.ChildProcess;

  private constructor(dir: string, child: Deno.ChildProcess) {
    this.dir = dir;
    this.#child = child;
  }

  /** Starts weechat-headless and connects it to lanchat. */
  static async start(options: WeechatOptions): Promise<Weechat> {
    const dir = await Deno.makeTempDir({ prefix: "lanchat-weechat-" });
    // Only the plugins the test uses (no script languages): a faster start.
    await Deno.writeTextFile(`${dir}/weechat.conf`, '[plugin]\nautoload = "irc,fifo,logger"\n');
    // weechat 4 renamed the server's ssl options tls; Debian 12 has 3.8.
    const version = new TextDecoder().decode(
      (await new Deno.Command("weechat-headless", { args: ["--version"] }).output()).stdout,
    );
    const tls = Number(version.split(".")[0]) >= 4 ? "tls" : "ssl";
    const commands = [
      `/set fifo.file.path ${dir}/fifo`,
      "/set logger.file.flush_delay 0",
      '/set logger.file.mask "$plugin.$name.weechatlog"',
      "/set logger.level.irc 9",
      `/server add ${SERVER} 127.0.0.1/${options.port}` + (options.fingerprint ? ` -${tls}` : ""),
      ...(options.fingerprint
        ? [`/set irc.server.${SERVER}.${tls}_fingerprint ${options.fingerprint}`]
        : []),
      `/set irc.server.${SERVER}.nicks ${options.nick}`,
      ...(options.password !== undefined
        ? [`/set irc.server.${SERVER}.password "${options.password}"`]
        : []),
      `/set irc.server.${SERVER}.autoreconnect off`,
      // weechat spaces its own lines 2 s apart by default (anti-flood): not here.
      `/set irc.server.${SERVER}.anti_flood_prio_high 0`,
      `/set irc.server.${SERVER}.anti_flood_prio_low 0`,
      `/connect ${SERVER}`,
    ];
    const child = new Deno.Command("weechat-headless", {
      args: ["--dir", dir, "--run-command", commands.join(";")],
      cwd: dir,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const weechat = new Weechat(dir, child);
    await until(() => exists(`${dir}/fifo`), 10_000);
    return weechat;
  }

  /** Types `text` (a message, or a `/command`) in `buffer` (`#lobby`, a nick, or `server`). */
  async type(buffer: string, text: string): Promise<void> {
    const name = buffer === "server" ? `irc.server.${SERVER}` : `irc.${SERVER}.${buffer}`;
    const fifo = await Deno.open(`${this.dir}/fifo`, { write: true });
    try {
      await fifo.write(new TextEncoder().encode(`${name} *${text}\n`));
    } finally {
      fifo.close();
    }
  }

  /** The lines logged so far in `buffer` (`#lobby`, a nick, or `server`). */
  log(buffer: string): WeechatLine[] {
    const name = buffer === "server" ? `server.${SERVER}` : `${SERVER}.${buffer.toLowerCase()}`;
    let text = "";
    try {
      text = Deno.readTextFileSync(`${this.dir}/logs/irc.${name}.weechatlog`);
    } catch {
      return [];
    }
    return text.split("\n").filter((line) => line).map((line) => {
      const [, prefix = "", ...rest] = line.split("\t");
      return { prefix, text: rest.join("\t") };
    });
  }

  /** Waits until `buffer`'s log has a line that matches. */
  async waitLog(
    buffer: string,
    match: (line: WeechatLine) => boolean,
    ms = 10_000,
  ): Promise<WeechatLine> {
    try {
      await until(() => this.log(buffer).some(match), ms);
    } catch (error) {
      const shown = this.log(buffer).map((l) => `${l.prefix}\t${l.text}`).join("\n");
      throw new Error(`weechat's ${buffer} log has no such line; it has:\n${shown}`, {
        cause: error,
      });
    }
    return this.log(buffer).find(match)!;
  }

  /** Stops weechat and removes its directory. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await this.#child.status;
    await Deno.remove(this.dir, { recursive: true });
  }
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
