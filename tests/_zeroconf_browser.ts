/**
 * Debian's python3-zeroconf as a foreign DNS-SD browser, run inside a test's
 * network namespace (tests/_zeroconf_browse.py prints what it sees).
 *
 * @module
 */

import type { NetNamespace } from "./_net_namespace.ts";
import { within } from "./_waiting.ts";

/** One change the browser saw. */
export interface BrowseEvent {
  event: "browsing" | "added" | "removed" | "unresolved";
  name?: string;
  addresses?: string[];
  port?: number;
  txt?: Record<string, string | null>;
  /** `performance.now()` when the line arrived. */
  at: number;
}

/** `/usr/bin/python3 tests/_zeroconf_browse.py` browsing `type` from `address` in `netns`. */
export class ZeroconfBrowser implements AsyncDisposable {
  /** What it saw so far. */
  readonly events: BrowseEvent[] = [];
  readonly #child: Deno.ChildProcess;
  readonly #pump: Promise<void>;
  #wake: (() => void)[] = [];
  #stderr = "";

  /** Starts browsing; {@linkcode ZeroconfBrowser.ready} waits until it does. */
  constructor(netns: NetNamespace, address: string, type: string) {
    const script = new URL("./_zeroconf_browse.py", import.meta.url).pathname;
    const [command, args] = netns.wrap("/usr/bin/python3", [script, address, `${type}.local.`]);
    this.#child = new Deno.Command(command, { args, stdout: "piped", stderr: "piped" }).spawn();
    this.#pump = this.#read();
  }

  /** Waits for the browser to run (python3-zeroconf missing fails here, saying so). */
  async ready(): Promise<void> {
    await this.waitFor((event) => event.event === "browsing", 15_000);
  }

  /** Waits for an event that matches. */
  waitFor(match: (event: BrowseEvent) => boolean, ms = 20_000): Promise<BrowseEvent> {
    return within(
      ms,
      (async () => {
        while (true) {
          const found = this.events.find(match);
          if (found) return found;
          await new Promise<void>((resolve) => this.#wake.push(resolve));
        }
      })(),
      `a python3-zeroconf event; saw ${JSON.stringify(this.events)}; stderr: ${this.#stderr}`,
    );
  }

  async #read(): Promise<void> {
    const stderr = (async () => {
      for await (const chunk of this.#child.stderr.pipeThrough(new TextDecoderStream())) {
        this.#stderr += chunk;
      }
    })();
    let partial = "";
    for await (const chunk of this.#child.stdout.pipeThrough(new TextDecoderStream())) {
      partial += chunk;
      const lines = partial.split("\n");
      partial = lines.pop()!;
      for (const line of lines) {
        this.events.push({ ...JSON.parse(line), at: performance.now() });
      }
      const wake = this.#wake;
      this.#wake = [];
      for (const resolve of wake) resolve();
    }
    await stderr;
  }

  /** Stops the browser and waits for it to exit. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#child.kill("SIGTERM");
    } catch {
      // Already exited.
    }
    await this.#child.status;
    await this.#pump;
  }
}
