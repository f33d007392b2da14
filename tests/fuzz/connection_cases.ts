/**
 * The client-to-server fuzz cases: each is one connection's bytes, how they
 * are cut into writes and how the peer ends, built from the run's seed and
 * the case number alone.
 *
 * @module
 */

import { caseSeed, Random } from "./random.ts";
import { ODD_SEQUENCES, WRONG_VALUES } from "./corpus.ts";
import { FUZZ_PASSWORD } from "./fuzz_server.ts";
import { type KeyProof, publicKeyOf, type Signing } from "./key_proofs.ts";
import {
  authFrame,
  badAuthLine,
  framesWithin,
  handshakeLine,
  helloFrame,
  joinLines,
  malformedKeyText,
  mutate,
  oddFrameLine,
  passwordText,
  randomNick,
  randomText,
  signatureText,
  validFrame,
  validKeyText,
} from "./frame_generators.ts";
import { hostileSession, hostileTyping } from "./hostile_frames.ts";

const encoder = new TextEncoder();

/** How the server should treat the connection, from its first byte (or silence). */
export type CaseMode = "native" | "text" | "silent";

/** What the peer does after its writes. */
export type CaseEnding =
  /** Half-closes and reads until the server closes; then checks every answer. */
  | "eof"
  /** Closes abruptly without reading (a crash, a pulled cable). */
  | "abort"
  /** Says nothing, waits for the greeting, then half-closes. */
  | "greeting"
  /** Says nothing until the server gives up on the handshake. */
  | "timeout";

/** One fuzz case: the bytes, how they are cut into writes, and how the peer ends. */
export interface FuzzCase {
  /** The case's number in its run. */
  index: number;
  /** The generator that built it. */
  kind: string;
  /** How the server should treat the connection. */
  mode: CaseMode;
  /** What the peer does after its writes. */
  ending: CaseEnding;
  /** Everything sent, in order. */
  payload: Uint8Array;
  /** `payload` cut into the writes that send it. */
  writes: Uint8Array[];
  /** Pause between writes, so the server reads them apart. */
  pauseMs: number;
  /** Which server the case talks to. */
  server: "open" | "private";
  /**
   * A key proof made while the case runs: after `writes`, the peer waits for
   * the pong to {@linkcode PROOF_WAIT}, answers the challenge it got with an
   * `auth` signed as `signing` says, then sends `afterAuth`.
   */
  proof?: KeyProof;
}

/** The ping a proof case sends last before its `auth`; its pong means the challenge is in. */
const PROOF_WAIT = '{"type":"ping","token":"auth-next"}';

/** A last frame that must still be answered after whatever came before it. */
const SENTINEL = '{"type":"ping","token":"fuzz-end"}\n';

/** The body of a case (before any sentinel), by kind. */
function generateBody(
  r: Random,
  kind: string,
  maxLineBytes: number,
  index: number,
): {
  body: Uint8Array;
  ending: CaseEnding;
  proof?: Omit<KeyProof, "afterAuth"> & { after: string[] };
} {
  // Lines stay well under the cap unless the case is about the cap: a
  // mutation may join two lines, so whole bodies get the budget.
  const budget = maxLineBytes - 300;
  switch (kind) {
    case "bytes":
      return { body: new Uint8Array(r.bytes(r.range(1, 300))), ending: "eof" };
    case "native-bytes": {
      const bytes = [0x7b];
      const length = r.range(0, 300);
      while (bytes.length < length) {
        if (r.chance(0.1)) bytes.push(...r.pick(ODD_SEQUENCES));
        else if (r.chance(0.05)) bytes.push(0x0a, ...(r.chance(0.5) ? [0x7b] : []));
        else bytes.push(r.int(256));
      }
      return { body: new Uint8Array(bytes), ending: "eof" };
    }
    case "telnet": {
      const lines: (string | Uint8Array)[] = [];
      for (let i = r.range(1, 6); i > 0; i--) {
        const junk = r.pick(ODD_SEQUENCES);
        const text = r.pick([randomNick(r), randomText(r, 2), "/who", "/me waves", ""]);
        lines.push(new Uint8Array([...junk, ...encoder.encode(text), ...r.pick(ODD_SEQUENCES)]));
      }
      const body = joinLines(r, lines);
      if (body[0] === 0x7b) body[0] = 0x20;
      return { body, ending: "eof" };
    }
    case "huge": {
      const length = r.range(maxLineBytes + 1, maxLineBytes * 3);
      const fill = r.pick([0x61, 0x7b, 0x00, 0xff, 0xe9]);
      const bytes = new Uint8Array(length).fill(fill);
      // Lines before the huge one must still be answered, whatever the reads.
      const head = r.pick([
        '{"type":"msg","text":"',
        "{",
        "",
        "nick ",
        '{"type":"ping","token":"before"}\n{"type":"msg","text":"',
        "{bad\n{",
      ]);
      bytes.set(encoder.encode(head));
      // Terminated or not: the cap also applies to a line that has not ended.
      return {
        body: r.chance(0.5) ? new Uint8Array([...bytes, 0x0a]) : bytes,
        ending: "eof",
      };
    }
    case "mutate": {
      const lines = framesWithin(r, r.range(1, 6), budget);
      return { body: mutate(r, joinLines(r, lines), r.range(1, 8)), ending: "eof" };
    }
    case "fields": {
      const lines: string[] = [];
      let used = 0;
      for (let i = r.range(1, 5); i > 0; i--) {
        const line = oddFrameLine(r, budget);
        if (used + line.length + 2 > budget && lines.length) break;
        lines.push(line);
        used += line.length + 2;
      }
      if (!lines[0].startsWith("{")) lines.unshift('{"type":"ping","token":"first"}');
      return { body: joinLines(r, lines), ending: "eof" };
    }
    case "session": {
      // Join first, so the bad lines also meet a member, not only a handshake.
      const hello = JSON.stringify({
        type: "hello",
        protocol: 1,
        nick: `fz${r.int(5000)}`,
        client: "f",
      });
      const lines: (string | Uint8Array)[] = [hello];
      for (let i = r.range(1, 6); i > 0; i--) {
        const frame = JSON.stringify(validFrame(r));
        if (r.chance(0.4)) lines.push(oddFrameLine(r, 400));
        else if (r.chance(0.3)) lines.push(mutate(r, encoder.encode(frame), r.range(1, 3)));
        else lines.push(frame);
      }
      return { body: joinLines(r, lines), ending: "eof" };
    }
    case "abort": {
      // A partial frame, or a session cut mid-line, then the socket is gone.
      const lines = framesWithin(r, r.range(0, 3), budget);
      const whole = joinLines(r, lines);
      const cut = whole.subarray(0, r.range(1, whole.length));
      return { body: cut, ending: "abort" };
    }
    case "handshake": {
      // Requests and proofs around a hello, before it and after it: the
      // handshake's states (no hello, an open challenge, a member) each meet
      // every kind of frame. A nick of its own, so the hello mostly works.
      const lines: string[] = [];
      for (let i = r.int(4); i > 0; i--) lines.push(handshakeLine(r, 1000));
      const key = r.pick([undefined, undefined, validKeyText(r), malformedKeyText(r)]);
      lines.push(JSON.stringify(helloFrame(r, {
        nick: r.chance(0.9) ? `hs${index}` : randomNick(r),
        ...(key === undefined ? {} : { key }),
        ...(r.chance(0.3) ? { password: passwordText(r) } : {}),
      })));
      for (let i = r.range(1, 6); i > 0; i--) lines.push(handshakeLine(r, 1000, { keyed: true }));
      return { body: joinLines(r, lines), ending: "eof" };
    }
    case "proof": {
      // A hello with a real key, answered live (the nonce is the server's).
      const seed = new Uint8Array(r.bytes(32));
      const before: string[] = [];
      for (let i = r.int(3); i > 0; i--) {
        before.push(
          r.pick([
            () => JSON.stringify(authFrame(r, 1000)),
            () => badAuthLine(r),
            () => JSON.stringify(helloFrame(r, { key: malformedKeyText(r) })),
            () => JSON.stringify({ type: "msg", text: "too early" }),
            () => '{"type":"ping","token":"early"}',
          ])(),
        );
      }
      before.push(JSON.stringify(helloFrame(r, {
        nick: r.chance(0.9) ? `pk${index}` : randomNick(r),
        key: publicKeyOf(seed),
        ...(r.chance(0.2) ? { password: passwordText(r) } : {}),
      })));
      // While the challenge is open: everything but ping gets not_ready.
      for (let i = r.int(3); i > 0; i--) {
        before.push(
          r.pick([
            () => JSON.stringify(helloFrame(r)),
            () =>
              JSON.stringify(helloFrame(r, { key: r.pick([validKeyText(r), publicKeyOf(seed)]) })),
            () => JSON.stringify(helloFrame(r, { key: malformedKeyText(r) })),
            () => JSON.stringify(validFrame(r)).replace('"type":"auth"', '"type":"msg"'),
            () => badAuthLine(r),
            () => oddFrameLine(r, 1000),
          ])(),
        );
      }
      before.push(PROOF_WAIT);
      const after: string[] = [];
      for (let i = r.int(5); i > 0; i--) after.push(handshakeLine(r, 1000));
      const signing = r.pick<Signing>([
        "right",
        "right",
        "right",
        "right",
        "right-extra",
        "wrong-binding",
        "wrong-nonce",
        "other-key",
        "garbage",
      ]);
      return {
        body: joinLines(r, before),
        ending: "eof",
        proof: {
          seed,
          otherSeed: new Uint8Array(r.bytes(32)),
          signing,
          garbage: signatureText(r, 1000),
          after,
        },
      };
    }
    case "private": {
      // The private server: hellos with right, wrong, missing and odd passwords.
      const lines: string[] = [];
      for (let i = r.int(3); i > 0; i--) {
        lines.push(
          r.pick([
            () => '{"type":"ping","token":"early"}',
            () => JSON.stringify(authFrame(r, 1000)),
            () => badAuthLine(r),
            () => JSON.stringify({ type: "cmd", name: "who" }),
            () => JSON.stringify(helloFrame(r, { key: malformedKeyText(r) })),
            () => JSON.stringify(helloFrame(r, { password: r.pick(WRONG_VALUES.slice(0, -1)) })),
          ])(),
        );
      }
      for (let i = r.range(1, 3); i > 0; i--) {
        const password = r.pick([undefined, passwordText(r), FUZZ_PASSWORD, FUZZ_PASSWORD]);
        lines.push(JSON.stringify(helloFrame(r, {
          nick: r.chance(0.8) ? `pw${index}` : randomNick(r),
          ...(password === undefined ? {} : { password }),
          ...(r.chance(0.1) ? { key: r.pick([validKeyText(r), malformedKeyText(r)]) } : {}),
        })));
        for (let j = r.int(3); j > 0; j--) lines.push(handshakeLine(r, 1000));
      }
      return { body: joinLines(r, lines), ending: "eof" };
    }
    case "hostile":
      return { body: joinLines(r, hostileSession(r, index)), ending: "eof" };
    case "hostile-text":
      return { body: joinLines(r, hostileTyping(r, index)), ending: "eof" };
    case "greeting":
      return { body: new Uint8Array(0), ending: "greeting" };
    default:
      return { body: new Uint8Array(0), ending: "timeout" };
  }
}

const KINDS: readonly [string, number][] = [
  ["bytes", 10],
  ["native-bytes", 10],
  ["telnet", 5],
  ["huge", 4],
  ["mutate", 33],
  ["fields", 20],
  ["session", 9],
  ["handshake", 8],
  ["proof", 4],
  ["private", 4],
  ["hostile", 8],
  ["hostile-text", 3],
  ["abort", 6],
  ["greeting", 2.7],
  ["timeout", 0.3],
];
const KIND_TOTAL = KINDS.reduce((sum, [, weight]) => sum + weight, 0);

/** Builds case `index` of the run with `seed`; the same arguments give the same bytes. */
export function generateCase(seed: number, index: number, maxLineBytes: number): FuzzCase {
  const r = new Random(caseSeed(seed, index));
  let roll = r.int(KIND_TOTAL * 10) / 10;
  let kind = KINDS[0][0];
  for (const [name, weight] of KINDS) {
    kind = name;
    if ((roll -= weight) < 0) break;
  }
  const { body, ending, proof } = generateBody(r, kind, maxLineBytes, index);
  const mode: CaseMode = body.length === 0 ? "silent" : body[0] === 0x7b ? "native" : "text";
  const server = kind === "private" ? "private" : "open";
  if (proof) {
    // Sent whole, so the wait for the challenge is the only pause.
    const { after, ...rest } = proof;
    const afterAuth = encoder.encode([...after, SENTINEL].join("\n"));
    return {
      index,
      kind,
      mode,
      ending,
      payload: body,
      writes: [body],
      pauseMs: 0,
      server,
      proof: { ...rest, afterAuth },
    };
  }
  let payload = body;
  // A huge line without its newline stays unfinished: the cap applies anyway.
  const unfinished = kind === "huge" && body.at(-1) !== 0x0a;
  if (mode === "native" && ending === "eof" && !unfinished) {
    // End the last line, then ask for a pong: the connection must still be
    // parsing after everything that came before.
    const tail = body.at(-1) === 0x0a ? "" : "\n";
    payload = new Uint8Array([...body, ...encoder.encode(tail + SENTINEL)]);
  }
  // Lines split across writes (inside UTF-8 sequences, between CR and LF).
  const writes: Uint8Array[] = [];
  let pauseMs = 0;
  if (payload.length > 1 && r.chance(0.25)) {
    pauseMs = 1;
    const cuts = new Set<number>();
    for (let i = r.range(1, Math.min(12, payload.length - 1)); i > 0; i--) {
      cuts.add(r.range(1, payload.length - 1));
    }
    let start = 0;
    for (const cut of [...cuts].sort((a, b) => a - b)) {
      writes.push(payload.subarray(start, cut));
      start = cut;
    }
    writes.push(payload.subarray(start));
  } else if (payload.length) writes.push(payload);
  return { index, kind, mode, ending, payload, writes, pauseMs, server };
}
