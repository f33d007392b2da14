import assert from "node:assert/strict";
import type { FoundServer } from "../../discovery/browse.ts";
import { ServerPicker } from "./server_picker.ts";
import { textWidth } from "./text_width.ts";

function server(name: string, address: string, password = false): FoundServer {
  return {
    name,
    addresses: [address],
    port: 7777,
    txt: { version: 1, tls: false, password, web: true },
  };
}

const servers = [server("lab", "10.0.0.2"), server("office", "10.0.0.3", true)];

Deno.test("ServerPicker moves with the arrow keys, stays in the list, and Enter picks", () => {
  const picker = new ServerPicker(servers);
  assert.equal(picker.handle({ type: "key", name: "up" }), undefined);
  assert.equal(picker.selected, 0);
  picker.handle({ type: "key", name: "down" });
  picker.handle({ type: "key", name: "down" });
  assert.equal(picker.selected, 1);
  assert.equal(picker.handle({ type: "key", name: "enter" }), servers[1]);
});

Deno.test("ServerPicker leaves on Esc, q and Ctrl-C", () => {
  for (
    const event of [
      { type: "key", name: "escape" },
      { type: "text", text: "q" },
      { type: "ctrl", key: "c" },
    ] as const
  ) {
    assert.equal(new ServerPicker(servers).handle(event), "cancel");
  }
});

Deno.test("ServerPicker marks the highlighted server and says how each is reached", () => {
  const picker = new ServerPicker([...servers, server("evil\x1b[2J", "10.0.0.4")]);
  picker.handle({ type: "key", name: "down" });
  const lines = picker.lines();
  assert.equal(lines[0], "3 lanchat servers answered on the LAN; which one?");
  assert.equal(lines[1], "  lab  10.0.0.2:7777  (not encrypted)");
  assert.equal(lines[2], "> office  10.0.0.3:7777  (not encrypted, private)");
  assert.ok(!lines[3].includes("\x1b"), "a name from the wire is cleaned");
});

Deno.test("ServerPicker on a small terminal shows a window around the highlighted row, no line wider than the screen", () => {
  const many = Array.from(
    { length: 40 },
    (_, i) => server(`server number ${i} with a rather long name`, `10.0.0.${i + 10}`),
  );
  const picker = new ServerPicker(many);
  const size = { columns: 30, rows: 10 };
  let lines = picker.lines(size);
  assert.equal(lines.length, size.rows - 1, "title, 7 rows, keys");
  for (const line of lines) assert.ok(textWidth(line) < size.columns, line);
  assert.match(lines[0], /^40 lanchat servers/);
  assert.ok(lines[1].startsWith("> "));
  for (let i = 0; i < 25; i++) picker.handle({ type: "key", name: "down" });
  lines = picker.lines(size);
  assert.equal(lines.filter((line) => line.startsWith(">")).length, 1);
  assert.match(lines.find((line) => line.startsWith(">"))!, /number 25/);
  assert.equal(lines.length, size.rows - 1);
});
