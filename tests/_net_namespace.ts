/**
 * Network namespaces for tests of a server that listens on every interface.
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
