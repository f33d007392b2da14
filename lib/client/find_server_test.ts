import assert from "node:assert/strict";
import type { FoundServer } from "../discovery/browse.ts";
import { chooseServer, serverLine, serversJson, shownName } from "./find_server.ts";

const fingerprint = "SHA256:5hukloa7MPlonWd4lc8QvhibOvLMtW6Wh6FOM3yPhCg";
const office: FoundServer = {
  name: "Office",
  addresses: ["10.0.0.3"],
  port: 7777,
  txt: { version: 1, tls: true, fingerprint, password: true, web: true },
};
const lab: FoundServer = {
  name: "lab",
  addresses: ["fd00::2"],
  port: 9000,
  txt: { version: 1, tls: false, password: false, web: true },
};

Deno.test("serverLine() is one tab-separated line: name, address:port, tls, private, fingerprint", () => {
  assert.equal(serverLine(office), `Office\t10.0.0.3:7777\ttls\tprivate\t${fingerprint}`);
  assert.equal(serverLine(lab), "lab\t[fd00::2]:9000\tplain\topen\t-");
});

Deno.test("chooseServer() joins the only server, or the one named (any case)", () => {
  const options = { interactive: false, seconds: 1 };
  assert.deepEqual(chooseServer([office], options), { kind: "join", server: office });
  assert.deepEqual(chooseServer([office, lab], { ...options, serverName: "office" }), {
    kind: "join",
    server: office,
  });
});

Deno.test("chooseServer() refuses several in line mode with the list and --server, and offers a pick on a terminal", () => {
  const refused = chooseServer([lab, office], { interactive: false, seconds: 1 });
  assert.equal(refused.kind, "fail");
  if (refused.kind !== "fail") return;
  assert.match(refused.lines[0], /^2 servers answered on the LAN; choose one with --server <name>/);
  assert.deepEqual(refused.lines.slice(1, 3), [`  ${serverLine(lab)}`, `  ${serverLine(office)}`]);
  assert.deepEqual(chooseServer([lab, office], { interactive: true, seconds: 1 }), {
    kind: "pick",
    servers: [lab, office],
  });
});

Deno.test("chooseServer() with nothing found, or not the name asked for, says what to do", () => {
  const none = chooseServer([], { interactive: true, seconds: 1 });
  assert.equal(none.kind, "fail");
  if (none.kind === "fail") {
    assert.match(
      none.lines[0],
      /give --host <address>, or check that chat-server runs .* without --no-discovery/,
    );
  }
  const other = chooseServer([lab], { interactive: false, seconds: 1, serverName: "office" });
  assert.equal(other.kind, "fail");
  if (other.kind === "fail") {
    assert.deepEqual(other.lines, [
      'no server named "office" answered on the LAN within 1 s; these did:',
      `  ${serverLine(lab)}`,
    ]);
  }
});

Deno.test("serversJson(): names from the LAN keep C1 controls, bidi and invisible characters escaped, and parse back the same", () => {
  const name = "off\u009b31mice\u202e\u200b";
  const json = serversJson([{ ...office, name }]);
  assert.doesNotMatch(json, /[\u0080-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/);
  assert.match(json, /\\u009b/);
  assert.equal(JSON.parse(json)[0].name, name);
});

Deno.test("shownName(): a look-alike with invisible characters shows them, so it does not pass for the real name", () => {
  assert.equal(shownName({ ...office, name: "office" }), "office");
  assert.equal(shownName({ ...office, name: "office\u200b" }), "office<U+200B>");
  assert.equal(shownName({ ...office, name: "of\u2060fice" }), "of<U+2060>fice");
});
