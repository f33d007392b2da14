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

/** A media type as a sender may give it: `type/subtype`, no parameters. */
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$/;

/**
 * The type a file is stored and served with: the sniffed image type; else
 * the sender's, if well formed and not claiming to be an inline image it is
 * not; else `application/octet-stream`.
 */
export function storedType(sniffed: string | undefined, declared: string | undefined): string {
  if (sniffed) return sniffed;
  const type = (declared ?? "").split(";")[0].trim().toLowerCase();
  if (!MEDIA_TYPE.test(type) || INLINE_IMAGE_TYPES.has(type)) return "application/octet-stream";
  return type;
}

/** Whether a stored file may be shown inline: one of {@linkcode INLINE_IMAGE_TYPES}. */
export function servedInline(type: string): boolean {
  return INLINE_IMAGE_TYPES.has(type);
}
