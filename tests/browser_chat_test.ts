/**
 * The web page with every other kind of client, as people would use them:
 * two browsers, the line-mode `client.ts` and `ncat` in one room see the
 * same messages in the same order; a private message reaches only its
 * target; a late joiner gets the history, and scrolling up loads older
 * pages; a private server asks the page for its password.
 */

import assert from "node:assert/strict";
import { BrowserHost, type Person } from "./_browser.ts";
import {
  conversations,
  joinPage,
  openConversation,
  saidTexts,
  say,
  shownLines,
  submitJoin,
  waitConnected,
  waitLine,
  waitSaid,
} from "./_chat_page.ts";
import { EntryProcess, runClient, runServer } from "./_entry_process.ts";
import type { PageGlobals } from "./_page_dom.ts";
import { TextClient } from "./_text_client.ts";
import { until } from "./_waiting.ts";

/** `ncat` as a person would run it against a --plain server: its stdin ours, its stdout read. */
function ncat(port: number): EntryProcess {
  const child = new Deno.Command("ncat", {
    args: ["127.0.0.1", String(port)],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  return new EntryProcess(child, true);
}

/** The texts of the messages a terminal shows as `[hh:mm] <nick> text`, those matching `only`. */
function terminalTexts(lines: string[], only: RegExp): string[] {
  return lines.map((line) => /^\[\d\d:\d\d\] <[^>]+> (.*)$/.exec(line.replace(/\r$/, ""))?.[1])
    .filter((text): text is string => text !== undefined && only.test(text));
}

Deno.test("browser: pages, client.ts and ncat chat in one room, privately, with history and a password", async (t) => {
  await using browser = await BrowserHost.launch();

  await t.step(
    "two pages, a line-mode client and ncat see every message, in the same order",
    async (t) => {
      const { server, port } = await runServer();
      await using _server = server;
      const url = `http://127.0.0.1:${port}/`;
      await using ana = await browser.person();
      await using bea = await browser.person();
      await joinPage(ana, url, "ana");
      await joinPage(bea, url, "bea");
      await using cli = runClient(port, "cli", [], { stdin: "piped" });
      await cli.waitStdout((line) => line.startsWith("Welcome to lanchat, cli!"));
      await using nc = ncat(port);
      // The nick prompt ends no line: answer it at once, as a person typing ahead would.
      await nc.write("nc\r\n");
      await nc.waitStdout((line) => line.startsWith("Welcome to"));
      await cli.waitStdout((line) => line.includes("nc") && line.includes("joined"));
      // Everyone at once: the server decides the order, and everyone shows that one.
      await Promise.all([
        say(ana, "from ana"),
        say(bea, "from bea"),
        cli.write("from cli\n"),
        nc.write("from nc\r\n"),
      ]);
      const only = /^from /;
      const all = ["from ana", "from bea", "from cli", "from nc"];
      await waitSaid(ana, 4);
      const order = (await saidTexts(ana)).filter((text) => only.test(text));
      assert.deepEqual([...order].sort(), all);
      await waitSaid(bea, 4);
      assert.deepEqual((await saidTexts(bea)).filter((text) => only.test(text)), order);
      await until(() => terminalTexts(cli.stdout, only).length === 4);
      assert.deepEqual(terminalTexts(cli.stdout, only), order);
      // ncat is not sent its own line back: the three others, in the same order.
      await until(() => terminalTexts(nc.stdout, only).length === 3);
      assert.deepEqual(terminalTexts(nc.stdout, only), order.filter((text) => text !== "from nc"));
      // Whose is whose: ana's own line is marked as hers, bea's is bea's.
      const lines = await shownLines(ana);
      assert.deepEqual(
        lines.filter((line) => only.test(line.text)).map((
          line,
        ) => [line.text, line.nick, line.own]),
        order.map((text) => [text, text.slice(5), text === "from ana"]),
      );

      await t.step(
        "a private message reaches only its target, from a page and from client.ts",
        async () => {
          await say(ana, "/msg bea just for bea");
          await cli.write("/msg ana just for ana\n");
          // A barrier: once everyone has ana's next room message, any private one would be there too.
          await say(ana, "after the secrets");
          await until(() => terminalTexts(cli.stdout, /^after the secrets$/).length === 1);
          await until(() => terminalTexts(nc.stdout, /^after the secrets$/).length === 1);
          await waitLine(bea, "after the secrets");
          assert.ok(
            !cli.stdout.some((line) => line.includes("just for bea")),
            cli.stdout.join("\n"),
          );
          assert.ok(!nc.stdout.some((line) => line.includes("just for")), nc.stdout.join("\n"));
          // bea has a private conversation with ana, listed apart, holding the message.
          await openConversation(bea, "ana");
          await waitLine(bea, "just for bea");
          assert.deepEqual(
            (await conversations(bea)).filter((c) => c.kind === "dm").map((c) => c.name),
            ["ana"],
          );
          // ana has one with cli, holding cli's; none with bea's message in it but her own.
          await openConversation(ana, "cli");
          await waitLine(ana, "just for ana");
          assert.ok(!(await shownLines(bea)).some((line) => line.text === "just for ana"));
        },
      );

      await t.step(
        "a page that joins later gets the room's history, marked as such, in order",
        async () => {
          await using dee = await browser.person();
          await joinPage(dee, url, "dee");
          await waitLine(dee, "after the secrets");
          const history = (await shownLines(dee)).filter((line) => line.kind === "say");
          assert.deepEqual(
            history.map((line) => line.text),
            [...order, "after the secrets"],
          );
          assert.ok(history.every((line) => line.history), JSON.stringify(history));
          assert.ok(!history.some((line) => line.text.startsWith("just for")));
        },
      );
    },
  );

  await t.step(
    "scrolling up loads older pages of history until the start of the room",
    async () => {
      const { server, port } = await runServer(["--history", "5", "--no-rate-limit"]);
      await using _server = server;
      await using cli = runClient(port, "old", [], { stdin: "piped" });
      const count = 250;
      await cli.write(Array.from({ length: count }, (_, i) => `old ${i}\n`).join(""));
      await until(() => terminalTexts(cli.stdout, /^old \d+$/).length === count);
      await using ana = await browser.person();
      await joinPage(ana, `http://127.0.0.1:${port}/`, "ana");
      await waitLine(ana, `old ${count - 1}`);
      // On join, the replay: the last five (then, while they fit on screen, the page asks for more).
      assert.deepEqual(
        (await saidTexts(ana)).slice(-5),
        Array.from({ length: 5 }, (_, i) => `old ${count - 5 + i}`),
      );
      let pages = 0;
      while (!(await atStart(ana))) {
        assert.ok(pages++ < 10, "still not at the start after 10 pages");
        const before = (await saidTexts(ana)).length;
        await ana.evaluate(() => {
          const { document, Event } = globalThis as unknown as PageGlobals;
          const log = document.querySelector('[data-testid="message-log"]')!;
          log.scrollTop = 0;
          log.dispatchEvent(new Event("scroll"));
        });
        await ana.waitFor("an older page, or the start", (before: number) => {
          const { document } = globalThis as unknown as PageGlobals;
          return document.querySelectorAll('[data-kind="say"]').length > before ||
            document.querySelector('[data-testid="history-start"]') !== null;
        }, before);
      }
      assert.ok(pages >= 2, `${pages} pages loaded: paging was not exercised`);
      assert.deepEqual(await saidTexts(ana), Array.from({ length: count }, (_, i) => `old ${i}`));
    },
  );

  await t.step(
    "a short room shows its start; the motd sits above the new-messages marker; the user's own line clears the marker",
    async () => {
      const { server, port } = await runServer(["--motd", "be kind"]);
      await using _server = server;
      await using cli = runClient(port, "old", [], { stdin: "piped" });
      await cli.write("before 1\nbefore 2\n");
      await until(() => terminalTexts(cli.stdout, /^before 2$/).length === 1);
      await using ana = await browser.person({ viewport: { width: 1280, height: 800 } });
      await joinPage(ana, `http://127.0.0.1:${port}/`, "ana");
      // Two messages fit on screen: the page learns there is nothing older, and says so.
      await ana.waitFor("the start of the room", () => {
        const { document } = globalThis as unknown as PageGlobals;
        return document.querySelector('[data-testid="history-start"]') !== null;
      });
      assert.equal(await shown(ana, '[data-testid="load-older"]'), false);
      await cli.write("live one\n");
      await waitLine(ana, "live one");
      assert.deepEqual(await logOrder(ana), [
        "say before 1",
        "say before 2",
        "motd be kind",
        "marker",
        "say live one",
      ]);
      // ana answers: what is above her line was seen, and no marker stays above it.
      await say(ana, "my reply");
      await waitLine(ana, "my reply", "say");
      await cli.write("after the reply\n");
      await waitLine(ana, "after the reply");
      assert.ok(!(await logOrder(ana)).includes("marker"), JSON.stringify(await logOrder(ana)));
      // A new, empty room has nothing to page back from: no button offers it.
      await say(ana, "/join #empty");
      await ana.waitFor("the empty room shown", () => {
        const { document } = globalThis as unknown as PageGlobals;
        const log = document.querySelector('[data-testid="message-log"]');
        return (log?.getAttribute("aria-label") ?? "").includes("#empty");
      });
      assert.equal(await shown(ana, '[data-testid="load-older"]'), false);
    },
  );

  await t.step(
    "on a phone: the header shows the state in a word, the member count, unread lines elsewhere; Escape closes a drawer",
    async () => {
      const { server, port } = await runServer();
      await using _server = server;
      await using ana = await browser.person({ viewport: { width: 360, height: 640 } });
      await joinPage(ana, `http://127.0.0.1:${port}/`, "ana");
      await using cli = runClient(port, "bo", [], { stdin: "piped" });
      await cli.waitStdout((line) => line.startsWith("Welcome to lanchat, bo!"));
      // /join shows the room joined; the rooms list is a drawer here.
      await say(ana, "/join #dev");
      await ana.waitFor("#dev shown", () => {
        const { document } = globalThis as unknown as PageGlobals;
        return document.querySelector('[data-room="#dev"]')?.getAttribute("aria-current") ===
          "page";
      });
      await cli.write("in the lobby\n");
      await ana.waitFor("the unread badge on the rooms button", () => {
        const { document } = globalThis as unknown as PageGlobals;
        return document.querySelector('[data-testid="rooms-unread"]')?.textContent === "1";
      });
      await ana.click('[data-testid="rooms-toggle"]');
      await openConversation(ana, "#lobby");
      const header = await ana.evaluate(() => {
        const { document } = globalThis as unknown as PageGlobals;
        const visible = (selector: string) => {
          const box = document.querySelector(selector)?.getBoundingClientRect();
          return box !== undefined && box.width > 1;
        };
        return {
          word: visible('[data-testid="connection-state"] .connection-word'),
          state: document.querySelector('[data-testid="connection-state"] .connection-word')
            ?.textContent,
          members: document.querySelector('[data-testid="members-toggle"]')?.getAttribute(
            "aria-label",
          ),
          icon: document.querySelector('[data-testid="members-toggle"] svg') !== null,
          unread: document.querySelector('[data-testid="rooms-unread"]') !== null,
        };
      });
      assert.deepEqual(header, {
        word: true,
        state: "Connected",
        members: "2 members",
        icon: true,
        unread: false,
      });
      // The members drawer takes the focus; Escape closes it and gives the focus back.
      await ana.click('[data-testid="members-toggle"]');
      await ana.waitFor("the members drawer focused", () => {
        const { document } = globalThis as unknown as PageGlobals;
        return document.activeElement?.id === "members";
      });
      await ana.press("#members", "Escape");
      await ana.waitFor("the drawer closed and the focus on its button", () => {
        const { document } = globalThis as unknown as PageGlobals;
        const toggle = document.querySelector('[data-testid="members-toggle"]');
        return toggle?.getAttribute("aria-expanded") === "false" &&
          document.activeElement === toggle;
      });
      // A tap beside a drawer closes it, and the focus goes back to its button.
      for (const [which, x] of [["members", 20], ["rooms", 345]] as const) {
        await ana.click(`[data-testid="${which}-toggle"]`);
        await ana.waitFor(`the ${which} drawer open`, (which: string) => {
          const { document } = globalThis as unknown as PageGlobals;
          return document.querySelector(`[data-testid="${which}-toggle"]`)
            ?.getAttribute("aria-expanded") === "true";
        }, which);
        await ana.tap(x, 400);
        await ana.waitFor(`the ${which} drawer closed by a tap beside it`, (which: string) => {
          const { document } = globalThis as unknown as PageGlobals;
          const toggle = document.querySelector(`[data-testid="${which}-toggle"]`);
          return toggle?.getAttribute("aria-expanded") === "false" &&
            document.activeElement === toggle;
        }, which);
      }
      const inputFocused = () => {
        const { document } = globalThis as unknown as PageGlobals;
        return document.activeElement?.getAttribute("data-testid") === "message-input";
      };
      // Picking a member (its button goes away) and joining a room from the drawer: type there next.
      await ana.click('[data-testid="members-toggle"]');
      await ana.click('[data-testid="member"][data-nick="bo"] button');
      await ana.waitFor("the private conversation shown, the focus in the input", () => {
        const { document } = globalThis as unknown as PageGlobals;
        return document.querySelector('[data-room="bo"]')?.getAttribute("aria-current") ===
            "page" &&
          document.activeElement?.getAttribute("data-testid") === "message-input";
      });
      await ana.click('[data-testid="rooms-toggle"]');
      await ana.fill('[data-testid="join-room-input"]', "ops");
      await ana.click('[data-testid="join-room-button"]');
      await ana.waitFor("#ops shown, the focus in the input", () => {
        const { document } = globalThis as unknown as PageGlobals;
        return document.querySelector('[data-room="#ops"]')?.getAttribute("aria-current") ===
            "page" &&
          document.activeElement?.getAttribute("data-testid") === "message-input";
      });
      assert.ok(await ana.evaluate(inputFocused));
      // The "/" palette lists every command; the arrows reach the last one, scrolled into view.
      await ana.fill('[data-testid="message-input"]', "/");
      const count = await ana.waitFor("the command palette", () => {
        const { document } = globalThis as unknown as PageGlobals;
        return document.querySelectorAll('[data-testid="completion-option"]').length;
      });
      assert.ok(count > 8, `${count} commands listed`);
      for (let i = 1; i < count; i++) await ana.press('[data-testid="message-input"]', "ArrowDown");
      await ana.waitFor("the last command picked and scrolled into view", () => {
        const { document } = globalThis as unknown as PageGlobals;
        const options = Array.from(document.querySelectorAll('[data-testid="completion-option"]'));
        const list = document.querySelector('[data-testid="completion-list"]')!
          .getBoundingClientRect();
        const box = options.at(-1)!.getBoundingClientRect();
        return options.at(-1)!.getAttribute("aria-selected") === "true" &&
          box.top >= list.top - 1 && box.bottom <= list.bottom + 1;
      });
    },
  );

  await t.step(
    "a private server: the page asks for the password, refuses a wrong one, joins with the right one",
    async () => {
      const { server, port } = await runServer(["--password", "open sesame"]);
      await using _server = server;
      await using ana = await browser.person();
      await ana.goto(`http://127.0.0.1:${port}/`);
      await submitJoin(ana, "ana", "wrong");
      await ana.waitFor("the join error", () => {
        const { document } = globalThis as unknown as PageGlobals;
        return document.querySelector('[data-testid="join-error"]')?.textContent;
      });
      assert.equal(
        await ana.evaluate(() => {
          const { document } = globalThis as unknown as PageGlobals;
          return document.querySelector('[data-testid="message-input"]');
        }),
        null,
      );
      await submitJoin(ana, "ana", "open sesame");
      await waitConnected(ana, 15_000);
      await using text = await TextClient.connect(port, "tex", "open sesame");
      await say(ana, "inside");
      await text.waitLine((line) => line.endsWith("<ana> inside"));
    },
  );
});

/** The log in order: `kind text` per line, `marker` for the new-messages marker. */
function logOrder(person: Person): Promise<string[]> {
  return person.evaluate(() => {
    const { document } = globalThis as unknown as PageGlobals;
    const items = document.querySelectorAll(
      '[data-testid="message"], [data-testid="new-messages-marker"]',
    );
    return Array.from(
      items,
      (item) =>
        item.getAttribute("data-testid") === "new-messages-marker"
          ? "marker"
          : `${item.getAttribute("data-kind")} ${
            item.querySelector('[data-testid="message-text"]')?.textContent
          }`,
    );
  });
}

/** Whether an element matching `selector` is in the page. */
function shown(person: Person, selector: string): Promise<boolean> {
  return person.evaluate((selector: string) => {
    const { document } = globalThis as unknown as PageGlobals;
    return document.querySelector(selector) !== null;
  }, selector);
}

/** Whether the page shows the start of the room (nothing older to load). */
function atStart(person: Person): Promise<boolean> {
  return person.evaluate(() => {
    const { document } = globalThis as unknown as PageGlobals;
    return document.querySelector('[data-testid="history-start"]') !== null;
  });
}
