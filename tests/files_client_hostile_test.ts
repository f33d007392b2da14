/**
 * A real `chat-client` in line mode against a hostile server on 127.0.0.1
 * that speaks enough of the chat protocol to announce a file, then answers
 * `/get` and `/send` as no honest server would (issue 18): an endless body
 * (finding F2: the client stops at the announced size, keeps nothing, says
 * why, and exits 5), and escape sequences, controls, bidi overrides and
 * zero-width characters in its status line, a header, a refusal and a
 * file's name (review rev3, item 4: none of them reaches the terminal).
 */

import assert from "node:assert/strict";
import { runClient } from "./_entry_process.ts";
import { HOSTILE_FILE_ID as ID, hostileFileServer } from "./_hostile_file_server.ts";

const SIZE = 100_000;
const encoder = new TextEncoder();

/** What a terminal would act on, or hide: controls, escapes, bidi and zero-width characters. */
const UNSAFE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/;
/** The attacker review's payload: a window title, a cleared screen, colour, a bidi override. */
const PAYLOAD = "\x1b]0;PWNED-TITLE\x07\x1b[2J\x1b[31mRED\x1b[0m\u202eevil\u200b\u2066\x9b2J";

/** Runs `/get` (or `lines`) in a real chat-client; returns its exit code, stdout and stderr. */
async function getThrough(
  port: number,
  lines: (downloads: string) => string[],
): Promise<{ code: number; stdout: string[]; stderr: string[]; left: string[] }> {
  const downloads = await Deno.makeTempDir({ prefix: "lanchat_get_hostile_" });
  try {
    await using cli = runClient(port, "ana", [], { stdin: "piped" });
    await cli.waitStdout((line) => line.includes(`/get ${ID}`));
    for (const line of lines(downloads)) await cli.write(`${line}\n`);
    await cli.closeStdin();
    const { code } = await cli.finished();
    const left = [...Deno.readDirSync(downloads)].map((entry) => entry.name);
    return { code, stdout: [...cli.stdout], stderr: [...cli.stderr], left };
  } finally {
    await Deno.remove(downloads, { recursive: true });
  }
}

/** Fails when any line the client printed holds something a terminal would act on. */
function assertClean(out: { stdout: string[]; stderr: string[] }): void {
  for (const line of [...out.stdout, ...out.stderr]) {
    assert.ok(!UNSAFE.test(line), `unsafe character in ${JSON.stringify(line)}`);
  }
}

Deno.test("chat-client /get stops at the announced size when the server sends without end, exit 5", async () => {
  const sent: Promise<number>[] = [];
  await using server = hostileFileServer(async (conn) => {
    const sending = endless(conn);
    sent.push(sending);
    await sending;
  });
  const out = await getThrough(server.port, (dir) => [`/get ${ID} ${dir}`]);
  assert.equal(out.code, 5, out.stderr.join("\n"));
  assert.ok(
    out.stderr.includes(
      "chat-client: fetching endless.bin failed: the server sent more than the 100000 bytes " +
        "the file was announced with",
    ),
    out.stderr.join("\n"),
  );
  // One try (a lying server is not retried), and nothing kept.
  assert.equal(sent.length, 1);
  assert.deepEqual(out.left, []);
});

/** The file side: a 200 without a length, then bytes until the client goes away. */
async function endless(conn: Deno.Conn): Promise<number> {
  await conn.write(encoder.encode("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"));
  const chunk = new Uint8Array(65536).fill(0x41);
  let sent = 0;
  try {
    while (sent < 500_000_000) sent += await conn.write(chunk);
  } catch {
    // The client went away.
  }
  return sent;
}

Deno.test("chat-client /get shows a hostile status line escaped, says retrying (not resuming), exit 5", async () => {
  await using server = hostileFileServer(async (conn) => {
    await conn.write(encoder.encode(`HTTP/1.1 2${PAYLOAD}\r\n\r\n`));
  });
  const out = await getThrough(server.port, (dir) => [`/get ${ID} ${dir}`]);
  assert.equal(out.code, 5, out.stderr.join("\n"));
  assertClean(out);
  const failed = out.stderr.find((line) =>
    line.startsWith("chat-client: fetching endless.bin failed")
  );
  assert.ok(
    failed?.startsWith(
      'chat-client: fetching endless.bin failed: the server did not answer in HTTP ("HTTP/1.1 2' +
        "\\x1b]0;PWNED-TITLE\\x07\\x1b[2J",
    ),
    out.stderr.join("\n"),
  );
  // Five tries, none of which got a byte: "retrying", never "resuming ... at 0 B", no "of 0 B".
  assert.equal(server.requests.length, 5);
  assert.equal(
    out.stderr.filter((line) => line.startsWith("chat-client: retrying endless.bin (")).length,
    4,
  );
  assert.ok(!out.stderr.some((line) => /resuming|of 0 B/.test(line)), out.stderr.join("\n"));
  assert.deepEqual(out.left, []);
});

Deno.test("chat-client /get shows a hostile refusal's message and Content-Length cleaned, exit 5", async () => {
  const message = `go away${PAYLOAD} now`;
  await using refusing = hostileFileServer(async (conn) => {
    const body = JSON.stringify({ error: "forbidden", message });
    await conn.write(encoder.encode(
      `HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${encoder.encode(body).length}\r\n\r\n${body}`,
    ));
  });
  const refused = await getThrough(refusing.port, (dir) => [`/get ${ID} ${dir}`]);
  assert.equal(refused.code, 5, refused.stderr.join("\n"));
  assertClean(refused);
  assert.ok(
    refused.stderr.includes(
      "chat-client: fetching endless.bin failed: the server refused it (go awayREDevil now)",
    ),
    refused.stderr.join("\n"),
  );

  await using lying = hostileFileServer(async (conn) => {
    await conn.write(encoder.encode(`HTTP/1.1 200 OK\r\nContent-Length: 1${PAYLOAD}\r\n\r\n`));
  });
  const lied = await getThrough(lying.port, (dir) => [`/get ${ID} ${dir}`]);
  assert.equal(lied.code, 5, lied.stderr.join("\n"));
  assertClean(lied);
  assert.ok(
    lied.stderr.some((line) =>
      line.startsWith(
        'chat-client: fetching endless.bin failed: the server announced "1\\x1b]0;PWNED-TITLE\\x07',
      ) && line.endsWith(`bytes where the file has ${SIZE} (it was announced with ${SIZE})`)
    ),
    lied.stderr.join("\n"),
  );
});

Deno.test("chat-client /send shows the name a hostile server's answer gives cleaned, exit 0", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lanchat_send_hostile_" });
  try {
    await Deno.writeTextFile(`${dir}/small.txt`, "hello world\n");
    await using server = hostileFileServer(async (conn, head) => {
      // Read the 12 bytes of the body, then answer with a poisoned name.
      let received = head;
      const buffer = new Uint8Array(65536);
      while (!/\r\n\r\n[^]{12}$/.test(received)) {
        const n = await conn.read(buffer);
        if (n === null) return;
        received += new TextDecoder().decode(buffer.subarray(0, n));
      }
      const body = JSON.stringify({
        id: ID,
        name: `small${PAYLOAD}.txt`,
        size: 12,
        type: "text/plain",
        url: `http://127.0.0.1:1/f/${ID}/small.txt`,
      });
      await conn.write(encoder.encode(
        `HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${encoder.encode(body).length}\r\n\r\n${body}`,
      ));
    });
    const out = await getThrough(server.port, () => [`/send ${dir}/small.txt`]);
    assert.equal(out.code, 0, out.stderr.join("\n"));
    assertClean(out);
    assert.ok(
      out.stdout.includes("* sent smallREDevil.txt (12 B) to #lobby"),
      out.stdout.join("\n"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
