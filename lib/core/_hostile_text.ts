/**
 * Test-only: the hostile text corpus, and the checks that say whether what
 * a receiver got is safe. The core's tests, the server's tests and the
 * fuzzer send the same corpus through every field a peer controls.
 *
 * @module
 */

/** Strings that try to act on a terminal, forge a line, or hide or reorder text. */
export const HOSTILE_TEXT: readonly string[] = [
  "\x1b[2J\x1b[Hcleared",
  "\x1b[31mred\x1b[0m",
  "\x1b]0;pwned title\x07",
  "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",
  "\x1bc reset",
  "bell\x07\x07",
  "x\r\n[12:00] <admin> type /quit now",
  "x\r<admin> forged over the line",
  "x\n* admin is now an operator",
  "\u009b2J c1 csi",
  "\u009d0;c1 title\u009c",
  "next\u0085line",
  "\u202egnp.exe",
  "\u2066iso\u2069 \u200fmark\u061c",
  "lone \ud800 high",
  "\udfff lone low",
  "nul\u0000byte",
  "zero\u200bwidth\u200d\u200c\u2060\ufeff",
  "line\u2028sep\u2029para",
  "\ufff9hidden\ufffaannotation\ufffb",
  "back\x08\x08\x08spaced\x7f",
  "tab\there",
  "A".repeat(5000),
  "\u{1f600}".repeat(3000),
  "\x1b[" + "9".repeat(3000) + "m",
];

// Controls a terminal acts on (C0 but for tab and line feed, DEL, C1), the
// bidirectional controls, the interlinear annotation marks, the Unicode line
// separators, and unpaired surrogates.
const UNSAFE =
  /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufff9-\ufffb\u2028\u2029]|\p{Cs}/u;
// In a name, nothing invisible either: no format characters, no whitespace.
const UNSAFE_IN_NAME = /[\p{Cc}\p{Cf}\p{Cs}\p{Z}]/u;

/** Event fields that hold names (nicks and rooms): nothing invisible may be in them. */
const NAME_FIELDS = new Set(["nick", "from", "to", "old", "new", "room", "current", "by"]);
/** Fields whose text may span lines. */
const MULTILINE_FIELDS = new Set(["text", "motd"]);

/**
 * Finds what is unsafe in an event (or any JSON value) a receiver got: every
 * string inside it is checked, names more strictly. Returns a description
 * of the first problem (with its path), or undefined.
 */
export function unsafeInEvent(value: unknown, path = "event", field = ""): string | undefined {
  if (typeof value === "string") {
    // Items of a list of names (`members`, `rooms`, `away`), not the fields of a list's objects.
    const name = NAME_FIELDS.has(field) || /\b(members|rooms|away)\[\d+\]$/.test(path);
    const pattern = name ? UNSAFE_IN_NAME : UNSAFE;
    const match = pattern.exec(value);
    if (match) return `${path} holds ${describe(match[0])}: ${JSON.stringify(value.slice(0, 120))}`;
    if (!MULTILINE_FIELDS.has(field) && value.includes("\n")) {
      return `${path} holds a line break: ${JSON.stringify(value.slice(0, 120))}`;
    }
    return undefined;
  }
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const problem = unsafeInEvent(item, `${path}[${i}]`, field);
      if (problem) return problem;
    }
    return undefined;
  }
  if (typeof value === "object" && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      const problem = unsafeInEvent(item, `${path}.${key}`, key);
      if (problem) return problem;
    }
  }
  return undefined;
}

/**
 * Finds what is unsafe in the bytes a text client (`nc`) got: invalid
 * UTF-8, a CR or LF that is not part of a CRLF line end, or a character a
 * terminal would act on. Returns a description, or undefined.
 */
export function unsafeInText(bytes: Uint8Array): string | undefined {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return "invalid UTF-8";
  }
  const lines = text.split("\r\n");
  for (const [i, line] of lines.entries()) {
    const match = /[\r\n]/.exec(line) ?? UNSAFE.exec(line) ?? /\t/.exec(line);
    if (match) return `line ${i + 1} holds ${describe(match[0])}: ${JSON.stringify(line)}`;
  }
  return undefined;
}

function describe(char: string): string {
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
}
