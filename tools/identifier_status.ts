/**
 * Generates lib/core/identifier_status.ts: the characters whose UTS #39
 * Identifier_Status is Allowed (the General Security Profile for
 * identifiers), and the scripts those characters belong to. Nick rules use it
 * to refuse technical, obsolete, uncommon and compatibility characters
 * (`ɘ`, `ʋ`, `ⱺ`, `ａ`, ...) that Unicode's confusables do not map.
 *
 * The data is Unicode's `IdentifierStatus.txt`
 * (https://www.unicode.org/Public/security/<version>/IdentifierStatus.txt,
 * from 17.0 on https://www.unicode.org/Public/<version>/security/), read one
 * of two ways:
 *
 * - by default through this machine's Perl, whose Unicode database
 *   (`Unicode::UCD`, part of perl-base on Debian) is compiled from that file:
 *   Perl 5.36 carries Unicode 14.0.0. No package registry reachable here
 *   ships the file itself, and unicode.org is not reachable;
 * - with `--from <file>`, from a copy of the file, for a Unicode newer than
 *   Perl's. The version is read from its `# Version:` line.
 *
 * The script names come from Perl's list of Script values either way; the
 * scripts kept are those that the runtime's regular expressions
 * (`\p{Script_Extensions=...}`) find among the allowed characters.
 *
 * ```sh
 * deno run --allow-run=perl --allow-read --allow-write=lib/core tools/identifier_status.ts [--from IdentifierStatus.txt] [--check]
 * ```
 *
 * `--check` writes nothing and exits 1 when the committed module differs
 * from what would be generated.
 *
 * @module
 */

import { parseArgs } from "node:util";

/** Where the generated module goes, relative to the repository root. */
export const OUTPUT = new URL("../lib/core/identifier_status.ts", import.meta.url);

/** Allowed code points as inclusive `[first, last]` ranges, sorted, with the Unicode version. */
export interface AllowedRanges {
  version: string;
  ranges: [number, number][];
}

/**
 * Reads the Allowed ranges from the text of an `IdentifierStatus.txt`:
 * `0041..005A ; Allowed # ...` lines; code points not listed are Restricted.
 *
 * @throws {SyntaxError} naming the line when a data line is not in that form
 * or no `# Version:` line is present
 */
export function parseIdentifierStatus(text: string): AllowedRanges {
  const version = /^#\s*Version:\s*(\d+\.\d+\.\d+)\s*$/m.exec(text)?.[1];
  if (version === undefined) {
    throw new SyntaxError('IdentifierStatus.txt has no "# Version: x.y.z" line');
  }
  const ranges: [number, number][] = [];
  for (const [index, line] of text.split(/\r?\n/).entries()) {
    const data = line.replace(/#.*/, "").trim();
    if (data === "") continue;
    const match = /^([0-9A-F]{4,6})(?:\.\.([0-9A-F]{4,6}))?\s*;\s*(\w+)$/.exec(data);
    if (match === null) {
      throw new SyntaxError(
        `IdentifierStatus.txt line ${index + 1} is not "code point ; status": "${line}"`,
      );
    }
    if (match[3] !== "Allowed") continue;
    const first = parseInt(match[1], 16);
    ranges.push([first, match[2] === undefined ? first : parseInt(match[2], 16)]);
  }
  return { version, ranges: mergeRanges(ranges) };
}

/** Sorts ranges and joins those that overlap or touch. */
export function mergeRanges(ranges: [number, number][]): [number, number][] {
  const merged: [number, number][] = [];
  for (const [first, last] of [...ranges].sort((a, b) => a[0] - b[0])) {
    const previous = merged.at(-1);
    if (previous !== undefined && first <= previous[1] + 1) {
      previous[1] = Math.max(previous[1], last);
    } else merged.push([first, last]);
  }
  return merged;
}

/** What Perl's Unicode database says: its Unicode version, Perl's version, allowed ranges, scripts. */
interface PerlUnicode extends AllowedRanges {
  perl: string;
  /** Every Script value as [short name, long name]: `["Cyrl", "Cyrillic"]`. */
  scripts: [string, string][];
}

const PERL_PROGRAM = String.raw`
use Unicode::UCD qw(prop_invlist prop_values prop_value_aliases);
my @list = prop_invlist("Identifier_Status=Allowed");
print "perl $^V\n";
print "unicode ", Unicode::UCD::UnicodeVersion(), "\n";
print "allowed @list\n";
print "scripts ", join(" ", map { join("=", prop_value_aliases("Script", $_)) } prop_values("Script")), "\n";
`;

async function readPerl(): Promise<PerlUnicode> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("perl", { args: ["-e", PERL_PROGRAM], stderr: "piped" })
      .output();
  } catch (error) {
    throw new Error("Cannot run perl, which reads Unicode's data here", { cause: error });
  }
  const text = new TextDecoder().decode(output.stdout);
  if (!output.success) {
    throw new Error(`perl failed: ${new TextDecoder().decode(output.stderr).trim()}`);
  }
  const field = (name: string) => {
    const value = new RegExp(`^${name} (.*)$`, "m").exec(text)?.[1];
    if (value === undefined) throw new Error(`perl printed no "${name}" line: ${text}`);
    return value.trim();
  };
  // An inversion list: each even entry starts an allowed range, the next starts a restricted one.
  const list = field("allowed").split(" ").map(Number);
  const ranges: [number, number][] = [];
  for (let i = 0; i < list.length; i += 2) {
    ranges.push([list[i], (list[i + 1] ?? 0x110000) - 1]);
  }
  return {
    perl: field("perl").replace(/^v/, ""),
    version: field("unicode"),
    ranges,
    scripts: field("scripts").split(" ").map((aliases) => {
      const [short, long] = aliases.split("=");
      return [short, long ?? short];
    }),
  };
}

/**
 * The scripts that allowed letters, digits and marks are written in (their
 * `Script` property in the runtime's Unicode data, Common and Inherited left
 * out since they go with every script): the scripts UAX #31 recommends for
 * identifiers. Returned as short name to long name, sorted by short name.
 */
export function scriptsOf(
  ranges: [number, number][],
  names: [string, string][],
): Record<string, string> {
  const found: Record<string, string> = {};
  for (const [short, long] of [...names].sort((a, b) => a[0].localeCompare(b[0]))) {
    if (["Zyyy", "Zinh", "Zzzz"].includes(short)) continue;
    let pattern: RegExp;
    try {
      pattern = new RegExp(`\\p{Script=${short}}`, "u");
    } catch {
      continue; // A script this runtime does not know has no character it could check.
    }
    const hit = ranges.some(([first, last]) => {
      for (let cp = first; cp <= last; cp++) {
        if (pattern.test(String.fromCodePoint(cp))) return true;
      }
      return false;
    });
    if (hit) found[short] = long.replaceAll("_", " ");
  }
  return found;
}

const hex = (cp: number) => `0x${cp.toString(16)}`;

/** The text of lib/core/identifier_status.ts. */
export function renderModule(
  data: AllowedRanges,
  scripts: Record<string, string>,
  source: string,
): string {
  const pairs = data.ranges.map(([first, last]) => `${hex(first)}, ${hex(last)},`);
  const lines: string[] = [];
  for (let i = 0; i < pairs.length; i += 6) lines.push(`  ${pairs.slice(i, i + 6).join(" ")}`);
  const url = Number(data.version.split(".")[0]) >= 17
    ? `https://www.unicode.org/Public/${data.version}/security/IdentifierStatus.txt`
    : `https://www.unicode.org/Public/security/${data.version}/IdentifierStatus.txt`;
  return `// deno-fmt-ignore-file
/**
 * The UTS #39 General Security Profile for identifiers: code points whose
 * Identifier_Status is Allowed. Generated by tools/identifier_status.ts from
 * Unicode ${data.version} ${url}
 * (${source}); do not edit. Everything not listed is Restricted.
 *
 * @module
 */

/** The Unicode version of {@linkcode ALLOWED}. */
export const IDENTIFIER_STATUS_VERSION = "${data.version}";

/** Allowed code points as inclusive ranges: first, last, first, last, ... in ascending order. */
export const ALLOWED: readonly number[] = [
${lines.join("\n")}
];

/**
 * The scripts of the allowed letters, digits and marks (Common and Inherited
 * aside): short name (as \`\\p{Script_Extensions=...}\` takes it) to English name.
 */
export const ALLOWED_SCRIPTS: Readonly<Record<string, string>> = {
${Object.entries(scripts).map(([short, long]) => `  ${short}: "${long}",`).join("\n")}
};
`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: { from: { type: "string" }, check: { type: "boolean", default: false } },
  });
  const perl = await readPerl();
  let data: AllowedRanges = perl;
  let source = `read through Perl ${perl.perl}'s Unicode database`;
  if (values.from !== undefined) {
    data = parseIdentifierStatus(await Deno.readTextFile(values.from));
    source = "read from a copy of the file";
  }
  const text = renderModule(data, scriptsOf(data.ranges, perl.scripts), source);
  if (values.check) {
    const current = await Deno.readTextFile(OUTPUT).catch(() => "");
    if (current !== text) {
      console.error(`${OUTPUT.pathname} is not what tools/identifier_status.ts generates`);
      return 1;
    }
    console.log(`${OUTPUT.pathname} is up to date (Unicode ${data.version})`);
    return 0;
  }
  await Deno.writeTextFile(OUTPUT, text);
  const count = data.ranges.reduce((sum, [first, last]) => sum + last - first + 1, 0);
  console.log(
    `Wrote ${OUTPUT.pathname}: Unicode ${data.version}, ${data.ranges.length} ranges, ${count} code points`,
  );
  return 0;
}

if (import.meta.main) Deno.exit(await main());
