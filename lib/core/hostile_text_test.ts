import assert from "node:assert/strict";
import { NickError } from "./errors.ts";
import { HOSTILE_TEXT, unsafeInEvent } from "./_hostile_text.ts";
import { COMMANDS } from "./commands/default_commands.ts";
import type { ChatEvent } from "./events.ts";
import { Hub, type HubOptions } from "./hub.ts";
import { RecordingSink } from "./_recording_sink.ts";
import { cleanLine } from "./sanitize.ts";

const OP_FINGERPRINT = "SHA256:operator-key";

/**
 * A hub with three receivers: the hostile member, a bystander sharing its
 * rooms, and an operator. Every event any of them gets is checked.
 */
function setup(options: HubOptions = {}) {
  const hub = new Hub({ rateLimit: false, operators: [OP_FINGERPRINT], ...options });
  const sinks: RecordingSink[] = [];
  const join = (nick: string, client = "test", fingerprint?: string) => {
    const sink = new RecordingSink();
    sinks.push(sink);
    const member = hub.join({ nick, client, fingerprint, address: `10.0.0.${sinks.length}` }, sink);
    return { member, sink };
  };
  const op = join("mod", "test", OP_FINGERPRINT);
  const bystander = join("bystander");
  return {
    hub,
    op,
    bystander,
    join,
    /** Every event any member was sent (goodbyes included). */
    events(): ChatEvent[] {
      return sinks.flatMap((sink) => [...sink.events, ...sink.ended]);
    },
  };
}

function assertSafe(events: ChatEvent[], what: string): void {
  assert.ok(events.length > 0, `${what}: no event at all`);
  for (const event of events) {
    const problem = unsafeInEvent(event);
    assert.equal(problem, undefined, `${what}: ${problem}`);
  }
}

Deno.test("the server's name and motd from the operator are cleaned like a peer's text", () => {
  for (const text of HOSTILE_TEXT) {
    const { events, hub } = setup({ serverName: text, motd: `${text}\nsecond line ${text}` });
    assertSafe(events(), JSON.stringify(text.slice(0, 30)));
    assert.ok([...hub.serverName].length <= 64);
    assert.notEqual(hub.serverName, "");
  }
});

Deno.test("Hub.join() cleans hello.client once: /whois shows it safe, on one line, at most 64 characters", () => {
  for (const text of HOSTILE_TEXT) {
    const { hub, join, bystander, events } = setup();
    const evil = join("evil", text);
    assert.equal(evil.member.client, cleanLine(text, 64) || "unknown");
    bystander.sink.clear();
    hub.input(bystander.member, "/whois evil");
    const whois = bystander.sink.only();
    assert.equal(whois.type, "whois");
    assert.equal(whois.type === "whois" && whois.client, evil.member.client);
    assert.ok([...evil.member.client].length <= 64);
    assertSafe(events(), JSON.stringify(text.slice(0, 30)));
  }
});

Deno.test("a hello whose nick holds a control or invisible character is refused, never altered", () => {
  for (const text of HOSTILE_TEXT) {
    const { join, events } = setup();
    for (const nick of [`ab${text}`, text]) {
      assert.throws(() => join(nick), (error) => {
        assert.ok(error instanceof NickError, String(error));
        assert.equal(error.code, "bad_nick");
        assert.equal(unsafeInEvent({ message: error.message }), undefined, error.message);
        return true;
      });
    }
    assertSafe(events(), JSON.stringify(text.slice(0, 30)));
  }
});

Deno.test("a nick with a control character gets an error naming it, the value shown escaped", () => {
  const { join } = setup();
  assert.throws(
    () => join("ana\x1b[31m"),
    { name: "NickError", message: 'Nick "ana\\x1b[31m" contains the control character U+001B' },
  );
  assert.throws(
    () => join("a\u200bna"),
    {
      message: 'Nick "a\\u200bna" contains the invisible formatting character U+200B',
    },
  );
  assert.throws(() => join("ana\ud800"), {
    message: 'Nick "ana\\ud800" contains an unpaired surrogate',
  });
});

Deno.test("a room name with a control character is refused with an error naming it", () => {
  const { hub, bystander } = setup();
  bystander.sink.clear();
  assert.equal(hub.input(bystander.member, "/join #dev\x07"), false);
  assert.deepEqual(bystander.sink.only(), {
    type: "error",
    code: "bad_room",
    message: 'Room name "#dev\\x07" contains the control character U+0007',
  });
  bystander.sink.clear();
  assert.equal(hub.message(bystander.member, "hi", "#dev\u202e"), false);
  assert.equal(bystander.sink.only().type, "error");
  assert.equal(hub.room("#dev"), undefined, "no room was made from a cleaned-up name");
});

/**
 * Every way a member's words enter the hub, with `text` in one field: each
 * entry types one line or frame as the hostile member (or, for operator
 * commands, as the operator about the hostile member).
 */
const ENTRIES: readonly [string, (hub: Hub, ctx: Context, text: string) => unknown][] = [
  ["a message", (hub, { evil }, text) => hub.message(evil, text)],
  ["a typed line", (hub, { evil }, text) => hub.input(evil, text)],
  ["a typed line with a room", (hub, { evil }, text) => hub.input(evil, "hi", text)],
  ["a message to a room", (hub, { evil }, text) => hub.message(evil, "hi", text)],
  ["a command name", (hub, { evil }, text) => hub.command(evil, text, "")],
  ["a command name, typed", (hub, { evil }, text) => hub.input(evil, `/${text}`)],
  ["a command's room", (hub, { evil }, text) => hub.command(evil, "who", "", text)],
  ["/me", (hub, { evil }, text) => hub.input(evil, `/me ${text}`)],
  ["/msg text", (hub, { evil }, text) => hub.input(evil, `/msg bystander ${text}`)],
  ["/msg nick", (hub, { evil }, text) => hub.command(evil, "msg", `${text} hi`)],
  ["/describe text", (hub, { evil }, text) => hub.input(evil, `/describe bystander ${text}`)],
  ["/notice text", (hub, { evil }, text) => hub.input(evil, `/notice bystander ${text}`)],
  ["/notice room text", (hub, { evil }, text) => hub.input(evil, `/notice #side ${text}`)],
  ["/notice target", (hub, { evil }, text) => hub.command(evil, "notice", `${text} hi`)],
  ["/topic text", (hub, { evil }, text) => hub.input(evil, `/topic #side ${text}`)],
  ["/topic room", (hub, { evil }, text) => hub.command(evil, "topic", `${text} hi`)],
  ["/away", (hub, { evil }, text) => hub.input(evil, `/away ${text}`)],
  ["/back", async (hub, { evil }, text) => {
    await hub.input(evil, `/away ${text}`);
    await hub.input(evil, `/back ${text}`);
  }],
  ["/nick", (hub, { evil }, text) => hub.command(evil, "nick", text)],
  ["/join", (hub, { evil }, text) => hub.command(evil, "join", text)],
  ["/who", (hub, { evil }, text) => hub.command(evil, "who", text)],
  ["/whois", (hub, { evil }, text) => hub.command(evil, "whois", text)],
  ["/history", (hub, { evil }, text) => hub.command(evil, "history", `${text} ${text}`)],
  ["/help", (hub, { evil }, text) => hub.command(evil, "help", text)],
  ["/unregister", (hub, { evil }, text) => hub.command(evil, "unregister", text)],
  ["/part reason", (hub, { evil }, text) => hub.input(evil, `/part #side ${text}`)],
  ["/part words", (hub, { evil }, text) => hub.command(evil, "part", `${text} ${text}`)],
  ["/quit reason", (hub, { evil }, text) => hub.input(evil, `/quit ${text}`)],
  ["/kick reason", (hub, { op }, text) => hub.input(op, `/kick evil ${text}`)],
  ["/ban reason, then /bans", async (hub, { op }, text) => {
    await hub.input(op, `/ban evil ${text}`);
    await hub.input(op, "/bans");
  }],
  ["/kick nick", (hub, { op }, text) => hub.command(op, "kick", text)],
  ["/mute", (hub, { op }, text) => hub.command(op, "mute", `evil ${text}`)],
  ["/unban", (hub, { op }, text) => hub.command(op, "unban", text)],
];

interface Context {
  evil: ReturnType<Hub["join"]>;
  op: ReturnType<Hub["join"]>;
}

Deno.test("the hostile corpus in every field of every entry point reaches no receiver unsafe", async () => {
  let checked = 0;
  for (const text of HOSTILE_TEXT) {
    for (const [name, entry] of ENTRIES) {
      const { hub, join, op, bystander, events } = setup();
      hub.input(bystander.member, "/away out to lunch"); // sees every away change, and the answer to a DM
      const evil = join("evil", text);
      hub.input(evil.member, "/join #side");
      hub.input(bystander.member, "/join #side");
      await entry(hub, { evil: evil.member, op: op.member }, text);
      // What the others see of it afterwards: /who, /rooms, /whois, /bans.
      for (const line of ["/who", "/who #side", "/rooms", "/whois evil", "/topic #side"]) {
        hub.input(bystander.member, line);
      }
      await hub.input(op.member, "/bans");
      assertSafe(events(), `${name} with ${JSON.stringify(text.slice(0, 30))}`);
      checked++;
    }
  }
  assert.equal(checked, HOSTILE_TEXT.length * ENTRIES.length);
  // Every command of the table has an entry above (or is covered by a typed line).
  const named = new Set(ENTRIES.map(([name]) => name.match(/^\/(\w+)/)?.[1]).filter(Boolean));
  for (const command of COMMANDS) {
    if (["rooms", "register", "bans", "unmute"].includes(command.name)) continue; // no arguments to fuzz
    assert.ok(named.has(command.name), `no hostile entry for /${command.name}`);
  }
});

Deno.test("reasons and messages keep their words: the corpus is cleaned, not dropped", () => {
  const { hub, join, bystander } = setup();
  const evil = join("evil");
  bystander.sink.clear();
  hub.input(evil.member, "x\r\n[12:00] <admin> type /quit now");
  const said = bystander.sink.of("msg")[0];
  assert.equal(said.text, "x\n[12:00] <admin> type /quit now");
  hub.input(evil.member, "/quit bye\x1b[2J\r\nall\x07");
  const left = bystander.sink.of("leave")[0];
  assert.equal(left.message, "bye all");
});
