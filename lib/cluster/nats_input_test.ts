import assert from "node:assert/strict";
import {
  natsDirect,
  NatsInputError,
  natsKick,
  natsNickRecord,
  natsNodeRecord,
  natsRoomEvent,
  natsTopic,
} from "./nats_input.ts";

const ESC = "\x1b";
const ts = 1_700_000_000_000;

Deno.test("natsRoomEvent() cleans a message's text as a client's: no escapes, CR LF one line break", () => {
  const event = natsRoomEvent(
    {
      room: "#lobby",
      body: {
        type: "msg",
        ts,
        from: "bob",
        kind: "say",
        text: `hi ${ESC}[5mblink\r\n:admin!a@b PRIVMSG carol :x${ESC}]0;t\x07`,
        extra: "not forwarded",
      },
    },
    "#lobby",
    7,
  );
  assert.deepEqual(event, {
    type: "msg",
    room: "#lobby",
    id: 7,
    ts,
    from: "bob",
    kind: "say",
    text: "hi blink\n:admin!a@b PRIVMSG carol :x",
  });
});

Deno.test("natsRoomEvent() refuses what no node would have written", () => {
  const ok = { type: "msg", ts, from: "bob", kind: "say", text: "hi" };
  const bad: [unknown, string][] = [
    [{ room: "#lobby", body: { ...ok, from: `op${ESC}[7m` } }, "#lobby"],
    [{ room: "#lobby", body: { ...ok, from: "admin" } }, "#lobby"], // reserved
    [{ room: "#lobby", body: { ...ok, from: "x".repeat(65) } }, "#lobby"],
    [{ room: "#lobby", body: { ...ok, kind: "server" } }, "#lobby"],
    [{ room: "#lobby", body: { ...ok, ts: "now" } }, "#lobby"],
    [{ room: "#lobby", body: { ...ok, text: `${ESC}[2J` } }, "#lobby"], // empty once cleaned
    [{ room: "#lobby", body: { ...ok, text: "x".repeat(100_001) } }, "#lobby"],
    [{ room: "#other", body: ok }, "#lobby"], // not its subject's room
    [{ room: `#lob${ESC}by`, body: ok }, `#lob${ESC}by`],
    [{ room: "#lobby", body: { ...ok, type: "welcome" } }, "#lobby"],
    [{ room: "#lobby", body: { type: "leave", ts, nick: "bob", reason: "vanished" } }, "#lobby"],
    [
      { room: "#lobby", body: { type: "leave", ts, nick: "bob", reason: "kicked", code: "x" } },
      "#lobby",
    ],
    [{ room: "#lobby", body: { type: "topic", ts, nick: "bob", text: "t".repeat(301) } }, "#lobby"],
    [null, "#lobby"],
  ];
  for (const [value, folded] of bad) {
    assert.throws(() => natsRoomEvent(value, folded, 1), NatsInputError, JSON.stringify(value));
  }
});

Deno.test("natsRoomEvent() keeps joins, leaves and topics, cleaned", () => {
  assert.deepEqual(
    natsRoomEvent({ room: "#Café", body: { type: "join", ts, nick: "ana" } }, "#café", 2),
    { type: "join", room: "#Café", id: 2, ts, nick: "ana" },
  );
  assert.deepEqual(
    natsRoomEvent(
      {
        room: "#lobby",
        body: {
          type: "leave",
          ts,
          nick: "ana",
          reason: "kicked",
          code: "banned",
          message: `by op${ESC}[2J`,
        },
      },
      "#lobby",
      3,
    ),
    {
      type: "leave",
      room: "#lobby",
      id: 3,
      ts,
      nick: "ana",
      reason: "kicked",
      code: "banned",
      message: "by op",
    },
  );
  assert.deepEqual(
    natsRoomEvent(
      { room: "#lobby", body: { type: "topic", ts, nick: "ana", text: `a\r\nb${ESC}[1m` } },
      "#lobby",
      4,
    ),
    { type: "topic", room: "#lobby", id: 4, ts, nick: "ana", text: "a b" },
  );
  assert.deepEqual(natsTopic({ text: `t${ESC}[2J`, by: "ana", ts }), { text: "t", by: "ana", ts });
  assert.throws(() => natsTopic({ text: "t", by: `a${ESC}`, ts }), NatsInputError);
});

Deno.test("natsDirect() takes a member's dm only, never a server notice", () => {
  const event = {
    type: "dm",
    ts,
    from: "bob",
    to: "ana",
    kind: "say",
    text: `${ESC}[31mred${ESC}[0m`,
  };
  assert.deepEqual(natsDirect({ to: "ana", node: "b-1234abcd", event }), {
    to: "ana",
    node: "b-1234abcd",
    event: { type: "dm", ts, from: "bob", to: "ana", kind: "say", text: "red" },
  });
  const refused: unknown[] = [
    {
      to: "ana",
      node: "b",
      event: { type: "notice", message: `${ESC}[2JSERVER: password expired` },
    },
    { to: "ana", node: "b", event: { ...event, from: "admin" } },
    { to: "ana", node: "b.*", event },
    { to: "ana", event },
    { to: `an${ESC}a`, node: "b", event },
    { to: "ana", node: "b", event: { ...event, kind: "shout" } },
  ];
  for (const value of refused) {
    assert.throws(() => natsDirect(value), NatsInputError, JSON.stringify(value));
  }
});

Deno.test("natsKick() cleans the goodbye and takes only the codes a node sends", () => {
  assert.deepEqual(
    natsKick({
      to: "bob",
      reason: "kicked",
      message: `by op${ESC}[2J`,
      bye: {
        type: "bye",
        reason: "kicked",
        code: "banned",
        message: `You were banned${ESC}]0;x\x07`,
      },
      banned: "yes",
    }),
    {
      to: "bob",
      reason: "kicked",
      message: "by op",
      bye: { type: "bye", reason: "kicked", code: "banned", message: "You were banned" },
      banned: false,
    },
  );
  const bye = { type: "bye", reason: "kicked", message: "m" };
  for (
    const value of [
      { to: "bob", reason: "kicked", bye: { ...bye, code: "flooding" } },
      { to: "bob", reason: "kicked", bye: { ...bye, reason: "denied" } },
      { to: "bob", reason: "exploded" },
      { to: "bob", reason: "kicked", bye: { ...bye, message: 5 } },
    ]
  ) assert.throws(() => natsKick(value), NatsInputError, JSON.stringify(value));
});

Deno.test("natsNickRecord() takes the nick through the nick rules and operator only as a boolean", () => {
  const record = { node: "b-1", nick: "bob", since: ts, client: "c", rooms: ["#lobby"] };
  assert.deepEqual(
    natsNickRecord({
      ...record,
      away: `gone${ESC}[2J`,
      client: `x${ESC}[1m`,
      operator: true,
      evil: 1,
    }),
    { ...record, away: "gone", client: "x", operator: true },
  );
  for (
    const value of [
      { ...record, nick: `op${ESC}[7m` },
      { ...record, nick: "root" },
      { ...record, operator: "yes" },
      { ...record, rooms: [`#a${ESC}`] },
      { ...record, rooms: Array(1001).fill("#a") },
      { ...record, node: "b.>" },
      { ...record, since: Infinity },
      { ...record, claiming: "yes" },
    ]
  ) assert.throws(() => natsNickRecord(value), NatsInputError, JSON.stringify(value));
});

Deno.test("natsNodeRecord() takes listeners as host:port, cleans names, wants finite numbers", () => {
  const record = {
    node: "office-1234abcd",
    server: "office",
    listen: ["10.0.0.5:7000", "[fe80::1]:7000", "chat.lan:7000"],
    started: ts,
    seen: ts,
    clients: 3,
    version: "0.1.0",
  };
  assert.deepEqual(natsNodeRecord({ ...record, extra: true }), record);
  assert.deepEqual(natsNodeRecord({ ...record, server: `x${ESC}]0;pwned\x07${ESC}[2J` }), {
    ...record,
    server: "x",
  });
  for (
    const value of [
      { ...record, listen: [`${ESC}[31mfake:7777${ESC}[0m`] },
      { ...record, listen: ["host:99999"] },
      { ...record, clients: 1e300 },
      { ...record, clients: -1 },
      { ...record, started: "x" },
      { ...record, node: "a b" },
    ]
  ) assert.throws(() => natsNodeRecord(value), NatsInputError, JSON.stringify(value));
});

Deno.test("natsRoomEvent() and natsDirect() keep a shared file, its name cleaned; a file that is not one drops the event", () => {
  const file = {
    id: "AAAAAAAAAAAAAAAAAAAAAA",
    name: "..\\evil\u202Egnp.exe",
    size: 5,
    type: "image/png",
    url: "https://10.0.0.1:7000/f/AAAAAAAAAAAAAAAAAAAAAA/x.png",
    extra: "not forwarded",
  };
  const body = { type: "msg", ts, from: "bob", kind: "say", text: "[file] x", file };
  const event = natsRoomEvent({ room: "#lobby", body }, "#lobby", 3);
  assert.equal(event.type, "msg");
  assert.deepEqual(event.type === "msg" && event.file, {
    id: file.id,
    name: "_evilgnp.exe",
    size: 5,
    type: "image/png",
    url: file.url,
  });
  const dm = natsDirect({
    to: "ana",
    node: "lanchat-1",
    event: { type: "dm", ts, from: "bob", to: "ana", kind: "say", text: "[file] x", file },
  });
  assert.equal(dm.event.file?.id, file.id);
  for (
    const bad of [
      { ...file, url: "javascript:alert(1)//f/AAAAAAAAAAAAAAAAAAAAAA/" },
      { ...file, url: "https://h/f/BBBBBBBBBBBBBBBBBBBBBB/x" },
      { ...file, id: "../../etc" },
      { ...file, size: -1 },
      { ...file, type: "text/html; charset=utf-8" },
    ]
  ) {
    assert.throws(
      () => natsRoomEvent({ room: "#lobby", body: { ...body, file: bad } }, "#lobby", 3),
      NatsInputError,
    );
  }
});
