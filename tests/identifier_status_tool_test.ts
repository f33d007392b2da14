/**
 * tools/identifier_status.ts: reads Unicode's IdentifierStatus.txt (or Perl's
 * compiled copy of it) and writes lib/core/identifier_status.ts.
 */

import assert from "node:assert/strict";
import { mergeRanges, parseIdentifierStatus, renderModule } from "../tools/identifier_status.ts";
import { ALLOWED, IDENTIFIER_STATUS_VERSION } from "../lib/core/identifier_status.ts";
import { ROOT } from "./_entry_process.ts";

const SAMPLE = `# IdentifierStatus.txt
# Date: 2024-07-05
#
# Version: 16.0.0
#
# @missing: 0000..10FFFF; Restricted

# Identifier_Status: Allowed

0027          ; Allowed    # 1.1        APOSTROPHE
002D..002E    ; Allowed    # 1.1    [2] HYPHEN-MINUS..FULL STOP
0030..003A    ; Allowed    # 1.1   [11] DIGIT ZERO..COLON
0041..005A    ; Allowed    # 1.1   [26] LATIN CAPITAL LETTER A..LATIN CAPITAL LETTER Z
0061..007A    ; Allowed    # 1.1   [26] LATIN SMALL LETTER A..LATIN SMALL LETTER Z
30000..3134A  ; Allowed    # 13.0 [4939] CJK UNIFIED IDEOGRAPH-30000..CJK UNIFIED IDEOGRAPH-3134A

# Total code points: 4995
`;

Deno.test("parseIdentifierStatus() reads the Allowed ranges and the version of IdentifierStatus.txt", () => {
  assert.deepEqual(parseIdentifierStatus(SAMPLE), {
    version: "16.0.0",
    ranges: [[0x27, 0x27], [0x2d, 0x2e], [0x30, 0x3a], [0x41, 0x5a], [0x61, 0x7a], [
      0x30000,
      0x3134a,
    ]],
  });
});

Deno.test("parseIdentifierStatus() refuses a file that is not IdentifierStatus.txt, naming the line", () => {
  assert.throws(
    () => parseIdentifierStatus(SAMPLE.replace("0027  ", "U+0027")),
    {
      name: "SyntaxError",
      message: /^IdentifierStatus.txt line 10 is not "code point ; status": "U\+0027/,
    },
  );
  assert.throws(() => parseIdentifierStatus("0041 ; Allowed\n"), /has no "# Version: x.y.z" line/);
});

Deno.test("mergeRanges() sorts ranges and joins those that touch or overlap", () => {
  assert.deepEqual(mergeRanges([[10, 12], [1, 3], [4, 5], [11, 20], [30, 30]]), [[1, 5], [10, 20], [
    30,
    30,
  ]]);
});

Deno.test("renderModule() writes a module whose table reads back as the ranges it was given", async () => {
  const data = parseIdentifierStatus(SAMPLE);
  const text = renderModule(data, { Latn: "Latin", Hani: "Han" }, "a test");
  assert.match(
    text,
    /Unicode 16\.0\.0 https:\/\/www\.unicode\.org\/Public\/security\/16\.0\.0\/IdentifierStatus\.txt/,
  );
  const dir = await Deno.makeTempDir({ prefix: "lanchat-identifier-status-" });
  try {
    await Deno.writeTextFile(`${dir}/table.ts`, text);
    const module = await import(`file://${dir}/table.ts`);
    assert.equal(module.IDENTIFIER_STATUS_VERSION, "16.0.0");
    assert.deepEqual(module.ALLOWED, data.ranges.flat());
    assert.deepEqual(module.ALLOWED_SCRIPTS, { Latn: "Latin", Hani: "Han" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const perlUnicode = await new Deno.Command("perl", {
  args: ["-MUnicode::UCD", "-e", "print Unicode::UCD::UnicodeVersion()"],
  stdout: "piped",
  stderr: "null",
}).output().then((out) => new TextDecoder().decode(out.stdout), () => "");

Deno.test({
  name: "the committed table is what tools/identifier_status.ts generates from Perl's Unicode data",
  // The table is made from Unicode 14.0.0 as Perl 5.36 carries it; another Perl may carry another.
  ignore: perlUnicode !== IDENTIFIER_STATUS_VERSION,
  async fn() {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-run=perl", "--allow-read", "tools/identifier_status.ts", "--check"],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const said = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.ok(out.success, said);
    assert.match(said, /is up to date \(Unicode 14\.0\.0\)/);
    assert.ok(ALLOWED.length > 700);
  },
});
