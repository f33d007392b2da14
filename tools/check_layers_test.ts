import assert from "node:assert/strict";
import { checkLayers, importsOf, layerOf, UnknownLayerError } from "./check_layers.ts";

Deno.test("layerOf() places lib folders, top-level modules, entry points and tests", () => {
  assert.equal(layerOf("lib/core/hub.ts"), "core");
  assert.equal(layerOf("lib/core/state/room_log.ts"), "core");
  assert.equal(layerOf("lib/errors.ts"), "top");
  assert.equal(layerOf("server.ts"), "entry");
  assert.equal(layerOf("tools/compile.ts"), "entry");
  assert.equal(layerOf("tests/e2e_test.ts"), "tests");
  assert.equal(layerOf("lib/core/hub_test.ts"), "tests");
  assert.equal(layerOf("lib/server/_fake_pipe.ts"), "tests");
});

Deno.test("layerOf() refuses a lib/ folder that is no layer yet, and checkLayers() names it", () => {
  assert.throws(() => layerOf("lib/mesh/mesh_room_log.ts"), UnknownLayerError);
  const violations = checkLayers(
    new Map([
      ["lib/mesh/mesh_room_log.ts", 'import { Hub } from "../core/hub.ts";'],
      ["lib/server/chat_server.ts", 'import { MeshRoomLog } from "../mesh/mesh_room_log.ts";'],
    ]),
  );
  assert.deepEqual(violations.map(({ why }) => why), [
    "lib/mesh/ is not a known layer; add it to ALLOWED in tools/check_layers.ts",
  ]);
});

Deno.test("importsOf() finds static, re-exported, side-effect and dynamic imports, and type-only ones", () => {
  const source = [
    'import { a } from "./a.ts";',
    'import type { B } from "../b.ts";',
    'export { c } from "./c.ts";',
    'export type { D } from "./d.ts";',
    'import "./e.ts";',
    'const f = await import("./f.ts");',
    'import { g } from "npm:g";',
    "import {",
    "  type H,",
    "  h,",
    '} from "./h.ts";',
  ].join("\n");
  assert.deepEqual(importsOf(source), [
    { specifier: "./a.ts", typeOnly: false },
    { specifier: "../b.ts", typeOnly: true },
    { specifier: "./c.ts", typeOnly: false },
    { specifier: "./d.ts", typeOnly: true },
    { specifier: "./e.ts", typeOnly: false },
    { specifier: "./f.ts", typeOnly: false },
    { specifier: "./h.ts", typeOnly: false },
  ]);
});

Deno.test("checkLayers() refuses the core importing the server, and anyone but tests importing tests", () => {
  const violations = checkLayers(
    new Map([
      ["lib/core/hub.ts", 'import type { X } from "../server/chat_server.ts";'],
      ["lib/server/chat_server.ts", 'import { hub } from "../core/hub.ts";'],
      ["lib/client/line_mode.ts", 'import { tmux } from "../../tests/tmux.ts";'],
      ["tests/tmux.ts", 'import { hub } from "../lib/core/hub.ts";'],
      ["lib/server/client_session.ts", 'import { FakePipe } from "./_fake_pipe.ts";'],
      ["lib/server/_fake_pipe.ts", 'import type { Pipe } from "./outbox.ts";'],
    ]),
  );
  const why = "only tests may import from tests/ or a test-only helper (_*.ts)";
  assert.deepEqual(violations.map(({ from, why }) => [from, why]), [
    ["lib/core/hub.ts", "core may not import from server"],
    ["lib/client/line_mode.ts", why],
    ["lib/server/client_session.ts", why],
  ]);
});

Deno.test("checkLayers() names a run-time import cycle, but lets two modules name each other's types", () => {
  const violations = checkLayers(
    new Map([
      ["lib/core/a.ts", 'import { b } from "./b.ts";'],
      ["lib/core/b.ts", 'import { c } from "./c.ts";'],
      ["lib/core/c.ts", 'import { a } from "./a.ts";'],
      ["lib/core/member.ts", 'import type { Room } from "./room.ts";'],
      ["lib/core/room.ts", 'import type { Member } from "./member.ts";'],
    ]),
  );
  assert.equal(violations.length, 1);
  assert.match(
    violations[0].why,
    /^import cycle among lib\/core\/a\.ts, lib\/core\/b\.ts, lib\/core\/c\.ts$/,
  );
});

Deno.test("checkLayers() lets lib/web import the runtime-neutral client modules only, and the server none of lib/web", () => {
  const violations = checkLayers(
    new Map([
      [
        "lib/web/web_client.ts",
        'import { ReconnectingSession } from "../client/reconnecting_session.ts";',
      ],
      ["lib/web/pipe.ts", 'import { openSocketPipe } from "../client/socket_pipe.ts";'],
      ["lib/web/key.ts", 'import { loadIdentity } from "../client/identity.ts";'],
      ["lib/server/web_pages.ts", 'import { App } from "../web/app.tsx";'],
    ]),
  );
  assert.deepEqual(violations.map(({ from, to }) => `${from} -> ${to}`), [
    "lib/web/pipe.ts -> lib/client/socket_pipe.ts",
    "lib/web/key.ts -> lib/client/identity.ts",
    "lib/server/web_pages.ts -> lib/web/app.tsx",
  ]);
});

Deno.test("checkLayers() lets server and client import discovery, and discovery only protocol and net", () => {
  assert.equal(layerOf("lib/discovery/txt.ts"), "discovery");
  const violations = checkLayers(
    new Map([
      ["lib/discovery/txt.ts", 'import { isFingerprint } from "../protocol/fingerprint.ts";'],
      ["lib/discovery/announce.ts", 'import { ChatServer } from "../server/chat_server.ts";'],
      ["lib/discovery/browse.ts", 'import { Hub } from "../core/hub.ts";'],
      ["lib/server/chat_server.ts", 'import { encodeTxt } from "../discovery/txt.ts";'],
      ["lib/client/resolver.ts", 'import { decodeTxt } from "../discovery/txt.ts";'],
    ]),
  );
  assert.deepEqual(violations.map(({ from, why }) => `${from}: ${why}`), [
    "lib/discovery/announce.ts: discovery may not import from server",
    "lib/discovery/browse.ts: discovery may not import from core",
  ]);
});

Deno.test("checkLayers() lets the server import cluster, and cluster only the core", () => {
  assert.equal(layerOf("lib/cluster/nats_room_log.ts"), "cluster");
  const violations = checkLayers(
    new Map([
      ["lib/cluster/nats_room_log.ts", 'import type { RoomLog } from "../core/state/room_log.ts";'],
      ["lib/cluster/nats_presence.ts", 'import { Connection } from "../server/connection.ts";'],
      ["lib/server/chat_server.ts", 'import { NatsRoomLog } from "../cluster/nats_room_log.ts";'],
      ["lib/core/hub.ts", 'import { NatsRoomLog } from "../cluster/nats_room_log.ts";'],
    ]),
  );
  assert.deepEqual(violations.map(({ from, why }) => `${from}: ${why}`), [
    "lib/cluster/nats_presence.ts: cluster may not import from server",
    "lib/core/hub.ts: core may not import from cluster",
  ]);
});
