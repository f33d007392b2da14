/**
 * `/send`, `/get` and `/cancel` between real `chat-client` processes in
 * line mode and a real `chat-server` (issue 18): byte-identical files, a
 * download resumed after its connection was cut, a cancelled upload that
 * leaves nothing on the server, and the exit codes.
 */

import assert from "node:assert/strict";
import { runClient, runServer } from "./_entry_process.ts";
import { HttpRelay } from "./_http_relay.ts";
import { until } from "./_waiting.ts";

async function sha256(path: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A file of `size` random bytes in a new directory. */
async function randomFile(name: string, size: number): Promise<{ dir: string; path: string }> {
  const dir = await Deno.makeTempDir({ prefix: "lanchat_send_" });
  const bytes = new Uint8Array(size);
  for (let at = 0; at < size; at += 65536) crypto.getRandomValues(bytes.subarray(at, at + 65536));
  await Deno.writeFile(`${dir}/${name}`, bytes);
  return { dir, path: `${dir}/${name}` };
}

const GET = /\/get ([A-Za-z0-9_-]{22})$/;

Deno.test("/send and /get between two line-mode clients give a byte-identical file, exit 0", async () => {
  const started = await runServer(["--no-discovery"]);
  await using _server = started.server;
  const { port } = started;
  const { dir, path } = await randomFile("report 2024.bin", 3_000_000);
  const downloads = await Deno.makeTempDir({ prefix: "lanchat_get_" });
  try {
    await using bob = runClient(port, "bob", [], { stdin: "piped" });
    await bob.waitStdout((line) => line.includes("Type /help"));
    await using ana = runClient(port, "ana", [], { stdin: "piped" });
    await ana.waitStdout((line) => line.includes("Type /help"));
    await ana.write(`/send ${path}\n`);
    await ana.waitStdout((line) => line.startsWith("* sent report 2024.bin (2.9 MiB) to #lobby"));
    const announced = await bob.waitStdout((line) => line.includes("<ana> [file] report 2024.bin"));
    assert.match(announced, /\(2\.9 MiB, application\/octet-stream\) \/get /);
    const id = GET.exec(announced)![1];
    await bob.write(`/get ${id} ${downloads}\n`);
    await bob.closeStdin();
    await ana.closeStdin();
    assert.equal((await bob.finished()).code, 0, bob.stderr.join("\n"));
    assert.equal((await ana.finished()).code, 0, ana.stderr.join("\n"));
    assert.ok(
      bob.stdout.some((line) =>
        line === `* saved report 2024.bin (2.9 MiB) as ${downloads}/report 2024.bin`
      ),
      bob.stdout.join("\n"),
    );
    assert.equal(await sha256(`${downloads}/report 2024.bin`), await sha256(path));
    // Progress went to stderr, from the first bytes to the last.
    // All written, the progress waits at 99 % for the server's answer (review rev2, 5).
    assert.ok(
      ana.stderr.some((line) =>
        /sending report 2024\.bin 99% \(.* written, waiting for the server\)/.test(line)
      ),
    );
    assert.ok(bob.stderr.some((line) => /fetching report 2024\.bin 100%/.test(line)));
    assert.deepEqual([...Deno.readDirSync(downloads)].map((e) => e.name), ["report 2024.bin"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(downloads, { recursive: true });
  }
});

Deno.test("/get resumes a download whose connection was cut, and never replaces a file", async () => {
  const started = await runServer(["--no-discovery"]);
  await using _server = started.server;
  await using relay = new HttpRelay(started.port, { cutFirstDownloadAfter: 700_000 });
  const { dir, path } = await randomFile("big.bin", 2_000_000);
  const downloads = await Deno.makeTempDir({ prefix: "lanchat_get_" });
  await Deno.writeTextFile(`${downloads}/big.bin`, "already here");
  try {
    await using ana = runClient(started.port, "ana", [], { stdin: "piped" });
    await ana.waitStdout((line) => line.includes("Type /help"));
    await ana.write(`/send ${path}\n`);
    await ana.closeStdin();
    assert.equal((await ana.finished()).code, 0, ana.stderr.join("\n"));
    // bob reaches the server through the relay, which cuts his first download.
    await using bob = runClient(relay.port, "bob", [], { stdin: "piped" });
    const announced = await bob.waitStdout((line) => GET.test(line));
    await bob.write(`/get ${GET.exec(announced)![1]} ${downloads}\n`);
    await bob.closeStdin();
    assert.equal((await bob.finished()).code, 0, bob.stderr.join("\n"));
    assert.equal(relay.cuts, 1);
    // It said where it went on from.
    assert.ok(
      bob.stderr.some((line) => /^chat-client: resuming big\.bin at .+ of 1\.9 MiB$/.test(line)),
    );
    assert.equal(relay.downloads.length, 2);
    // The second asked for the rest only, of the same content.
    const resumedAt = Number(/\r\nRange: bytes=(\d+)-\r\n/.exec(relay.downloads[1])?.[1]);
    assert.ok(resumedAt > 500_000 && resumedAt < 700_000, relay.downloads[1]);
    assert.match(relay.downloads[1], /\r\nIf-Range: "[0-9a-f]{64}"\r\n/);
    assert.ok(
      bob.stdout.includes(
        `* saved big.bin (1.9 MiB) as ${downloads}/big (1).bin, resumed 1 time(s)`,
      ),
      bob.stdout.join("\n"),
    );
    assert.equal(await sha256(`${downloads}/big (1).bin`), await sha256(path));
    assert.equal(await Deno.readTextFile(`${downloads}/big.bin`), "already here");
    assert.deepEqual([...Deno.readDirSync(downloads)].map((e) => e.name).sort(), [
      "big (1).bin",
      "big.bin",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(downloads, { recursive: true });
  }
});

Deno.test("/cancel stops an upload under way: nothing is kept or announced, exit 5", async () => {
  const data = await Deno.makeTempDir({ prefix: "lanchat_cancel_" });
  const started = await runServer(["--no-discovery", "--data-dir", data]);
  await using _server = started.server;
  // 200 kB/s: a 4 MB upload surely runs when /cancel comes.
  await using relay = new HttpRelay(started.port, { uploadBytesPerSecond: 200_000 });
  const { dir, path } = await randomFile("slow.bin", 4_000_000);
  try {
    await using watcher = runClient(started.port, "watcher", [], { stdin: "piped" });
    await watcher.waitStdout((line) => line.includes("Type /help"));
    await using ana = runClient(relay.port, "ana", [], { stdin: "piped" });
    await ana.waitStdout((line) => line.includes("Type /help"));
    await ana.write(`/send ${path}\n`);
    await ana.waitStderr((line) => /sending slow\.bin [1-9]\d?%/.test(line));
    await ana.write("/cancel\nhello after\n");
    await ana.waitStderr((line) => line === "chat-client: sending slow.bin cancelled");
    assert.ok(ana.stdout.includes("* cancelling sending slow.bin"), ana.stdout.join("\n"));
    await ana.closeStdin();
    assert.equal((await ana.finished()).code, 5);
    assert.ok(ana.stderr.includes("chat-client: 1 file transfer(s) failed or were cancelled"));
    await watcher.waitStdout((line) => line.endsWith("<ana> hello after"));
    // The server dropped the partial upload: nothing in tmp/, no content.
    // The relay still forwards, at 200 kB/s, what its socket had buffered when the client closed
    // (MBs on loopback): the server sees the end only then, which took over 15 s on a loaded machine.
    await until(() => [...Deno.readDirSync(`${data}/files/tmp`)].length === 0, 90_000);
    const stored = [...walk(`${data}/files/sha256`)];
    assert.deepEqual(stored, []);
    assert.ok(!watcher.stdout.some((line) => line.includes("[file]")));
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(data, { recursive: true });
  }
});

Deno.test("/send refusals are clear lines on stderr and exit 5: too large, no such file, no such nick", async () => {
  const started = await runServer(["--no-discovery", "--max-file-bytes", "100K"]);
  await using _server = started.server;
  const { dir, path } = await randomFile("large.bin", 300_000);
  try {
    await using ana = runClient(started.port, "ana", [], { stdin: "piped" });
    await ana.waitStdout((line) => line.includes("Type /help"));
    await Deno.writeTextFile(`${dir}/small.txt`, "hi");
    await ana.write(
      `/send ${path}\n/send ${dir}/missing.bin\n/send --to nobody ${dir}/small.txt\n`,
    );
    await ana.closeStdin();
    assert.equal((await ana.finished()).code, 5);
    const errors = ana.stderr.join("\n");
    assert.match(
      errors,
      /sending large\.bin failed: the file is too large for this server \(293 KiB\).*the limit is 100 KiB/,
    );
    assert.match(
      errors,
      /sending missing\.bin failed: cannot read .*missing\.bin: no such file or directory/,
    );
    // The server's own words, not a generic "no such file".
    assert.match(
      errors,
      /^chat-client: sending small\.txt failed: no one called "nobody" is here$/m,
    );
    assert.match(errors, /3 file transfer\(s\) failed/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("/get of a file not seen announced asks the server: by id, or by its link; an unknown id says /history", async () => {
  const started = await runServer(["--no-discovery"]);
  await using _server = started.server;
  const { dir, path } = await randomFile("elsewhere.bin", 100_000);
  const downloads = await Deno.makeTempDir({ prefix: "lanchat_get_" });
  try {
    // Shared in a room bob is not in: his catalog never sees it.
    await using ana = runClient(started.port, "ana", [], { stdin: "piped" });
    await ana.waitStdout((line) => line.includes("Type /help"));
    await ana.write("/join #other\n");
    await ana.waitStdout((line) => line.includes("#other"));
    await ana.write(`/send ${path}\n`);
    const announced = await ana.waitStdout((line) => GET.test(line));
    const id = GET.exec(announced)![1];
    const link = `http://127.0.0.1:${started.port}/f/${id}/elsewhere.bin`;
    await using bob = runClient(started.port, "bob", [], { stdin: "piped" });
    await bob.waitStdout((line) => line.includes("Type /help"));
    assert.ok(!bob.stdout.some((line) => line.includes("[file]")), bob.stdout.join("\n"));
    await bob.write(`/get ${id} ${downloads}/by-id.bin\n`);
    await bob.waitStdout((line) => line.startsWith("* saved elsewhere.bin"));
    await bob.write(`/get ${link} ${downloads}/by-link.bin\n/get ${"Q".repeat(22)}\n`);
    await bob.closeStdin();
    await ana.closeStdin();
    assert.equal((await bob.finished()).code, 5, bob.stderr.join("\n"));
    assert.equal(await sha256(`${downloads}/by-id.bin`), await sha256(path));
    assert.equal(await sha256(`${downloads}/by-link.bin`), await sha256(path));
    assert.ok(
      bob.stderr.includes(
        `chat-client: fetching ${"Q".repeat(22)} failed: no file "${"Q".repeat(22)}" was shared ` +
          "where you are (an older one? /history shows it, or give its whole link)",
      ),
      bob.stderr.join("\n"),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(downloads, { recursive: true });
  }
});

Deno.test("/help lists the file commands; a bare /send or /get is a bad line (exit 3), not a failed transfer", async () => {
  const started = await runServer(["--no-discovery"]);
  await using _server = started.server;
  await using ana = runClient(started.port, "ana", [], { stdin: "piped" });
  await ana.waitStdout((line) => line.includes("Type /help"));
  await ana.write("/help\n");
  await ana.waitStdout((line) => line.startsWith("/send [--to <nick>] <path>"));
  await ana.waitStdout((line) => line.startsWith("/cancel"));
  // `/help cancel` is the client's row, not the server's refusal of a verb it does not know.
  const before = ana.stdout.length;
  await ana.write("/help cancel\n");
  await ana.waitStdout(() => ana.stdout.slice(before).some((l) => l.startsWith("/cancel")));
  await ana.write("/send\n/get\n/get not-an-id\n");
  await ana.closeStdin();
  assert.equal((await ana.finished()).code, 3, ana.stderr.join("\n"));
  // The server's hints for text clients are not a chat-client user's.
  assert.ok(
    !ana.stdout.some((l) => l.includes("from the browser or chat-client")),
    ana.stdout.join("\n"),
  );
  const errors = ana.stderr.join("\n");
  assert.ok(!errors.includes("refused"), errors);
  assert.match(errors, /^chat-client: usage: \/send <path>/m);
  assert.match(errors, /^chat-client: usage: \/get <id or link> \[path\]/m);
  assert.match(errors, /"not-an-id" is not a file's id/);
  assert.match(errors, /3 file command\(s\) not understood/);
  assert.ok(!errors.includes("file transfer(s) failed"), errors);
});

function* walk(dir: string): Generator<string> {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch {
    return;
  }
  for (const entry of entries) {
    if (entry.isDirectory) yield* walk(`${dir}/${entry.name}`);
    else yield `${dir}/${entry.name}`;
  }
}
