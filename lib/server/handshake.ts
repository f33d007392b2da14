/**
 * The door of the chat: a client's hello, password, key proof and join,
 * up to the moment the hub admits it. {@linkcode Admission} holds what all
 * connections of a server share (the password gate, the join rate, the
 * turns of each address); a {@linkcode Handshake} is one connection's way
 * through it, made on its first handshake frame and dropped once it joined.
 *
 * @module
 */

import { PROTOCOL_VERSION } from "../core/events.ts";
import type { Hub } from "../core/hub.ts";
import type { Member } from "../core/member.ts";
import { TokenBucket } from "../core/token_bucket.ts";
import { ChatError } from "../core/errors.ts";
import type { AuthFrame, HelloFrame } from "../protocol/client_frames.ts";
import { certificateIdentity } from "../protocol/client_certificate.ts";
import { fingerprintOf } from "../protocol/fingerprint.ts";
import {
  fromBase64Url,
  isPublicKey,
  isWeakPublicKey,
  newNonce,
  verifyChallenge,
} from "../protocol/key_proof.ts";
import { AddressTurns } from "./address_turns.ts";
import type { CodecSink } from "./codec_sink.ts";
import type { Log, LogFilter } from "./log_record.ts";
import type { Outbox } from "./outbox.ts";
import { PasswordGate, type PasswordGateOptions } from "./password_gate.ts";

/** Settings of an {@linkcode Admission}. */
export interface AdmissionOptions {
  /** The chat core the handshake joins members to. */
  hub: Hub;
  /** Where refusals and joins are logged. */
  log: Log;
  /** Which levels `log` keeps (absent: all): a join's record is not made when dropped. */
  logs?: LogFilter;
  /** Whether the server is shutting down (held-back answers are then not given). */
  closing: () => boolean;
  /** Makes the server private: every hello must carry this password. */
  password?: string;
  /** Delays of the password check (tests shorten them). */
  passwordGate?: PasswordGateOptions;
  /**
   * Joins one address may make: `burst` at once, then `rate` a second (later
   * ones wait their turn); `false` for no limit.
   * @default {false}
   */
  joinRate?: { rate: number; burst: number } | false;
}

/** Most addresses whose join buckets are kept before full ones are forgotten. */
const MAX_JOIN_BUCKETS = 4096;

/**
 * What every handshake of a server shares: the password gate, the join rate
 * per address, and the turns in which each address's held-back answers are
 * given (parallel connections from one address do not guess in parallel).
 */
export class Admission {
  /** The hub members join. */
  readonly hub: Hub;
  /** Where refusals and joins are logged. */
  readonly log: Log;
  /** Which levels `log` keeps (absent: all). */
  readonly logs: LogFilter | undefined;
  /** The password check, on a private server. */
  readonly gate: PasswordGate | undefined;
  readonly #closing: () => boolean;
  /** Per address, password answers held back after failures. */
  readonly #passwordTurns = new AddressTurns();
  /** Per address, the joins it may still make. */
  readonly #joins = new Map<string, TokenBucket>();
  /** Per address, joins waiting past the join rate. */
  readonly #joinTurns = new AddressTurns();
  readonly #joinRate: { rate: number; burst: number } | false;

  /** The rules of one server. */
  constructor(options: AdmissionOptions) {
    this.hub = options.hub;
    this.log = options.log;
    this.logs = options.logs;
    this.#closing = options.closing;
    this.#joinRate = options.joinRate ?? false;
    this.gate = options.password !== undefined
      ? new PasswordGate(options.password, options.passwordGate)
      : undefined;
  }

  /** Whether the server is private (text mode asks for the password first). */
  get askPassword(): boolean {
    return this.gate !== undefined;
  }

  /** Whether the server is shutting down. */
  get closing(): boolean {
    return this.#closing();
  }

  /** @internal The turns a password answer of `ip` waits in, and how long. */
  passwordTurn(ip: string): { turns: AddressTurns; delayMs: () => number } | undefined {
    const gate = this.gate!;
    if (!this.#passwordTurns.waiting(ip) && gate.delayFor(ip) === 0) return undefined;
    return { turns: this.#passwordTurns, delayMs: () => gate.delayFor(ip) };
  }

  /** @internal The turns a join of `ip` waits in past the join rate, and how long. */
  joinTurn(ip: string): { turns: AddressTurns; delayMs: () => number } | undefined {
    const joins = this.#joinsOf(ip);
    if (!joins || (!this.#joinTurns.waiting(ip) && joins.tokens >= 1)) return undefined;
    return { turns: this.#joinTurns, delayMs: () => joins.waitMs() };
  }

  /** @internal A join of `ip` happened: it spends one of the address's joins. */
  joined(ip: string): void {
    this.#joinsOf(ip)?.take();
  }

  /** The join bucket of an address (made on first use), or undefined when joins are not limited. */
  #joinsOf(ip: string): TokenBucket | undefined {
    if (!this.#joinRate) return undefined;
    let bucket = this.#joins.get(ip);
    if (!bucket) {
      if (this.#joins.size >= MAX_JOIN_BUCKETS) {
        // Forget full buckets: an address that has not joined for a while starts afresh anyway.
        for (const [address, old] of this.#joins) {
          if (old.tokens >= old.burst) this.#joins.delete(address);
        }
      }
      bucket = new TokenBucket(this.#joinRate, () => performance.now());
      this.#joins.set(ip, bucket);
    }
    return bucket;
  }
}

/** The side of a session a handshake works on. */
export interface HandshakePeer {
  /** The peer's IP address (password delays, join rate, bans). */
  readonly ip: string;
  /** Its codec and outbox. */
  readonly sink: CodecSink;
  /** What its key proof must be bound to: the TLS certificate's fingerprint, or "plain". */
  readonly binding: string;
  /**
   * The certificate (DER) it presented in its TLS handshake, if any: a key
   * that handshake proved, which SASL EXTERNAL takes as the member's key.
   */
  readonly clientCertificate?: Uint8Array;
  /**
   * An answer is held back (`true`): the handshake deadline waits; released
   * (`false`): the deadline starts afresh for the rest of the handshake.
   */
  hold(holding: boolean): void;
  /** The hub admitted it. */
  joined(member: Member): void;
}

/**
 * One connection's handshake: the hello (version, then the password, its
 * answer held back after failures from the same address, then a challenge
 * when it names a key), the `auth` that answers it, and the join, in turn
 * with the other joins of its address. The password comes before anything
 * about nicks or bans, so a stranger learns nothing about who is here.
 */
export class Handshake {
  readonly #admission: Admission;
  readonly #peer: HandshakePeer;
  /** A hello that named a key, waiting for the `auth` that proves it. */
  #challenge: { hello: HelloFrame & { key: string }; nonce: string } | undefined;
  /** The password was given on its own (text mode) and was right. */
  #passwordAccepted = false;
  /** The fingerprint of the key its TLS client certificate proved, once EXTERNAL took it. */
  #tlsKey: string | undefined;

  /** The handshake of `peer` through `admission`. */
  constructor(admission: Admission, peer: HandshakePeer) {
    this.#admission = admission;
    this.#peer = peer;
  }

  /** Whether a challenge waits for its `auth`. */
  get challenged(): boolean {
    return this.#challenge !== undefined;
  }

  /** A password on its own line (text mode): checked at once; when right, the codec asks for the nick. */
  password(password: string): void | Promise<void> {
    return this.#checkPassword(password, () => {
      this.#passwordAccepted = true;
      const ask = this.#peer.sink.codec.passwordAccepted?.();
      if (ask) this.#peer.sink.outbox.send(ask);
    });
  }

  /**
   * SASL EXTERNAL: the key of the TLS client certificate becomes the key of
   * the hello to come, with no challenge: the TLS handshake proved it, on
   * this connection only. A plain connection, or one without a certificate,
   * is told `external_failed` and goes on without a key.
   */
  async external(authzid: string): Promise<void> {
    const sink = this.#peer.sink;
    const fail = (message: string) =>
      sink.deliver({ type: "error", code: "external_failed", message });
    const der = this.#peer.clientCertificate;
    if (!der) return fail("No TLS client certificate: connect over TLS with one to use EXTERNAL");
    const identity = await certificateIdentity(der);
    if (sink.outbox.ending || this.#admission.closing) return;
    if (!identity) return fail("The TLS client certificate could not be read");
    if (identity.key !== undefined && isWeakPublicKey(identity.key)) {
      return fail(
        "The certificate's Ed25519 key is a point of small order, a key anyone can prove",
      );
    }
    if (authzid !== "" && authzid !== identity.fingerprint) {
      return fail(`The authzid must be empty or the certificate's key ${identity.fingerprint}`);
    }
    this.#tlsKey = identity.fingerprint;
    const accepted = sink.codec.externalAccepted?.(identity.fingerprint);
    if (accepted) sink.outbox.send(accepted);
  }

  /** The hello; see the class doc for the order of the checks. */
  hello(frame: HelloFrame): void | Promise<void> {
    const sink = this.#peer.sink;
    if (frame.protocol !== PROTOCOL_VERSION) {
      const message =
        `Protocol version ${frame.protocol} is not supported; this server speaks ${PROTOCOL_VERSION}`;
      sink.deliver({ type: "error", code: "protocol_version", message });
      sink.end({ type: "bye", reason: "protocol", message });
      return;
    }
    if (this.#challenge) {
      sink.deliver({
        type: "error",
        code: "not_ready",
        message: 'Answer the challenge with "auth" first',
      });
      return;
    }
    if (frame.key !== undefined && !isPublicKey(frame.key)) {
      sink.deliver({
        type: "error",
        code: "bad_frame",
        message: 'Field "key" of "hello" must be a raw 32-byte Ed25519 public key in base64url',
      });
      return;
    }
    if (frame.key !== undefined && isWeakPublicKey(frame.key)) {
      sink.deliver({
        type: "error",
        code: "bad_frame",
        message: 'Field "key" of "hello" is a point of small order, a key anyone can prove; ' +
          "make a real Ed25519 key",
      });
      return;
    }
    if (!this.#admission.gate || this.#passwordAccepted) return this.#afterPassword(frame);
    if (frame.password === undefined) {
      this.#deny("password_required", "This server needs a password");
      return;
    }
    return this.#checkPassword(frame.password, () => this.#afterPassword(frame));
  }

  /** The answer to a challenge: a valid signature admits the hello with its key's fingerprint. */
  async auth(frame: AuthFrame): Promise<void> {
    const sink = this.#peer.sink;
    const challenge = this.#challenge;
    if (!challenge) {
      sink.deliver({
        type: "error",
        code: "not_ready",
        message: 'No challenge to answer; send "hello" with a "key" first',
      });
      return;
    }
    this.#challenge = undefined;
    const valid = await verifyChallenge(
      challenge.hello.key,
      challenge.nonce,
      frame.signature,
      this.#peer.binding,
    );
    if (sink.outbox.ending || this.#admission.closing) return;
    if (!valid) {
      this.#deny("access_denied", "Access denied: the key proof did not verify");
      return;
    }
    const fingerprint = await fingerprintOf(fromBase64Url(challenge.hello.key)!);
    if (sink.outbox.ending || this.#admission.closing) return;
    await this.#admit(challenge.hello, fingerprint);
  }

  /**
   * Checks a password against the gate and calls `then` when it is right,
   * or refuses the connection. After failures from the same address the
   * answer is held back, in the address's turn (see #inTurn).
   */
  #checkPassword(password: string, then: () => void | Promise<void>): void | Promise<void> {
    const gate = this.#admission.gate;
    if (!gate) return then();
    const ip = this.#peer.ip;
    const answer = () => {
      if (gate.check(ip, password)) return then();
      this.#deny("access_denied", "Access denied: wrong password");
    };
    const turn = this.#admission.passwordTurn(ip);
    return turn ? this.#inTurn(turn, answer) : answer();
  }

  /**
   * Holds `go` back in the address's turns, then for `delayMs()` (asked
   * when its turn comes). Timers, not sleeps: only this connection waits (its
   * reads pause), and the handshake deadline waits too, then starts afresh.
   */
  #inTurn(
    { turns, delayMs }: { turns: AddressTurns; delayMs: () => number },
    go: () => void | Promise<void>,
  ): Promise<void> {
    const peer = this.#peer;
    const outbox = peer.sink.outbox;
    peer.hold(true);
    return turns.after(peer.ip, async () => {
      const wait = delayMs();
      if (wait > 0 && !outbox.ending) await pause(outbox, wait);
      peer.hold(false);
      if (!outbox.ending && !this.#admission.closing) return go();
    });
  }

  /**
   * Past the password: challenge a named key, or admit a keyless hello as it
   * is, with the key its TLS certificate proved if EXTERNAL took it.
   */
  #afterPassword(frame: HelloFrame): void | Promise<void> {
    if (frame.key === undefined) return this.#admit(frame, this.#tlsKey);
    const nonce = newNonce();
    this.#challenge = { hello: { ...frame, key: frame.key }, nonce };
    this.#peer.sink.deliver({ type: "challenge", nonce });
  }

  /**
   * Hands a checked hello to the hub, in turn with the other joins of its
   * address: past the join rate a join waits for its turn instead of being
   * refused, so that someone joining and quitting in a loop slows down
   * without locking out others behind the same address.
   */
  #admit(frame: HelloFrame, fingerprint: string | undefined): void | Promise<void> {
    const go = () => this.#join(frame, fingerprint);
    const turn = this.#admission.joinTurn(this.#peer.ip);
    return turn ? this.#inTurn(turn, go) : go();
  }

  /** The join itself, once its turn has come; `fingerprint` is of the key it proved, if any. */
  #join(frame: HelloFrame, fingerprint: string | undefined): void | Promise<void> {
    const { hub } = this.#admission;
    const sink = this.#peer.sink;
    const hello = {
      nick: frame.nick,
      client: frame.client,
      echo: sink.codec.capabilities.echo,
      uploads: sink.codec.capabilities.uploads,
      fingerprint,
      address: this.#peer.ip,
    };
    let entered;
    try {
      entered = hub.enter(hello, sink); // A promise while a cluster claims the nick.
    } catch (error) {
      return this.#refused(error);
    }
    if (!(entered instanceof Promise)) return this.#joined(entered, fingerprint);
    return entered.then(
      (joined) => {
        // The connection went while the cluster claimed the nick: nobody to let in.
        if (sink.outbox.ending) return hub.leave(joined, "quit");
        this.#joined(joined, fingerprint);
      },
      (error) => this.#refused(error),
    );
  }

  /** The hub let the member in. */
  #joined(joined: Member, fingerprint: string | undefined): void {
    const { log } = this.#admission;
    const peer = this.#peer;
    const sink = peer.sink;
    const capabilities = sink.codec.capabilities;
    peer.joined(joined);
    this.#admission.joined(peer.ip);
    if (this.#admission.logs?.("info") === false) return;
    log({
      level: "info",
      event: "join",
      remote: sink.outbox.remote,
      nick: joined.nick,
      client: capabilities.name,
      key: fingerprint, // The log field keeps its name.
      operator: joined.operator ? "yes" : undefined,
    });
  }

  /** The hub refused the member: why, and a goodbye when it is full. */
  #refused(error: unknown): void {
    const { log } = this.#admission;
    const peer = this.#peer;
    const sink = peer.sink;
    if (!(error instanceof ChatError)) throw error;
    if (error.code === "banned") {
      this.#deny("banned", error.message);
      return;
    }
    sink.deliver({ type: "error", code: error.code, message: error.message });
    if (error.code === "server_full") {
      log({ level: "warn", event: "refused", remote: peer.ip, reason: "server_full" });
      sink.end({ type: "bye", reason: "full", message: error.message });
    }
  }

  /** Refuses the connection at the door: one error, then `bye` `denied`. */
  #deny(code: "password_required" | "access_denied" | "banned", message: string): void {
    const { gate, log } = this.#admission;
    const sink = this.#peer.sink;
    log({
      level: "warn",
      event: "denied",
      remote: sink.outbox.remote,
      reason: code,
      failures: code === "access_denied" ? gate?.failures(this.#peer.ip) : undefined,
    });
    sink.deliver({ type: "error", code, message });
    sink.end({ type: "bye", reason: "denied", code, message });
  }
}

/** Resolves after `ms`, or as soon as the outbox closes (so shutdown never waits on it). */
function pause(outbox: Outbox, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
    outbox.done,
  ]).finally(() => clearTimeout(timer));
}
