import assert from "node:assert/strict";
import type { ErrorCode } from "./wire_frames.ts";
import { ProtocolError } from "./protocol_error.ts";
import { parseClientFrame } from "./client_frames.ts";

function assertRejects(line: string, code: ErrorCode, message?: string | RegExp): void {
  assert.throws(
    () => parseClientFrame(line),
    (error: unknown) => {
      assert.ok(error instanceof ProtocolError, `expected a ProtocolError for ${line}`);
      assert.equal(error.name, "ProtocolError");
      assert.equal(error.code, code);
      assert.equal(error.fatal, false, "a bad frame must not end the connection");
      if (typeof message === "string") assert.equal(error.message, message);
      else if (message) assert.match(error.message, message);
      return true;
    },
  );
}

Deno.test("parseClientFrame() accepts a hello", () => {
  assert.deepEqual(
    parseClientFrame('{"type":"hello","protocol":1,"nick":"ana","client":"chat-client/0.1.0"}'),
    { type: "hello", protocol: 1, nick: "ana", client: "chat-client/0.1.0" },
  );
});

Deno.test("parseClientFrame() accepts a msg with or without a room", () => {
  assert.deepEqual(parseClientFrame('{"type":"msg","text":"hi"}'), { type: "msg", text: "hi" });
  assert.deepEqual(parseClientFrame('{"type":"msg","text":"hi","room":"#dev"}'), {
    type: "msg",
    text: "hi",
    room: "#dev",
  });
});

Deno.test("parseClientFrame() accepts a cmd and defaults its args to an empty string", () => {
  assert.deepEqual(parseClientFrame('{"type":"cmd","name":"join","args":"#dev"}'), {
    type: "cmd",
    name: "join",
    args: "#dev",
  });
  assert.deepEqual(parseClientFrame('{"type":"cmd","name":"rooms"}'), {
    type: "cmd",
    name: "rooms",
    args: "",
  });
});

Deno.test("parseClientFrame() accepts an input line", () => {
  assert.deepEqual(parseClientFrame('{"type":"input","line":"/me waves","room":"#dev"}'), {
    type: "input",
    line: "/me waves",
    room: "#dev",
  });
});

Deno.test("parseClientFrame() accepts a ping with or without a token", () => {
  assert.deepEqual(parseClientFrame('{"type":"ping"}'), { type: "ping" });
  assert.deepEqual(parseClientFrame('{"type":"ping","token":"t1"}'), { type: "ping", token: "t1" });
});

Deno.test("parseClientFrame() keeps escaped control characters for the core to sanitise", () => {
  const frame = parseClientFrame('{"type":"msg","text":"a\\u001b[2Jb\\u0000"}');
  assert.deepEqual(frame, { type: "msg", text: "a\x1b[2Jb\x00" });
});

Deno.test("parseClientFrame() rejects invalid JSON with bad_json and keeps the cause", () => {
  for (const line of ["", "{", "hello", '{"type":"msg",}', "{'type':'msg'}"]) {
    assertRejects(line, "bad_json", /^Invalid JSON: /);
  }
  try {
    parseClientFrame("{nope");
    assert.fail("expected a throw");
  } catch (error) {
    assert.ok(error instanceof ProtocolError);
    assert.ok(error.cause instanceof SyntaxError);
  }
});

Deno.test("parseClientFrame() rejects JSON that is not an object with bad_frame", () => {
  for (const line of ["null", "[]", '[{"type":"ping"}]', "42", '"ping"', "true"]) {
    assertRejects(line, "bad_frame", "A frame must be a JSON object");
  }
});

Deno.test("parseClientFrame() rejects a frame without a string type", () => {
  for (const line of ["{}", '{"type":1}', '{"type":null}', '{"type":["msg"]}', '{"text":"hi"}']) {
    assertRejects(line, "bad_frame", 'A frame needs a string "type"');
  }
});

Deno.test("parseClientFrame() rejects an unknown type with unknown_type", () => {
  assertRejects('{"type":"shout","text":"hi"}', "unknown_type", 'Unknown frame type "shout"');
  assertRejects('{"type":"MSG","text":"hi"}', "unknown_type");
  assertRejects('{"type":"welcome"}', "unknown_type");
});

Deno.test("parseClientFrame() does not take inherited property names for frame types", () => {
  for (const type of ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"]) {
    assertRejects(JSON.stringify({ type }), "unknown_type");
  }
});

Deno.test("parseClientFrame() shortens a long unknown type in its message", () => {
  const type = "x".repeat(500);
  assertRejects(
    JSON.stringify({ type }),
    "unknown_type",
    `Unknown frame type "${"x".repeat(40)}…"`,
  );
});

Deno.test("parseClientFrame() rejects a hello with missing or mistyped fields", () => {
  assertRejects(
    '{"type":"hello","protocol":"1","nick":"ana","client":"c"}',
    "bad_frame",
    'Field "protocol" of "hello" must be a number',
  );
  assertRejects(
    '{"type":"hello","protocol":1,"client":"c"}',
    "bad_frame",
    'Field "nick" of "hello" must be a string',
  );
  assertRejects(
    '{"type":"hello","protocol":1,"nick":"ana","client":7}',
    "bad_frame",
    'Field "client" of "hello" must be a string',
  );
});

Deno.test("parseClientFrame() accepts a hello with a password and a key, and an auth", () => {
  assert.deepEqual(
    parseClientFrame(
      '{"type":"hello","protocol":1,"nick":"ana","client":"c","password":"pw","key":"AAAA"}',
    ),
    { type: "hello", protocol: 1, nick: "ana", client: "c", password: "pw", key: "AAAA" },
  );
  assert.deepEqual(parseClientFrame('{"type":"auth","signature":"c2ln"}'), {
    type: "auth",
    signature: "c2ln",
  });
});

Deno.test("parseClientFrame() rejects a mistyped password, key or signature", () => {
  assertRejects(
    '{"type":"hello","protocol":1,"nick":"ana","client":"c","password":1234}',
    "bad_frame",
    'Field "password" of "hello" must be a string',
  );
  assertRejects(
    '{"type":"hello","protocol":1,"nick":"ana","client":"c","key":[1]}',
    "bad_frame",
    'Field "key" of "hello" must be a string',
  );
  assertRejects('{"type":"auth"}', "bad_frame", 'Field "signature" of "auth" must be a string');
});

Deno.test("parseClientFrame() rejects a msg whose text or room is not a string", () => {
  assertRejects('{"type":"msg"}', "bad_frame", 'Field "text" of "msg" must be a string');
  assertRejects(
    '{"type":"msg","text":["hi"]}',
    "bad_frame",
    'Field "text" of "msg" must be a string',
  );
  assertRejects(
    '{"type":"msg","text":"hi","room":5}',
    "bad_frame",
    'Field "room" of "msg" must be a string',
  );
});

Deno.test("parseClientFrame() rejects optional fields that are present but not strings, null included", () => {
  assertRejects(
    '{"type":"cmd","name":"join","args":null}',
    "bad_frame",
    'Field "args" of "cmd" must be a string',
  );
  assertRejects(
    '{"type":"ping","token":null}',
    "bad_frame",
    'Field "token" of "ping" must be a string',
  );
  assertRejects(
    '{"type":"input","line":"x","room":{}}',
    "bad_frame",
    'Field "room" of "input" must be a string',
  );
});

Deno.test("parseClientFrame() rejects a cmd without a name and an input without a line", () => {
  assertRejects('{"type":"cmd","args":"x"}', "bad_frame", 'Field "name" of "cmd" must be a string');
  assertRejects('{"type":"input"}', "bad_frame", 'Field "line" of "input" must be a string');
});

Deno.test("parseClientFrame() quotes a line or a type back with its controls escaped", () => {
  for (const line of ['{"a":\x1b[2J}', "\u202e{x\x07", '{"type":"\\u001b]0;t\\u0007"}']) {
    try {
      parseClientFrame(line);
      assert.fail("expected a throw");
    } catch (error) {
      assert.ok(error instanceof ProtocolError);
      assert.doesNotMatch(error.message, /[\x00-\x1f\x7f-\x9f\u202a-\u202e]/, error.message);
      assert.match(error.message, /\\x1b|\\u202e/);
    }
  }
});
