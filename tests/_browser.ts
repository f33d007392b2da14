/**
 * Headless Chromium for the browser tests, one per test file: a
 * `BrowserHost` runs `_browser_host.ts` (playwright-core under
 * `deno run -A`; see there why a process of its own) and speaks to it
 * over its stdin and stdout. Each person is a fresh browser context (own
 * cookies, storage, IndexedDB) with one page: a `Person`.
 *
 * Functions given to `evaluate` and `waitFor` run in the page: they are
 * sent as their source text, so they may use only their argument (JSON)
 * and the page's globals, never the test's variables.
 *
 * @module
 */

import { X509Certificate } from "node:crypto";
import { ROOT } from "./_entry_process.ts";
import { within } from "./_waiting.ts";

const encoder = new TextEncoder();

/** How to start the browser. */
export interface BrowserOptions {
  /**
   * Certificates (PEM) whose keys the browser trusts over TLS, as a person
   * who compared the fingerprint and accepted the warning; any other
   * certificate error stays an error.
   */
  trust?: string[];
}

/** A context's settings, as playwright's `newContext` takes them. */
export interface PersonOptions {
  viewport?: { width: number; height: number };
  colorScheme?: "light" | "dark";
}

/** What a page did besides rendering: dialogs it opened, uncaught errors, console errors, the names of the downloads it started. */
export interface PageEvents {
  dialogs: string[];
  errors: string[];
  console: string[];
  downloads: string[];
}

/** An HTTP answer to a navigation. */
export interface Navigation {
  status: number;
  headers: Record<string, string>;
}

/** The base64 SHA-256 of a certificate's public key, as Chromium's SPKI lists name keys. */
export async function spkiHash(pem: string): Promise<string> {
  const spki = new X509Certificate(pem).publicKey.export({ type: "spki", format: "der" });
  const digest = await crypto.subtle.digest("SHA-256", new Uint8Array(spki));
  return new Uint8Array(digest).toBase64();
}

/** See the module doc. */
export class BrowserHost implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly #waiting = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();
  readonly #pumps: Promise<void>[];
  readonly #stderr: string[] = [];
  #nextId = 1;

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.#stdin = child.stdin.getWriter();
    this.#pumps = [this.#readAnswers(), this.#readStderr()];
  }

  /** Starts the browser; resolves once it answers. */
  static async launch(options: BrowserOptions = {}): Promise<BrowserHost> {
    const hashes = await Promise.all((options.trust ?? []).map(spkiHash));
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-q", "-A", "tests/_browser_host.ts", `--trust-spki=${hashes.join(",")}`],
      cwd: ROOT,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    const host = new BrowserHost(child);
    try {
      // The first answer comes once the browser runs.
      const context = await within(60_000, host.request("newContext", {}), "chromium to start");
      await host.request("closeContext", { context });
    } catch (error) {
      await host[Symbol.asyncDispose]();
      throw error;
    }
    return host;
  }

  /** A new person: a fresh browser context and a page in it. */
  async person(options: PersonOptions = {}): Promise<Person> {
    const context = await this.request("newContext", { options }) as number;
    const page = await this.request("newPage", { context }) as number;
    return new Person(this, context, page);
  }

  /** Sends one request to the host; its answer. */
  async request(op: string, args: Record<string, unknown>): Promise<unknown> {
    const id = this.#nextId++;
    const answer = new Promise((resolve, reject) => this.#waiting.set(id, { resolve, reject }));
    await this.#stdin.write(encoder.encode(JSON.stringify({ id, op, args }) + "\n"));
    return await answer;
  }

  async #readAnswers(): Promise<void> {
    let partial = "";
    for await (const chunk of this.#child.stdout.pipeThrough(new TextDecoderStream())) {
      partial += chunk;
      const lines = partial.split("\n");
      partial = lines.pop()!;
      for (const line of lines) {
        const { id, value, error } = JSON.parse(line);
        const waiter = this.#waiting.get(id);
        this.#waiting.delete(id);
        if (error !== undefined) waiter?.reject(new Error(error));
        else waiter?.resolve(value);
      }
    }
    const gone = new Error(`the browser host exited:\n${this.#stderr.join("")}`);
    for (const waiter of this.#waiting.values()) waiter.reject(gone);
    this.#waiting.clear();
  }

  async #readStderr(): Promise<void> {
    for await (const chunk of this.#child.stderr.pipeThrough(new TextDecoderStream())) {
      this.#stderr.push(chunk);
    }
  }

  /** Closes the browser and waits for the host to exit (killed if it takes over 15 s). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#stdin.write(encoder.encode(JSON.stringify({ op: "close" }) + "\n")).catch(() => {});
    await this.#stdin.close().catch(() => {});
    try {
      await within(15_000, this.#child.status, "the browser to close");
    } catch {
      this.#child.kill("SIGKILL");
      await this.#child.status;
    }
    await Promise.all(this.#pumps);
  }
}

/** One person at a browser: a context of their own and one page. See the module doc. */
export class Person implements AsyncDisposable {
  readonly #host: BrowserHost;
  readonly #context: number;
  readonly #page: number;

  constructor(host: BrowserHost, context: number, page: number) {
    this.#host = host;
    this.#context = context;
    this.#page = page;
  }

  #do(op: string, args: Record<string, unknown> = {}): Promise<unknown> {
    return this.#host.request(op, { page: this.#page, ...args });
  }

  /** Another tab of the same person (the same context: storage, keys); disposing either closes both. */
  async tab(): Promise<Person> {
    const page = await this.#host.request("newPage", { context: this.#context }) as number;
    return new Person(this.#host, this.#context, page);
  }

  /** Clicks the point (`x`, `y`) of the viewport, whatever is there. */
  async tap(x: number, y: number): Promise<void> {
    await this.#do("tap", { x, y });
  }

  /** Opens `url`; the answer's status and headers. */
  async goto(url: string): Promise<Navigation> {
    return await this.#do("goto", { url }) as Navigation;
  }

  /** Opens `url` past the browser's certificate warning, as a person who clicked Advanced, Proceed. */
  async passWarning(url: string): Promise<void> {
    await this.#do("passWarning", { url });
  }

  /** Picks `files` in the file input `selector` names, as the browser's file dialog would. */
  async setInputFiles(
    selector: string,
    files: { name: string; mimeType: string; bytes: Uint8Array }[],
  ): Promise<void> {
    await this.#do("setInputFiles", {
      selector,
      files: files.map(({ name, mimeType, bytes }) => ({
        name,
        mimeType,
        base64: bytes.toBase64(),
      })),
    });
  }

  /**
   * Clicks `selector` and follows the download it starts (within `ms`): the
   * name it is saved as, and its bytes or the browser's reason it failed.
   */
  async download(
    selector: string,
    ms = 20_000,
  ): Promise<{ name: string; bytes?: Uint8Array; failure?: string }> {
    const got = await this.#do("download", { selector, ms }) as {
      name: string;
      base64?: string;
      failure?: string;
    };
    return {
      name: got.name,
      ...(got.base64 !== undefined ? { bytes: Uint8Array.fromBase64(got.base64) } : {}),
      ...(got.failure !== undefined ? { failure: got.failure } : {}),
    };
  }

  /** Reloads the page (the context's storage stays). */
  async reload(): Promise<Navigation> {
    return await this.#do("reload") as Navigation;
  }

  /** Types `text` into the field `selector` names (its old text replaced). */
  async fill(selector: string, text: string): Promise<void> {
    await this.#do("fill", { selector, text });
  }

  /** Presses `key` (`Enter`, `Shift+Enter`) in the element `selector` names. */
  async press(selector: string, key: string): Promise<void> {
    await this.#do("press", { selector, key });
  }

  /** Clicks the element `selector` names. */
  async click(selector: string): Promise<void> {
    await this.#do("click", { selector });
  }

  /** Types `text` where the focus is. */
  async type(text: string): Promise<void> {
    await this.#do("type", { text });
  }

  /** Runs `fn(arg)` in the page; its JSON result. */
  async evaluate<A, R>(fn: (arg: A) => R, arg?: A): Promise<Awaited<R>> {
    return await this.#do("evaluate", { source: fn.toString(), arg }) as Awaited<R>;
  }

  /** Runs `fn(arg)` in the page until it returns something truthy; that. Throws after `ms`. */
  async waitFor<A, R>(
    what: string,
    fn: (arg: A) => R,
    arg?: A,
    ms = 10_000,
  ): Promise<Awaited<R>> {
    const value = await this.#do("waitFor", { source: fn.toString(), arg, ms });
    if (!value) {
      const events = await this.events();
      throw new Error(
        `Timed out after ${ms} ms waiting for ${what}; page: ${JSON.stringify(events)}`,
      );
    }
    return value as Awaited<R>;
  }

  /** Sends request bodies (uploads) at most `bytesPerSecond` (-1: as fast as the network). */
  async throttleUploads(bytesPerSecond: number): Promise<void> {
    await this.#do("throttle", { up: bytesPerSecond, down: -1 });
  }

  /** Receives responses (downloads) at most `bytesPerSecond` (-1: as fast as the network). */
  async throttleDownloads(bytesPerSecond: number): Promise<void> {
    await this.#do("throttle", { up: -1, down: bytesPerSecond });
  }

  /**
   * Answers the page's requests to `url` (a playwright glob, as in the
   * tests: any path with a /f/ segment) with `status`, `headers` and `body`
   * (its own Content-Length) instead of the server; `status` 0 lets them
   * through again.
   */
  async answer(
    url: string,
    status: number,
    headers: Record<string, string> = {},
    body: Uint8Array = new Uint8Array(),
  ): Promise<void> {
    await this.#do("answer", { url, status, headers, base64: body.toBase64() });
  }

  /** Changes the size of the page's window. */
  async setViewport(size: { width: number; height: number }): Promise<void> {
    await this.#do("setViewport", { size });
  }

  /** Writes a PNG of what the page shows to `path`. */
  async screenshot(path: string): Promise<void> {
    await this.#do("screenshot", { path });
  }

  /** The dialogs, uncaught errors and console errors of the page so far. */
  async events(): Promise<PageEvents> {
    return await this.#do("events") as PageEvents;
  }

  /** Closes the person's context. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#host.request("closeContext", { context: this.#context });
  }
}
