/**
 * Native-protocol test clients: {@linkcode NativeClient} (JSON frames in,
 * parsed events out, hello and key proof included), test keys, and a
 * stalled client that never reads.
 *
 * @module
 */

import { PLAIN_BINDING } from "../lib/protocol/key_proof.ts";
import { fingerprintOfPem } from "../lib/server/tls_certificate.ts";
import type { ServerFrame } from "../lib/protocol/wire_frames.ts";
import { type Identity, loadIdentity } from "../lib/client/identity.ts";
import { LinePeer } from "./_line_peer.ts";
import { within } from "./_waiting.ts";

const encoder = new TextEncoder();

/** A key for tests: what a hello names and what signs the challenge. */
export type TestKey = Pick<Identity, "publicKey" | "fingerprint" | "sign">;

/** A fresh Ed25519 key that lives for this test only. */
export function testKey(): Promise<TestKey> {
  return loadIdentity(undefined);
}

/** What a test client puts in its hello beyond the nick. */
export interface HelloOptions {
  /** The server's password, sent in the hello. */
  password?: string;
  /** Prove this key: the hello names it and the challenge is answered. */
  key?: TestKey;
}

/** A native-protocol test client: JSON frames in, parsed events out. */
export class NativeClient extends LinePeer {
  /** What key proofs are bound to: the server certificate's fingerprint, or "plain". */
  binding: string = PLAIN_BINDING;

  /**
   * Connects; with `nick`, also says hello (with a password and a key
   * proof when given) and waits for the welcome.
   */
  static async connect(
    port: number,
    nick?: string,
    options: HelloOptions = {},
  ): Promise<NativeClient> {
    return await NativeClient.#start(
      await Deno.connect({ hostname: "127.0.0.1", port }),
      nick,
      options,
    );
  }

  /** Connects with TLS, trusting exactly `certificate` (PEM), then as {@linkcode connect}. */
  static async connectTls(
    port: number,
    certificate: string,
    nick?: string,
    options: HelloOptions = {},
  ): Promise<NativeClient> {
    const conn = await Deno.connectTls({ hostname: "127.0.0.1", port, caCerts: [certificate] });
    return await NativeClient.#start(conn, nick, options, await fingerprintOfPem(certificate));
  }

  static async #start(
    conn: Deno.Conn,
    nick: string | undefined,
    options: HelloOptions,
    binding = PLAIN_BINDING,
  ): Promise<NativeClient> {
    const client = new NativeClient(conn);
    client.binding = binding;
    if (nick) {
      const from = client.events.length;
      await client.hello(nick, options);
      // A cluster node's welcome waits on its nick claim in NATS: slower on a busy machine.
      await client.next("welcome", () => true, from, 15_000);
    }
    return client;
  }

  /**
   * Sends a hello and, when it names a key, answers the challenge. Resolves
   * once the auth is sent, or once the server answered without a
   * challenge (an error or a welcome): the test then reads the outcome.
   */
  async hello(nick: string, options: HelloOptions = {}): Promise<void> {
    const from = this.events.length;
    await this.send({
      type: "hello",
      protocol: 1,
      nick,
      client: "test",
      ...(options.password !== undefined ? { password: options.password } : {}),
      ...(options.key ? { key: options.key.publicKey } : {}),
    });
    if (!options.key) return;
    const first = await within(
      5000,
      this.waitUntil(() =>
        this.events.slice(from).find((e) =>
          e.type === "challenge" || e.type === "error" || e.type === "welcome"
        )
      ),
      "a challenge",
    );
    if (first.type !== "challenge") return;
    await this.send({
      type: "auth",
      signature: await options.key.sign(first.nonce, this.binding),
    });
  }

  /** The events received so far, parsed. */
  get events(): ServerFrame[] {
    return this.lines.filter((line) => line.startsWith("{")).map((line) => JSON.parse(line));
  }

  /** Sends a frame as one JSON line. */
  send(frame: Record<string, unknown>): Promise<void> {
    return this.write(JSON.stringify(frame) + "\n");
  }

  /** Waits for an event of `type` (and matching `where`), from event index `from` on. */
  async next<T extends ServerFrame["type"]>(
    type: T,
    where: (event: Extract<ServerFrame, { type: T }>) => boolean = () => true,
    from = 0,
    ms = 5000,
  ): Promise<Extract<ServerFrame, { type: T }>> {
    // Each pass looks at the JSON lines from index `from` on, afresh.
    const probe = () => {
      let index = 0;
      for (const line of this.lines) {
        if (!line.startsWith("{")) continue;
        if (index++ < from) continue;
        const event = JSON.parse(line);
        if (event.type === type && where(event)) return event as Extract<ServerFrame, { type: T }>;
      }
      return undefined;
    };
    return await within(ms, this.waitUntil(probe), `a "${type}" event`);
  }
}

/** A TCP peer that says hello and then never reads: a stalled client. */
export async function connectStalled(port: number, nick: string): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const hello = { type: "hello", protocol: 1, nick, client: "stalled" };
  await conn.write(encoder.encode(JSON.stringify(hello) + "\n"));
  return conn;
}
