// /history with its options: after, around, between, latest, before, by id and time.

import assert from "node:assert/strict";
import { assertError, quiet, setup } from "../_hub_harness.ts";

function room() {
  const { connect, tick } = setup({ rateLimit: false });
  const ana = connect("ana");
  for (let i = 1; i <= 6; i++) {
    tick();
    ana.input(`m${i}`);
  }
  const ids = ana.sink.of("msg").map((m) => m.id);
  const times = ana.sink.of("msg").map((m) => m.ts);
  const ask = async (args: string) => {
    await ana.input(`/history ${args}`);
    return ana.sink.of("history").at(-1)!;
  };
  return { ana, ids, times, ask, connect };
}

Deno.test("/history --after pages forward from an id, saying when newer messages remain", async () => {
  const { ids, ask } = room();
  const page = await ask(`--after ${ids[1]} 2`);
  assert.deepEqual(page.messages.map((m) => m.text), ["m3", "m4"]);
  assert.equal(page.more, true);
  assert.equal(page.query, "after");
  const last = await ask(`--after ${ids[3]} 5`);
  assert.deepEqual(last.messages.map((m) => m.text), ["m5", "m6"]);
  assert.equal(last.more, false);
});

Deno.test("/history takes times, --around, --between both ways, --latest and --before", async () => {
  const { ids, times, ask } = room();
  const iso = (ts: number) => new Date(ts).toISOString();
  const texts = async (args: string) => (await ask(args)).messages.map((m) => m.text);
  assert.deepEqual(await texts(`--around ${ids[3]} 3`), ["m3", "m4", "m5"]);
  assert.deepEqual(await texts(`--between ${ids[0]} ${ids[5]} 2`), ["m2", "m3"]);
  assert.deepEqual(await texts(`--between ${ids[5]} ${ids[0]} 2`), ["m4", "m5"]);
  assert.deepEqual(await texts(`--latest ${ids[3]}`), ["m5", "m6"]);
  assert.deepEqual(await texts(`--before ${ids[2]}`), ["m1", "m2"]);
  // Each message has its own second.
  assert.deepEqual(await texts(`--after ${iso(times[4] - 1)}`), ["m5", "m6"]);
  const old = await ask(`2 ${ids[5]}`);
  assert.deepEqual(old.messages.map((m) => m.text), ["m4", "m5"]);
  assert.equal(old.query, undefined, "the first form is unchanged");
  assert.equal(old.more, true);
});

Deno.test("/history refuses bad refs, two options, too many words and counts out of range", async () => {
  const { ana } = room();
  for (
    const args of [
      "--after yesterday",
      "--after 2024-13-01T00:00:00Z",
      // Impossible dates and times, not rolled over into the next day or month.
      "--after 2024-02-30T00:00:00Z",
      "--after 2023-02-29T00:00Z",
      "--after 2024-04-31T12:00:00Z",
      "--after 2024-05-01T24:00:00Z",
      "--after 2024-05-01T23:60Z",
      "--after 2024-05-01T23:59:60Z",
      "--after 1 --before 2",
      "--between 1",
      "--after 1 2 3",
      "--after 1 501",
      "1 2 3",
    ]
  ) {
    quiet(ana);
    await ana.input(`/history ${args}`);
    assertError(ana, "bad_args");
  }
  // A leap day, and times with and without seconds and milliseconds, are taken.
  for (const at of ["2024-02-29T00:00Z", "2024-05-01T23:59:59.5Z", "2024-05-01T00:00:00.000Z"]) {
    quiet(ana);
    await ana.input(`/history --after ${at}`);
    assert.equal(ana.sink.of("error").length, 0, at);
  }
});

Deno.test("/history --after of a room the member is not in is refused", async () => {
  const { ana, connect } = room();
  ana.input("/join #secret");
  ana.input("only for members");
  const bob = connect("bob");
  quiet(bob);
  await bob.input("/history --after 1", "#secret");
  assertError(bob, "not_in_room");
});
