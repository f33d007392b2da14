/**
 * Test-only: the events and views the ChatView tests start from.
 *
 * @module
 */

import type { MessageEvent, WelcomeEvent } from "../../core/events.ts";
import type { ServerFrame } from "../../protocol/wire_frames.ts";
import { ChatView } from "./chat_view.ts";
import type { ViewLine } from "./room_pane.ts";
import { parseServerFrame } from "../../protocol/server_frames.ts";

/** An event as the client gets it: sent over the wire, checked and cleaned where it enters. */
export function fromWire(event: ServerFrame): ServerFrame {
  return parseServerFrame(JSON.stringify(event))!;
}

/** The server time the messages carry. */
export const TS = 1_700_000_000_000;
let nextId = 1;

/** ana's welcome to #lobby with bob, changed by `overrides`. */
export function welcome(overrides: Partial<WelcomeEvent> = {}): WelcomeEvent {
  return {
    type: "welcome",
    protocol: 1,
    server: "lan",
    nick: "ana",
    room: "#lobby",
    members: ["ana", "bob"],
    history: [],
    ...overrides,
  };
}

/** A message from `from` in `room`, with the next id. */
export function msg(
  room: string,
  from: string,
  text: string,
  kind: "say" | "action" = "say",
): MessageEvent {
  return { type: "msg", room, id: nextId++, ts: TS, from, text, kind };
}

/** bob's message `m<id>` in #lobby, with that id. */
export function lobbyMessage(id: number, text = `m${id}`): MessageEvent {
  return { type: "msg", room: "#lobby", id, ts: 1, from: "bob", text, kind: "say" };
}

/** A view welcomed as ana in #lobby with bob, then joined to #dev (shown) with carol. */
export function viewInTwoRooms(): ChatView {
  const view = new ChatView();
  view.apply(welcome());
  view.apply({ type: "joined", room: "#dev", members: ["ana", "carol"], history: [] });
  return view;
}

/** The texts of `lines`. */
export function texts(lines: ViewLine[]): string[] {
  return lines.map((line) => line.text);
}
