import assert from "node:assert/strict";
import { NetPair } from "./_net_namespace.ts";
import { delay } from "./_waiting.ts";

const GROUP = "239.255.77.77";
const RECEIVE = `
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 47777))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, struct.pack("4s4s", socket.inet_aton("${GROUP}"), socket.inet_aton("0.0.0.0")))
s.settimeout(20)
print(s.recv(100).decode())
`;
const SEND = `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"hello over the cable", ("${GROUP}", 47777))
`;

async function run(command: string, args: string[]): Promise<string> {
  const result = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(result.stdout) + new TextDecoder().decode(result.stderr);
  assert.ok(result.success, `${command} ${args.join(" ")} failed: ${text}`);
  return text;
}

async function namespaces(): Promise<string> {
  return await run("ip", ["netns", "list"]);
}

Deno.test("NetPair joins two namespaces by a cable that carries multicast, and removes them after", async () => {
  let names: string[];
  {
    await using lan = await NetPair.create();
    names = [lan.a.netns.name, lan.b.netns.name];
    for (const name of names) assert.match(await namespaces(), new RegExp(name));
    // A multicast datagram sent in one namespace arrives in the other...
    const [listenCommand, listenArgs] = lan.b.netns.wrap("/usr/bin/python3", ["-c", RECEIVE]);
    const receiver = new Deno.Command(listenCommand, { args: listenArgs, stdout: "piped" })
      .spawn();
    const received = receiver.output();
    const [sendCommand, sendArgs] = lan.a.netns.wrap("/usr/bin/python3", ["-c", SEND]);
    // The receiver joins the group on its own time: send until it has one (it exits then).
    const sending = (async () => {
      for (let i = 0; i < 100; i++) {
        await run(sendCommand, sendArgs);
        if (await Promise.race([received.then(() => true), delay(100).then(() => false)])) return;
      }
    })();
    await sending;
    assert.equal(new TextDecoder().decode((await received).stdout).trim(), "hello over the cable");
    // ...over routes of its own, and the host itself has no such link.
    for (const side of [lan.a, lan.b]) {
      const routes = await run("ip", ["-n", side.netns.name, "route", "show"]);
      assert.match(routes, new RegExp(`^(multicast )?224\\.0\\.0\\.0/4 dev ${side.device}`, "m"));
    }
    const hostLinks = await run("ip", ["-o", "link", "show"]);
    assert.doesNotMatch(hostLinks, /: lanchat[01][@:]/);
  }
  const after = await namespaces();
  for (const name of names) assert.doesNotMatch(after, new RegExp(name));
});
