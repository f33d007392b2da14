/** ChatView: scrolling back, lines hidden below, and paging through older history. */

import assert from "node:assert/strict";
import { ChatView } from "./chat_view.ts";
import { lobbyMessage, msg, TS, viewInTwoRooms, welcome } from "./_chat_view_fixtures.ts";

Deno.test("ChatView.scroll() stays within 0 and the maximum", () => {
  const view = viewInTwoRooms();
  view.scroll(5, 3);
  assert.equal(view.current!.scroll, 3);
  view.scroll(-10, 3);
  assert.equal(view.current!.scroll, 0);
});

Deno.test("ChatView keeps lines that arrive while scrolled up hidden below, counting the messages", () => {
  const view = viewInTwoRooms();
  view.scroll(4, 100);
  view.apply(msg("#dev", "carol", "one"));
  view.apply({ type: "join", room: "#dev", id: 70, ts: TS, nick: "dan" });
  view.apply(msg("#dev", "dan", "two", "action"));
  const room = view.current!;
  assert.equal(room.scroll, 4, "the reader's position does not move");
  assert.equal(room.hidden, 3);
  assert.equal(room.newBelow, 2, "the join is not a new message");
});

Deno.test("ChatView forgets the hidden lines once scrolled back to the bottom", () => {
  const view = viewInTwoRooms();
  view.scroll(4, 100);
  view.apply(msg("#dev", "carol", "one"));
  view.scroll(-2, 100);
  assert.equal(view.current!.hidden, 1, "still scrolled up");
  view.scroll(-2, 100);
  assert.equal(view.current!.scroll, 0);
  assert.equal(view.current!.hidden, 0);
  assert.equal(view.current!.newBelow, 0);
});

Deno.test("ChatView does not hide lines while following the bottom", () => {
  const view = viewInTwoRooms();
  view.apply(msg("#dev", "carol", "one"));
  assert.equal(view.current!.hidden, 0);
  assert.equal(view.current!.newBelow, 0);
});

Deno.test("ChatView pages back more than once, and stops at the beginning", () => {
  const view = new ChatView();
  view.apply(welcome({ members: ["ana"], history: [lobbyMessage(101, "newest")] }));
  assert.equal(view.olderPageBefore(), 101);
  assert.equal(view.olderPageBefore(), undefined, "one request at a time");
  const page = (from: number) => Array.from({ length: 50 }, (_, i) => lobbyMessage(from + i));
  view.apply({ type: "history", room: "#lobby", messages: page(51), more: true });
  assert.equal(view.olderPageBefore(), 51);
  view.apply({ type: "history", room: "#lobby", messages: page(1), more: false });
  assert.equal(view.olderPageBefore(), undefined, "at the beginning");
  const ids = view.current!.lines.flatMap((l) => l.id === undefined ? [] : [l.id]);
  assert.deepEqual(ids.slice(0, 3), [1, 2, 3]);
  assert.equal(ids.length, 101);
});

Deno.test("ChatView answers a typed /history where the eye is: added above, already shown, or the beginning", () => {
  const view = new ChatView();
  view.apply(welcome({ members: ["ana"], history: [lobbyMessage(9), lobbyMessage(10)] }));
  const last = () => view.current!.lines.at(-1)!;
  view.apply({
    type: "history",
    room: "#lobby",
    messages: [lobbyMessage(9), lobbyMessage(10)],
    more: true,
  });
  assert.deepEqual([last().kind, last().text], [
    "info",
    "Those messages are shown already; /history without an id loads the ones above",
  ]);
  view.apply({
    type: "history",
    room: "#lobby",
    messages: [lobbyMessage(6), lobbyMessage(7), lobbyMessage(8), lobbyMessage(9)],
    more: true,
  });
  assert.equal(last().text, "3 older messages added above (PgUp to read)");
  const ids = view.current!.lines.flatMap((l) => l.id === undefined ? [] : [l.id]);
  assert.deepEqual(ids, [6, 7, 8, 9, 10], "each message once, in order");
  view.apply({ type: "history", room: "#lobby", messages: [lobbyMessage(5)], more: false });
  assert.equal(last().text, "1 older message added above (PgUp to read)");
  view.apply({ type: "history", room: "#lobby", messages: [lobbyMessage(5)], more: false });
  assert.equal(last().text, "No older messages: that is the beginning of #lobby");
  const markers = view.current!.lines.filter((l) => l.text.startsWith("── the beginning"));
  assert.equal(markers.length, 1, "one beginning marker however often it is asked");
  // Scrolling to the top fetches quietly: no note.
  const fresh = new ChatView();
  fresh.apply(welcome({ members: ["ana"], history: [lobbyMessage(10)] }));
  assert.equal(fresh.olderPageBefore(), 10);
  const shown = fresh.current!.lines.length;
  fresh.apply({ type: "history", room: "#lobby", messages: [lobbyMessage(9)], more: true });
  assert.equal(fresh.current!.lines.length, shown + 1, "only the older message, no note");
});
