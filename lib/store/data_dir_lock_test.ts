import assert from "node:assert/strict";
import { DataDirInUseError, DataDirLock, lockPath } from "./data_dir_lock.ts";

const OWNER = { pid: 4242, started: "2026-11-30T05:00:00.000Z", version: "0.1.0" };

async function withDir(run: (dir: string) => void | Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "lanchat-lock-" });
  try {
    await run(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("DataDirLock refuses a second holder and names the first one", () =>
  withDir((dir) => {
    const first = DataDirLock.acquire(dir, OWNER);
    assert.equal(first.stale, undefined);
    assert.throws(
      () => DataDirLock.acquire(dir, { ...OWNER, pid: 99 }),
      (error: unknown) => {
        assert.ok(error instanceof DataDirInUseError);
        assert.equal(error.name, "DataDirInUseError");
        assert.deepEqual(error.owner, OWNER);
        assert.equal(
          error.message,
          `the data directory ${dir} is in use by another chat-server (pid 4242, started 2026-11-30T05:00:00.000Z); stop that one first, or give this one its own --data-dir (or --no-persist)`,
        );
        return true;
      },
    );
    first.release();
    first.release(); // Twice is harmless.
    const second = DataDirLock.acquire(dir, { ...OWNER, pid: 99 });
    assert.equal(second.stale, undefined, "a clean release leaves no note behind");
    second.release();
  }));

Deno.test("DataDirLock takes over a note left by a process that died, and says whose it was", () =>
  withDir((dir) => {
    // What kill -9 leaves: the note, without the lock (the kernel dropped it).
    Deno.writeTextFileSync(lockPath(dir), JSON.stringify(OWNER) + "\n");
    const lock = DataDirLock.acquire(dir, { ...OWNER, pid: 7 });
    assert.deepEqual(lock.stale, OWNER);
    assert.deepEqual(JSON.parse(Deno.readTextFileSync(lockPath(dir))), { ...OWNER, pid: 7 });
    lock.release();
    assert.equal(Deno.readTextFileSync(lockPath(dir)), "");
  }));

Deno.test("DataDirLock ignores a lock file it cannot read as a note", () =>
  withDir((dir) => {
    Deno.writeTextFileSync(lockPath(dir), "garbage");
    const lock = DataDirLock.acquire(dir, OWNER);
    assert.equal(lock.stale, undefined);
    lock.release();
  }));
