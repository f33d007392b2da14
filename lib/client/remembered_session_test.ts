import assert from "node:assert/strict";
import {
  asRememberedSession,
  readRememberedSession,
  type RememberedSession,
  restoreFrames,
  SESSION_FILE,
  SessionMemory,
  writeRememberedSession,
} from "./remembered_session.ts";

const join = (room: string) => ({ type: "cmd", name: "join", args: room });
const part = (room: string) => ({ type: "cmd", name: "part", args: room });

Deno.test("restoreFrames() joins the other rooms, then the one in use last", () => {
  assert.deepEqual(
    restoreFrames({ rooms: ["#lobby", "#dev", "#ops"], current: "#dev" }, "#lobby"),
    [join("#ops"), join("#dev")],
  );
  // The lobby in use: joined again last, to make it current.
  assert.deepEqual(
    restoreFrames({ rooms: ["#lobby", "#dev"], current: "#lobby" }, "#lobby"),
    [join("#dev"), join("#lobby")],
  );
  // Only the lobby: nothing to do.
  assert.deepEqual(restoreFrames({ rooms: ["#Lobby"], current: "#Lobby" }, "#lobby"), []);
});

Deno.test("restoreFrames() leaves the lobby the user had left", () => {
  assert.deepEqual(restoreFrames({ rooms: ["#dev"], current: "#dev" }, "#lobby"), [
    part("#lobby"),
    join("#dev"),
  ]);
  // Nothing remembered: the lobby stays.
  assert.deepEqual(restoreFrames({ rooms: [] }, "#lobby"), []);
});

const SESSION: RememberedSession = {
  host: "192.168.1.20",
  port: 7777,
  tls: true,
  nick: "ana",
  server: "office",
  rooms: ["#lobby", "#dev"],
  current: "#dev",
};

Deno.test("asRememberedSession() takes what it wrote and refuses anything else", () => {
  assert.deepEqual(asRememberedSession(JSON.parse(JSON.stringify(SESSION))), SESSION);
  for (
    const junk of [
      null,
      "x",
      { ...SESSION, port: 0 },
      { ...SESSION, port: "7777" },
      { ...SESSION, host: "" },
      { ...SESSION, tls: "yes" },
      { ...SESSION, rooms: [1] },
      { ...SESSION, nick: undefined },
    ]
  ) {
    assert.equal(asRememberedSession(junk), undefined, JSON.stringify(junk));
  }
  // A current room that is not one of the rooms is dropped.
  assert.equal(asRememberedSession({ ...SESSION, current: "#elsewhere" })?.current, undefined);
});

Deno.test("writeRememberedSession() replaces the file whole; readRememberedSession() reads it back", () => {
  const dir = Deno.makeTempDirSync({ prefix: "lanchat-session-" });
  try {
    assert.equal(readRememberedSession(dir), undefined);
    writeRememberedSession(dir, SESSION);
    writeRememberedSession(dir, { ...SESSION, nick: "anna" });
    assert.deepEqual(readRememberedSession(dir), { ...SESSION, nick: "anna" });
    // No temporary file left behind.
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [SESSION_FILE]);
    Deno.writeTextFileSync(`${dir}/${SESSION_FILE}`, "{not json");
    assert.equal(readRememberedSession(dir), undefined);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("SessionMemory writes each change once, and reports a directory it cannot write once", () => {
  const dir = Deno.makeTempDirSync({ prefix: "lanchat-session-" });
  try {
    const memory = new SessionMemory(dir, { host: "h", port: 7777, tls: false });
    const change = { nick: "ana", rooms: ["#lobby"], current: "#lobby", server: "s" };
    memory.update(change);
    const path = `${dir}/${SESSION_FILE}`;
    Deno.removeSync(path);
    memory.update({ ...change });
    assert.equal(readRememberedSession(dir), undefined, "unchanged: not written again");
    memory.update({ ...change, rooms: ["#lobby", "#dev"], current: "#dev" });
    assert.deepEqual(readRememberedSession(dir)?.rooms, ["#lobby", "#dev"]);

    const problems: string[] = [];
    const file = `${dir}/not-a-dir`;
    Deno.writeTextFileSync(file, "");
    const broken = new SessionMemory(
      file,
      { host: "h", port: 1, tls: false },
      (p) => problems.push(p),
    );
    broken.update(change);
    broken.update({ ...change, nick: "bob" });
    assert.equal(problems.length, 1);
    assert.match(problems[0], /^cannot remember this session in .*not-a-dir\/last_session\.json: /);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
