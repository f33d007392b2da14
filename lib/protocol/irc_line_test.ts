import assert from "node:assert/strict";

const assertEquals = (actual: unknown, expected: unknown, message?: string) =>
  assert.deepEqual(actual, expected, message);
import {
  ctcpAction,
  escapeTagValue,
  formatIrcLine,
  type IrcMessage,
  isOtherCtcp,
  parseIrcLine,
  sniffIrcRegistration,
  splitUtf8,
  stripFormatting,
} from "./irc_line.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("parseIrcLine() reads tags, source, command, params and trailing", () => {
  assertEquals(
    parseIrcLine(
      "@time=2026-01-01T00:00:00Z;+draft/x=a\\sb\\:c;flag :ana!a@h privmsg #lobby :hi  there",
    ),
    {
      tags: new Map([["time", "2026-01-01T00:00:00Z"], ["+draft/x", "a b;c"], ["flag", ""]]),
      source: "ana!a@h",
      command: "PRIVMSG",
      params: ["#lobby", "hi  there"],
    },
  );
});

Deno.test("parseIrcLine() keeps a trailing that is empty or starts with a colon", () => {
  assertEquals(parseIrcLine("TOPIC #a :"), {
    tags: new Map(),
    command: "TOPIC",
    params: ["#a", ""],
  });
  assertEquals(parseIrcLine("PRIVMSG #a ::)").valueOf(), {
    tags: new Map(),
    command: "PRIVMSG",
    params: ["#a", ":)"],
  });
});

Deno.test("parseIrcLine() skips repeated spaces between middle params", () => {
  assertEquals(parseIrcLine("USER  ana 0  * :Ana B"), {
    tags: new Map(),
    command: "USER",
    params: ["ana", "0", "*", "Ana B"],
  });
});

Deno.test("parseIrcLine() refuses a body over 512 bytes and allows tags beside it", () => {
  const body510 = "PRIVMSG #a :" + "x".repeat(510 - 12);
  assertEquals((parseIrcLine(body510) as { params: string[] }).params[1].length, 498);
  assertEquals(parseIrcLine(body510 + "y"), "too_long");
  // The limit counts bytes, not characters.
  assertEquals(parseIrcLine("PRIVMSG #a :" + "é".repeat(250)), "too_long");
  assertEquals(typeof parseIrcLine(`@a=${"t".repeat(3000)} ${body510}`), "object");
  assertEquals(parseIrcLine(`@a=${"t".repeat(4100)} PING x`), "tags_too_long");
  assertEquals(parseIrcLine("   "), "empty");
  assertEquals(parseIrcLine(":src"), "empty");
});

Deno.test("formatIrcLine() writes a trailing param only where it must, or when asked", () => {
  assertEquals(formatIrcLine("lanchat", "001", ["ana", "Welcome"]), ":lanchat 001 ana Welcome\r\n");
  assertEquals(formatIrcLine(undefined, "PING", ["t1"], { trailing: true }), "PING :t1\r\n");
  assertEquals(formatIrcLine("a!a@h", "PRIVMSG", ["#x", ":)"]), ":a!a@h PRIVMSG #x ::)\r\n");
  assertEquals(formatIrcLine("a", "PART", ["#x", ""]), ":a PART #x :\r\n");
  assertEquals(
    formatIrcLine("a", "PRIVMSG", ["#x", "hi"], { tags: "time=2026-01-01T00:00:00.000Z" }),
    "@time=2026-01-01T00:00:00.000Z :a PRIVMSG #x hi\r\n",
  );
});

Deno.test("splitUtf8() cuts at code points within the byte budget", () => {
  assertEquals(splitUtf8("abc", 10), ["abc"]);
  assertEquals(splitUtf8("abcdef", 4), ["abcd", "ef"]);
  // "é" is 2 bytes, "😀" 4: never split inside one.
  assertEquals(splitUtf8("éééé", 3), ["é", "é", "é", "é"]);
  assertEquals(splitUtf8("a😀b", 4), ["a", "😀", "b"]);
});

Deno.test("ctcpAction() finds /me, with or without the closing \\x01", () => {
  assertEquals(ctcpAction("\x01ACTION waves\x01"), "waves");
  assertEquals(ctcpAction("\x01ACTION waves"), "waves");
  assertEquals(ctcpAction("\x01ACTION\x01"), "");
  assertEquals(ctcpAction("ACTION waves"), undefined);
  assertEquals(isOtherCtcp("\x01VERSION\x01"), true);
  assertEquals(isOtherCtcp("\x01ACTION x\x01"), false);
  assertEquals(isOtherCtcp("hello"), false);
});

Deno.test("stripFormatting() removes bold, colours and the other codes, keeping digits of text", () => {
  assertEquals(stripFormatting("\x02bold\x02 \x0304,12red\x03 text"), "bold red text");
  assertEquals(stripFormatting("\x0345 apples"), " apples");
  assertEquals(stripFormatting("\x0312,345"), "5");
  assertEquals(
    stripFormatting("\x04ff00aa,000000hex\x04 \x1ditalic\x1d\x1f_\x1f\x16\x0f\x11\x1e"),
    "hex italic_",
  );
  assertEquals(stripFormatting("plain 1,2"), "plain 1,2");
});

Deno.test("sniffIrcRegistration() tells an IRC client's first line from a text client's", () => {
  for (const line of ["CAP LS 302\r\n", "NICK ana\r\n", "USER a 0 * :A\r\n", "PASS secret\r\n"]) {
    assertEquals(sniffIrcRegistration(bytes(line)), "irc", line);
  }
  // A person whose nick is NICK: the line has no parameter.
  assertEquals(sniffIrcRegistration(bytes("NICK\r\n")), "other");
  assertEquals(sniffIrcRegistration(bytes("NICK \r\n")), "other");
  assertEquals(sniffIrcRegistration(bytes("nick ana\r\n")), "other");
  assertEquals(sniffIrcRegistration(bytes("NICOLE\r\n")), "other");
  assertEquals(sniffIrcRegistration(bytes("ana\r\n")), "other");
  for (let byte = 0; byte < 256; byte++) {
    const expected = "CNUP".includes(String.fromCharCode(byte)) ? "more" : "other";
    assertEquals(sniffIrcRegistration(Uint8Array.of(byte)), expected, `byte ${byte}`);
  }
  // Too few bytes to tell, one byte at a time.
  for (const head of ["", "C", "CA", "CAP", "CAP ", "N", "NICK", "NICK ", "PAS", "US"]) {
    assertEquals(sniffIrcRegistration(bytes(head)), "more", head);
  }
});

Deno.test("parseIrcLine() gives every line without tags an empty map that no tagged line fills", () => {
  const plain = parseIrcLine("PRIVMSG #a :hi") as IrcMessage;
  assertEquals(plain.tags.size, 0);
  const tagged = parseIrcLine("@batch=x;+typing=active PRIVMSG #a :hi") as IrcMessage;
  assertEquals([...tagged.tags], [["batch", "x"], ["+typing", "active"]]);
  assertEquals((parseIrcLine("PING x") as IrcMessage).tags.size, 0);
  assertEquals(plain.tags.size, 0);
});

Deno.test("parseIrcLine() puts a command in capitals, as String.prototype.toUpperCase does", () => {
  for (
    const [word, command] of [["privmsg", "PRIVMSG"], ["Nick", "NICK"], ["ß", "SS"], ["001", "001"]]
  ) {
    assertEquals((parseIrcLine(`${word} x`) as IrcMessage).command, command);
  }
  assertEquals(parseIrcLine(":src   pRiVmSg   #a  b :c d") as IrcMessage, {
    tags: new Map(),
    source: "src",
    command: "PRIVMSG",
    params: ["#a", "b", "c d"],
  });
});

Deno.test("escapeTagValue() escapes ; space \\ CR and LF wherever they are, and leaves other values as they are", () => {
  assertEquals(escapeTagValue("2026-01-01T00:00:00.000Z"), "2026-01-01T00:00:00.000Z");
  assertEquals(escapeTagValue("a b;c\\d\re\nf"), "a\\sb\\:c\\\\d\\re\\nf");
  assertEquals(escapeTagValue(";;"), "\\:\\:");
  assertEquals(escapeTagValue(" x "), "\\sx\\s");
  assertEquals(escapeTagValue("plain"), "plain");
});
