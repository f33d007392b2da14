/**
 * What type a shared file is served as. Only a short list of raster image
 * types may ever be shown inline, and a file is one of them only when its
 * first bytes say so (a `.png` that is HTML inside is not); everything else
 * (SVG and HTML above all: they can carry script) is a download.
 *
 * @module
 */

/** Image types a browser may show inline from the chat's origin: none runs script. */
export const INLINE_IMAGE_TYPES: ReadonlySet<string> = new Set([
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp",
]);

/** The image type of a file's first bytes (at least 12), from its magic number, if one of {@linkcode INLINE_IMAGE_TYPES}. */
export function sniffImageType(head: Uint8Array): string | undefined {
  const starts = (bytes: number[], at = 0) => bytes.every((byte, i) => head[at + i] === byte);
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (starts([0xff, 0xd8, 0xff])) return "image/jpeg";
  if (starts([0x47, 0x49, 0x46, 0x38]) && (head[4] === 0x37 || head[4] === 0x39)) {
    return "image/gif";
  }
  if (starts([0x52, 0x49, 0x46, 0x46]) && starts([0x57, 0x45, 0x42, 0x50], 8)) return "image/webp";
  return undefined;
}

/** Types by a name's extension, for files that are not a sniffed inline image. */
const BY_EXTENSION: Readonly<Record<string, string>> = {
  txt: "text/plain",
  log: "text/plain",
  md: "text/markdown",
  csv: "text/csv",
  json: "application/json",
  pdf: "application/pdf",
  zip: "application/zip",
  gz: "application/gzip",
  tgz: "application/gzip",
  tar: "application/x-tar",
  "7z": "application/x-7z-compressed",
  mp3: "audio/mpeg",
  ogg: "audio/ogg",
  wav: "audio/wav",
  mp4: "video/mp4",
  webm: "video/webm",
  mov: "video/quicktime",
  doc: "application/msword",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  odt: "application/vnd.oasis.opendocument.text",
  html: "text/html",
  htm: "text/html",
  svg: "image/svg+xml",
};

/**
 * The type a file is stored and shown with, decided by the server whatever
 * the sender declared (a browser and chat-client then agree): the sniffed
 * inline image type; else the type of the name's extension (never an inline
 * image type: a `.png` that is no PNG is a download); else
 * `application/octet-stream`. Only the inline types are served as such;
 * the rest is an `application/octet-stream` attachment (`file_routes.ts`).
 */
export function storedType(sniffed: string | undefined, name: string): string {
  if (sniffed) return sniffed;
  const dot = name.lastIndexOf(".");
  const type = dot > 0 ? BY_EXTENSION[name.slice(dot + 1).toLowerCase()] : undefined;
  return type ?? "application/octet-stream";
}

/** Whether a stored file may be shown inline: one of {@linkcode INLINE_IMAGE_TYPES}. */
export function servedInline(type: string): boolean {
  return INLINE_IMAGE_TYPES.has(type);
}
