/**
 * What the cluster end-to-end tests read from their clients: messages and
 * events of a native client, lines of a line-mode `client.ts`, and a sender
 * that waits for its message to be accepted (its own copy comes back) or
 * refused (`cluster_unavailable`), and tries again when refused, as the
 * issue asks every client to.
 *
 * @module
 */

import type { ServerFrame } from "../lib/protocol/wire_frames.ts";
import type { EntryProcess } from "./_entry_process.ts";
import { NativeClient } from "./_native_client.ts";
import { until } from "./_waiting.ts";

/** One message event as a client saw it. */
export type Msg = Extract<ServerFrame, { type: "msg" }>;

/** The message events a native client received in `room` (not the welcome's replay). */
export function messages(client: NativeClient, room = "#lobby"): Msg[] {
  return client.events.flatMap((e) => e.type === "msg" && e.room === room ? [e] : []);
}

/** `id:from:text` of each message a client received in `room`: what "one order" compares. */
export function ordered(client: NativeClient, room = "#lobby"): string[] {
  return messages(client, room).map((m) => `${m.id}:${m.from}:${m.text}`);
}

/** The events of `type` from index `from` on. */
export function eventsOf<T extends ServerFrame["type"]>(
  client: NativeClient,
  type: T,
  from = 0,
): Extract<ServerFrame, { type: T }>[] {
  return client.events.slice(from).filter((e): e is Extract<ServerFrame, { type: T }> =>
    e.type === type
  );
}

/** `<from> text` pairs a line-mode client printed (any room). */
export function printed(client: EntryProcess): { from: string; text: string }[] {
  return client.stdout.flatMap((line) => {
    const match = /^\[[^\]]+\] (?:\(history\) )?(?:#\S+ )?<([^>]+)> (.*)$/.exec(line);
    return match ? [{ from: match[1], text: match[2] }] : [];
  });
}

/** Polls `check` every 20 ms; the `performance.now()` when it first held, or throws after `ms`. */
export async function when(check: () => boolean, ms: number, what: string): Promise<number> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`Not within ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return performance.now();
}

/** A message a {@linkcode sendAccepted} sender got accepted. */
export interface Accepted {
  /** Its text. */
  text: string;
  /** When it was first sent. */
  sentAt: number;
  /** When its own copy came back (JetStream acknowledged it and the node read it back). */
  acceptedAt: number;
  /** The id it was given. */
  id: number;
  /** How many times the node refused it with `cluster_unavailable` before. */
  refusals: number;
}

/**
 * Sends `text` as `nick` and waits until its own copy comes back (after any
 * of its sends); a `cluster_unavailable` error means "not accepted, try
 * again": it is sent again after `retryMs`. Neither within `silentMs` of a
 * send: the message was lost silently, and that throws.
 */
export async function sendAccepted(
  client: NativeClient,
  nick: string,
  text: string,
  options: { room?: string; retryMs?: number; silentMs?: number } = {},
): Promise<Accepted> {
  const { room = "#lobby", retryMs = 250, silentMs = 15_000 } = options;
  const sentAt = performance.now();
  const first = client.events.length;
  let refusals = 0;
  while (true) {
    const from = client.events.length;
    await client.send({ type: "msg", text, room });
    let outcome: Msg | "refused" | undefined;
    await when(
      () => {
        // Its own copy counts whenever it came since the first send: an attempt refused when its
        // ack timed out may have been stored all the same, and come back after the refusal (while
        // this waited to try again); the retry is then a duplicate JetStream drops, and the node
        // says nothing more about it (chat-client's queue is confirmed by its ping's pong).
        const events = client.events;
        const own = events.findIndex((e, i) =>
          i >= first && e.type === "msg" && e.from === nick && e.text === text
        );
        if (own >= 0) return !!(outcome = events[own] as Msg);
        for (const e of events.slice(from)) {
          if (e.type === "error" && e.code === ("cluster_unavailable" as string)) {
            return !!(outcome = "refused");
          }
          if (e.type === "error" || e.type === "bye") {
            throw new Error(`${nick}'s "${text}" was refused: ${e.code} ${e.message}`);
          }
        }
        return false;
      },
      silentMs,
      `${nick}'s "${text}" neither accepted nor refused (lost silently)`,
    );
    if (outcome === "refused") {
      refusals++;
      await new Promise((resolve) => setTimeout(resolve, retryMs));
      continue;
    }
    const msg = outcome as Msg;
    return { text, sentAt, acceptedAt: performance.now(), id: msg.id, refusals };
  }
}

/** How often each item occurs, for "exactly once" checks. */
export function counts(items: string[]): Map<string, number> {
  const map = new Map<string, number>();
  for (const item of items) map.set(item, (map.get(item) ?? 0) + 1);
  return map;
}

/** The items of `expected` that do not occur exactly once in `seen`. */
export function notExactlyOnce(expected: string[], seen: string[]): string[] {
  const seenCounts = counts(seen);
  return expected.filter((item) => seenCounts.get(item) !== 1).map((item) =>
    `${item} (x${seenCounts.get(item) ?? 0})`
  );
}

/**
 * A native client welcomed on a cluster node as `nick`. A node answers a
 * hello with `cluster_unavailable` (at once, or after its claim's timeout)
 * while NATS cannot take the nick yet (just after NATS restarted, under
 * load): chat-client tries again, and so does this, until `ms`. Any other
 * refusal is thrown.
 */
export async function welcomed(port: number, nick: string, ms = 30_000): Promise<NativeClient> {
  const deadline = performance.now() + ms;
  for (;;) {
    const client = await NativeClient.connect(port);
    await client.hello(nick);
    const answer = () =>
      client.events.find((e) => e.type === "welcome" || e.type === "error" || e.type === "bye");
    await until(() => answer() !== undefined, Math.max(1_000, deadline - performance.now()));
    const event = answer()!;
    if (event.type === "welcome") return client;
    client.close();
    const code = event.type === "error" ? event.code : event.reason;
    if (code !== "cluster_unavailable" || performance.now() > deadline) {
      throw new Error(`${nick} refused on ${port}: ${JSON.stringify(event)}`);
    }
  }
}
