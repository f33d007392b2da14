/**
 * The servers this client has trusted, like ssh's known_hosts: one line per
 * server, `host:port SHA256:...`, in the config directory. Lines starting
 * with `#` and blank lines are kept as they are.
 *
 * @module
 */

import { formatHostPort, stripBrackets } from "../net/host_port.ts";

/** One trusted server. */
export interface KnownHost {
  /** The fingerprint trusted for the server (`SHA256:...`). */
  fingerprint: string;
  /** 1-based line number in the file, for the user. */
  line: number;
}

/**
 * How a server address is named in known_hosts (and so which trusted
 * fingerprint it gets): `host:port`, `[v6]:port`, the host in lower case.
 */
export function knownHostName(host: string, port: number): string {
  return formatHostPort(stripBrackets(host).toLowerCase(), port);
}

/** The known_hosts file of a config directory. */
export class KnownHosts {
  /**
   * Reads and writes the file at `path`.
   *
   * @param path the known_hosts file (it need not exist yet)
   */
  constructor(readonly path: string) {}

  /** The known_hosts file in `configDir`. */
  static in(configDir: string): KnownHosts {
    return new KnownHosts(`${configDir.replace(/[\\/]+$/, "")}/known_hosts`);
  }

  /** The trusted fingerprint of `server` (a {@linkcode knownHostName}), if any. */
  lookup(server: string): KnownHost | undefined {
    const lines = this.#lines();
    for (let i = 0; i < lines.length; i++) {
      const [name, fingerprint] = lines[i].trim().split(/\s+/);
      if (name === server && fingerprint) return { fingerprint, line: i + 1 };
    }
    return undefined;
  }

  /** The first server trusted with `fingerprint`, if any, and its line. */
  withFingerprint(fingerprint: string): { server: string; line: number } | undefined {
    const lines = this.#lines();
    for (let i = 0; i < lines.length; i++) {
      const [name, print] = lines[i].trim().split(/\s+/);
      if (!name.startsWith("#") && print === fingerprint) return { server: name, line: i + 1 };
    }
    return undefined;
  }

  /**
   * The servers on `host` (any port) in the file, as they are named there
   * (`host:port`), in file order: what `--forget-host host` may have meant.
   */
  serversOn(host: string): string[] {
    const wanted = knownHostName(host, 0).replace(/:0$/, "");
    const servers = this.#lines().map((line) => line.trim().split(/\s+/)[0])
      .filter((name) =>
        name !== "" && !name.startsWith("#") && name.replace(/:\d+$/, "") === wanted
      );
    return [...new Set(servers)];
  }

  /** Adds a trusted server; creates the directory (owner only) and the file. */
  add(server: string, fingerprint: string): void {
    const dir = this.path.replace(/[\\/][^\\/]*$/, "");
    Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const lines = this.#lines();
    if (lines.length === 0) lines.push("# Servers chat-client trusts: host:port fingerprint");
    if (lines.at(-1) === "") lines.pop();
    lines.push(`${server} ${fingerprint}`);
    Deno.writeTextFileSync(this.path, lines.join("\n") + "\n", { mode: 0o600 });
  }

  /** Removes every line of `server`; returns how many were removed. */
  forget(server: string): number {
    const lines = this.#lines();
    const kept = lines.filter((line) => line.trim().split(/\s+/)[0] !== server);
    const removed = lines.length - kept.length;
    if (removed > 0) Deno.writeTextFileSync(this.path, kept.join("\n"));
    return removed;
  }

  #lines(): string[] {
    try {
      return Deno.readTextFileSync(this.path).split(/\r?\n/);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return [];
      throw error;
    }
  }
}
