/**
 * `--cluster <urls>`: the NATS servers a chat-server shares its rooms
 * through (issue 17, work in progress; off by default). A comma-separated
 * list of `nats://host:port` (or `tls://host:port`, or a bare `host:port`,
 * which is `nats://`); the port defaults to NATS's 4222.
 *
 * @module
 */

import { UsageError } from "../errors.ts";

/** Whether `export`'s arguments ask for the cluster's stream. */
export function exportsFromCluster(args: string[]): boolean {
  return args.some((arg) => arg === "--cluster" || arg.startsWith("--cluster="));
}

/** The NATS client port when a URL names none. */
export const NATS_DEFAULT_PORT = 4222;

/**
 * The URLs of `--cluster`, each as `scheme://host:port`.
 *
 * @throws {UsageError} naming the first entry that is no NATS URL
 */
export function parseClusterUrls(value: string): string[] {
  const entries = value.split(",").map((entry) => entry.trim());
  if (entries.some((entry) => entry === "")) {
    throw new UsageError(`--cluster needs NATS URLs separated by commas, got "${value}"`);
  }
  return entries.map((entry) => {
    const withScheme = /^[a-z]+:\/\//i.test(entry) ? entry : `nats://${entry}`;
    let url: URL;
    try {
      url = new URL(withScheme);
    } catch {
      throw new UsageError(`--cluster "${entry}" is not a NATS URL like nats://10.0.0.5:4222`);
    }
    if (
      (url.protocol !== "nats:" && url.protocol !== "tls:") || url.hostname === "" ||
      (url.pathname !== "" && url.pathname !== "/") || url.search !== "" || url.hash !== ""
    ) {
      throw new UsageError(`--cluster "${entry}" is not a NATS URL like nats://10.0.0.5:4222`);
    }
    if (url.username !== "" || url.password !== "") {
      throw new UsageError(
        `--cluster "${url.protocol}//${url.host}" carries credentials; they do not go on the command line`,
      );
    }
    return `${url.protocol}//${url.hostname}:${url.port || NATS_DEFAULT_PORT}`;
  });
}
