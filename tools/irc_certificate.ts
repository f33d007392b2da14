/**
 * Writes a TLS client certificate and key (one PEM file) made from your
 * lanchat identity (chat-client's key, created if there is none yet), for
 * an IRC client's SASL EXTERNAL: irssi `-tls_cert`, weechat
 * `tls_cert`, HexChat `client.pem`. With it, the IRC client is the same
 * key as chat-client: the same `SHA256:` fingerprint in `/whois`, the same
 * registered nicks. The file holds your private key: it is written with
 * mode 0600 and never over an existing file.
 *
 * ```sh
 * deno task irc-cert [--config-dir DIR] [--name LABEL] FILE
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { defaultConfigDir } from "../lib/app_dirs.ts";
import { loadIdentity } from "../lib/client/identity.ts";
import { ircCertificate } from "../lib/client/irc_certificate.ts";

const USAGE = "usage: deno task irc-cert [--config-dir DIR] [--name LABEL] FILE";

async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { "config-dir": { type: "string" }, name: { type: "string" } },
    });
  } catch (error) {
    console.error(`irc-cert: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const flags = parsed.values;
  const out = parsed.positionals[0];
  if (out === undefined || parsed.positionals.length !== 1) {
    console.error(USAGE);
    return 2;
  }
  const configDir = flags["config-dir"] ?? defaultConfigDir(Deno.build.os, (n) => Deno.env.get(n));
  if (configDir === undefined) {
    console.error("irc-cert: no config directory (HOME is not set); give --config-dir");
    return 1;
  }
  const identity = await loadIdentity(configDir);
  const pem = await ircCertificate(
    await Deno.readTextFile(identity.path!),
    flags.name ?? "lanchat",
  );
  try {
    await Deno.writeTextFile(out, pem, { mode: 0o600, createNew: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    console.error(`irc-cert: ${out} exists; not overwritten`);
    return 1;
  }
  console.log(`${out}: certificate and key of ${identity.fingerprint}`);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
