// What it costs to use a string as a Map key for the first time: V8 computes the string's hash
// then and keeps it in the string, so a later lookup with the same string object is cheap. A chat
// server meets fresh strings at every join (the nick read from the socket, its folded form, its
// look-alike skeletons, the peer's address) and uses each as a key at once.
//
// Runs under both runtimes, to compare them on one machine:
//   deno run bench/reference/string_hash_cost.mjs
//   node bench/reference/string_hash_cost.mjs
// It prints nanoseconds per lookup, the median of the rounds after the warm-up ones: a lookup with
// fresh strings of 8 and of 64 characters, then the same lookups again with those strings (hash
// already computed), and one Map.set of fresh strings into a growing Map.

const STRINGS = 20_000;
const ROUNDS = 11;
const WARM_UP = 3;

// Not empty: a lookup in an empty Map may return before hashing its key.
const keys = new Map([["server", 1], ["admin", 2], ["root", 3], ["op", 4], ["lanchat", 5]]);

/** Fresh flat strings, like a nick sliced from a line: `length` characters, distinct per round. */
function fresh(round, length) {
  const out = new Array(STRINGS);
  for (let i = 0; i < STRINGS; i++) out[i] = `n${round}x${i}-`.padEnd(length, "abcdefgh");
  return out;
}

function lookups(strings) {
  const start = performance.now();
  let found = 0;
  for (let i = 0; i < strings.length; i++) if (keys.get(strings[i]) !== undefined) found++;
  const ns = (performance.now() - start) * 1e6 / strings.length;
  if (found !== 0) throw new Error("a fresh string matched a key");
  return ns;
}

function inserts(strings) {
  const map = new Map();
  const start = performance.now();
  for (let i = 0; i < strings.length; i++) map.set(strings[i], i);
  const ns = (performance.now() - start) * 1e6 / strings.length;
  if (map.size !== strings.length) throw new Error("lost an insert");
  return ns;
}

const rows = {
  "Map.get, fresh 8-character strings": [],
  "Map.get, the same strings again": [],
  "Map.get, fresh 64-character strings": [],
  "Map.get, the same strings again ": [],
  "Map.set, fresh 8-character strings": [],
};
const names = Object.keys(rows);
for (let round = 0; round < ROUNDS; round++) {
  const short = fresh(round, 8);
  const long = fresh(round, 64);
  const figures = [
    lookups(short),
    lookups(short),
    lookups(long),
    lookups(long),
    inserts(fresh(round + ROUNDS, 8)),
  ];
  if (round >= WARM_UP) figures.forEach((ns, i) => rows[names[i]].push(ns));
}

const median = (list) => [...list].sort((a, b) => a - b)[list.length >> 1];
const runtime = typeof Deno === "object"
  ? `Deno ${Deno.version.deno} (V8 ${Deno.version.v8})`
  : `Node ${process.version} (V8 ${process.versions.v8})`;
console.log(`${runtime}: ns per operation, median of ${ROUNDS - WARM_UP} rounds`);
for (const name of names) {
  console.log(`  ${name.trim().padEnd(40)} ${median(rows[name]).toFixed(0)}`);
}
