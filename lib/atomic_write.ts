/**
 * Writing a file so that a crash never leaves half of it: a temporary file
 * beside it, then a rename.
 *
 * @module
 */

/** Writes `text` to `path` via a temporary file and a rename, with `mode` (not on Windows). */
export function writeAtomically(path: string, text: string, mode: number): void {
  const temporary = `${path}.${crypto.randomUUID()}.tmp`;
  Deno.writeTextFileSync(temporary, text, { mode, createNew: true });
  try {
    // The mode given on create is masked by the umask; Windows has no modes.
    if (Deno.build.os !== "windows") Deno.chmodSync(temporary, mode);
    Deno.renameSync(temporary, path);
  } catch (error) {
    try {
      Deno.removeSync(temporary);
    } catch {
      // Nothing to clean up.
    }
    throw error;
  }
}
