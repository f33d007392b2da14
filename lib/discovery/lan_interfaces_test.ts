import assert from "node:assert/strict";
import { lanInterfaces, type MachineAddress, onSubnet } from "./lan_interfaces.ts";

const MACHINE: MachineAddress[] = [
  { name: "lo", family: "IPv4", address: "127.0.0.1", netmask: "255.0.0.0" },
  {
    name: "lo",
    family: "IPv6",
    address: "::1",
    netmask: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
  },
  { name: "eth0", family: "IPv4", address: "192.168.1.20", netmask: "255.255.255.0" },
  { name: "eth0", family: "IPv6", address: "fe80::20%eth0", netmask: "ffff:ffff:ffff:ffff::" },
  { name: "wlan0", family: "IPv4", address: "10.0.0.7", netmask: "255.255.0.0" },
];

Deno.test("lanInterfaces() gives every interface but loopback to a server on every interface", () => {
  assert.deepEqual(lanInterfaces(["::"], MACHINE), [
    {
      name: "eth0",
      address: "192.168.1.20",
      netmask: "255.255.255.0",
      addresses: ["192.168.1.20", "fe80::20"],
    },
    { name: "wlan0", address: "10.0.0.7", netmask: "255.255.0.0", addresses: ["10.0.0.7"] },
  ]);
  assert.deepEqual(lanInterfaces(["0.0.0.0"], MACHINE)[0].addresses, ["192.168.1.20"]);
});

Deno.test("lanInterfaces() gives a server bound to one address its interface, and one bound to loopback none", () => {
  assert.deepEqual(lanInterfaces(["10.0.0.7"], MACHINE).map((i) => i.name), ["wlan0"]);
  assert.deepEqual(lanInterfaces(["::ffff:10.0.0.7"], MACHINE).map((i) => i.name), ["wlan0"]);
  assert.deepEqual(lanInterfaces(["127.0.0.1"], MACHINE), []);
  assert.deepEqual(lanInterfaces(["::1"], MACHINE), []);
  assert.deepEqual(lanInterfaces(["127.0.0.1", "::1"], MACHINE), []);
});

Deno.test("onSubnet() tells whether a query came from an interface's network", () => {
  const eth0 = { address: "192.168.1.20", netmask: "255.255.255.0" };
  assert.equal(onSubnet("192.168.1.99", eth0), true);
  assert.equal(onSubnet("::ffff:192.168.1.99", eth0), true);
  assert.equal(onSubnet("192.168.2.99", eth0), false);
});
