// Every kind of message (say, /me, /notice) comes back from the SQLite store as it went in.

import assert from "node:assert/strict";
import type { DirectEvent, MessageEvent, MessageKind } from "../core/events.ts";
import { SqliteStore } from "./sqlite_store.ts";

const KINDS: MessageKind[] = ["say", "action", "notice"];

Deno.test("SqliteStore keeps each message's kind, notice included, across reopening", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lanchat-store-" });
  try {
    const path = `${dir}/history.db`;
    const store = new SqliteStore(path);
    KINDS.forEach((kind, i) => {
      const ts = 1_700_000_000_000 + i;
      const event: MessageEvent = {
        type: "msg",
        room: "#lobby",
        id: i + 1,
        ts,
        from: "ana",
        text: kind,
        kind,
      };
      store.append("#lobby", event);
      const dm: DirectEvent = { type: "dm", ts, from: "ana", to: "bo", text: kind, kind };
      store.appendPrivate(dm);
    });
    store.close();
    const again = new SqliteStore(path);
    assert.deepEqual(again.load("#lobby", 10).messages.map((m) => m.kind), KINDS);
    assert.deepEqual((await again.page("#lobby", 10, 10)).map((m) => m.kind), KINDS);
    assert.deepEqual([...again.exportPrivate()].map((m) => m.kind), KINDS);
    again.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
