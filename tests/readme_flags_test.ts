/**
 * The README's flag tables, checked against each program's `--help`, so
 * neither can drift from the other unnoticed.
 */

import assert from "node:assert/strict";
import { ROOT } from "./_entry_process.ts";

/** A flag as `--help` or a README table lists it. */
interface ListedFlag {
  /** What follows the flag: `<n>`, `<file>`, or "" for a switch. */
  placeholder: string;
  /** The default as written (`--help`: the X of "(default X)"; README: the cell), or "". */
  default: string;
  /** README only: the default cell is a value in backticks (`7777`), not words ("none"). */
  value?: boolean;
}

/**
 * The flags of a `--help` text: every line that starts with two spaces and
 * a dash names one or more flags; the lines indented further below it carry
 * on its description, where "(default X)" states the default.
 */
function helpFlags(help: string): Map<string, ListedFlag> {
  const flags = new Map<string, ListedFlag>();
  let entry: { names: [string, string][]; text: string } | undefined;
  const finish = () => {
    if (!entry) return;
    // "(default 7777)", "(default: keep)", '(default "lanchat")', "(default 50, 0 to 1000)".
    const stated = /\(default:? ("?)([^",;:)]+)\1/.exec(entry.text)?.[2]?.trim() ?? "";
    for (const [name, placeholder] of entry.names) {
      flags.set(name, { placeholder, default: stated });
    }
    entry = undefined;
  };
  for (const line of help.split("\n")) {
    const start = /^ {2}(-.*?)(?: {2,}(.*))?$/.exec(line);
    if (start) {
      finish();
      const names = [...start[1].matchAll(/(--[a-z][a-z-]*)(?: (<[^>]+>))?/g)]
        .map((m): [string, string] => [m[1], m[2] ?? ""]);
      entry = { names, text: start[2] ?? "" };
    } else if (entry && /^ {4,}\S/.test(line)) {
      entry.text += ` ${line.trim()}`;
    } else {
      finish();
    }
  }
  finish();
  return flags;
}

/** The flags of the README tables in `section` (markdown), by their first column. */
function readmeFlags(section: string): Map<string, ListedFlag> {
  const flags = new Map<string, ListedFlag>();
  for (const line of section.split("\n")) {
    if (!line.startsWith("| `-")) continue;
    const [flagCell, defaultCell] = line.split(/(?<!\\)\|/).slice(1).map((cell) => cell.trim());
    for (const [, text] of flagCell.matchAll(/`(--[^`]+)`/g)) {
      const [, name, placeholder] = /^(--[a-z][a-z-]*)(?: (<[^>]+>))?$/.exec(text) ?? [];
      assert.ok(name, `README flag cell "${flagCell}"`);
      flags.set(name, {
        placeholder: placeholder ?? "",
        default: defaultCell.replace(/^`"?|"?`$/g, ""),
        value: /^`[^`]*`$/.test(defaultCell),
      });
    }
  }
  return flags;
}

/** What does not match between a program's `--help` and its README tables, in words. */
function mismatches(
  program: string,
  help: Map<string, ListedFlag>,
  readme: Map<string, ListedFlag>,
): string[] {
  const problems: string[] = [];
  for (const [name, listed] of help) {
    const row = readme.get(name);
    if (!row) {
      problems.push(`${program} --help lists ${name}; the README table does not`);
      continue;
    }
    if (row.placeholder !== listed.placeholder) {
      problems.push(
        `${program} ${name}: --help writes "${listed.placeholder}", the README "${row.placeholder}"`,
      );
    }
    // A default in backticks in the README is a value; --help must state the same one.
    if (listed.default !== "" ? row.default !== listed.default : row.value) {
      problems.push(
        `${program} ${name}: default "${
          listed.default || "(none stated)"
        }" in --help, "${row.default}" in the README`,
      );
    }
  }
  for (const name of readme.keys()) {
    if (!help.has(name)) problems.push(`the README lists ${program} ${name}; --help does not`);
  }
  return problems;
}

async function helpOf(args: string[]): Promise<string> {
  const entry = args[0] === "client" ? "client" : "server";
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-q", `-P=${entry}`, `${entry}.ts`, ...args.slice(1), "--help"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  return new TextDecoder().decode(output.stdout);
}

/** The part of the README from the line `start` to the next `## ` heading. */
function readmeSection(readme: string, start: string): string {
  const from = readme.indexOf(start);
  assert.ok(from >= 0, `the README has no "${start}"`);
  const end = readme.indexOf("\n## ", from + start.length);
  return readme.slice(from, end < 0 ? undefined : end);
}

Deno.test("README: the flag tables list exactly the flags of each program's --help, with the same defaults", async () => {
  const readme = Deno.readTextFileSync(`${ROOT}README.md`);
  const flagsSection = readmeSection(readme, "## Flags");
  const [serverTables, clientTables] = flagsSection.split("\n`chat-client`:\n");
  assert.ok(clientTables, 'the Flags section has no "`chat-client`:" table');
  const exportTable = readmeSection(readme, "`chat-server export` flags");
  const problems = [
    ...mismatches(
      "chat-server",
      helpFlags(await helpOf(["server"])),
      readmeFlags(serverTables),
    ),
    ...mismatches(
      "chat-server export",
      helpFlags(await helpOf(["server", "export"])),
      readmeFlags(exportTable),
    ),
    ...mismatches(
      "chat-client",
      helpFlags(await helpOf(["client"])),
      readmeFlags(clientTables),
    ),
  ];
  assert.deepEqual(problems, []);
});

Deno.test("README flag check: it sees a flag missing on either side, another placeholder and another default", () => {
  const help = helpFlags(
    [
      "Flags:",
      "  --port <n>         the port (default 7777)",
      "  --cert <file> --key <file>",
      "                     TLS files; by default its own",
      "  --nick <nick>      your nick (default: your user name)",
      "  --quiet            say less",
      "  -h, --help         show this help",
    ].join("\n"),
  );
  assert.deepEqual(Object.fromEntries(help), {
    "--port": { placeholder: "<n>", default: "7777" },
    "--cert": { placeholder: "<file>", default: "" },
    "--key": { placeholder: "<file>", default: "" },
    "--nick": { placeholder: "<nick>", default: "your user name" },
    "--quiet": { placeholder: "", default: "" },
    "--help": { placeholder: "", default: "" },
  });
  const table = [
    "| flag | default | meaning |",
    "| --- | --- | --- |",
    "| `--port <s>` | `7000` | the port |",
    "| `--cert <file>` | own | TLS |",
    "| `--key <file>` | `key.pem` | TLS |",
    "| `--nick <nick>` | your user name | nick |",
    "| `--loud` | | say more |",
    "| `-h`, `--help` | | help |",
  ].join("\n");
  assert.deepEqual(mismatches("p", help, readmeFlags(table)), [
    'p --port: --help writes "<n>", the README "<s>"',
    'p --port: default "7777" in --help, "7000" in the README',
    'p --key: default "(none stated)" in --help, "key.pem" in the README',
    "p --help lists --quiet; the README table does not",
    "the README lists p --loud; --help does not",
  ]);
});
