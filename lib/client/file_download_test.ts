import assert from "node:assert/strict";
import type { SharedFile } from "../core/events.ts";
import { downloadFile, lookUpFile, partTag } from "./file_download.ts";
import { type FileServer, TransferError, uploadFile } from "./file_transfer.ts";

const ID = "CCCCCCCCCCCCCCCCCCCCCC";
const encoder = new TextEncoder();

/**
 * A hostile HTTP server on 127.0.0.1: for each connection, once the request
 * head is in, `answer` writes what it likes on the raw socket.
 */
function hostile(
  answer: (conn: Deno.Conn, head: string) => Promise<void>,
): { server: FileServer; heads: string[] } & AsyncDisposable {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const heads: string[] = [];
  const conns = new Set<Deno.Conn>();
  const serving = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      (async () => {
        const buffer = new Uint8Array(4096);
        let head = "";
        while (!head.includes("\r\n\r\n")) {
          const n = await conn.read(buffer);
          if (n === null) return;
          head += new TextDecoder().decode(buffer.subarray(0, n));
        }
        heads.push(head);
        await answer(conn, head);
      })().catch(() => {}).finally(() => {
        conns.delete(conn);
        try {
          conn.close();
        } catch { /* closed */ }
      });
    }
  })().catch(() => {});
  return {
    server: { address: { host: "127.0.0.1", port: listener.addr.port }, idleMs: 500 },
    heads,
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch { /* closed */ }
      }
      await serving;
    },
  };
}

function sharedFile(server: FileServer, size: number): SharedFile {
  return {
    id: ID,
    name: "a.bin",
    size,
    type: "application/octet-stream",
    url: `http://127.0.0.1:${server.address.port}/f/${ID}/a.bin`,
  };
}

/** Writes `text` then bytes until the client goes away (or `limit` bytes). */
async function flood(conn: Deno.Conn, text: string, chunk: Uint8Array, limit = 50_000_000) {
  await conn.write(encoder.encode(text));
  for (let sent = 0; sent < limit; sent += chunk.length) await conn.write(chunk);
}

async function failure(promise: Promise<unknown>): Promise<TransferError> {
  const error = await promise.then(() => undefined, (e) => e);
  assert.ok(error instanceof TransferError, `expected a TransferError, got ${error}`);
  return error;
}

async function withDir(work: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "lanchat_get_hostile_" });
  try {
    await work(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("downloadFile() stops at the announced size when a body without Content-Length goes on", async () => {
  await using h = hostile((conn) =>
    flood(conn, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", new Uint8Array(65536))
  );
  await withDir(async (dir) => {
    const error = await failure(
      downloadFile(h.server, sharedFile(h.server, 100_000), { directory: dir }),
    );
    assert.match(
      error.message,
      /the server sent more than the 100000 bytes the file was announced with/,
    );
    // Nothing kept: the bytes of a lying server are not resumed later.
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  });
});

Deno.test("downloadFile() stops at the announced size when a chunked body never ends", async () => {
  const chunk = encoder.encode(`2000\r\n${"x".repeat(0x2000)}\r\n`);
  await using h = hostile((conn) =>
    flood(conn, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", chunk)
  );
  await withDir(async (dir) => {
    const error = await failure(
      downloadFile(h.server, sharedFile(h.server, 50_000), { directory: dir }),
    );
    assert.match(error.message, /more than the 50000 bytes/);
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  });
});

Deno.test("downloadFile() refuses a Content-Length or Content-Range that is not the file's, before writing", async () => {
  await using long = hostile(async (conn) => {
    await conn.write(encoder.encode("HTTP/1.1 200 OK\r\nContent-Length: 999999\r\n\r\nabc"));
  });
  await withDir(async (dir) => {
    const error = await failure(
      downloadFile(long.server, sharedFile(long.server, 10), { directory: dir }),
    );
    assert.match(error.message, /the server announced 999999 bytes where the file has 10/);
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  });
  // The first answer is cut after 4 bytes; the resumed one names another size.
  await using ranged = hostile(async (conn, head) => {
    if (!head.includes("Range:")) {
      await conn.write(encoder.encode("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabcd"));
      return;
    }
    await conn.write(encoder.encode(
      "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 4-99/100\r\nContent-Length: 96\r\n\r\n",
    ));
    await conn.write(new Uint8Array(96));
  });
  await withDir(async (dir) => {
    const error = await failure(
      downloadFile(ranged.server, sharedFile(ranged.server, 10), { directory: dir }),
    );
    assert.match(
      error.message,
      /the server sent the range "bytes 4-99\/100" of a file announced with 10 bytes/,
    );
    assert.match(ranged.heads[1], /\r\nRange: bytes=4-\r\n/);
    // The 4 good bytes are kept for a later /get, nothing more.
    const left = [...Deno.readDirSync(dir)].map((e) => e.name);
    assert.equal(left.length, 1);
    assert.equal((await Deno.stat(`${dir}/${left[0]}`)).size, 4);
  });
});

Deno.test("downloadFile() and uploadFile() fail with a clear message when the server stalls", async () => {
  // Answers nothing, reads nothing, keeps the connection open.
  await using h = hostile(() => new Promise(() => {}));
  await withDir(async (dir) => {
    const error = await failure(
      downloadFile(h.server, sharedFile(h.server, 10), { directory: dir }),
    );
    assert.equal(error.code, "failed");
    assert.equal(error.message, "the server stalled: nothing moved for 0.5 s");
    // 8 MB: more than the socket buffers hold, so the writes stop.
    await Deno.writeFile(`${dir}/big.bin`, new Uint8Array(8_000_000));
    const sent = await failure(
      uploadFile(h.server, "t".repeat(16), `${dir}/big.bin`, { room: "#a" }),
    );
    assert.equal(sent.message, "the server stalled: nothing moved for 0.5 s");
  });
});

/** A symbolic link, made by `ln` (the test permissions allow writes only under /tmp, and
 * Deno.symlink needs unscoped ones). */
async function symlink(target: string, path: string): Promise<void> {
  const { success } = await new Deno.Command("ln", { args: ["-s", target, path] }).output();
  assert.ok(success, `ln -s ${target} ${path}`);
}

Deno.test("downloadFile() never writes through a link at the .part name", async () => {
  await using h = hostile(async (conn) => {
    await conn.write(encoder.encode("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nEVIL!"));
  });
  const file = sharedFile(h.server, 5);
  await withDir(async (dir) => {
    const part = `${dir}/a.bin.${await partTag(h.server, file)}.part`;
    await Deno.writeTextFile(`${dir}/victim.conf`, "precious");
    for (
      const make of [
        () => symlink(`${dir}/victim.conf`, part),
        () => symlink(`${dir}/nowhere`, part),
        () => Deno.link(`${dir}/victim.conf`, part),
        () => Deno.mkdir(part),
      ]
    ) {
      await make();
      const error = await failure(downloadFile(h.server, file, { directory: dir }));
      assert.match(error.message, /is not a plain file of its own/);
      assert.equal(await Deno.readTextFile(`${dir}/victim.conf`), "precious");
      assert.ok(!(await Deno.lstat(`${dir}/nowhere`).then(() => true, () => false)));
      await Deno.remove(part);
    }
    // A plain .part of its own is resumed.
    await Deno.writeTextFile(part, "EV");
    const got = await downloadFile(h.server, file, { directory: dir });
    assert.match(h.heads.at(-1)!, /\r\nRange: bytes=2-\r\n/);
    assert.equal(got.path, `${dir}/a.bin`);
  });
});

Deno.test("downloadFile() run several times at once for one file into one directory saves it each time", async () => {
  await using h = hostile(async (conn) => {
    await conn.write(encoder.encode("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"));
  });
  const file = sharedFile(h.server, 5);
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/a.bin`, "taken");
    const got = await Promise.all(
      [1, 2, 3, 4].map(() => downloadFile(h.server, file, { directory: dir })),
    );
    assert.deepEqual(
      got.map((g) => g.path).sort(),
      [1, 2, 3, 4].map((n) => `${dir}/a (${n}).bin`),
    );
    assert.equal(await Deno.readTextFile(`${dir}/a (4).bin`), "hello");
  });
});

Deno.test("partTag() differs with the server, the id and the size: no file goes on in another's .part", async () => {
  const server = { address: { host: "127.0.0.1", port: 7777 } };
  const file = sharedFile(server, 10);
  const tag = await partTag(server, file);
  assert.match(tag, /^[0-9a-f]{12}$/);
  assert.notEqual(await partTag({ address: { host: "127.0.0.1", port: 7778 } }, file), tag);
  assert.notEqual(await partTag(server, { ...file, size: 11 }), tag);
  assert.notEqual(await partTag(server, { ...file, id: "D".repeat(22) }), tag);
});

Deno.test("lookUpFile() learns a file's size and name from a HEAD, and says 404 plainly", async () => {
  await using h = hostile(async (conn, head) => {
    const known = head.startsWith(`HEAD /f/${ID}/`);
    await conn.write(encoder.encode(
      known
        ? "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nContent-Disposition: attachment; " +
          `filename="x"; filename*=UTF-8''r%C3%A9sum%C3%A9%20..%2F.txt\r\n\r\n`
        : "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
    ));
  });
  const file = await lookUpFile(h.server, ID, `/f/${ID}/file?k=abc`);
  assert.equal(file.size, 1234);
  assert.equal(file.name, "résumé .._.txt");
  assert.equal(new URL(file.url).search, "?k=abc");
  const error = await failure(lookUpFile(h.server, "D".repeat(22), `/f/${"D".repeat(22)}/file`));
  assert.equal(error.status, 404);
});
