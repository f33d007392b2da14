/**
 * Test helper (lib/server/upload_pace_test.ts), run with `--expose-gc`: reads
 * 200 chunks of 256 KiB through `cuttable` without cutting, then, with the
 * read of the 201st still waiting, collects garbage and prints how many of
 * the chunks read are still alive (weakly held here).
 */

import { cuttable } from "./upload_pace.ts";

const COUNT = 200;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --v8-flags=--expose-gc");
const refs: WeakRef<Uint8Array>[] = [];
let release!: () => void;
const last = new Promise<void>((resolve) => release = resolve);
async function* source() {
  for (let i = 0; i < COUNT; i++) yield new Uint8Array(256 * 1024);
  await last; // the 201st read waits
}
const body = cuttable(source(), () => {});
for (let i = 0; i < COUNT; i++) {
  const next = await body.chunks.next();
  refs.push(new WeakRef(next.value as Uint8Array));
}
const waiting = body.chunks.next();
await new Promise((resolve) => setTimeout(resolve, 0)); // WeakRefs hold for a turn
gc();
console.log(refs.filter((ref) => ref.deref() !== undefined).length);
release();
await waiting;
body.cut(new Error("done"));
