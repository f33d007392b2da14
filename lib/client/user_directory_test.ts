import assert from "node:assert/strict";
import { shownPath } from "./user_directory.ts";

Deno.test("shownPath() names the directory a relative path is read in", () => {
  const cwd = () => "/home/ana/work";
  assert.equal(shownPath("notes.txt", cwd), "notes.txt (/home/ana/work/notes.txt)");
  assert.equal(shownPath("./a/notes.txt", cwd), "./a/notes.txt (/home/ana/work/a/notes.txt)");
  assert.equal(shownPath("/etc/hostname", cwd), "/etc/hostname");
  assert.equal(shownPath("C:\\notes.txt", cwd), "C:\\notes.txt");
});
