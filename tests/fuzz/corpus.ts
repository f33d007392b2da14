/**
 * The fuzzer's corpus for client-to-server cases: bytes that matter to JSON,
 * UTF-8, line splitting or telnet; pieces of text; nicks, rooms and command
 * names; values of the wrong type; frame types.
 *
 * @module
 */

/** Bytes that matter to JSON, UTF-8, line splitting or telnet. */
export const SPECIAL_BYTES = [
  ...[0x00, 0x09, 0x0a, 0x0d, 0x1b, 0x20, 0x22, 0x2c, 0x3a, 0x5b, 0x5c, 0x5d, 0x7b, 0x7d, 0x7f],
  ...[0x80, 0xbf, 0xc0, 0xc1, 0xc3, 0xe2, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xf8, 0xfe, 0xff],
];
/** Byte sequences that trip up a decoder: invalid UTF-8, telnet commands, odd line ends. */
export const ODD_SEQUENCES = [
  [0xff], // never valid UTF-8; telnet IAC
  [0xc0, 0xaf], // overlong "/"
  [0xed, 0xa0, 0x80], // encoded surrogate
  [0xf4, 0x90, 0x80, 0x80], // past U+10FFFF
  [0xe2, 0x82], // truncated sequence
  [0x80], // lone continuation byte
  [0xef, 0xbb, 0xbf], // byte-order mark (valid)
  [0x00],
  [0x0d, 0x00], // telnet CR NUL
  [0xff, 0xfb, 0x1f], // IAC WILL NAWS
  [0xff, 0xfd, 0x01], // IAC DO ECHO
  [0xff, 0xfa, 0x18, 0x00, 0x78, 0x74, 0x65, 0x72, 0x6d, 0xff, 0xf0], // terminal-type subnegotiation
  [0xff, 0xff], // escaped IAC
  [0x0d], // lone CR
];
/** Pieces of message text: scripts, emoji, controls, escapes, lone surrogates. */
export const TEXT_PIECES = [
  "hi",
  "hello world",
  "é",
  "日本語",
  "😀",
  "\u0000",
  "\x07",
  "\x1b[31mred\x1b[0m",
  "\x1b]0;title\x07",
  "\x1b[2J",
  "\u009b31m",
  "\u202eevil",
  "\u200b",
  "\t",
  "\r\n",
  "\n",
  "\r",
  "\ud800",
  "\udc00",
  "   ",
  "//etc",
  "\\",
  '"',
  "{}",
  "#lobby",
];
/** Nicks, valid and not. */
export const NICKS = [
  "ana",
  "bo",
  "Ana",
  "ＡＮＡ",
  "admin",
  "a b",
  "",
  " ",
  "-x",
  "é",
  "x".repeat(30),
];
/** Room names, valid and not. */
export const ROOMS = [
  "#lobby",
  "lobby",
  "#LOBBY",
  "#fz",
  "fz2",
  "#bad/room",
  "",
  "#",
  "#" + "r".repeat(40),
];
/** Command names, known and not. */
export const COMMAND_NAMES = [
  "join",
  "part",
  "leave",
  "who",
  "names",
  "rooms",
  "help",
  "me",
  "msg",
  "dm",
  "nick",
  "dance",
  "",
  "/join",
  "HELP",
];
/** The names of /quit. */
export const QUIT_NAMES = ["quit", "EXIT", "bye"];
/** Values of the wrong type for any field. */
export const WRONG_VALUES: unknown[] = [
  0,
  1,
  -1,
  1.5,
  1e300,
  null,
  true,
  false,
  [],
  {},
  ["x"],
  { a: 1 },
  "",
];
/** The frame types a client sends. */
export const FRAME_TYPES = ["hello", "auth", "msg", "cmd", "input", "ping", "pong"];
