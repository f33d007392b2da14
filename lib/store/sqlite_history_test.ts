import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { checkCases, fill } from "../core/state/_history_query_cases.ts";
import { SqliteStore } from "./sqlite_store.ts";

Deno.test("queryHistory() on a SqliteStore: before, after, latest, around, between, by id and time", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lanchat-query-" });
  try {
    const store = new SqliteStore(`${dir}/history.db`);
    try {
      fill(store);
      await checkCases(store);
      // Migration 5 made the index that queries by time use.
      const db = new DatabaseSync(`${dir}/history.db`, { readOnly: true });
      const index = db.prepare("SELECT name FROM sqlite_master WHERE name = ?")
        .get("messages_by_room_time");
      db.close();
      assert.deepEqual({ ...index }, { name: "messages_by_room_time" });
    } finally {
      store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
