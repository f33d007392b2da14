import assert from "node:assert/strict";
import type { ChatEvent } from "../events.ts";
import { foldNick } from "../nick.ts";
import { lookAlikeSkeletons } from "../confusable.ts";
import { LocalPresence, type Present } from "./presence.ts";

/** An entry that is not a local Member: what a remote member would look like. */
function entry(nick: string): Present & { nick: string; foldedNick: string; got: ChatEvent[] } {
  const got: ChatEvent[] = [];
  return { nick, foldedNick: foldNick(nick), got, sink: { deliver: (e) => got.push(e), end() {} } };
}

Deno.test("LocalPresence finds an entry by its folded nick and reaches it through its sink", () => {
  const presence = new LocalPresence<ReturnType<typeof entry>>();
  const ana = entry("Ana");
  presence.add(ana);
  assert.equal(presence.size, 1);
  assert.equal(presence.find(foldNick("ANA")), ana);
  presence.find(foldNick("ana"))!.sink.deliver({ type: "notice", message: "hi" });
  assert.deepEqual(ana.got, [{ type: "notice", message: "hi" }]);
  assert.equal(presence.find(foldNick("bo")), undefined);
});

Deno.test("LocalPresence finds look-alikes of the nicks online", () => {
  const presence = new LocalPresence<ReturnType<typeof entry>>();
  const bob = entry("bob");
  presence.add(bob);
  const cyrillic = lookAlikeSkeletons("Ьоb");
  assert.ok(cyrillic.some((look) => presence.findLookAlike(look) === bob));
  presence.remove(bob);
  assert.ok(cyrillic.every((look) => presence.findLookAlike(look) === undefined));
  assert.equal(presence.size, 0);
});

Deno.test("LocalPresence.rename() moves an entry to its new nick and its look-alikes", () => {
  const presence = new LocalPresence<ReturnType<typeof entry>>();
  const ana = entry("ana");
  presence.add(ana);
  presence.rename(ana, () => {
    ana.nick = "zed";
    ana.foldedNick = foldNick("zed");
  });
  assert.equal(presence.find("ana"), undefined);
  assert.equal(presence.find("zed"), ana);
  assert.equal(presence.findLookAlike(lookAlikeSkeletons("ana")[0]), undefined);
  assert.equal(presence.findLookAlike(lookAlikeSkeletons("zed")[0]), ana);
});

Deno.test("LocalPresence.remove() leaves alone a newer entry under the same nick", () => {
  const presence = new LocalPresence<ReturnType<typeof entry>>();
  const ghost = entry("ana");
  const fresh = entry("ana");
  presence.add(ghost);
  presence.add(fresh);
  presence.remove(ghost);
  assert.equal(presence.find("ana"), fresh);
  assert.deepEqual([...presence.all()], [fresh]);
});
