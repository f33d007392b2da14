/** Hundreds of clients join in waves, chat, and a third of them vanish mid-conversation. */

import assert from "node:assert/strict";
import type { JoinEvent, LeaveEvent, MessageEvent } from "../lib/core/events.ts";
import type { ServerFrame } from "../lib/protocol/wire_frames.ts";
import { mulberry32 } from "./fuzz/random.ts";
import { startServer } from "./_in_process_server.ts";
import { NativeClient } from "./_native_client.ts";
import { delay } from "./_waiting.ts";

const SEED = 0x50a4;
const CLIENTS = 300;
const WAVES = 6;
const MESSAGES_PER_ROUND = 100;
const WORDS = ["hi", "ok", "lunch?", "brb", "ship it", "é", "日本", "😀", "+1", "why", "now"];

/** One client of the soak, with what it received, each line parsed once. */
class Peer {
  /** #lobby events by id. */
  readonly lobby = new Map<number, MessageEvent | JoinEvent | LeaveEvent>();
  /** #lobby ids in the order received. */
  readonly order: number[] = [];
  /** Frames a member of one room who only sends messages should never get. */
  readonly unexpected: ServerFrame[] = [];
  /** Its own messages, echoed back, by tag. */
  readonly echoes = new Map<string, MessageEvent>();
  /** When it left, if it did; it stays in `peers` so its socket is disposed. */
  left = false;
  #cursor = 0;

  constructor(readonly nick: string, readonly client: NativeClient) {}

  /** Parses what arrived since the last call. */
  take(): void {
    const lines = this.client.lines;
    for (; this.#cursor < lines.length; this.#cursor++) {
      const event: ServerFrame = JSON.parse(lines[this.#cursor]);
      if (event.type === "msg" || event.type === "join" || event.type === "leave") {
        if (event.room === "#lobby") {
          this.lobby.set(event.id, event);
          this.order.push(event.id);
          if (event.type === "msg" && event.from === this.nick) {
            this.echoes.set(event.text.split(" ")[0], event);
          }
          continue;
        }
      }
      if (event.type !== "welcome") this.unexpected.push(event);
    }
  }

  /** Waits until `done()` holds, reading new lines as they arrive. */
  async until(done: () => boolean, ms = 10_000): Promise<void> {
    const deadline = performance.now() + ms;
    while (true) {
      this.take();
      if (done()) return;
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`${this.nick}: timed out after ${ms} ms`);
      await this.client.waitLine(() => true, this.#cursor, left);
    }
  }

  /** The message `tag` it sent and saw echoed, if any. */
  echo(tag: string): MessageEvent | undefined {
    return this.echoes.get(tag);
  }
}

/** Fisher-Yates, driven by the seeded generator. */
function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

Deno.test(`soak: ${CLIENTS} clients in ${WAVES} waves chat while a third vanish; every accepted message reaches everyone who stayed`, async () => {
  const random = mulberry32(SEED);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const where = `(seed ${SEED})`;
  await using server = await startServer({
    maxPerIp: 1000,
    maxClients: 1000,
    rateLimit: false,
    historySize: 10,
    // Every join and leave is checked, so announce them at any room size.
    announceLimit: 1000,
  });
  const port = server.addr.port;
  const peers: Peer[] = [];
  // Which clients vanish, and in which round (never before their own wave).
  const leaveRound = new Map<string, number>();
  const nicks = Array.from({ length: CLIENTS }, (_, i) => `s${i}`);
  for (const nick of shuffle([...nicks], random).slice(0, CLIENTS / 3)) {
    const wave = Math.floor(nicks.indexOf(nick) / (CLIENTS / WAVES));
    leaveRound.set(nick, wave + Math.floor(random() * (WAVES - wave)));
  }
  /** Tags of messages sent, by sender. */
  const sent = new Map<string, string[]>();
  let tagCount = 0;
  const leaveStyles = { close: 0, halfFrame: 0, sendThenClose: 0 };

  try {
    for (let wave = 0; wave < WAVES; wave++) {
      const size = CLIENTS / WAVES;
      const joining = nicks.slice(wave * size, (wave + 1) * size);
      const settled = await Promise.allSettled(
        joining.map((nick) => NativeClient.connect(port, nick)),
      );
      // Keep every client that did connect, so the finally block closes it.
      settled.forEach((result, i) => {
        if (result.status === "fulfilled") peers.push(new Peer(joining[i], result.value));
      });
      const failed = settled.find((result) => result.status === "rejected");
      if (failed) throw failed.reason;

      // One round of chat, with this round's leavers vanishing in between.
      type Action = { kind: "say"; peer: Peer } | { kind: "leave"; peer: Peer };
      const present = peers.filter((peer) => !peer.left);
      const actions: Action[] = shuffle([
        ...Array.from({ length: MESSAGES_PER_ROUND }, () => ({
          kind: "say" as const,
          peer: pick(present),
        })),
        ...present.filter((peer) => leaveRound.get(peer.nick) === wave).map((peer) => ({
          kind: "leave" as const,
          peer,
        })),
      ], random);
      for (const { kind, peer } of actions) {
        if (peer.left) continue;
        if (kind === "say") {
          const tag = `m${tagCount++}`;
          const words = Array.from({ length: 1 + Math.floor(random() * 5) }, () => pick(WORDS));
          sent.set(peer.nick, [...(sent.get(peer.nick) ?? []), tag]);
          await peer.client.send({ type: "msg", text: `${tag} ${words.join(" ")}` });
          continue;
        }
        // Vanish without /quit: just close, or close in the middle of a frame,
        // or send a message and close before its echo can be read.
        peer.take();
        peer.left = true;
        const style = pick(["close", "halfFrame", "sendThenClose"] as const);
        leaveStyles[style]++;
        if (style === "halfFrame") await peer.client.write('{"type":"msg","text":"half a li');
        if (style === "sendThenClose") {
          await peer.client.send({ type: "msg", text: `m${tagCount++} gone` });
        }
        peer.client.close();
      }
      // Everyone still here sees the echo of each message it sent.
      await Promise.all(
        peers.filter((peer) => !peer.left).map((peer) =>
          peer.until(() => (sent.get(peer.nick) ?? []).every((tag) => peer.echo(tag)))
        ),
      );
    }

    // Once the server has seen every vanished client go, one last message
    // marks the end of the room's story.
    const stayers = peers.filter((peer) => !peer.left);
    assert.equal(stayers.length, CLIENTS - CLIENTS / 3);
    const deadline = performance.now() + 5000;
    while (server.hub.size > stayers.length && performance.now() < deadline) await delay(10);
    assert.equal(server.hub.size, stayers.length, `the vanished clients left the hub ${where}`);
    await stayers[0].client.send({ type: "msg", text: "final word" });
    let finalId = 0;
    await stayers[0].until(() => {
      const echo = stayers[0].echo("final");
      finalId = echo?.id ?? 0;
      return echo !== undefined;
    });
    await Promise.all(stayers.map((peer) => peer.until(() => peer.lobby.has(finalId))));
    for (const peer of peers) peer.take();

    // Each client's join id, as the others saw it; only the very first
    // member (id 1) had no one to see it.
    const joinIds = new Map<string, number>();
    for (const peer of peers) {
      for (const event of peer.lobby.values()) {
        if (event.type !== "join") continue;
        const known = joinIds.get(event.nick);
        assert.ok(known === undefined || known === event.id, `one join id per nick ${where}`);
        joinIds.set(event.nick, event.id);
      }
    }
    const unseen = nicks.filter((nick) => !joinIds.has(nick));
    assert.equal(unseen.length, 1, `only the first member's join went unseen: ${unseen} ${where}`);
    joinIds.set(unseen[0], 1);

    // Every message a sender saw accepted (echoed with an id) reached every
    // client that was there from before it to the end, unchanged.
    let accepted = 0;
    let deliveries = 0;
    for (const sender of peers) {
      for (const tag of sent.get(sender.nick) ?? []) {
        const echo = sender.echo(tag);
        if (!echo) {
          assert.ok(sender.left, `${sender.nick} saw no echo of ${tag} ${where}`);
          continue;
        }
        accepted++;
        for (const peer of stayers) {
          if (joinIds.get(peer.nick)! > echo.id) continue;
          assert.deepEqual(peer.lobby.get(echo.id), echo, `${peer.nick} got ${tag} ${where}`);
          deliveries++;
        }
      }
    }
    assert.ok(accepted >= stayers.length / 2, `${accepted} messages were accepted`);

    // And nothing else went missing: each stayer got every #lobby event from
    // its join to the end, once and in order, and the vanished ones left.
    for (const peer of stayers) {
      const from = joinIds.get(peer.nick)! + 1;
      const expected = Array.from({ length: finalId - from + 1 }, (_, i) => from + i);
      assert.deepEqual(peer.order, expected, `${peer.nick}: every #lobby id, in order ${where}`);
      assert.deepEqual(peer.unexpected, [], `${peer.nick}: only room events ${where}`);
    }
    // The earliest stayer saw every later joiner that vanished leave.
    const first = stayers.reduce((a, b) => joinIds.get(a.nick)! < joinIds.get(b.nick)! ? a : b);
    for (const peer of peers.filter((peer) => peer.left)) {
      if (joinIds.get(peer.nick)! < joinIds.get(first.nick)!) continue;
      const leave = [...first.lobby.values()].find((e) =>
        e.type === "leave" && e.nick === peer.nick
      );
      assert.ok(leave?.type === "leave", `${peer.nick}'s leave was announced ${where}`);
      assert.ok(["quit", "dropped"].includes(leave.reason), `${peer.nick} left: ${leave.reason}`);
    }
    assert.ok(deliveries > accepted, `deliveries checked: ${deliveries}`);
    assert.ok(Object.values(leaveStyles).every((n) => n > 10), JSON.stringify(leaveStyles));
  } finally {
    await Promise.all(peers.map((peer) => peer.client[Symbol.asyncDispose]()));
  }
  const deadline = performance.now() + 3000;
  while (server.stats().connections > 0 && performance.now() < deadline) await delay(10);
  assert.deepEqual(server.stats(), {
    connections: 0,
    members: 0,
    pending: 0,
    evictions: 0,
    queuedBytes: 0,
    maxQueuedBytes: 0,
  });
});
