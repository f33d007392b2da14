/**
 * IRCv3 SASL (3.1 and 3.2) for the IRC codec: `AUTHENTICATE`, its chunks of
 * 400 bytes, and the numerics 900, 903, 904, 905, 906, 907, 908.
 *
 * What the mechanisms mean on lanchat (docs/protocol.md, "SASL"):
 * - `PLAIN` carries a private server's password (what `PASS` does). lanchat
 *   has no accounts: the authentication identity (authcid) names nobody and
 *   any is accepted (clients insist on one: use your nick); the
 *   authorization identity (authzid) must be empty or the same as the
 *   authcid. The password goes through the same gate as every other (held
 *   back after failures from an address); a wrong one ends the connection
 *   (904, then `ERROR`), as `PASS` does. On an open server there is nothing
 *   to check: PLAIN succeeds (903) and logs nobody in.
 * - `EXTERNAL` takes the key of the connection's TLS client certificate as
 *   the member's key (client_certificate.ts: an Ed25519 certificate key is
 *   a lanchat key); 900 names it by its fingerprint, the account name. The
 *   authzid must be empty (`AUTHENTICATE +`) or that fingerprint.
 *
 * This module keeps the state and says what to answer; the codec sends the
 * lines and hands the frames to the handshake.
 *
 * @module
 */

import type { ExternalFrame, PasswordFrame } from "./codec.ts";
import { formatIrcLine } from "./irc_line.ts";
import { serverLine } from "./irc_render.ts";
import { SASL_MECHANISMS } from "./irc_batch.ts";

export { SASL_MECHANISMS };

/** A chunk of a SASL payload is at most this long; one this long means more follows. */
const CHUNK = 400;
/** The longest payload accepted (a PLAIN password and two names fit many times). */
const MAX_PAYLOAD = 4 * CHUNK;

/** A line to send: a numeric (to the reader's nick) or `AUTHENTICATE +`. */
type SaslLine = { numeric: string; params: string[] } | { authenticate: "+" };

/** What one `AUTHENTICATE` asks for: lines to send, and a frame for the handshake. */
export interface SaslStep {
  /** Answers, in order (IRC lines with their CRLF). */
  lines: string[];
  /** The check the handshake makes (a password, or the TLS certificate's key). */
  frame?: PasswordFrame | ExternalFrame;
}

const failed = (reason = "SASL authentication failed"): SaslLine => ({
  numeric: "904",
  params: [reason],
});

/** One connection's SASL exchange; see the module doc. */
export class IrcSasl {
  #mechanism: "PLAIN" | "EXTERNAL" | undefined;
  #payload = "";
  /** idle → mechanism (payload awaited) → checking (the handshake decides) → done. */
  #state: "idle" | "mechanism" | "checking" | "done" = "idle";

  /** Whether a check waits for the handshake's answer (its error then becomes 904). */
  get checking(): boolean {
    return this.#state === "checking";
  }

  /**
   * One `AUTHENTICATE` with `params`, before registration or after
   * (`registered`), from the reader `me` (`*` before registration).
   */
  authenticate(params: string[], registered: boolean, me: string): SaslStep {
    const step = this.#step(params, registered);
    return { lines: text(step.lines, me), ...(step.frame ? { frame: step.frame } : {}) };
  }

  #step(
    params: string[],
    registered: boolean,
  ): { lines: SaslLine[]; frame?: PasswordFrame | ExternalFrame } {
    if (params.length === 0 || params[0] === "") {
      return { lines: [{ numeric: "461", params: ["AUTHENTICATE", "Not enough parameters"] }] };
    }
    if (this.#state === "done") {
      return { lines: [{ numeric: "907", params: ["You have already authenticated using SASL"] }] };
    }
    const arg = params[0];
    // An abort is 906 even with nothing to abort, after registration too: HexChat answers
    // each 904 with `AUTHENTICATE *`, so a 904 here would start an endless ping-pong.
    if (arg === "*" && this.#state !== "checking") {
      this.#reset();
      return { lines: [{ numeric: "906", params: ["SASL authentication aborted"] }] };
    }
    if (registered) {
      return { lines: [failed("SASL is only possible before registration ends (CAP END)")] };
    }
    if (this.#state === "checking") return { lines: [] }; // The answer is on its way.
    if (this.#state === "idle") {
      const mechanism = arg.toUpperCase();
      if (mechanism !== "PLAIN" && mechanism !== "EXTERNAL") {
        return {
          lines: [
            { numeric: "908", params: [SASL_MECHANISMS, "are available SASL mechanisms"] },
            failed(),
          ],
        };
      }
      this.#mechanism = mechanism;
      this.#state = "mechanism";
      return { lines: [{ authenticate: "+" }] };
    }
    if (arg.length > CHUNK || this.#payload.length + arg.length > MAX_PAYLOAD) {
      this.#reset();
      return { lines: [{ numeric: "905", params: ["SASL message too long"] }] };
    }
    if (arg !== "+") this.#payload += arg;
    if (arg.length === CHUNK) return { lines: [] }; // More follows.
    return this.#finish();
  }

  /** The whole payload arrived: decode it and ask the handshake. */
  #finish(): { lines: SaslLine[]; frame?: PasswordFrame | ExternalFrame } {
    const mechanism = this.#mechanism;
    let text: string;
    try {
      const bytes = Uint8Array.fromBase64(this.#payload);
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      this.#reset();
      return { lines: [failed("SASL payload is not base64 of UTF-8")] };
    }
    if (mechanism === "EXTERNAL") {
      this.#state = "checking";
      this.#payload = "";
      return { lines: [], frame: { type: "external", authzid: text } };
    }
    const parts = text.split("\0");
    if (parts.length !== 3) {
      this.#reset();
      return { lines: [failed("PLAIN needs authzid, authcid and password, separated by NUL")] };
    }
    const [authzid, authcid, password] = parts;
    if (authzid !== "" && authzid !== authcid) {
      this.#reset();
      return {
        lines: [failed("lanchat has no authorization identities: leave the authzid empty")],
      };
    }
    this.#state = "checking";
    this.#payload = "";
    return { lines: [], frame: { type: "password", password } };
  }

  /**
   * The handshake accepted the check: 900 (EXTERNAL: logged in as the key's
   * fingerprint) and 903. `source` is `nick!user@host` for 900.
   */
  accepted(me: string, source: string, fingerprint?: string): string[] {
    this.#state = "done";
    return text([
      ...(fingerprint !== undefined
        ? [{
          numeric: "900",
          params: [source, fingerprint, `You are now logged in as ${fingerprint}`],
        }]
        : []),
      { numeric: "903", params: ["SASL authentication successful"] },
    ], me);
  }

  /** The handshake refused the check, for `reason` (lanchat's words): 904. */
  refused(me: string, reason: string): string[] {
    this.#reset();
    return text([failed(reason)], me);
  }

  #reset(): void {
    this.#mechanism = undefined;
    this.#payload = "";
    this.#state = "idle";
  }
}

/** The lines to `me`. */
function text(lines: SaslLine[], me: string): string[] {
  return lines.map((line) =>
    "numeric" in line
      ? serverLine(line.numeric, [me, ...line.params])
      : formatIrcLine(undefined, "AUTHENTICATE", [line.authenticate])
  );
}
