/**
 * A seeded protocol fuzzer for the chat server. Each case opens a fresh TCP
 * connection and sends random bytes or mutated native frames; the fuzzer
 * predicts which lines are not valid frames (from docs/protocol.md) and
 * checks that each of them got its `error` frame, in order, while two healthy
 * native clients keep chatting through the whole run.
 *
 * The handshake is fuzzed too: `auth` frames before a hello, during a
 * challenge and after joining; hellos with malformed keys and passwords; key
 * proofs signed right and wrong (the one part of a case that depends on the
 * server: the signature covers its nonce); and a second, private server whose
 * hellos carry right, wrong and missing passwords.
 *
 * Hostile text goes through every field, client to server: "hostile" cases
 * send the corpus of lib/core/_hostile_text.ts in every field of every
 * frame type (a hello's nick and client name, messages, command names and
 * arguments, rooms, tokens), "hostile-text" cases type it into a text
 * connection, and every receiver must get nothing a terminal would act on:
 * the case itself, the two healthy native clients, and a text (nc)
 * bystander in #lobby that asks /whois of each hostile member it sees join.
 *
 * The same seed and case number always build the same bytes (but for a
 * signature over the server's nonce), so a failure replays alone:
 * `deno task fuzz --seed S --case N`.
 *
 * @module
 */

import { delay } from "../_waiting.ts";
import { HealthWatch, TextBystander } from "./bystanders.ts";
import { type CaseMode, type FuzzCase, generateCase } from "./connection_cases.ts";
import { type CaseReport, checkNative, checkText, GREETING } from "./connection_checks.ts";
import { FUZZ_SERVER_OPTIONS, type FuzzTarget } from "./fuzz_server.ts";
import { close, Inbox, writeAll } from "./inbox.ts";
import { proofLine } from "./key_proofs.ts";
import { type FuzzRun, show } from "./report.ts";

const encoder = new TextEncoder();

/** Settings of one fuzz run. */
export interface FuzzOptions {
  /** The run's seed: the same seed gives the same cases. */
  seed: number;
  /** How many cases to run. */
  cases: number;
  /** Port of the server under test, on 127.0.0.1. */
  port: number;
  /** A server with a password, on 127.0.0.1, for the "private" cases (skipped without it). */
  privateServer?: { port: number; password: string };
  /** The first case number (to replay one case: `first: N, cases: 1`). */
  first?: number;
  /** Cases in flight at once. */
  concurrency?: number;
  /** The server's line cap (default: {@linkcode FUZZ_SERVER_OPTIONS}). */
  maxLineBytes?: number;
  /** The server's handshake timeout (default: {@linkcode FUZZ_SERVER_OPTIONS}). */
  handshakeTimeoutMs?: number;
  /** How often the healthy clients prove they still chat. */
  healthEveryMs?: number;
  /** Lets the fuzzer also check the server's own counters and error log. */
  target?: FuzzTarget;
}

/** What a client-to-server fuzz run did and found. */
export interface FuzzSummary extends FuzzRun {
  /** Cases per mode the server should pick. */
  modes: Record<CaseMode, number>;
  /** Lines that were not valid frames and were answered with an `error`. */
  badLines: number;
  /** Cases in which the fuzzed connection joined the chat. */
  welcomes: number;
  /** Cases that drew a key challenge. */
  challenges: number;
  /** Cases that joined by a key proof. */
  keyWelcomes: number;
  /** Cases refused at the door (`bye` `denied`: a password or a key proof). */
  denied: number;
  /** Cases not run (a private case without a private server). */
  skipped: number;
  /** Times the healthy clients proved they still chat. */
  healthChecks: number;
  /** Hostile members the text bystander (nc) saw join. */
  textJoins: number;
  /** /whois answers about hostile members that the text bystander (nc) got. */
  textWhois: number;
  /** How long the run took, in milliseconds. */
  durationMs: number;
}

/** Runs one case on a fresh connection and checks what came back. */
async function runCase(
  port: number,
  fc: FuzzCase,
  options: { maxLineBytes: number; handshakeTimeoutMs: number; password?: string },
): Promise<CaseReport> {
  const report: CaseReport = { badLines: 0, welcome: false };
  let conn: Deno.TcpConn;
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
  } catch (error) {
    return { ...report, problem: `cannot connect: ${error}` };
  }
  conn.setNoDelay(true);
  const inbox = new Inbox(conn);
  let sent = fc.payload;
  let validAuth: string | undefined;
  // Bounds every wait below, writes included: closing fails a pending write.
  const limitMs = options.handshakeTimeoutMs + 5000;
  let timedOut = false;
  const watchdog = setTimeout(() => {
    timedOut = true;
    close(conn);
  }, limitMs);
  try {
    if (fc.ending === "greeting") {
      const text = () => new TextDecoder().decode(inbox.bytes);
      if (!await inbox.until(() => GREETING.test(text()), limitMs)) {
        return { ...report, problem: `no greeting for a silent peer; got ${show(inbox.bytes)}` };
      }
      try {
        conn.closeWrite();
      } catch {
        // Already closed by the server.
      }
    } else if (fc.proof) {
      const proof = fc.proof;
      try {
        await writeAll(conn, fc.payload);
      } catch {
        // Closed by the server; checked below.
      }
      // The pong after the hello: by then its challenge (if any) is in.
      const text = () => new TextDecoder().decode(inbox.bytes);
      await inbox.until(() => text().includes('"token":"auth-next"'), limitMs);
      const challenge = text().split("\n").filter((line) => line.startsWith('{"type":"challenge"'))
        .at(-1);
      const nonce = challenge ? String(JSON.parse(challenge).nonce) : "no-challenge";
      const auth = proofLine(proof, nonce);
      if (proof.signing === "right" || proof.signing === "right-extra") validAuth = auth;
      sent = new Uint8Array([...fc.payload, ...encoder.encode(auth + "\n"), ...proof.afterAuth]);
      try {
        await writeAll(conn, sent.subarray(fc.payload.length));
      } catch {
        // Closed by the server; checked below.
      }
      try {
        conn.closeWrite();
      } catch {
        // Already reset by the server.
      }
    } else if (fc.ending !== "timeout") {
      for (const [i, chunk] of fc.writes.entries()) {
        if (i > 0 && fc.pauseMs) await delay(fc.pauseMs);
        try {
          await writeAll(conn, chunk);
        } catch {
          break; // The server already closed (a fatal line); what it said is checked below.
        }
      }
      if (fc.ending === "abort") return report;
      try {
        conn.closeWrite();
      } catch {
        // Already reset by the server.
      }
    }
    await inbox.until(() => inbox.ended, limitMs);
    if (timedOut || !inbox.ended) {
      return {
        ...report,
        problem: `server did not close within ${limitMs} ms; got ${show(inbox.bytes)}`,
      };
    }
    const received = inbox.bytes;
    if (fc.mode === "native") {
      return checkNative(sent, received, {
        maxLineBytes: options.maxLineBytes,
        password: options.password,
        validAuth,
      });
    }
    const problem = checkText(received, fc.ending === "timeout");
    return { ...report, problem };
  } finally {
    clearTimeout(watchdog);
    close(conn);
    await inbox.done;
  }
}

/**
 * Runs `cases` fuzz cases against the server on 127.0.0.1:`port` and returns
 * what happened; it does not throw for a failing case, it lists it in
 * `failures` with its seed and case number.
 */
export async function runFuzz(options: FuzzOptions): Promise<FuzzSummary> {
  const started = performance.now();
  const seed = options.seed >>> 0;
  const first = options.first ?? 0;
  const end = first + options.cases;
  const maxLineBytes = options.maxLineBytes ?? FUZZ_SERVER_OPTIONS.maxLineBytes;
  const handshakeTimeoutMs = options.handshakeTimeoutMs ??
    FUZZ_SERVER_OPTIONS.handshakeTimeoutMs;
  const summary: FuzzSummary = {
    seed,
    first,
    cases: options.cases,
    failures: [],
    failureCount: 0,
    kinds: {},
    modes: { native: 0, text: 0, silent: 0 },
    badLines: 0,
    welcomes: 0,
    challenges: 0,
    keyWelcomes: 0,
    denied: 0,
    skipped: 0,
    healthChecks: 0,
    textJoins: 0,
    textWhois: 0,
    durationMs: 0,
  };
  const fail = (where: string, problem: string) => {
    summary.failureCount++;
    if (summary.failures.length < 50) summary.failures.push(`seed=${seed} ${where}: ${problem}`);
  };
  const lineFlag = maxLineBytes === FUZZ_SERVER_OPTIONS.maxLineBytes
    ? ""
    : ` --max-line-bytes ${maxLineBytes}`;
  const replay = (index: number) =>
    `(replay: deno task fuzz --seed ${seed} --case ${index}${lineFlag})`;

  await using health = await HealthWatch.connect(options.port, seed);
  await using bystander = await TextBystander.connect(options.port, seed);
  const baseline = options.target?.stats();
  let next = first;
  let loggedErrors = 0;
  let running = true;
  const watching = (async () => {
    while (running) {
      await delay(options.healthEveryMs ?? 100);
      const problem = await health.check();
      if (problem) fail(`around case ${next}`, problem);
    }
  })();

  const worker = async () => {
    while (next < end) {
      const index = next++;
      const fc = generateCase(seed, index, maxLineBytes);
      const privateServer = options.privateServer;
      if (fc.server === "private" && !privateServer) {
        summary.skipped++;
        continue;
      }
      summary.kinds[fc.kind] = (summary.kinds[fc.kind] ?? 0) + 1;
      summary.modes[fc.mode]++;
      try {
        const report = fc.server === "private"
          ? await runCase(privateServer!.port, fc, {
            maxLineBytes,
            handshakeTimeoutMs,
            password: privateServer!.password,
          })
          : await runCase(options.port, fc, { maxLineBytes, handshakeTimeoutMs });
        summary.badLines += report.badLines;
        if (report.welcome) summary.welcomes++;
        if (report.challenged) summary.challenges++;
        if (report.keyWelcome) summary.keyWelcomes++;
        if (report.denied) summary.denied++;
        if (report.problem) {
          fail(`case=${index} (${fc.kind})`, `${report.problem}\n  ${replay(index)}`);
        }
      } catch (error) {
        fail(`case=${index} (${fc.kind})`, `the case threw ${error} ${replay(index)}`);
      }
      const errors = options.target?.errors ?? [];
      if (errors.length > loggedErrors) {
        const fresh = errors.slice(loggedErrors).join("; ");
        loggedErrors = errors.length;
        fail(`around case=${index} (${fc.kind})`, `the server logged ${fresh} ${replay(index)}`);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 8) }, worker));
  } finally {
    running = false;
    await watching;
  }
  const problem = await health.check();
  if (problem) fail("after the last case", problem);

  if (options.target && baseline) {
    // Every fuzzed connection is gone; only the two healthy members remain.
    const deadline = performance.now() + 3000;
    let stats = options.target.stats();
    while (
      (stats.connections !== baseline.connections || stats.members !== baseline.members) &&
      performance.now() < deadline
    ) {
      await delay(20);
      stats = options.target.stats();
    }
    if (stats.connections !== baseline.connections || stats.members !== baseline.members) {
      fail(
        "after the last case",
        `the server still has ${stats.connections} connections and ${stats.members} members; ` +
          `expected ${baseline.connections} and ${baseline.members} (the healthy clients)`,
      );
    }
  }
  const unsafe = bystander.problem();
  if (unsafe) fail("the text bystander", unsafe);
  summary.textJoins = bystander.joinsSeen;
  summary.textWhois = bystander.whoisAnswers;
  summary.healthChecks = health.checks;
  summary.durationMs = Math.round(performance.now() - started);
  return summary;
}
