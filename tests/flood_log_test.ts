/**
 * A member dropped for flooding, as the operator reads it in the server's
 * log (server.ts, stderr): `event=limit reason=flooding`, and its
 * disconnect says why, for IRC and text clients alike.
 */

import assert from "node:assert/strict";
import { runServer } from "./_entry_process.ts";
import { IrcClient } from "./_irc_client.ts";
import { TextClient } from "./_text_client.ts";

Deno.test("a client dropped for flooding is logged as event=limit reason=flooding, its disconnect as dropped", async () => {
  const { server, port } = await runServer();
  try {
    await using irc = await IrcClient.registered(port, "ircflood");
    await irc.send(...Array.from({ length: 300 }, (_, i) => `PRIVMSG #lobby :spam ${i}`));
    assert.match(await irc.command("ERROR"), /Disconnected for flooding/);
    await using text = await TextClient.connect(port, "textflood");
    await text.write(Array.from({ length: 300 }, (_, i) => `spam ${i}\n`).join(""));
    await text.waitLine((line) => line.includes("Disconnected for flooding"));
    for (const nick of ["ircflood", "textflood"]) {
      await server.waitStderr((line) =>
        / level=warn event=limit /.test(line) && line.includes(`nick=${nick} reason=flooding`)
      );
      const bye = await server.waitStderr((line) =>
        line.includes("event=disconnect") && line.includes(`nick=${nick} `)
      );
      assert.match(bye, /reason=dropped detail="Disconnected for flooding: more than \d+ messages/);
    }
  } finally {
    server.kill("SIGTERM");
    await server.finished();
  }
});
