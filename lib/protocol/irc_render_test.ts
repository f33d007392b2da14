import assert from "node:assert/strict";
import { namesLines, privmsgLines, replyLines } from "./irc_render.ts";

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

Deno.test("privmsgLines() writes one line while it fits 512 bytes and splits it past, for every kind and width of character", () => {
  const encoder = new TextEncoder();
  const bytes = (text: string) => encoder.encode(text).length;
  const source = ":ana!ana@lanchat";
  for (const kind of ["say", "action", "notice"] as const) {
    const command = kind === "notice" ? "NOTICE" : "PRIVMSG";
    const head = `${source} ${command} #lobby :`;
    for (const char of ["a", "é", "€", "😀"]) {
      for (let count = 1; count <= 520; count += count < 140 ? 13 : 1) {
        const text = char.repeat(count);
        const body = kind === "action" ? `\x01ACTION ${text}\x01` : text;
        const out = privmsgLines("ana", "#lobby", text, kind, "time=t", "msgid=m");
        const lines = out.split("\r\n").slice(0, -1);
        assert.ok(out.endsWith("\r\n"));
        if (bytes(head + body) <= 510) {
          assert.equal(out, `@time=t;msgid=m ${head}${body}\r\n`, `${kind} ${count}×${char}`);
          continue;
        }
        assert.ok(lines.length > 1, `${kind} ${count}×${char}: split`);
        assert.ok(lines[0].startsWith(`@time=t;msgid=m ${head}`));
        assert.ok(lines.slice(1).every((line) => line.startsWith(`@time=t ${head}`)));
        const pieces = lines.map((line) => line.slice(line.indexOf(head) + head.length));
        for (const line of lines) assert.ok(bytes(line.slice(line.indexOf(" ") + 1)) <= 510);
        const unwrapped = kind === "action" ? pieces.map((p) => p.slice(8, -1)) : pieces;
        assert.equal(unwrapped.join(""), text);
      }
    }
  }
  // No tags, an empty first tag, and several lines of text.
  assert.equal(privmsgLines("ana", "bob", "hi", "say"), ":ana!ana@lanchat PRIVMSG bob :hi\r\n");
  assert.equal(
    privmsgLines("ana", "bob", "hi", "say", undefined, ""),
    ":ana!ana@lanchat PRIVMSG bob :hi\r\n",
  );
  assert.equal(
    privmsgLines("ana", "#a", "one\n\ntwo", "say", "time=t", "msgid=m"),
    "@time=t;msgid=m :ana!ana@lanchat PRIVMSG #a :one\r\n@time=t :ana!ana@lanchat PRIVMSG #a : \r\n@time=t :ana!ana@lanchat PRIVMSG #a :two\r\n",
  );
});
