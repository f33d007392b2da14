import assert from "node:assert/strict";
import type { SharedFile } from "../core/events.ts";
import { cleanFileName } from "../core/file_name.ts";
import { parseServerFrame } from "../protocol/server_frames.ts";
import { downloadFile } from "./file_download.ts";

const ID = "AAAAAAAAAAAAAAAAAAAAAA";

/** A plain HTTP server on 127.0.0.1 that answers every GET with `body`. */
function serveBytes(body: Uint8Array<ArrayBuffer>): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response(body, { headers: { "Content-Length": String(body.length) } }),
  );
}

Deno.test("downloadFile() saves a hostile name inside the directory, cleaned, never over a file", async () => {
  const body = new TextEncoder().encode("payload");
  await using server = serveBytes(body);
  const dir = await Deno.makeTempDir({ prefix: "lanchat_save_" });
  try {
    const names = [
      "../../etc/passwd",
      "..\\..\\win.ini",
      "a\u0000b.txt",
      "CON",
      "nul.txt",
      "evil\u202egpj.exe",
      "x".repeat(300) + ".txt",
      "..",
      ".hidden",
    ];
    for (const name of names) {
      const file: SharedFile = {
        id: ID,
        name,
        size: body.length,
        type: "application/octet-stream",
        url: `http://127.0.0.1:${server.addr.port}/f/${ID}/x`,
      };
      const got = await downloadFile(
        { address: { host: "127.0.0.1", port: server.addr.port } },
        file,
        { directory: dir },
      );
      const base = got.path.slice(dir.length + 1);
      assert.ok(!base.includes("/") && !base.includes("\\"), got.path);
      assert.ok(base.startsWith(cleanFileName(name).replace(/\.[^.]*$/, "")), base);
      assert.equal(await Deno.readTextFile(got.path), "payload");
    }
    // Two names clean to the same ("..", ".hidden" do not), so none was overwritten.
    assert.equal([...Deno.readDirSync(dir)].length, names.length);
    assert.ok([...Deno.readDirSync(dir)].every((e) => !e.name.endsWith(".part")));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseServerFrame() keeps a msg's file, cleans its name, drops a bad one but not the message", () => {
  const msg = (file: unknown) =>
    JSON.stringify({
      type: "msg",
      room: "#lobby",
      id: 1,
      ts: 1,
      from: "ana",
      text: "[file] x",
      kind: "say",
      file,
    });
  const good = parseServerFrame(msg({
    id: ID,
    name: "../a\u202e\u001b[31m.png",
    size: 5,
    type: "image/PNG",
    url: `https://h:1/f/${ID}/a.png?k=x`,
  }));
  assert.equal(good?.type, "msg");
  const file = good?.type === "msg" ? good.file : undefined;
  assert.equal(file?.name, "_a.png"); // The escape sequence, the override and the "../" gone.
  assert.equal(file?.type, "image/png");
  for (
    const bad of [
      { id: "../x", name: "a", size: 1, type: "a/b", url: `https://h/f/../x/a` },
      { id: ID, name: "a", size: -1, type: "a/b", url: `https://h/f/${ID}/a` },
      { id: ID, name: "a", size: 1, type: "a/b", url: `javascript:alert(1)//f/${ID}/` },
      { id: ID, name: "a", size: 1, type: "a/b", url: `https://h/other/${ID}/a` },
      "not an object",
    ]
  ) {
    const frame = parseServerFrame(msg(bad));
    assert.equal(frame?.type, "msg");
    assert.equal(frame?.type === "msg" ? frame.file : "kept", undefined, JSON.stringify(bad));
  }
});

Deno.test("parseServerFrame() keeps the welcome's upload token, drops a bad one", () => {
  const welcome = (files: unknown) =>
    JSON.stringify({
      type: "welcome",
      protocol: 1,
      server: "s",
      nick: "ana",
      room: "#lobby",
      members: ["ana"],
      history: [],
      files,
    });
  const good = parseServerFrame(welcome({ token: "abcdefghijklmnopqrstuv", maxFileBytes: 10 }));
  assert.deepEqual(good?.type === "welcome" ? good.files : undefined, {
    token: "abcdefghijklmnopqrstuv",
    maxFileBytes: 10,
  });
  const bad = parseServerFrame(welcome({ token: "a b\r\nX-Evil: 1", maxFileBytes: 10 }));
  assert.equal(bad?.type === "welcome" ? bad.files : "kept", undefined);
});
