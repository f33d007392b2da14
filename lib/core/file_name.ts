/**
 * A shared file's name made safe for every file system a receiver may save
 * it on (Windows, macOS, Linux, FAT on a stick): no path separators, no
 * characters Windows refuses, no control or direction-changing characters,
 * no leading dot (a hidden file, `..`), no trailing dot or space (Windows
 * drops them), no reserved device name (`CON`, `nul.txt`, `COM1`), at most
 * {@linkcode MAX_FILE_NAME_BYTES} bytes of UTF-8 with the extension kept.
 * The server cleans a name once, where it arrives; a client cleans it again
 * where it saves.
 *
 * @module
 */

/** Most UTF-8 bytes of a cleaned name (file systems allow 255; room for ` (2)` and the like). */
export const MAX_FILE_NAME_BYTES = 200;

/** The name given to a file whose name cleans to nothing. */
export const FALLBACK_FILE_NAME = "file";

/** Characters Windows refuses in a name, and both path separators. */
const FORBIDDEN = /[/\\:*?"<>|]/g;
/** C0 and C1 controls, DEL. */
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;
/** Invisible and direction-changing characters (a name that shows `gpj.exe` as `exe.jpg`). */
const INVISIBLE = /[\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;
/**
 * Windows device names, reserved in any case, with any extension and with
 * spaces before it (`con.txt`, `Com1`, `CON .txt`, `nul .tar.gz`): Windows
 * reads the part before the first dot, trailing spaces dropped.
 */
const RESERVED = /^(?:con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$) *(?:\..*)?$/i;

/**
 * `name` made safe to save anywhere (see the module doc); never empty, never
 * a path. Unpaired surrogates become U+FFFD.
 */
export function cleanFileName(name: string): string {
  let cleaned = name.toWellFormed().normalize("NFC")
    .replace(CONTROLS, "")
    .replace(INVISIBLE, "")
    .replace(FORBIDDEN, "_")
    .replace(/\s+/g, " ")
    .replace(/^[\s.]+|[\s.]+$/g, "");
  if (RESERVED.test(cleaned)) cleaned = `_${cleaned}`;
  cleaned = shorten(cleaned, MAX_FILE_NAME_BYTES).replace(/[\s.]+$/g, "");
  return cleaned === "" ? FALLBACK_FILE_NAME : cleaned;
}

const encoder = new TextEncoder();

/** `name` cut to `limit` UTF-8 bytes at a character boundary, its extension (≤ 16 bytes) kept. */
function shorten(name: string, limit: number): string {
  if (encoder.encode(name).length <= limit) return name;
  const dot = name.lastIndexOf(".");
  const extension = dot > 0 && encoder.encode(name.slice(dot)).length <= 16 ? name.slice(dot) : "";
  const room = limit - encoder.encode(extension).length;
  let stem = "";
  let bytes = 0;
  for (const char of name.slice(0, name.length - extension.length)) {
    const size = encoder.encode(char).length;
    if (bytes + size > room) break;
    stem += char;
    bytes += size;
  }
  return stem.replace(/[\s.]+$/g, "") + extension;
}

/**
 * A `Content-Disposition` value for `name` (already cleaned): an ASCII
 * fallback in `filename` and the exact name in `filename*` (RFC 6266).
 */
export function contentDisposition(kind: "attachment" | "inline", name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, "_").replace(/["\\%]/g, "_");
  const exact = encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16)}`,
  );
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${exact}`;
}

/** Bytes for people: `512 B`, `1.5 KiB`, `12 MiB`, `1.1 GiB`. */
export function formatSize(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 10 ? 0 : 1;
  return `${value.toFixed(digits)} ${units[unit]}`;
}
