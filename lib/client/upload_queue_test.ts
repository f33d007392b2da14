import assert from "node:assert/strict";
import { refusal, TransferError } from "./file_transfer.ts";
import { MAX_TRIES, MIN_RETRY_MS, UploadQueue } from "./upload_queue.ts";

/** A promise and its resolve. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

Deno.test("UploadQueue runs at most two uploads at once; the others wait their turn, told once", async () => {
  const queue = new UploadQueue();
  const gates = [deferred(), deferred(), deferred(), deferred()];
  let running = 0;
  let most = 0;
  const told: string[] = [];
  const runs = gates.map((gate, i) =>
    queue.run(async () => {
      running++;
      most = Math.max(most, running);
      await gate.promise;
      running--;
      return i;
    }, { onWaiting: (why) => told.push(`${i}: ${why}`) })
  );
  await Promise.resolve();
  assert.equal(running, 2);
  assert.deepEqual(told, [
    "2: the server takes 2 uploads at once",
    "3: the server takes 2 uploads at once",
  ]);
  for (const gate of gates) gate.resolve();
  assert.deepEqual(await Promise.all(runs), [0, 1, 2, 3]);
  assert.equal(most, 2);
  assert.equal(queue.active, 0);
});

Deno.test("UploadQueue sends again after a 429 the wait it names; a cancelled one leaves the queue", async () => {
  const waits: number[] = [];
  const queue = new UploadQueue(1, (ms) => {
    waits.push(ms);
    return Promise.resolve();
  });
  let tries = 0;
  const told: string[] = [];
  const result = await queue.run(() => {
    tries++;
    if (tries < 3) {
      throw refusal(
        429,
        JSON.stringify({ error: "upload_rate", message: "Too many uploads; try again in 4 s" }),
        7,
        "send",
      );
    }
    return Promise.resolve("taken");
  }, { onWaiting: (why) => told.push(why) });
  assert.equal(result, "taken");
  assert.deepEqual(waits, [4000, 4000]);
  assert.deepEqual(told, ["too many uploads; try again in 4 s"]);

  // One waiting for its turn, cancelled: it never runs, and the next one does.
  const gate = deferred();
  const first = queue.run(() => gate.promise);
  const controller = new AbortController();
  let ran = false;
  const second = queue.run(() => Promise.resolve(ran = true), { signal: controller.signal });
  controller.abort();
  await assert.rejects(
    second,
    (error) => error instanceof TransferError && error.code === "cancelled",
  );
  gate.resolve();
  await first;
  assert.equal(ran, false);
  assert.equal(await queue.run(() => Promise.resolve(5)), 5);
});

Deno.test("refusal() shows the server's words with a lead only where it adds something", () => {
  const body = (error: string, message: string) => JSON.stringify({ error, message });
  assert.equal(
    refusal(
      507,
      body(
        "files_quota_full",
        "Your share of the server's space for files is used up: 4.3 MiB of 7.0 MiB, this file needs 3.8 MiB",
      ),
      0,
      "send",
    ).message,
    "your share of the server's space for files is used up: 4.3 MiB of 7.0 MiB, this file needs 3.8 MiB; " +
      "your own files count until they are removed: ask an operator to /rmfile old files, or wait for retention",
  );
  assert.equal(
    refusal(
      507,
      body(
        "files_budget_full",
        "The server's space for files is full: 7.9 MiB of 12 MiB used, this file needs 4.2 MiB",
      ),
      0,
      "send",
    ).message,
    "the server's space for files is full: 7.9 MiB of 12 MiB used, this file needs 4.2 MiB; " +
      "ask an operator to /rmfile old files, or wait for retention",
  );
  assert.equal(
    refusal(
      429,
      body("too_many_uploads", "At most 2 uploads at once; wait for one to finish"),
      0,
      "send",
    ).message,
    "at most 2 uploads at once; wait for one to finish",
  );
  const notKept =
    "The file was not kept: it could not be announced (you left the chat, or may no longer send there)";
  assert.equal(
    refusal(409, body("not_announced", notKept), 0, "send").message,
    `t${notKept.slice(1)}`,
  );
  // Without the server's words, a 409 says what the server now does: nothing kept.
  assert.equal(
    refusal(409, "", 0, "send").message,
    "the file was not kept: it could not be announced",
  );
  assert.equal(
    refusal(413, body("file_too_large", "File too large: 6.0 MiB, the limit is 5.0 MiB"), 0, "send")
      .message,
    "file too large: 6.0 MiB, the limit is 5.0 MiB",
  );
  assert.equal(
    refusal(404, body("not_found", "No such file"), 0, "get").message,
    "no such file, or not for you",
  );
  // How long a 429 asks to wait: Retry-After first, then the server's words, then a second for uploads at once.
  assert.equal(
    refusal(429, body("upload_rate", "Too many uploads; try again in 4 s"), 0, "send", "7").retryMs,
    7000,
  );
  assert.equal(
    refusal(429, body("upload_rate", "Too many uploads; try again in 4 s"), 0, "send").retryMs,
    4000,
  );
  assert.equal(
    refusal(429, body("too_many_uploads", "At most 2 uploads at once"), 0, "send").retryMs,
    1000,
  );
  assert.equal(refusal(429, "", 0, "send").retryMs, undefined);
});

Deno.test("UploadQueue: a server that always says 'try again in 0 s' gets a try a second at most, and a bounded number of them", async () => {
  const waits: number[] = [];
  const queue = new UploadQueue(1, (ms) => {
    waits.push(ms);
    return Promise.resolve();
  });
  let tries = 0;
  const busy = () =>
    refusal(429, JSON.stringify({ error: "upload_rate", message: "try again in 0 s" }), 0, "send");
  await assert.rejects(
    queue.run(() => {
      tries++;
      throw busy();
    }),
    TransferError,
  );
  assert.equal(tries, MAX_TRIES);
  assert.ok(waits.every((ms) => ms >= MIN_RETRY_MS), JSON.stringify(waits));
});
