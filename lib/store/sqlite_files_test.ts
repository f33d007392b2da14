import assert from "node:assert/strict";
import type { FileRecord } from "../core/state/file_index.ts";
import { SqliteStore } from "./sqlite_store.ts";

function record(id: string, sha256: string, ts: number): FileRecord {
  return {
    id,
    name: `${id}.bin`,
    size: 10,
    type: "application/octet-stream",
    sha256,
    uploader: "ana",
    room: "#lobby",
    ts,
    key: "k".repeat(22),
  };
}

Deno.test("SqliteFileIndex.removeUnreferenced() forgets old files no message announces, and frees content only when no file keeps it", () => {
  const store = new SqliteStore(":memory:");
  try {
    const files = store.files;
    files.add(record("kept", "aa", 1));
    files.add(record("orphan", "bb", 1));
    files.add(record("twin", "aa", 1)); // same content as "kept", announced by nothing
    files.add(record("young", "cc", 500)); // within the grace
    store.append("#lobby", {
      type: "msg",
      room: "#lobby",
      id: 1,
      ts: 2,
      from: "ana",
      text: "[file] kept.bin",
      kind: "say",
      file: {
        id: "kept",
        name: "kept.bin",
        size: 10,
        type: "application/octet-stream",
        url: "http://x/f/kept/kept.bin",
      },
    });
    store.flush();
    const released = files.removeUnreferenced(100);
    assert.deepEqual(released, [{ sha256: "bb", size: 10 }]);
    assert.ok(files.get("kept"));
    assert.equal(files.get("orphan"), undefined);
    assert.equal(files.get("twin"), undefined);
    assert.ok(files.get("young"));
    assert.equal(files.contentBytes(), 20);
    // The message read back keeps its file.
    assert.equal(store.load("#lobby", 10).messages[0].file?.id, "kept");
  } finally {
    store.close();
  }
});
