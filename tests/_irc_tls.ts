/**
 * IRC over TLS for the tests: a raw IRC client with an optional client
 * certificate, and client certificates made by openssl.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createSelfSigned } from "../lib/server/tls_certificate.ts";
import type { ChatServer } from "../lib/server/chat_server.ts";
import { LinePeer } from "./_line_peer.ts";

/** The servers' certificate in these tests. */
export const serverCertificate = await createSelfSigned();

/** A raw IRC client over TLS (with a client certificate when given) or plain TCP. */
export class Irc extends LinePeer {
  /** Over TLS to the chat port (or `port`), with a client certificate when given. */
  static async tls(
    server: ChatServer,
    client?: { cert: string; key: string },
    port = server.addr.port,
  ): Promise<Irc> {
    return new Irc(
      await Deno.connectTls({
        hostname: "127.0.0.1",
        port,
        caCerts: [serverCertificate.cert],
        ...client,
      }),
    );
  }

  static async plain(server: ChatServer): Promise<Irc> {
    return new Irc(await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port }));
  }

  send(...lines: string[]): Promise<void> {
    return this.write(lines.map((line) => `${line}\r\n`).join(""));
  }

  /** The first line from `from` on whose command (or numeric) is `command`. */
  async command(command: string, from = 0): Promise<string> {
    try {
      return await this.waitLine((line) => line.split(" ")[1] === command, from);
    } catch (error) {
      throw new Error(`No ${command}; lines:\n${this.lines.join("\n")}`, { cause: error });
    }
  }

  /** CAP LS 302, REQ sasl, NICK and USER, then AUTHENTICATE `mechanism`. */
  async saslStart(nick: string, mechanism: string): Promise<void> {
    await this.send("CAP LS 302", `NICK ${nick}`, `USER ${nick} 0 * :${nick}`, "CAP REQ :sasl");
    await this.waitLine((line) => line.includes(" ACK "));
    await this.send(`AUTHENTICATE ${mechanism}`);
    await this.waitLine((line) => line === "AUTHENTICATE +");
  }
}

/** Runs openssl; fails the test with its output when it fails. */
export async function openssl(...args: string[]): Promise<string> {
  const out = await new Deno.Command("openssl", { args, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder();
  assert.ok(out.success, `openssl ${args.join(" ")}: ${text.decode(out.stderr)}`);
  return text.decode(out.stdout);
}

/**
 * A self-signed client certificate made by openssl with `keyArgs`
 * (`-newkey ed25519`, ...), and its SubjectPublicKeyInfo's DER, computed by
 * openssl too.
 */
export async function clientCertificate(
  dir: string,
  name: string,
  keyArgs: string[],
): Promise<{ cert: string; key: string; spki: Uint8Array }> {
  const cert = `${dir}/${name}.crt`;
  const key = `${dir}/${name}.key`;
  const spki = `${dir}/${name}.spki`;
  await openssl(
    "req",
    "-x509",
    ...keyArgs,
    "-keyout",
    key,
    "-out",
    cert,
    "-days",
    "2",
    "-nodes",
    "-subj",
    `/CN=${name}`,
  );
  await openssl("pkey", "-in", key, "-pubout", "-outform", "DER", "-out", spki);
  return {
    cert: await Deno.readTextFile(cert),
    key: await Deno.readTextFile(key),
    spki: await Deno.readFile(spki),
  };
}
