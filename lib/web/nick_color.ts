/**
 * Stable nick colours: the same nick gets the same colour on every page
 * and every visit (a hash of its folded form picks one of
 * {@linkcode NICK_COLORS} classes; app.css gives each a colour with enough
 * contrast in the light and the dark theme). A class, not a style: the
 * page's Content-Security-Policy allows no inline style.
 *
 * @module
 */

import { foldRoom } from "../core/room_name.ts";

/** How many nick colours app.css defines (`nick-c0` ... `nick-c11`). */
export const NICK_COLORS = 12;

/** The CSS class of `nick`'s colour (FNV-1a of the folded nick). */
export function nickColorClass(nick: string): string {
  let hash = 0x811c9dc5;
  for (const unit of foldRoom(nick)) {
    hash ^= unit.codePointAt(0)!;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `nick-c${hash % NICK_COLORS}`;
}
