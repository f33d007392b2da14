/**
 * The chat page as a person uses it, through its test hooks
 * (`data-testid` and `data-*` attributes of lib/web): join, type, switch
 * conversations, read what the log shows. Built on `_browser.ts`.
 *
 * @module
 */

import type { Person } from "./_browser.ts";
import type { PageGlobals } from "./_page_dom.ts";

/** One line of the log as the page shows it. */
export interface ShownLine {
  kind: string;
  nick: string;
  text: string;
  own: boolean;
  history: boolean;
}

const INPUT = '[data-testid="message-input"]';

/** Opens `url` and joins as `nick` (with `password` for a private server); waits until connected. */
export async function joinPage(
  person: Person,
  url: string,
  nick: string,
  password?: string,
): Promise<void> {
  await person.goto(url);
  await submitJoin(person, nick, password);
  await waitConnected(person);
}

/** Fills and submits the join form, without waiting for the outcome. */
export async function submitJoin(person: Person, nick: string, password?: string): Promise<void> {
  await person.fill('[data-testid="nick-input"]', nick);
  if (password !== undefined) await person.fill('[data-testid="password-input"]', password);
  await person.click('[data-testid="join-button"]');
}

/** Waits until the page shows it is connected and the message box is there. */
export async function waitConnected(person: Person, ms = 10_000): Promise<void> {
  await person.waitFor(
    "the page to be connected",
    () => {
      const { document } = globalThis as unknown as PageGlobals;
      const state = document.querySelector('[data-testid="connection-state"]');
      return state?.getAttribute("data-state") === "connected" &&
        document.querySelector('[data-testid="message-input"]') !== null;
    },
    undefined,
    ms,
  );
}

/** The connection state the page shows (`connected`, `connecting`, ...), or "" before joining. */
export function connectionState(person: Person): Promise<string> {
  return person.evaluate(() => {
    const { document } = globalThis as unknown as PageGlobals;
    return document.querySelector('[data-testid="connection-state"]')?.getAttribute("data-state") ??
      "";
  });
}

/** Types `line` in the message box and presses Enter. */
export async function say(person: Person, line: string): Promise<void> {
  await person.fill(INPUT, line);
  await person.press(INPUT, "Enter");
}

/** The lines of the conversation shown, in order. */
export function shownLines(person: Person): Promise<ShownLine[]> {
  return person.evaluate(() => {
    const { document } = globalThis as unknown as PageGlobals;
    return Array.from(document.querySelectorAll('[data-testid="message"]'), (line) => ({
      kind: line.getAttribute("data-kind") ?? "",
      nick: line.getAttribute("data-nick") ?? "",
      text: line.querySelector('[data-testid="message-text"]')?.textContent ?? "",
      own: line.getAttribute("data-own") === "true",
      history: line.getAttribute("data-history") === "true",
    }));
  });
}

/** The texts of the `say` lines shown (what people said in the conversation), in order. */
export async function saidTexts(person: Person): Promise<string[]> {
  return (await shownLines(person)).filter((line) => line.kind === "say").map((line) => line.text);
}

/** Waits until the conversation shown has a line whose text is `text` (and of `kind`, if given). */
export async function waitLine(person: Person, text: string, kind?: string): Promise<void> {
  await person.waitFor(`a line "${text.slice(0, 80)}"`, ([text, kind]: [string, string]) => {
    const { document } = globalThis as unknown as PageGlobals;
    return Array.from(document.querySelectorAll('[data-testid="message"]')).some((line) =>
      line.querySelector('[data-testid="message-text"]')?.textContent === text &&
      (kind === "" || line.getAttribute("data-kind") === kind)
    );
  }, [text, kind ?? ""]);
}

/** The conversations in the sidebar: rooms and private ones, with unread counts. */
export function conversations(
  person: Person,
): Promise<{ name: string; kind: string; unread: number; current: boolean }[]> {
  return person.evaluate(() => {
    const { document } = globalThis as unknown as PageGlobals;
    return Array.from(document.querySelectorAll('[data-testid="room-item"]'), (item) => ({
      name: item.getAttribute("data-room") ?? "",
      kind: item.getAttribute("data-kind") ?? "",
      unread: Number(item.getAttribute("data-unread")),
      current: item.getAttribute("aria-current") === "page",
    }));
  });
}

/** Shows the conversation `name` (a room, or the nick of a private one), waiting for it to be listed. */
export async function openConversation(person: Person, name: string): Promise<void> {
  const selector = `[data-testid="room-item"][data-room="${name}"]`;
  await person.waitFor(`the conversation ${name} listed`, (selector: string) => {
    const { document } = globalThis as unknown as PageGlobals;
    return document.querySelector(selector) !== null;
  }, selector);
  await person.click(selector);
  await person.waitFor(`the conversation ${name} shown`, (selector: string) => {
    const { document } = globalThis as unknown as PageGlobals;
    return document.querySelector(selector)?.getAttribute("aria-current") === "page";
  }, selector);
}

/** Waits until the conversation shown has at least `count` lines of people's messages. */
export async function waitSaid(person: Person, count: number): Promise<void> {
  await person.waitFor(`${count} messages`, (count: number) => {
    const { document } = globalThis as unknown as PageGlobals;
    return document.querySelectorAll('[data-testid="message"][data-kind="say"]').length >= count;
  }, count);
}
