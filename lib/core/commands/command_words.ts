/**
 * The words of the two commands a client must recognise by itself (a
 * queued `/quit` is not replayed after a reconnect; a `/nick` that went
 * through changes the nick to reclaim), apart from their handlers, so that
 * a client does not pull in the whole command table (and the nick rules'
 * look-alike tables: 250 KB of the web page's bundle).
 *
 * @module
 */

/** `/quit` and its aliases; the first is its name. */
export const QUIT_WORDS: readonly ["quit", ...string[]] = ["quit", "exit", "bye"];
/** `/nick`. */
export const NICK_WORD = "nick";

/** Whether `name`, as typed (any case), is `/quit` or one of its aliases. */
export function isQuitWord(name: string): boolean {
  return QUIT_WORDS.includes(name.toLowerCase());
}

/** Whether `name`, as typed (any case), is `/nick`. */
export function isNickWord(name: string): boolean {
  return name.toLowerCase() === NICK_WORD;
}
