/**
 * Network namespaces for tests of a server that listens on every interface,
 * and pairs of them joined by a cable for tests of LAN discovery (mDNS).
 *
 * @module
 */

/**
 * A network namespace of the test's own with only its loopback up: a
 * server that listens on every interface (the default) is reachable there
 * from processes run inside it, and from nowhere else. Needs root (`ip
 * netns`), as CI has.
 */
export class NetNamespace implements AsyncDisposable {
  /** The namespace's name, as `ip netns` knows it. */
  readonly name: string;

  private constructor(name: string) {
    this.name = name;
  }

  /** Adds a namespace with a fresh name and brings its loopback up. */
  static async create(): Promise<NetNamespace> {
    const name = `lanchat-test-${crypto.randomUUID().slice(0, 8)}`;
    await ip(["netns", "add", name]);
    await ip(["-n", name, "link", "set", "lo", "up"]);
    return new NetNamespace(name);
  }

  /** The command and arguments that run `command args` inside the namespace. */
  wrap(command: string, args: string[]): [string, string[]] {
    return ["ip", ["netns", "exec", this.name, command, ...args]];
  }

  /** Deletes the namespace. */
  async [Symbol.asyncDispose](): Promise<void> {
    await ip(["netns", "delete", this.name]);
  }
}

async function ip(args: string[]): Promise<void> {
  const result = await new Deno.Command("ip", { args, stderr: "piped" }).output();
  if (!result.success) {
    throw new Error(
      `ip ${args.join(" ")} failed (network namespaces need root): ${
        new TextDecoder().decode(result.stderr).trim()
      }`,
    );
  }
}

/** One side of a {@linkcode NetPair}: a namespace and its end of the veth cable. */
export interface LanSide {
  /** The namespace; `wrap()` runs a process inside it. */
  netns: NetNamespace;
  /** The veth interface inside it, e.g. `lanchat0`. */
  device: string;
  /** Its IPv4 address on the cable, without the prefix length. */
  address: string;
}

/**
 * Two network namespaces of the test's own joined by a veth pair: a LAN of
 * two machines that nothing outside can hear. Each side has one IPv4
 * address (10.77.0.1 and 10.77.0.2, /24), its loopback, and a route for
 * 224.0.0.0/4 over its veth, so mDNS multicast goes over the cable and
 * nowhere else. The addresses exist only inside the namespaces; removing
 * the namespaces removes the cable. Needs root (`ip netns`), as CI has; a
 * machine without it gets an error saying so.
 */
export class NetPair implements AsyncDisposable {
  /** The side a test runs the server in. */
  readonly a: LanSide;
  /** The other side. */
  readonly b: LanSide;

  private constructor(a: LanSide, b: LanSide) {
    this.a = a;
    this.b = b;
  }

  /** Makes both namespaces and the cable between them; on any failure removes what it made. */
  static async create(): Promise<NetPair> {
    const made: NetNamespace[] = [];
    try {
      made.push(await NetNamespace.create());
      made.push(await NetNamespace.create());
      const [nsA, nsB] = made;
      // Made inside the namespaces straight away: the host's own links never see the names.
      await ip([
        "link",
        "add",
        "lanchat0",
        "netns",
        nsA.name,
        "type",
        "veth",
        "peer",
        "name",
        "lanchat1",
        "netns",
        nsB.name,
      ]);
      const sides: LanSide[] = [];
      for (
        const [netns, device, address] of [
          [nsA, "lanchat0", "10.77.0.1"],
          [nsB, "lanchat1", "10.77.0.2"],
        ] as const
      ) {
        await ip(["-n", netns.name, "addr", "add", `${address}/24`, "dev", device]);
        await ip(["-n", netns.name, "link", "set", device, "multicast", "on", "up"]);
        await ip(["-n", netns.name, "route", "add", "224.0.0.0/4", "dev", device]);
        sides.push({ netns, device, address });
      }
      return new NetPair(sides[0], sides[1]);
    } catch (error) {
      for (const netns of made) await netns[Symbol.asyncDispose]().catch(() => {});
      throw error;
    }
  }

  /** Gives `side` one more address on its cable (`10.77.0.9`, /24): a server's new DHCP lease. */
  async addAddress(side: LanSide, address: string): Promise<void> {
    await ip(["-n", side.netns.name, "addr", "add", `${address}/24`, "dev", side.device]);
  }

  /** Takes an address of `side` off its cable. */
  async removeAddress(side: LanSide, address: string): Promise<void> {
    await ip(["-n", side.netns.name, "addr", "del", `${address}/24`, "dev", side.device]);
  }

  /** Deletes both namespaces (and with them the cable), even if the first fails. */
  async [Symbol.asyncDispose](): Promise<void> {
    const results = await Promise.allSettled([
      this.a.netns[Symbol.asyncDispose](),
      this.b.netns[Symbol.asyncDispose](),
    ]);
    const failed = results.find((result) => result.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }
}
