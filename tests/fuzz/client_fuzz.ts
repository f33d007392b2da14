/**
 * The server-to-client fuzzer.
 *
 * A hostile server (tests/hostile_server.ts) sends fuzzed frames to a real
 * ChatSession over TCP; every event it yields goes through both renderers:
 * line mode's EventPrinter and the terminal UI (ChatView, drawn on the fake
 * terminal, which throws on any sequence the UI does not write itself). The
 * oracle knows, from docs/protocol.md, which field of which frame is free
 * text (cleaned and shown), which must be a nick, a room, a code or a number
 * (a frame with anything else there is refused with one "invalid frame"
 * notice), and which are optional.
 *
 * @module
 */

import type { ServerFrame } from "../../lib/protocol/wire_frames.ts";
import { ChatSession, type InvalidFrameEvent } from "../../lib/client/chat_session.ts";
import { EventPrinter } from "../../lib/client/line_mode.ts";
import { ChatView } from "../../lib/client/tui/chat_view.ts";
import { LineEditor } from "../../lib/client/tui/line_editor.ts";
import { renderScreen } from "../../lib/client/tui/render_screen.ts";
import { ScreenWriter } from "../../lib/client/tui/terminal.ts";
import { FakeTerminal } from "../../lib/client/tui/_fake_terminal.ts";
import { frameTemplates, HostileServer } from "../_hostile_server.ts";
import { type FuzzRun, show } from "./report.ts";
import { generateServerCase, type ServerFuzzCase } from "./server_line_cases.ts";

const encoder = new TextEncoder();

/** Settings of a server-to-client fuzz run. */
export interface ClientFuzzOptions {
  /** The run's seed: the same seed gives the same cases. */
  seed: number;
  /** How many cases to run. */
  cases: number;
  /** The first case number (to replay one case: `first: N, cases: 1`). */
  first?: number;
}

/** What a server-to-client fuzz run did and found. */
export interface ClientFuzzSummary extends FuzzRun {
  /** Cases by what the client did: accepted, refused (a notice), ignored. */
  outcomes: Record<"accepted" | "refused" | "ignored", number>;
  /** Tags of poisoned message texts that reached line mode's output, cleaned. */
  tagsShown: number;
  /** Events drawn on the fake terminal. */
  drawn: number;
  /** How long the run took. */
  durationMs: number;
}

/** What must never reach a terminal: controls (but LF), C1, bidi controls, separators. */
const UNSAFE_SHOWN =
  /[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;
/** What a renderer prints when handed what it did not expect. */
const GARBAGE_SHOWN = /\bNaN\b|\bundefined\b|Invalid Date|\[object Object\]/;

/**
 * Runs `cases` server-to-client cases: a hostile server sends each case's
 * line, then a `pong` that marks the end of the case, to a real ChatSession;
 * each case's events are checked against the oracle and rendered by line
 * mode and by the terminal UI.
 */
export async function runClientFuzz(options: ClientFuzzOptions): Promise<ClientFuzzSummary> {
  const started = performance.now();
  const seed = options.seed >>> 0;
  const first = options.first ?? 0;
  const cases = Array.from(
    { length: options.cases },
    (_, i) => generateServerCase(seed, first + i),
  );
  const summary: ClientFuzzSummary = {
    seed,
    first,
    cases: options.cases,
    failures: [],
    failureCount: 0,
    kinds: {},
    outcomes: { accepted: 0, refused: 0, ignored: 0 },
    tagsShown: 0,
    drawn: 0,
    durationMs: 0,
  };
  const fail = (fc: ServerFuzzCase, problem: string) => {
    summary.failureCount++;
    if (summary.failures.length < 50) {
      summary.failures.push(
        `seed=${seed} case=${fc.index} (${fc.kind}, ${fc.type}): ${problem}\n  line: ${
          show(typeof fc.line === "string" ? encoder.encode(fc.line) : fc.line)
        }\n  (replay: deno task fuzz --direction client --seed ${seed} --case ${fc.index})`,
      );
    }
  };
  const sentinel = (index: number) => ({ type: "pong", token: `fuzz-case-${index}` });
  await using server = new HostileServer(async (peer) => {
    await peer.send({ ...frameTemplates()[0], history: [], rateLimit: undefined });
    for (let i = 0; i < cases.length; i += 100) {
      await peer.send(...cases.slice(i, i + 100).flatMap((fc) => [fc.line, sentinel(fc.index)]));
    }
    await peer.waitFor((f) => f.type === "cmd" && f.name === "quit", 120_000);
  });
  const session = await ChatSession.connect({
    host: "127.0.0.1",
    port: server.port,
    nick: "ana",
    client: "fuzz",
  });
  const printer = new EventPrinter();
  const view = new ChatView();
  const editor = new LineEditor();
  const terminal = new FakeTerminal(100, 30);
  const writer = new ScreenWriter(terminal);
  terminal.enter();
  const draw = () => {
    writer.draw(renderScreen(view, editor, terminal.size(), { color: true }));
    summary.drawn++;
  };
  printer.lines(session.welcome);
  view.apply(session.welcome);
  draw();
  let next = 0;
  let events: (ServerFrame | InvalidFrameEvent)[] = [];
  try {
    for await (const event of session.events()) {
      const fc = cases[next];
      if (event.type === "pong" && event.token === `fuzz-case-${fc.index}`) {
        judgeServerCase(fc, events, summary, fail);
        // Both renderers take everything, and show nothing a terminal would interpret.
        try {
          const lines = events.flatMap((e) =>
            e.type === "invalid_frame" ? [e.message] : printer.lines(e)
          );
          const bad = lines.find((l) =>
            UNSAFE_SHOWN.test(l) || !l.isWellFormed() || GARBAGE_SHOWN.test(l)
          );
          if (bad !== undefined) fail(fc, `line mode printed ${JSON.stringify(bad.slice(0, 200))}`);
          if (fc.tag && events.length === 1) {
            if (lines.some((l) => l.includes(fc.tag!))) summary.tagsShown++;
            else fail(fc, `line mode lost the text: ${JSON.stringify(lines).slice(0, 300)}`);
          }
          for (const e of events) {
            if (view.apply(e)) terminal.write("\x07"); // The UI's own bell, as TuiApp rings it.
          }
          draw();
          const shown = terminal.screenText().find((r) => GARBAGE_SHOWN.test(r));
          if (shown) fail(fc, `the terminal UI drew ${JSON.stringify(shown)}`);
        } catch (error) {
          fail(fc, `a renderer threw: ${error}`);
        }
        events = [];
        if (++next === cases.length) break;
        continue;
      }
      events.push(event);
    }
    if (next < cases.length) fail(cases[next], "the session ended before this case was answered");
  } catch (error) {
    fail(cases[next] ?? cases.at(-1)!, `the session threw ${error}`);
  } finally {
    await session.send({ type: "cmd", name: "quit", args: "" }).catch(() => {});
    session.close();
    terminal.restore();
  }
  for (const error of server.errors) fail(cases.at(-1)!, `the fake server failed: ${error}`);
  summary.durationMs = Math.round(performance.now() - started);
  return summary;
}

/** Checks one case's events against its expectation. */
function judgeServerCase(
  fc: ServerFuzzCase,
  events: (ServerFrame | InvalidFrameEvent)[],
  summary: ClientFuzzSummary,
  fail: (fc: ServerFuzzCase, problem: string) => void,
): void {
  summary.kinds[fc.kind] = (summary.kinds[fc.kind] ?? 0) + 1;
  const got = events.map((e) => e.type === "invalid_frame" ? "invalid" : e.type);
  const outcome = got.length === 0 ? "ignored" : got[0] === "invalid" ? "refused" : "accepted";
  if (got.length > 1) return fail(fc, `one line gave ${got.length} events: ${got}`);
  summary.outcomes[outcome]++;
  // A ping is answered, not yielded.
  const accepted = fc.type === "ping" ? "ignored" : "accepted";
  const want = fc.expect === "accepted" ? accepted : fc.expect;
  if (want === "either") return;
  if (outcome !== want) {
    const detail = events[0]?.type === "invalid_frame" ? `: ${events[0].message}` : "";
    return fail(fc, `expected it ${want}, but it was ${outcome}${detail}`);
  }
  if (outcome === "accepted" && got[0] !== fc.type) {
    fail(fc, `expected a "${fc.type}" event, got "${got[0]}"`);
  }
}
