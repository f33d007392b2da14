import assert from "node:assert/strict";
import { applyChoice, complete } from "./completion.ts";
import { nickColorClass } from "./nick_color.ts";

const COMMANDS = [
  { name: "join", usage: "/join <#room>", help: "Join a room" },
  { name: "me", usage: "/me <action>", help: "Describe what you do" },
  { name: "msg", usage: "/msg <nick> <text>", help: "Send a private message" },
];

Deno.test("complete() lists every command for a lone /, and those that start with the word", () => {
  assert.equal(complete("/", 1, COMMANDS, [])?.choices.length, 3);
  assert.deepEqual(complete("/m", 2, COMMANDS, [])?.choices.map((c) => c.insert), [
    "/me ",
    "/msg ",
  ]);
  assert.equal(complete("/x", 2, COMMANDS, []), undefined);
  assert.equal(complete("//etc", 5, COMMANDS, []), undefined, "// is a message");
  const many = Array.from({ length: 13 }, (_, i) => ({ name: `c${i}`, usage: "", help: "" }));
  assert.equal(complete("/", 1, many, [])?.choices.length, 13, "all of them, not the first 8");
});

Deno.test("complete() offers nicks on Tab or after @, with ': ' at the start of the line", () => {
  const nicks = ["bo", "Bea", "cy"];
  assert.equal(complete("b", 1, COMMANDS, nicks), undefined, "not while typing");
  assert.deepEqual(complete("b", 1, COMMANDS, nicks, true)?.choices.map((c) => c.insert), [
    "bo: ",
    "Bea: ",
  ]);
  assert.deepEqual(complete("hi @c", 5, COMMANDS, nicks)?.choices.map((c) => c.insert), ["cy "]);
  const completion = complete("hi c and more", 4, COMMANDS, nicks, true)!;
  assert.deepEqual(applyChoice("hi c and more", completion, completion.choices[0]), {
    text: "hi cy and more",
    cursor: 6,
  });
});

Deno.test("nickColorClass() is stable and ignores case", () => {
  assert.equal(nickColorClass("Ana"), nickColorClass("ana"));
  assert.match(nickColorClass("bo"), /^nick-c\d+$/);
  const classes = new Set(
    ["ana", "bo", "cy", "dee", "eve", "fay", "gus", "hal"].map(nickColorClass),
  );
  assert.ok(classes.size >= 4, "nicks spread over the colours");
});
