import assert from "node:assert/strict";
import { taskStartDirectory } from "./task_start_directory.ts";

Deno.test("taskStartDirectory() is INIT_CWD when the program runs where its entry point is", () => {
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
