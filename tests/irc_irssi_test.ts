/**
 * irssi, a real IRC client, in a real terminal (tmux) on lanchat's port:
 * it registers (CAP, server-time), is put in #lobby, and talks with a
 * native and a text client both ways: messages, /me and private messages.
 * Skipped where irssi or tmux is not installed (`.ci/run` installs both).
 */

import assert from "node:assert/strict";
import { startServer } from "./_in_process_server.ts";
import { NativeClient } from "./_native_client.ts";
import { TextClient } from "./_text_client.ts";
import { TmuxSession } from "./_tmux.ts";

function installed(program: string): boolean {
  try {
    return new Deno.Command("sh", { args: ["-c", `command -v ${program}`] }).outputSync().success;
  } catch {
    return false;
  }
}

const ready = installed("irssi") && installed("tmux");

Deno.test({
  name: "irssi joins #lobby and talks with a native and a text client both ways",
  ignore: !ready,
  async fn() {
    await using server = await startServer();
    const port = server.addr.port;
    const home = await Deno.makeTempDir({ prefix: "lanchat-irssi-" });
    try {
      await using irssi = await TmuxSession.start(
        `irssi --home=${home} -n irssiana -c 127.0.0.1 -p ${port}`,
        120,
        30,
      );
      const shows = (text: string) =>
        irssi.waitFor((rows) => rows.some((row) => row.includes(text)));
      await shows("Welcome to lanchat, a lanchat server, irssiana");
      // irssi asks for multi-prefix too now that it is offered.
      await shows("Capabilities acknowledged: multi-prefix server-time");
      await using nat = await NativeClient.connect(port, "nat");
      await using txt = await TextClient.connect(port, "txt");
      // Window 2 is #lobby, which lanchat put irssi in.
      await irssi.type("/window 2");
      await irssi.press("Enter");
      await shows("txt [txt@lanchat] has joined #lobby");
      await nat.send({ type: "msg", text: "hello from native" });
      await shows("< nat> hello from native");
      await txt.sendLine("hello from nc");
      await shows("< txt> hello from nc");
      await irssi.type("hi from irssi, ç 😀");
      await irssi.press("Enter");
      const said = await nat.next("msg", (e) => e.from === "irssiana");
      assert.equal(said.text, "hi from irssi, ç 😀");
      await txt.waitLine((l) => l.endsWith("<irssiana> hi from irssi, ç 😀"));
      await irssi.type("/me waves");
      await irssi.press("Enter");
      const action = await nat.next("msg", (e) => e.kind === "action");
      assert.deepEqual([action.from, action.text], ["irssiana", "waves"]);
      await txt.sendLine("/me nods");
      await shows("* txt nods");
      await irssi.type("/msg nat psst");
      await irssi.press("Enter");
      const dm = await nat.next("dm");
      assert.deepEqual([dm.from, dm.to, dm.text], ["irssiana", "nat", "psst"]);
      await txt.sendLine("/msg irssiana back at you");
      // The private message opened a query window: show it.
      await irssi.type("/query txt");
      await irssi.press("Enter");
      await shows("<txt> back at you");
      await irssi.type("/quit bye all");
      await irssi.press("Enter");
      const left = await nat.next("leave", (e) => e.nick === "irssiana");
      assert.equal(left.reason, "quit");
    } finally {
      await Deno.remove(home, { recursive: true });
    }
  },
});
