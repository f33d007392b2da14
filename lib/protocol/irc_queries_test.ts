import assert from "node:assert/strict";
import { globMatch, maskNick, whoMask } from "./irc_queries.ts";

Deno.test("maskNick: the one nick a ban mask names, in the forms irssi and weechat send", () => {
  // Every user is nick!nick@lanchat: these name ana.
  for (
    const mask of [
      "ana",
      "ana!*@*",
      "ana!ana@lanchat",
      "*!*ana@lanchat",
      "*!ana@lanchat",
      "*!ana@*",
    ]
  ) {
    assert.equal(maskNick(mask), "ana", mask);
  }
  // Wildcards in the name, another host, or more than one nick: no single member.
  for (
    const mask of [
      "*",
      "*!*@*",
      "an*",
      "*!*@10.0.0.1",
      "ana!*@example.org",
      "*!a?a@lanchat",
      "ana!bo@lanchat",
      "a!b!c@d",
    ]
  ) {
    assert.equal(maskNick(mask), undefined, mask);
  }
});

Deno.test("globMatch: * and ? as IRC masks mean them, fast on a mask of many stars", () => {
  assert.ok(globMatch("coolni*", "coolnick"));
  assert.ok(globMatch("*", "ana"));
  assert.ok(globMatch("a?a", "ana"));
  assert.ok(globMatch("*n*", "ana"));
  assert.ok(!globMatch("coolni*", "ana"));
  assert.ok(!globMatch("a?", "ana"));
  assert.ok(!globMatch("", "ana"));
  const start = performance.now();
  assert.ok(!globMatch(`${"*a".repeat(250)}b`, "a".repeat(24)));
  assert.ok(performance.now() - start < 100);
});

Deno.test("whoMask: a mask with ! or @ matches nick!nick@lanchat, one without only the nick", () => {
  for (const mask of ["*!*@*", "ANA!*@*", "*!ana@lanchat", "a?a", "*", "*@lanchat"]) {
    assert.ok(whoMask(mask)("ana"), mask);
  }
  for (const mask of ["ana!*@elsewhere", "bo!*@*", "*lanchat"]) {
    assert.ok(!whoMask(mask)("ana"), mask);
  }
});
