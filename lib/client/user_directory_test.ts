import assert from "node:assert/strict";
import { shownPath, taskStartDirectory } from "./user_directory.ts";

Deno.test("taskStartDirectory() is INIT_CWD when the client runs where its entry point is", () => {
  const main = "file:///home/ana/lanchat/client.ts";
  assert.equal(taskStartDirectory("/home/ana/work", "/home/ana/lanchat", main), "/home/ana/work");
  assert.equal(taskStartDirectory("/home/ana/work", "/home/ana/lanchat/", main), "/home/ana/work");
  // Typed in the checkout, or run elsewhere (deno run from another directory): stay.
  assert.equal(taskStartDirectory("/home/ana/lanchat", "/home/ana/lanchat", main), undefined);
  assert.equal(taskStartDirectory("/home/ana/work", "/tmp", main), undefined);
  assert.equal(taskStartDirectory(undefined, "/home/ana/lanchat", main), undefined);
  assert.equal(taskStartDirectory("", "/home/ana/lanchat", main), undefined);
  // A compiled binary's entry point is not on the disk.
  assert.equal(taskStartDirectory("/home/ana/work", "/home/ana/lanchat", "jsr:@x/y"), undefined);
  // Spaces in the checkout's path are %20 in the URL.
  assert.equal(
    taskStartDirectory("/w", "/home/ana/my lanchat", "file:///home/ana/my%20lanchat/client.ts"),
    "/w",
  );
});

Deno.test("shownPath() names the directory a relative path is read in", () => {
  const cwd = () => "/home/ana/work";
  assert.equal(shownPath("notes.txt", cwd), "notes.txt (/home/ana/work/notes.txt)");
  assert.equal(shownPath("./a/notes.txt", cwd), "./a/notes.txt (/home/ana/work/a/notes.txt)");
  assert.equal(shownPath("/etc/hostname", cwd), "/etc/hostname");
  assert.equal(shownPath("C:\\notes.txt", cwd), "C:\\notes.txt");
});
