/**
 * IRC registration for {@linkcode IrcCodec}: `PASS`, `NICK` and `USER`
 * before the member joined, and CAP negotiation (`LS`, `LIST`, `REQ`,
 * `END`), which holds the hello back until `CAP END`. The result is one
 * `hello` frame; while it is on its way the codec holds the lines behind it
 * (see {@linkcode IrcRegistration.pending}).
 *
 * @module
 */

import type { HelloFrame } from "./client_frames.ts";
import { formatIrcLine } from "./irc_line.ts";
import { applyCapRequest, type Capability, capLsLines, type MultilineLimits } from "./irc_batch.ts";
import { IRC_SERVER, serverLine } from "./irc_render.ts";

/** What a CAP command answers: lines to send at once, a numeric in turn, or the hello. */
export interface CapAnswer {
  /** Lines sent at once, before any frame is handled (CAP answers wait for nothing). */
  say?: string;
  /** `410` for an unknown subcommand: a numeric delivered in turn. */
  invalid?: true;
  /** `461` for a `REQ` that names no capability (its one parameter must list them). */
  missing?: true;
  /** `CAP END` finished the negotiation: the hello, when NICK and USER were given. */
  hello?: HelloFrame;
}

/** One connection's registration state; see the module doc. */
export class IrcRegistration {
  #negotiating = false;
  #nick: string | undefined;
  #user = false;
  #password: string | undefined;
  /** A hello was sent and neither admitted nor refused yet. */
  #registering = false;
  #admitted = false;

  /** The nick given so far (before the member joined). */
  get nick(): string | undefined {
    return this.#nick;
  }

  /** A hello is on its way: the lines behind it wait for its answer. */
  get pending(): boolean {
    return this.#registering && !this.#admitted;
  }

  /** The hub admitted the member. */
  admitted(): void {
    this.#admitted = true;
    this.#registering = false;
  }

  /** The hello was refused (a nick taken, a wrong password): another NICK tries again. */
  refused(): void {
    if (!this.#admitted) this.#registering = false;
  }

  /** `PASS password`. */
  pass(password: string): void {
    this.#password = password;
  }

  /** `USER ...`: the hello, when ready. */
  user(): HelloFrame | undefined {
    this.#user = true;
    return this.#hello();
  }

  /** `NICK nick` before the member joined: the hello, when ready. */
  nickname(nick: string): HelloFrame | undefined {
    this.#nick = nick;
    this.#registering = false;
    return this.#hello();
  }

  /**
   * `CAP LS`, `LIST`, `REQ`, `END` from the reader `me`; `caps` are the
   * negotiated capabilities (REQ changes them); `limits` the multi-line
   * limits CAP LS 302 announces.
   */
  cap(params: string[], me: string, caps: Set<Capability>, limits: MultilineLimits): CapAnswer {
    const sub = params[0]?.toUpperCase();
    if (sub === "LS") {
      if (!this.#admitted) this.#negotiating = true;
      return { say: capLsLines(IRC_SERVER, me, Number(params[1]) >= 302, limits) };
    }
    if (sub === "LIST") return { say: serverLine("CAP", [me, "LIST", [...caps].join(" ")]) };
    if (sub === "REQ") {
      const asked = (params[1] ?? "").split(" ").filter((cap) => cap !== "");
      if (asked.length === 0) return { missing: true };
      if (!this.#admitted) this.#negotiating = true;
      const ok = applyCapRequest(asked, caps, this.#admitted);
      const params_ = [me, ok ? "ACK" : "NAK", asked.join(" ")];
      return { say: formatIrcLine(IRC_SERVER, "CAP", params_, { trailing: true }) };
    }
    if (sub === "END") {
      this.#negotiating = false;
      const hello = this.#hello();
      return hello ? { hello } : {};
    }
    return { invalid: true };
  }

  /** NICK and USER given, CAP finished: the hello. */
  #hello(): HelloFrame | undefined {
    if (this.#admitted || this.#registering || this.#negotiating) return undefined;
    if (this.#nick === undefined || !this.#user) return undefined;
    this.#registering = true;
    return {
      type: "hello",
      protocol: 1,
      nick: this.#nick,
      client: "irc",
      ...(this.#password !== undefined ? { password: this.#password } : {}),
    };
  }
}

/**
 * The registration of every admitted connection: once admitted it keeps no
 * state of its own (CAP after registration answers from the capabilities
 * alone), so a codec lets its own go and uses this one.
 */
export const ADMITTED: IrcRegistration = new IrcRegistration();
ADMITTED.admitted();
