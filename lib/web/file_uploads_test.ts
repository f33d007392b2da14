/**
 * The page's upload queue against hostile 429s: lib/web/_file_uploads_probe.ts
 * drives it in a process of its own (its DOM types stay out of the suite's
 * type check).
 */

import assert from "node:assert/strict";

async function probe(
  message: string,
  watchMs: number,
): Promise<{ state: string; error: string | null; sends: number }> {
  const probe = new URL("./_file_uploads_probe.ts", import.meta.url).pathname;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-q", probe, message, String(watchMs)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  return JSON.parse(new TextDecoder().decode(stdout));
}

Deno.test("FileUploads: a wait longer than the page waits in all fails the upload at once, in the server's words", async () => {
  const got = await probe("Too many uploads; try again in 2147484 s", 100);
  assert.equal(got.state, "failed");
  assert.match(got.error ?? "", /try again in 2147484 s/);
  assert.equal(got.sends, 1);
});

Deno.test("FileUploads: a server that says 'try again in 0 s' is tried again a second later, not at once", async () => {
  const got = await probe("Too many uploads; try again in 0 s", 400);
  assert.equal(got.state, "waiting");
  assert.equal(got.sends, 1);
});
