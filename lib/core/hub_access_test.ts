import assert from "node:assert/strict";
import { ChatError, NickError } from "./errors.ts";
import { MemoryAccessStore } from "./state/access_store.ts";
import type { ChatErrorCode as ErrorCode } from "./events.ts";
import { Hub, type HubOptions } from "./hub.ts";
import type { Member } from "./member.ts";
import { RecordingSink } from "./_recording_sink.ts";

const ANA_KEY = "SHA256:anaanaanaanaanaanaanaanaanaanaanaanaanaanaa";
const BO_KEY = "SHA256:bobobobobobobobobobobobobobobobobobobobobob";
const OP_KEY = "SHA256:opopopopopopopopopopopopopopopopopopopopopo";

interface Client {
  member: Member;
  sink: RecordingSink;
  input(line: string): boolean | Promise<boolean>;
}

function setup(options: HubOptions = {}) {
  // No rate limit: these tests type many commands in one tick.
  let time = 1_700_000_000_000;
  const access = new MemoryAccessStore();
  const hub = new Hub({
    now: () => time,
    access,
    operators: [OP_KEY],
    rateLimit: false,
    ...options,
  });
  return {
    hub,
    access,
    tick: (ms: number) => (time += ms),
    connect(nick: string, fingerprint?: string, address = "10.0.0.1"): Client {
      const sink = new RecordingSink();
      const member = hub.join({ nick, client: "test", fingerprint, address }, sink);
      return { member, sink, input: (line) => hub.input(member, line) };
    },
  };
}

function lastError(client: Client, code: ErrorCode, message?: RegExp): void {
  const event = client.sink.last();
  assert.equal(event?.type, "error", JSON.stringify(event));
  assert.equal(event.code, code, event.message);
  if (message) assert.match(event.message, message);
}

function lastNotice(client: Client, message: RegExp): void {
  const event = client.sink.last();
  assert.equal(event?.type, "notice", JSON.stringify(event));
  assert.match(event.message, message);
}

Deno.test("/register binds the nick to the key; another key and a keyless hello are refused it", async () => {
  const { hub, connect } = setup();
  const ana = connect("Ana", ANA_KEY);
  assert.equal(await ana.input("/register"), true);
  lastNotice(ana, /Nick "Ana" is now registered to your key SHA256:ana/);
  await ana.input("/quit");
  const sink = new RecordingSink();
  assert.throws(
    () => hub.join({ nick: "ANA", client: "test", fingerprint: BO_KEY }, sink),
    (e: NickError) =>
      e.code === "nick_registered" && /registered to another key; try "ANA_"/.test(e.message),
  );
  assert.throws(
    () => hub.join({ nick: "ana", client: "text" }, sink),
    (e: NickError) => e.code === "nick_registered" && /only its owner's key/.test(e.message),
  );
  // The owner gets it back, in any spelling.
  const back = connect("ana", ANA_KEY);
  assert.equal(back.member.nick, "ana");
});

Deno.test("/nick to a nick registered to another key is refused; the owner may switch to it", async () => {
  const { connect } = setup();
  const ana = connect("ana", ANA_KEY);
  await ana.input("/register");
  await ana.input("/nick ana_away");
  const bo = connect("bo", BO_KEY);
  await bo.input("/nick ana");
  lastError(bo, "nick_registered", /Nick "ana" is registered to another key/);
  assert.equal(bo.member.nick, "bo");
  await ana.input("/nick ana");
  assert.equal(ana.member.nick, "ana");
});

Deno.test("/register needs a key, refuses a nick already registered, and caps nicks per key", async () => {
  const { connect } = setup();
  const text = connect("nc");
  await text.input("/register");
  lastError(text, "key_required", /Only a client that proved a key/);
  const ana = connect("ana", ANA_KEY);
  await ana.input("/register");
  await ana.input("/register");
  lastError(ana, "bad_args", /already registered to your key/);
  for (let i = 1; i < 10; i++) {
    await ana.input(`/nick ana${i}`);
    await ana.input("/register");
  }
  await ana.input("/nick ana10");
  await ana.input("/register");
  lastError(ana, "bad_args", /registered 10 nicks, the most allowed/);
});

Deno.test("/unregister frees a nick for its owner or an operator, and nobody else", async () => {
  const { connect } = setup();
  const ana = connect("ana", ANA_KEY);
  await ana.input("/register");
  const bo = connect("bo", BO_KEY);
  await bo.input("/unregister ana");
  lastError(bo, "nick_registered", /only that key or an operator can free it/);
  await bo.input("/unregister bo");
  lastError(bo, "bad_args", /Nick "bo" is not registered/);
  const op = connect("mod", OP_KEY);
  await op.input("/unregister ana");
  lastNotice(op, /Nick "ana" is no longer registered/);
  await ana.input("/register");
  await ana.input("/unregister");
  lastNotice(ana, /no longer registered/);
});

Deno.test("the same key reconnecting replaces its ghost, which is told why; others see it leave and join", async () => {
  const { hub, connect } = setup();
  const bo = connect("bo");
  const ghost = connect("ana", ANA_KEY);
  await ghost.input("/join #dev");
  bo.sink.events = [];
  const fresh = connect("ana", ANA_KEY);
  assert.deepEqual(ghost.sink.ended, [{
    type: "bye",
    reason: "dropped",
    code: "session_replaced",
    message: "Replaced by a new connection with your key",
  }]);
  assert.equal(ghost.member.gone, true);
  assert.equal(hub.member("ana"), fresh.member);
  assert.equal(hub.size, 2);
  assert.deepEqual(
    bo.sink.events.map((e) => e.type === "leave" || e.type === "join" ? [e.type, e.nick] : e.type),
    [["leave", "ana"], ["join", "ana"]],
  );
  const leave = bo.sink.events[0];
  assert.equal(leave.type === "leave" && leave.message, "replaced by a new connection");
});

Deno.test("a nick held by another key, or by a keyless session, is still taken", () => {
  const { hub, connect } = setup();
  connect("ana", ANA_KEY);
  connect("nc");
  for (const [nick, fingerprint] of [["ana", BO_KEY], ["ana", undefined], ["nc", ANA_KEY]]) {
    assert.throws(
      () => hub.join({ nick: nick!, client: "t", fingerprint }, new RecordingSink()),
      (e: ChatError) => e.code === "nick_taken",
    );
  }
});

Deno.test("a full server still lets a key replace its own ghost", () => {
  const { hub, connect } = setup({ maxClients: 1 });
  connect("ana", ANA_KEY);
  assert.throws(
    () => hub.join({ nick: "bo", client: "t", fingerprint: BO_KEY }, new RecordingSink()),
    (e: ChatError) => e.code === "server_full",
  );
  const again = connect("ana", ANA_KEY);
  assert.equal(hub.member("ana"), again.member);
});

Deno.test("operator commands are refused to others with not_operator, before their arguments are checked", async () => {
  const { connect } = setup();
  const ana = connect("ana", ANA_KEY);
  for (
    const line of [
      "/kick",
      "/kick bo",
      "/ban bo spam",
      "/unban 10.0.0.1",
      "/bans",
      "/mute bo 5",
      "/unmute bo",
    ]
  ) {
    ana.sink.events = [];
    assert.equal(await ana.input(line), false, line);
    lastError(ana, "not_operator", /is for operators only/);
  }
});

Deno.test("/help lists operator commands to operators only, and explains them to anyone marked as such", async () => {
  const { connect } = setup();
  const ana = connect("ana", ANA_KEY);
  const op = connect("mod", OP_KEY);
  await ana.input("/help");
  await op.input("/help");
  const names = (client: Client) => {
    const help = client.sink.last();
    assert.equal(help?.type, "help");
    return help.commands.filter((c) => c.op).map((c) => c.name);
  };
  assert.deepEqual(names(ana), []);
  assert.deepEqual(names(op), ["kick", "ban", "unban", "bans", "mute", "unmute"]);
  await ana.input("/help kick");
  const help = ana.sink.last();
  assert.deepEqual(help?.type === "help" && help.commands, [{
    name: "kick",
    usage: "/kick <nick> [reason]",
    help: "Disconnect a member, telling it why",
    op: true,
  }]);
});

Deno.test("/kick tells the kicked member who and why; its rooms see leave kicked", async () => {
  const { hub, connect } = setup();
  const op = connect("mod", OP_KEY);
  const bo = connect("bo", BO_KEY);
  await op.input("/kick bo  stop \u001b[31mspamming ");
  assert.deepEqual(bo.sink.ended, [{
    type: "bye",
    reason: "kicked",
    message: "You were kicked by mod: stop spamming",
  }]);
  const leave = op.sink.events.find((e) => e.type === "leave");
  assert.deepEqual(
    leave?.type === "leave" && [leave.nick, leave.reason, leave.message],
    ["bo", "kicked", "by mod: stop spamming"],
  );
  lastNotice(op, /Kicked bo/);
  assert.equal(hub.member("bo"), undefined);
  await op.input("/kick bo");
  lastError(op, "no_such_nick");
  await op.input("/kick mod");
  lastError(op, "bad_args", /You cannot kick yourself/);
  const op2 = connect("mod2", OP_KEY, "10.0.0.2");
  await op.input("/kick mod2");
  lastError(op, "bad_args", /mod2 is an operator/);
  assert.equal(op2.member.gone, false);
});

Deno.test("/ban bans key and IP in the store, ejects everyone they match, and refuses them at join", async () => {
  const { hub, access, connect } = setup();
  const op = connect("mod", OP_KEY, "10.0.0.1");
  const bo = connect("bo", BO_KEY, "10.0.0.5");
  const boToo = connect("bo2", undefined, "10.0.0.5"); // same machine, nc
  const other = connect("cy", undefined, "10.0.0.6");
  await op.input("/ban bo flooding");
  assert.equal(bo.sink.ended[0]?.code, "banned");
  assert.equal(bo.sink.ended[0]?.message, "You were banned by mod: flooding");
  assert.equal(boToo.sink.ended[0]?.code, "banned");
  assert.equal(other.member.gone, false);
  lastNotice(op, /Banned bo: key SHA256:bobo\S+ and IP 10\.0\.0\.5/);
  assert.deepEqual((await access.bans()).map((b) => [b.kind, b.value, b.nick, b.reason, b.by]), [
    ["key", BO_KEY, "bo", "flooding", "mod"],
    ["ip", "10.0.0.5", "bo", "flooding", "mod"],
  ]);
  for (const [fingerprint, address] of [[BO_KEY, "10.0.0.7"], [undefined, "10.0.0.5"]]) {
    assert.throws(
      () => hub.join({ nick: "x", client: "t", fingerprint, address }, new RecordingSink()),
      (e: ChatError) =>
        e.code === "banned" && e.message === "You are banned from this server: flooding",
    );
  }
  // An operator's key opens the door even from a banned address.
  connect("mod2", OP_KEY, "10.0.0.5");
  await op.input("/bans");
  const bans = op.sink.last();
  assert.equal(bans?.type === "bans" && bans.bans.length, 2);
  await op.input("/unban 10.0.0.5");
  lastNotice(op, /Unbanned IP 10\.0\.0\.5/);
  await op.input(`/unban ${BO_KEY}`);
  lastNotice(op, /Unbanned key SHA256:bobo/);
  await op.input("/unban 10.0.0.5");
  lastError(op, "bad_args", /There is no ban on "10\.0\.0\.5"/);
  connect("bo", BO_KEY, "10.0.0.5");
});

Deno.test("/mute refuses a member's messages by key and address until it runs out or /unmute", async () => {
  const { hub, connect, tick } = setup();
  const op = connect("mod", OP_KEY);
  const bo = connect("bo", BO_KEY, "10.0.0.5");
  await op.input("/mute bo 2");
  lastNotice(bo, /You were muted by mod for 2 minute\(s\)/);
  lastNotice(op, /Muted bo for 2 minute\(s\)/);
  assert.equal(await bo.input("hello"), false);
  lastError(bo, "muted", /You are muted for 2 more minute\(s\); your message was not sent/);
  await bo.input("/me waves");
  lastError(bo, "muted");
  await bo.input("/msg mod please");
  lastError(bo, "muted");
  // Reconnecting (same key, or another nick from the same address) does not escape it.
  await bo.input("/quit");
  const again = connect("bob", undefined, "10.0.0.5");
  await again.input("hi");
  lastError(again, "muted");
  tick(2 * 60_000);
  assert.equal(await again.input("hi"), true, "the mute ran out");
  await op.input("/mute bob");
  await again.input("hi");
  lastError(again, "muted", /until an operator unmutes you/);
  await op.input("/unmute bob");
  lastNotice(again, /You were unmuted by mod/);
  assert.equal(await again.input("hi"), true);
  await op.input("/unmute bob");
  lastError(op, "bad_args", /bob is not muted/);
  for (const minutes of ["0", "x", "10081"]) {
    await op.input(`/mute bob ${minutes}`);
    lastError(op, "bad_args", /must be a whole number from 1 to 10080/);
  }
  assert.equal(hub.member("bob")?.gone, false);
});

Deno.test("/whois shows the key, registration and operator flag; the address to operators only", async () => {
  const { connect } = setup();
  const ana = connect("ana", ANA_KEY, "10.0.0.3");
  await ana.input("/register");
  const op = connect("mod", OP_KEY);
  const nc = connect("nc", undefined, "10.0.0.4");
  await nc.input("/whois ana");
  assert.deepEqual(nc.sink.last(), {
    type: "whois",
    nick: "ana",
    client: "test",
    fingerprint: ANA_KEY,
    registered: true,
    operator: false,
    rooms: ["#lobby"],
  });
  await op.input("/whois nc");
  assert.deepEqual(op.sink.last(), {
    type: "whois",
    nick: "nc",
    client: "test",
    registered: false,
    operator: false,
    address: "10.0.0.4",
    rooms: ["#lobby"],
  });
  await nc.input("/whois zed");
  lastError(nc, "no_such_nick");
});

Deno.test("a failing access store refuses the request with store_error instead of crashing", () => {
  const access = new MemoryAccessStore();
  access.registration = () => {
    throw new Error("disk I/O error");
  };
  const { hub } = setup({ access });
  assert.throws(
    () => hub.join({ nick: "ana", client: "t" }, new RecordingSink()),
    (e: ChatError) => e.code === "store_error" && !/disk/.test(e.message),
  );
});

Deno.test("a muted member cannot speak through /part or /quit reasons or a new nick", async () => {
  const { connect } = setup();
  const op = connect("mod", OP_KEY);
  const eve = connect("eve", BO_KEY, "10.0.0.9");
  await op.input("/mute eve");
  await eve.input("/nick BUY_CHEAP_STUFF");
  lastError(eve, "muted", /your nick was not changed/);
  await eve.input("/join #x");
  op.sink.clear();
  await eve.input("/part #lobby BUY CHEAP STUFF at evil.example");
  const parted = op.sink.of("leave").at(-1);
  assert.equal(parted?.nick, "eve");
  assert.equal(parted?.message, undefined, "the part reason was relayed");
  await op.input("/join #x");
  op.sink.clear();
  await eve.input("/quit BUY CHEAP STUFF");
  const quit = op.sink.of("leave").at(-1);
  assert.equal(quit?.reason, "quit");
  assert.equal(quit?.message, undefined, "the quit reason was relayed");
  // Not muted: reasons are shown as ever.
  const bo = connect("bo", undefined, "10.0.0.10");
  await bo.input("/join #x");
  op.sink.clear();
  await bo.input("/part #lobby lunch");
  assert.equal(op.sink.of("leave").at(-1)?.message, "lunch");
});

Deno.test("/mute by address never silences an operator there, only the others, and says who", async () => {
  const { connect } = setup();
  // The operator, the target and two bystanders share one address (one NAT, one machine).
  const op = connect("opana", OP_KEY, "127.0.0.1");
  const mallory = connect("mallory", BO_KEY, "127.0.0.1");
  const eve = connect("eve", undefined, "127.0.0.1");
  const cy = connect("cy", ANA_KEY, "127.0.0.1");
  const far = connect("far", undefined, "10.0.0.8");
  await op.input("/mute mallory 1");
  lastNotice(
    op,
    /^Muted mallory for 1 minute\(s\), by key and by address 127\.0\.0\.1; that also mutes 2 others: eve, cy$/,
  );
  lastNotice(mallory, /^You were muted by opana for 1 minute\(s\)$/);
  lastNotice(
    eve,
    /^You were muted by opana for 1 minute\(s\): mallory was muted by address, and you connect from the same address$/,
  );
  assert.equal(await op.input("still here"), true, "the operator was muted by its own /mute");
  assert.equal(await op.input("/me still talks"), true);
  assert.equal(await op.input("/msg far hello"), true);
  for (const muted of [mallory, eve, cy]) {
    assert.equal(await muted.input("hi"), false);
    lastError(muted, "muted", /for 1 more minute\(s\)/);
  }
  assert.equal(await far.input("hi"), true, "another address is not muted");
  // Another operator arriving on the muted address is not muted either.
  const op2 = connect("opbo", OP_KEY, "127.0.0.1");
  assert.equal(await op2.input("hello"), true);
});

Deno.test("/mute of a member alone on its address says so plainly; a keyless one is muted by address", async () => {
  const { connect } = setup();
  const op = connect("mod", OP_KEY, "10.0.0.1");
  connect("bo", BO_KEY, "10.0.0.5");
  connect("nc", undefined, "10.0.0.6");
  await op.input("/mute bo");
  lastNotice(op, /^Muted bo until unmuted, by key and by address 10\.0\.0\.5$/);
  await op.input("/mute nc 3");
  lastNotice(op, /^Muted nc for 3 minute\(s\), by address 10\.0\.0\.6$/);
});

Deno.test("/mute --key-only mutes the member's key and leaves the others on its address alone", async () => {
  const { connect } = setup();
  const op = connect("mod", OP_KEY, "10.0.0.1");
  const bo = connect("bo", BO_KEY, "10.0.0.5");
  const eve = connect("eve", undefined, "10.0.0.5");
  await op.input("/mute bo --key-only 5");
  lastNotice(op, /^Muted bo for 5 minute\(s\), by key only$/);
  assert.equal(await bo.input("hi"), false);
  lastError(bo, "muted", /for 5 more minute\(s\)/);
  assert.equal(await eve.input("hi"), true, "a key-only mute silenced the address");
  // Its key is muted whatever address it comes back from.
  await bo.input("/quit");
  const back = connect("bo", BO_KEY, "10.0.0.7");
  assert.equal(await back.input("hi"), false);
  // The option may also follow the minutes; a keyless member has no key to mute.
  await op.input("/unmute bo");
  await op.input("/mute bo 2 --key-only");
  lastNotice(op, /^Muted bo for 2 minute\(s\), by key only$/);
  await op.input("/mute eve --key-only");
  lastError(
    op,
    "bad_args",
    /^eve has no key to mute \(a text client\); without --key-only it is muted by address 10\.0\.0\.5, with everyone there$/,
  );
  assert.equal(await eve.input("hi"), true);
  await op.input("/mute eve --keyonly");
  lastError(op, "bad_args", /^Unknown option "--keyonly" for \/mute; it takes --key-only$/);
});

Deno.test("/unmute lifts the address mute for the others there too, and tells them", async () => {
  const { connect } = setup();
  const op = connect("mod", OP_KEY, "10.0.0.1");
  const bo = connect("bo", BO_KEY, "10.0.0.5");
  const eve = connect("eve", undefined, "10.0.0.5");
  await op.input("/mute bo");
  assert.equal(await eve.input("hi"), false);
  await op.input("/unmute bo");
  lastNotice(op, /^Unmuted bo; that also unmutes 1 other: eve$/);
  lastNotice(eve, /^You were unmuted by mod$/);
  assert.equal(await eve.input("hi"), true);
  assert.equal(await bo.input("hi"), true);
});

Deno.test("/ban --key-only bans the key alone: the others on its address stay, and so may a new nick from there", async () => {
  const { hub, access, connect } = setup();
  const op = connect("mod", OP_KEY, "10.0.0.1");
  const bo = connect("bo", BO_KEY, "10.0.0.5");
  const eve = connect("eve", undefined, "10.0.0.5");
  await op.input("/ban bo --key-only flooding");
  assert.equal(bo.sink.ended[0]?.message, "You were banned by mod: flooding");
  assert.equal(eve.member.gone, false, "a key-only ban ejected the address");
  lastNotice(op, /^Banned bo: key SHA256:bobo\S+$/);
  assert.deepEqual((await access.bans()).map((b) => [b.kind, b.value, b.reason]), [
    ["key", BO_KEY, "flooding"],
  ]);
  assert.throws(
    () =>
      hub.join(
        { nick: "bo", client: "t", fingerprint: BO_KEY, address: "10.0.0.9" },
        new RecordingSink(),
      ),
    (e: ChatError) => e.code === "banned",
  );
  connect("dan", undefined, "10.0.0.5");
  await op.input("/ban eve --key-only");
  lastError(
    op,
    "bad_args",
    /^eve has no key to ban \(a text client\); without --key-only the ban is by address 10\.0\.0\.5, and shuts out everyone there$/,
  );
  assert.equal(eve.member.gone, false);
});

Deno.test("/ban shows in the rooms as a leave kicked with code banned; a /kick has no code", async () => {
  const { connect } = setup();
  const op = connect("mod", OP_KEY, "10.0.0.1");
  const cy = connect("cy", undefined, "10.0.0.2");
  connect("bo", BO_KEY, "10.0.0.5");
  connect("eve", undefined, "10.0.0.6");
  await op.input("/ban bo  flooding ");
  await op.input("/kick eve");
  assert.deepEqual(cy.sink.of("leave").map((e) => [e.nick, e.reason, e.code, e.message]), [
    ["bo", "kicked", "banned", "by mod: flooding"],
    ["eve", "kicked", undefined, "by mod"],
  ]);
  assert.equal("code" in cy.sink.of("leave")[1], false);
});

Deno.test("/ban by address tells the operator whom else it disconnected", async () => {
  const { connect } = setup();
  const op = connect("mod", OP_KEY, "10.0.0.1");
  connect("bo", BO_KEY, "10.0.0.5");
  connect("eve", undefined, "10.0.0.5");
  const op2 = connect("mod2", OP_KEY, "10.0.0.5");
  await op.input("/ban bo");
  lastNotice(
    op,
    /^Banned bo: key SHA256:bobo\S+ and IP 10\.0\.0\.5; that also disconnected 1 other: eve$/,
  );
  assert.equal(op2.member.gone, false, "an operator on the address stays");
});

Deno.test("a request waiting on the store is answered before the member's next request", async () => {
  const { hub, connect } = setup();
  const op = connect("mod", OP_KEY);
  const eve = connect("eve", BO_KEY, "10.0.0.9");
  op.sink.clear();
  const ban = hub.input(op.member, "/ban eve");
  const after = hub.input(op.member, "/bans");
  assert.ok(after instanceof Promise, "the next request waits behind the ban");
  assert.equal(await ban, true);
  assert.equal(await after, true);
  assert.deepEqual(op.sink.events.map((e) => e.type), ["leave", "notice", "bans"]);
  assert.equal(eve.sink.ended[0]?.code, "banned");
});
