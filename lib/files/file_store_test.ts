import assert from "node:assert/strict";
import { MemoryFileIndex } from "../core/state/file_index.ts";
import { SqliteStore } from "../store/sqlite_store.ts";
import { FileStore, FileStoreError } from "./file_store.ts";
import { servedInline, sniffImageType, storedType } from "./file_type.ts";

const encoder = new TextEncoder();
const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 1, 2, 3]);

async function* chunks(...parts: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield typeof part === "string" ? encoder.encode(part) : part;
}

async function* cutAfter(text: string): AsyncGenerator<Uint8Array> {
  yield encoder.encode(text);
  throw new Error("connection reset");
}

/** Every file under `dir`, relative. */
async function filesUnder(dir: string, prefix = ""): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(`${dir}/${prefix}`)) {
    const path = `${prefix}${entry.name}`;
    if (entry.isDirectory) found.push(...await filesUnder(dir, `${path}/`));
    else found.push(path);
  }
  return found.sort();
}

async function tempStore(options = {}) {
  const dir = await Deno.makeTempDir({ prefix: "lanchat_files_" });
  const index = new MemoryFileIndex();
  const store = await FileStore.open(`${dir}/files`, index, options);
  return {
    dir: `${dir}/files`,
    index,
    store,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

const ROOM = { uploader: "ana", room: "#lobby" };

Deno.test("FileStore.put() stores content under its SHA-256 and records the file", async () => {
  await using t = await tempStore({ now: () => 1234 });
  const record = await t.store.put(chunks("hello ", "world"), {
    ...ROOM,
    name: "greeting.txt",
    declaredType: "text/plain",
  });
  const sha = "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9";
  assert.equal(record.sha256, sha);
  assert.equal(record.size, 11);
  assert.equal(record.type, "text/plain");
  assert.equal(record.ts, 1234);
  assert.match(record.id, /^[A-Za-z0-9_-]{22}$/);
  assert.equal(await Deno.readTextFile(`${t.dir}/sha256/${sha.slice(0, 2)}/${sha}`), "hello world");
  assert.deepEqual(await t.store.get(record.id), record);
  assert.deepEqual(await filesUnder(t.dir), [`sha256/b9/${sha}`]);
});

Deno.test("FileStore.put() stores the same content once, under two ids", async () => {
  await using t = await tempStore();
  const a = await t.store.put(chunks("same"), { ...ROOM, name: "a.txt" });
  const b = await t.store.put(chunks("sa", "me"), {
    uploader: "bo",
    dm: ["bo", "ana"],
    name: "b.txt",
  });
  assert.notEqual(a.id, b.id);
  assert.equal(a.sha256, b.sha256);
  assert.deepEqual(b.dm, ["ana", "bo"]);
  assert.equal(t.store.storedBytes, 4);
  assert.equal((await filesUnder(t.dir)).length, 1);
});

Deno.test("FileStore.put() cleans the name it is given", async () => {
  await using t = await tempStore();
  const record = await t.store.put(chunks("x"), { ...ROOM, name: "../../CON\u0000.txt" });
  assert.equal(record.name, "_.._CON.txt");
});

Deno.test("FileStore.put() refuses a file over the size limit and leaves nothing behind", async () => {
  await using t = await tempStore({ maxFileBytes: 10 });
  await assert.rejects(
    t.store.put(chunks("123456", "7890", "1"), { ...ROOM, name: "big.bin" }),
    (error: FileStoreError) =>
      error.code === "file_too_large" &&
      error.message === "File too large: more than the limit of 10 B",
  );
  // Refused before a byte when the announced size is over.
  await assert.rejects(
    t.store.put(chunks(), { ...ROOM, name: "big.bin", declaredSize: 11 }),
    (error: FileStoreError) =>
      error.code === "file_too_large" &&
      error.message === "File too large: 11 B, the limit is 10 B",
  );
  assert.deepEqual(await filesUnder(t.dir), []);
  assert.equal(t.store.storedBytes, 0);
  // Exactly at the limit is fine.
  await t.store.put(chunks("1234567890"), { ...ROOM, name: "fits.bin" });
});

Deno.test("FileStore.put() refuses what would overrun the budget; of two at once, the later one to end", async () => {
  await using t = await tempStore({ budgetBytes: 10 });
  await t.store.put(chunks("123456"), { ...ROOM, name: "a" });
  await assert.rejects(
    t.store.put(chunks("12345"), { ...ROOM, name: "b" }),
    (error: FileStoreError) =>
      error.code === "files_budget_full" &&
      error.message ===
        "The server's space for files is full: 6 B of 10 B used, this file needs 5 B",
  );
  // Announced, refused before a byte is stored: no file of that size could be a re-send.
  await assert.rejects(
    t.store.put(chunks(), { ...ROOM, name: "b", declaredSize: 5 }),
    (error: FileStoreError) => error.code === "files_budget_full",
  );
  let release!: () => void;
  const held = new Promise<void>((resolve) => release = resolve);
  const first = t.store.put(
    (async function* () {
      yield encoder.encode("123");
      await held;
    })(),
    { ...ROOM, name: "c" },
  );
  await t.store.put(chunks("12"), { ...ROOM, name: "d" });
  release();
  await assert.rejects(first, (error: FileStoreError) => error.code === "files_budget_full");
  assert.equal(t.store.storedBytes, 8);
  assert.equal((await filesUnder(t.dir)).length, 2);
});

Deno.test("FileStore.put() takes content stored already when the budget is full", async () => {
  await using t = await tempStore({ budgetBytes: 10 });
  await t.store.put(chunks("1234567890"), { ...ROOM, name: "a" });
  const again = await t.store.put(chunks("12345", "67890"), {
    ...ROOM,
    name: "again",
    declaredSize: 10,
    uploader: "bo",
  });
  assert.equal(again.size, 10);
  assert.equal(t.store.storedBytes, 10);
  await assert.rejects(
    t.store.put(chunks("0987654321"), { ...ROOM, name: "new", declaredSize: 10 }),
    (error: FileStoreError) => error.code === "files_budget_full",
  );
  assert.deepEqual(await filesUnder(`${t.dir}/tmp`), []);
});

Deno.test("FileStore.put() bounds uploads under way by the budget plus one largest file", async () => {
  await using t = await tempStore({ budgetBytes: 10, maxFileBytes: 6 });
  await t.store.put(chunks("123456"), { ...ROOM, name: "a" });
  let release!: () => void;
  const held = new Promise<void>((resolve) => release = resolve);
  const first = t.store.put(
    (async function* () {
      yield encoder.encode("abcdef");
      await held;
    })(),
    { ...ROOM, name: "b" },
  );
  await t.store.put(chunks("x"), { ...ROOM, name: "tiny" });
  // 7 stored + 6 and 5 arriving would be 18 > 10 + 6.
  await assert.rejects(
    t.store.put(chunks("ghijk"), { ...ROOM, name: "c" }),
    (error: FileStoreError) => error.code === "files_budget_full",
  );
  release();
  await assert.rejects(first, (error: FileStoreError) => error.code === "files_budget_full");
});

Deno.test("FileStore.put() keeps each uploader within its quota, counting its distinct content", async () => {
  await using t = await tempStore({ budgetBytes: 100 });
  const ana = { ...ROOM, uploader: "ana", quotaBytes: 10 };
  await t.store.put(chunks("123456"), { ...ana, name: "a" });
  await assert.rejects(
    t.store.put(chunks("abcde"), { ...ana, uploader: "ANA", name: "b" }),
    (error: FileStoreError) =>
      error.code === "files_quota_full" &&
      error.message ===
        "Your share of the server's space for files is used up: 6 B of 10 B, this file needs 5 B",
  );
  // Her own content again costs her nothing; someone else has a quota of their own.
  await t.store.put(chunks("123456"), { ...ana, name: "a again" });
  await t.store.put(chunks("abcde"), { ...ana, uploader: "bo", name: "b" });
  assert.deepEqual(await filesUnder(`${t.dir}/tmp`), []);
});

Deno.test("FileStore.remove() forgets a file and deletes its content once no file has it", async () => {
  await using t = await tempStore();
  const a = await t.store.put(chunks("same"), { ...ROOM, name: "a" });
  const b = await t.store.put(chunks("same"), { ...ROOM, name: "b" });
  assert.equal((await t.store.remove(a.id))?.name, "a");
  assert.equal(await t.store.get(a.id), undefined);
  assert.equal(t.store.storedBytes, 4);
  await t.store.remove(b.id);
  assert.equal(t.store.storedBytes, 0);
  assert.deepEqual(await filesUnder(t.dir), []);
  assert.equal(await t.store.remove(b.id), undefined);
});

Deno.test("FileStore.put() leaves nothing of an upload cut short or shorter than announced", async () => {
  await using t = await tempStore();
  await assert.rejects(
    t.store.put(cutAfter("partial"), { ...ROOM, name: "cut" }),
    /connection reset/,
  );
  await assert.rejects(
    t.store.put(chunks("1234"), { ...ROOM, name: "short", declaredSize: 10 }),
    (error: FileStoreError) => error.code === "upload_incomplete",
  );
  assert.deepEqual(await filesUnder(t.dir), []);
  assert.equal(t.index.contentBytes(), 0);
});

Deno.test("FileStore.put() refuses a file for both a room and a DM, or neither", async () => {
  await using t = await tempStore();
  await assert.rejects(
    t.store.put(chunks("x"), { uploader: "ana", name: "x", room: "#a", dm: ["a", "b"] }),
    (error: FileStoreError) => error.code === "bad_upload",
  );
  await assert.rejects(
    t.store.put(chunks("x"), { uploader: "ana", name: "x" }),
    (error: FileStoreError) => error.code === "bad_upload",
  );
});

Deno.test("FileStore.open() removes uploads a previous run left unfinished", async () => {
  await using t = await tempStore();
  await Deno.writeTextFile(`${t.dir}/tmp/left-over`, "partial");
  await FileStore.open(t.dir, t.index);
  assert.deepEqual(await filesUnder(t.dir), []);
});

Deno.test("FileStore types: only sniffed raster images are inline; SVG, HTML and liars are not", async () => {
  await using t = await tempStore();
  const png = await t.store.put(chunks(PNG), {
    ...ROOM,
    name: "shot.png",
    declaredType: "text/html",
  });
  assert.equal(png.type, "image/png");
  assert.ok(servedInline(png.type));
  const fake = await t.store.put(chunks("<html><script>alert(1)</script>"), {
    ...ROOM,
    name: "fake.png",
    declaredType: "image/png",
  });
  assert.equal(fake.type, "application/octet-stream");
  assert.equal(storedType(undefined, "logo.svg"), "image/svg+xml");
  assert.ok(!servedInline("image/svg+xml"));
  assert.ok(!servedInline("text/html"));
  assert.equal(storedType(undefined, "noextension"), "application/octet-stream");
  assert.equal(sniffImageType(encoder.encode("GIF89a......")), "image/gif");
  assert.equal(sniffImageType(encoder.encode("RIFF....WEBPVP8 ")), "image/webp");
  assert.equal(sniffImageType(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0])), "image/jpeg");
  assert.equal(sniffImageType(encoder.encode("<svg onload=alert(1)>")), undefined);
});

Deno.test("SqliteFileIndex keeps files across a reopen and counts each content once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lanchat_files_" });
  try {
    let sqlite = new SqliteStore(`${dir}/history.db`);
    const store = await FileStore.open(`${dir}/files`, sqlite.files, { now: () => 7 });
    const a = await store.put(chunks("abc"), { ...ROOM, name: "a.txt" });
    const b = await store.put(chunks("abc"), { uploader: "bo", dm: ["bo", "ana"], name: "b.txt" });
    await store.put(chunks("defg"), { ...ROOM, name: "c.txt" });
    sqlite.close();
    sqlite = new SqliteStore(`${dir}/history.db`);
    assert.deepEqual(sqlite.files.get(a.id), a);
    assert.deepEqual(sqlite.files.get(b.id), b);
    assert.equal(sqlite.files.get("nope"), undefined);
    assert.ok(sqlite.files.hasContent(a.sha256));
    assert.equal(sqlite.files.contentBytes(), 7);
    const reopened = await FileStore.open(`${dir}/files`, sqlite.files);
    assert.equal(reopened.storedBytes, 7);
    sqlite.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("FileStore types: the server decides from the bytes and the name, whatever the sender declared", async () => {
  await using t = await tempStore();
  const fromBrowser = await t.store.put(chunks("notes"), {
    ...ROOM,
    name: "notes.TXT",
    declaredType: "text/plain",
  });
  const fromClient = await t.store.put(chunks("notes"), {
    ...ROOM,
    name: "notes.txt",
    declaredType: "application/octet-stream",
  });
  assert.equal(fromBrowser.type, "text/plain");
  assert.equal(fromClient.type, "text/plain");
  const claimed = await t.store.put(chunks("data"), {
    ...ROOM,
    name: "data.bin",
    declaredType: "text/html",
  });
  assert.equal(claimed.type, "application/octet-stream");
});

Deno.test("FileStore.put() counts a quota by the nick as the hub folds it (straße is STRASSE)", async () => {
  await using t = await tempStore({ budgetBytes: 100 });
  await t.store.put(chunks("123456"), { ...ROOM, uploader: "straße", quotaBytes: 10, name: "a" });
  await assert.rejects(
    t.store.put(chunks("abcde"), { ...ROOM, uploader: "STRASSE", quotaBytes: 10, name: "b" }),
    (error: FileStoreError) => error.code === "files_quota_full",
  );
});

Deno.test("FileStore.put() says how much of a full budget uploads under way hold", async () => {
  await using t = await tempStore({ budgetBytes: 10 });
  const held = Promise.withResolvers<void>();
  const counted = Promise.withResolvers<void>();
  const first = t.store.put(
    (async function* () {
      yield encoder.encode("12345678");
      counted.resolve(); // The store asks for more: the first bytes are counted.
      await held.promise;
    })(),
    { ...ROOM, name: "a" },
  );
  await counted.promise;
  await assert.rejects(
    t.store.put(chunks(), { ...ROOM, uploader: "bo", name: "b", declaredSize: 5 }),
    (error: FileStoreError) =>
      error.code === "files_budget_full" &&
      error.message ===
        "The server's space for files is full: 0 B of 10 B used and 8 B being uploaded now, this file needs 5 B",
  );
  held.resolve();
  await first;
});

Deno.test("FileStore.put() on SQLite counts a quota by the folded nick too", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lanchat_files_" });
  try {
    const sqlite = new SqliteStore(`${dir}/history.db`);
    const store = await FileStore.open(`${dir}/files`, sqlite.files, { budgetBytes: 100 });
    await store.put(chunks("123456"), { ...ROOM, uploader: "Straße", quotaBytes: 10, name: "a" });
    await assert.rejects(
      store.put(chunks("abcde"), { ...ROOM, uploader: "STRASSE", quotaBytes: 10, name: "b" }),
      (error: FileStoreError) => error.code === "files_quota_full",
    );
    sqlite.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
