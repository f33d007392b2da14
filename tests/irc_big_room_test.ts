/**
 * A big room over IRC (lanchat's auditorium mode): past the announce limit a
 * joiner's names are a partial list and joins are not shown one by one, and
 * an IRC client is told so; NAMES still lists everyone. Real sockets on
 * 127.0.0.1.
 */

import assert from "node:assert/strict";
import { startServer } from "./_in_process_server.ts";
import { LinePeer } from "./_line_peer.ts";

/** A raw IRC client: lines in, lines out. */
class Irc extends LinePeer {
  static async register(port: number, nick: string): Promise<Irc> {
    const irc = new Irc(await Deno.connect({ hostname: "127.0.0.1", port }));
    await irc.write(`NICK ${nick}\r\nUSER ${nick} 0 * :${nick}\r\n`);
    await irc.waitLine((line) => line.includes(" 366 "));
    return irc;
  }
}

Deno.test("a joiner of a room over the announce limit is told its names are partial, and NAMES lists everyone", async () => {
  await using server = await startServer({ announceLimit: 3, announceRate: false });
  const port = server.addr.port;
  await using ana = await Irc.register(port, "ana");
  await using _bo = await Irc.register(port, "bo");
  await using cy = await Irc.register(port, "cy");
  // Three members: the room is within the limit, joins are shown, no notice.
  await ana.waitLine((line) => line.startsWith(":cy!") && line.includes(" JOIN "));
  assert.ok(!cy.lines.some((line) => line.includes(" NOTICE #lobby ")), cy.lines.join("\n"));

  await using dee = await Irc.register(port, "dee");
  const notice = await dee.waitLine((line) => line.includes(" NOTICE #lobby "));
  assert.equal(
    notice,
    ":lanchat NOTICE #lobby :#lobby has 4 members; the list above shows 3 of them, and in a " +
      "room this big joins and leaves are not shown one by one. NAMES #lobby or WHO #lobby " +
      "lists everyone",
  );
  const names = dee.lines.find((line) => line.includes(" 353 "));
  assert.equal(names, ":lanchat 353 dee = #lobby :ana bo cy");

  // dee's join is not announced, but what dee says arrives with dee's nick.
  const from = ana.lines.length;
  await dee.write("PRIVMSG #lobby :hello from the back\r\n");
  await ana.waitLine((line) => line.includes("PRIVMSG #lobby :hello from the back"), from);
  assert.ok(!ana.lines.some((line) => line.startsWith(":dee!") && line.includes(" JOIN ")));

  // NAMES asked for is the whole room.
  const asked = dee.lines.length;
  await dee.write("NAMES #lobby\r\n");
  await dee.waitLine((line) => line.includes(" 366 "), asked);
  const listed = dee.lines.slice(asked).filter((line) => line.includes(" 353 "))
    .flatMap((line) => line.slice(line.lastIndexOf(":") + 1).split(" "));
  assert.deepEqual(listed.sort(), ["ana", "bo", "cy", "dee"]);
});
