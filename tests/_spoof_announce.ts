/**
 * Announces a `_lanchat._tcp` service with the TXT record given, as anyone
 * on a LAN could (bonjour-service, the way a stranger's script would), and
 * prints "published" once it is up; says goodbye when stdin closes. Run it
 * inside a test's own network namespace only.
 * Usage: deno run -A tests/_spoof_announce.ts <interface address> <port> <name> <key=value>...
 *
 * @module
 */

import { Bonjour, type ServiceConfig } from "bonjour-service";

const [address, port, name, ...pairs] = Deno.args;
const txt = Object.fromEntries(pairs.map((pair) => pair.split(/=(.*)/s).slice(0, 2)));
const socket = { interface: address, bind: "0.0.0.0" } as Partial<ServiceConfig>;
const bonjour = new Bonjour(socket, (error: Error) => console.error(error.message));
const service = bonjour.publish({
  name,
  type: "lanchat",
  port: Number(port),
  txt,
  host: "spoof.local",
  disableIPv6: true,
});
service.on("up", () => console.log("published"));
for await (const _ of Deno.stdin.readable) {
  // Until stdin closes.
}
await new Promise<void>((resolve) => bonjour.unpublishAll(() => resolve()));
await new Promise<void>((resolve) => bonjour.destroy(() => resolve()));
