import assert from "node:assert/strict";
import { namesLines, replyLines } from "./irc_render.ts";

Deno.test("namesLines() splits a long member list into 353 lines of at most 512 bytes, every nick once", () => {
  const members = Array.from({ length: 200 }, (_, i) => `member${String(i).padStart(3, "0")}é`);
  const lines = namesLines("me", "#lobby", members).split("\r\n").filter((l) => l !== "");
  assert.match(lines.at(-1)!, /^:lanchat 366 me #lobby :End of \/NAMES list$/);
  const names = lines.slice(0, -1);
  assert.ok(names.length > 1);
  for (const line of names) {
    assert.match(line, /^:lanchat 353 me = #lobby :/);
    assert.ok(new TextEncoder().encode(line + "\r\n").length <= 512, line);
  }
  const listed = names.flatMap((line) => line.slice(line.indexOf(" :") + 2).split(" "));
  assert.deepEqual(listed, members);
});

Deno.test("replyLines() answers WHOIS with 312 naming the member's cluster node, only when it is given", () => {
  const reader = { me: "op", serverTime: false };
  const whois = {
    type: "whois" as const,
    nick: "bob",
    client: "irc",
    registered: false,
    operator: false,
    rooms: ["#lobby"],
  };
  const onNode = replyLines({ ...whois, node: "beta-1a2b3c4d" }, reader).split("\r\n");
  assert.ok(
    onNode.includes(":lanchat 312 op bob beta-1a2b3c4d :lanchat cluster node"),
    onNode.join("\n"),
  );
  const alone = replyLines(whois, reader);
  assert.ok(!alone.includes(" 312 "), alone);
});
