import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { HashWorker } from "./upload_sink.ts";
import { SERVER_INCLUDES } from "../../tools/compile.ts";

const sha256Hex = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** `total` pseudo-random bytes in chunks of varied sizes (some over a buffer). */
function chunks(total: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let seed = 7;
  for (let left = total; left > 0;) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const size = Math.min(left, 1 + (seed % 150_000));
    const chunk = new Uint8Array(size);
    for (let i = 0; i < size; i += 4096) chunk[i] = (seed + i) & 0xff;
    out.push(chunk);
    left -= size;
  }
  return out;
}

Deno.test("UploadSink writes every byte in order and gives the content's SHA-256, whatever the chunks", async () => {
  const dir = await Deno.makeTempDir();
  const workers = new HashWorker();
  try {
    for (const total of [0, 1, 65_536, 3 * 65_536 + 17, 1_000_003]) {
      const path = `${dir}/${total}`;
      Deno.writeFileSync(path, new Uint8Array(0));
      const sink = workers.open(path, 65_536);
      const parts = chunks(total);
      for (const part of parts) {
        await sink.write(part);
        part.fill(0xee); // the caller may reuse its chunk at once
      }
      const sha256 = await sink.end();
      const written = Deno.readFileSync(path);
      const expected = new Uint8Array(total);
      let at = 0;
      for (const part of chunks(total)) {
        expected.set(part, at);
        at += part.length;
      }
      assert.deepEqual(written.length, total);
      assert(written.every((byte, i) => byte === expected[i]), `${total} bytes as sent`);
      assert.equal(sha256, sha256Hex(expected));
    }
  } finally {
    workers.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("UploadSink: a file the Worker cannot write fails the upload with the disk's words", async () => {
  const workers = new HashWorker();
  try {
    const sink = workers.open(`/tmp/lanchat-no-such-dir-${crypto.randomUUID()}/upload`, 1024);
    await assert.rejects(async () => {
      for (let i = 0; i < 10; i++) await sink.write(new Uint8Array(1024));
      await sink.end();
    }, /No such file|not found|os error 2/i);
  } finally {
    workers.close();
  }
});

Deno.test("UploadSink.abort closes the file (so it can be removed) and the upload's end is refused after close()", async () => {
  const dir = await Deno.makeTempDir();
  const workers = new HashWorker();
  try {
    Deno.writeFileSync(`${dir}/a`, new Uint8Array(0));
    const aborted = workers.open(`${dir}/a`, 1024);
    await aborted.write(new Uint8Array(5000));
    await aborted.abort();
    await Deno.remove(`${dir}/a`);
    Deno.writeFileSync(`${dir}/b`, new Uint8Array(0));
    const cut = workers.open(`${dir}/b`, 1024);
    await cut.write(new Uint8Array(100));
    workers.close();
    await assert.rejects(() => cut.end(), /the server is closing/);
  } finally {
    workers.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task compile includes the hash Worker's module in chat-server", async () => {
  const source = await Deno.readTextFile(new URL("./upload_sink.ts", import.meta.url));
  const started = [...source.matchAll(/new Worker\(new URL\("\.\/([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(started, ["hash_worker.ts"]);
  for (const name of started) assert(SERVER_INCLUDES.includes(`lib/files/${name}`), name);
});
