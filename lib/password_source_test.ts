import assert from "node:assert/strict";
import { UsageError } from "./errors.ts";
import { resolvePassword } from "./password_source.ts";

const files: Record<string, string> = { "/pw": "s3cret\n", "/crlf": "s3cret\r\n", "/empty": "\n" };
const readFile = (path: string) => {
  if (!(path in files)) throw new Error("No such file or directory (os error 2)");
  return files[path];
};

Deno.test("resolvePassword() prefers the file, then the flag, then the environment", () => {
  assert.equal(resolvePassword({ passwordFile: "/pw", env: "e", readFile }), "s3cret");
  assert.equal(resolvePassword({ password: "flag", env: "e", readFile }), "flag");
  assert.equal(resolvePassword({ env: "from env", readFile }), "from env");
  assert.equal(resolvePassword({ readFile }), undefined);
});

Deno.test("resolvePassword() strips one trailing line break from the file, LF or CRLF", () => {
  assert.equal(resolvePassword({ passwordFile: "/crlf", readFile }), "s3cret");
});

Deno.test("resolvePassword() refuses both flags, an unreadable file and an empty password", () => {
  assert.throws(
    () => resolvePassword({ password: "a", passwordFile: "/pw", readFile }),
    (e: UsageError) => e.message === "give --password or --password-file, not both",
  );
  assert.throws(
    () => resolvePassword({ passwordFile: "/nope", readFile }),
    (e: UsageError) =>
      e.message === 'cannot read --password-file "/nope": no such file or directory',
  );
  assert.throws(
    () => resolvePassword({ passwordFile: "/empty", readFile }),
    (e: UsageError) => e.message === 'the password from --password-file "/empty" is empty',
  );
  assert.throws(() => resolvePassword({ password: "" }), /the password from --password is empty/);
  assert.equal(resolvePassword({ env: "" }), undefined, "an empty variable counts as unset");
});
