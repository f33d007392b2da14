/**
 * `chat-client`: parse flags, connect, then run the full-screen terminal UI
 * on a terminal or line mode on a pipe.
 *
 * @module
 */

import { ReconnectingSession } from "./lib/client/reconnecting_session.ts";
import { CLIENT_USAGE, parseClientArgs } from "./lib/client/client_config.ts";
import { createConfigFile, readConfigFile } from "./lib/client/config_file.ts";
import {
  readRememberedSession,
  restoreFrames,
  SessionMemory,
} from "./lib/client/remembered_session.ts";
import { OutputClosedError, runLineMode } from "./lib/client/line_mode.ts";
import { runTerminalUi } from "./lib/client/tui/run_terminal_ui.ts";
import { promptPassword } from "./lib/client/tui/password_prompt.ts";
import { ConnectError } from "./lib/errors.ts";
import { RefusedError } from "./lib/client/chat_session.ts";
import { IdentityError, loadIdentity } from "./lib/client/identity.ts";
import { VERSION } from "./lib/version.ts";
import { startCommand } from "./lib/cli_args.ts";
import { defaultConfigDir, defaultDownloadDir } from "./lib/app_dirs.ts";
import { FileCommands } from "./lib/client/file_commands.ts";
import { knownHostName, KnownHosts } from "./lib/client/known_hosts.ts";
import { formatHostPort } from "./lib/net/host_port.ts";
import { HostList } from "./lib/client/host_list.ts";
import { ServerTrust } from "./lib/client/server_trust.ts";
import { connectTls } from "./lib/net/socket_conn.ts";
import { fingerprintOf } from "./lib/protocol/fingerprint.ts";
import { BROWSE_MS, browseServers, type FoundServer } from "./lib/discovery/browse.ts";
import { announcementMismatch, DiscoveredServer } from "./lib/client/discovered_server.ts";
import { groupClusters, rememberedHosts } from "./lib/client/cluster_servers.ts";
import {
  chooseServer,
  noServerMessage,
  serverLine,
  serversJson,
  shownName,
} from "./lib/client/find_server.ts";
import { pickServer } from "./lib/client/tui/server_picker.ts";
import { cleanLine } from "./lib/core/sanitize.ts";
import type { RoomsChange } from "./lib/client/session_events.ts";
import { enterTaskStartDirectory } from "./lib/task_start_directory.ts";

function userName(): string | undefined {
  for (const name of ["USER", "LOGNAME", "USERNAME"]) {
    const value = Deno.env.get(name);
    if (value) return value;
  }
  return undefined;
}

async function main(): Promise<number> {
  // `deno task client` runs here in the checkout: paths typed are the user's directory's.
  const notBack = enterTaskStartDirectory();
  if (notBack) {
    console.error(`chat-client: ${notBack}`);
    return 2;
  }
  const command = startCommand(
    "chat-client",
    VERSION,
    CLIENT_USAGE,
    () =>
      parseClientArgs(Deno.args, userName(), (name) => Deno.env.get(name), {
        config: readConfigFile,
        remembered: readRememberedSession,
      }),
  );
  if (typeof command === "number") return command;
  if (command.kind === "list") return await listServers(command.json);
  if (command.kind === "forget") {
    if (command.configDir === undefined) {
      console.error("chat-client: no config directory (no HOME); give --config-dir");
      return 2;
    }
    const knownHosts = KnownHosts.in(command.configDir);
    const removed = knownHosts.forget(command.server);
    if (removed === 0) {
      // The host on other ports, as "host" alone means the default port.
      const others = knownHosts.serversOn(command.host);
      console.error(
        `chat-client: ${command.server} is not in ${knownHosts.path}` +
          (others.length === 0
            ? ""
            : `; on other ports it has ${others.join(", ")} (give the port: --forget-host ${
              others[0]
            })`),
      );
      return 1;
    }
    console.log(
      `forgot ${command.server} (${knownHosts.path}); the next connection shows its certificate ` +
        "again and asks (in line mode: --accept-new or --fingerprint)",
    );
    return 0;
  }
  // First use: a config file with every key commented out and explained.
  if (command.kind === "chat" && command.configDir !== undefined) {
    createConfigFile(command.configDir);
  }
  let identity;
  try {
    identity = await loadIdentity(command.configDir);
  } catch (error) {
    if (!(error instanceof IdentityError)) throw error;
    console.error(`chat-client: ${error.message}`);
    return 1;
  }
  if (command.kind === "whoami") {
    if (!identity.path) {
      // A key made for this run only names nobody.
      console.error("chat-client: no config directory (HOME is not set); give --config-dir");
      return 1;
    }
    if (identity.created) console.error(`chat-client: created your key in ${identity.path}`);
    console.log(identity.fingerprint);
    return 0;
  }
  if (!identity.path) {
    console.error(
      "chat-client: no config directory (HOME is not set); using a key for this run only " +
        "(registered nicks and operator rights need a kept key: give --config-dir)",
    );
  }
  const interactive = Deno.stdin.isTerminal() && Deno.stdout.isTerminal();
  // No address: find the server on the LAN (the one named, or the only one).
  let { host, port, tls } = command;
  let found: FoundServer | undefined;
  // Back to the last server: if its address no longer answers, it may have moved.
  let lookFor = command.serverName;
  if (host !== undefined && command.lastServerName !== undefined && !(await answers(host, port))) {
    console.error(
      `chat-client: the last server, ${formatHostPort(host, port)}, does not answer; ` +
        `looking for "${cleanLine(command.lastServerName, 63)}" on the LAN`,
    );
    host = undefined;
    lookFor = command.lastServerName;
  }
  if (host === undefined) {
    const answer = await findServer(lookFor, interactive);
    if (typeof answer === "number") return answer;
    found = answer;
    // An announcement must not turn TLS off: anyone on the LAN can announce
    // anything, "office" at another address with tls=0 included.
    if (!found.txt.tls && command.tls) {
      console.error(
        `chat-client: the server "${shownName(found)}" announces itself as unencrypted ` +
          `(chat-server --plain) at ${formatHostPort(found.addresses[0], found.port)}; ` +
          "refusing to join it without TLS. Anyone on the LAN can announce a name: if you expect " +
          'that server to run --plain, give --plain (or "plain = yes" in the config file).',
      );
      return 1;
    }
    ({ port, tls } = { port: found.port, tls: found.txt.tls });
    host = found.addresses[0];
  }
  // --host a,b,c: start at the first that answers; fail over in turn (host_list.ts).
  const hosts = found === undefined ? command.hosts : undefined;
  let start = 0;
  if (hosts) {
    start = Math.max(
      0,
      (await Promise.all(hosts.map((h) => answers(h.host, h.port)))).indexOf(true),
    );
    ({ host, port } = hosts[start]);
  }
  // What the user must see about the server's certificate: on the UI's
  // screen, or on stderr in line mode.
  const notices: string[] = tls ? [] : [
    found
      ? `Not encrypted (the server "${
        shownName(found)
      }" runs --plain): anyone on this network can read this chat.`
      : "Not encrypted (--plain): anyone on this network can read this chat.",
  ];
  const trust = tls || found
    ? new ServerTrust({
      knownHosts: command.configDir === undefined ? undefined : KnownHosts.in(command.configDir),
      pinned: command.fingerprint,
      // Found on the LAN by its name, or one of the nodes listed with --host a,b,c:
      // a known certificate at a new address is the same server.
      mayMove: found !== undefined || hosts !== undefined,
      // A script must opt in; on a terminal the user is asked first (below).
      acceptNew: command.acceptNew,
      forgetFlags: command.configDir !== undefined &&
          command.configDir !== defaultConfigDir(Deno.build.os, (name) => Deno.env.get(name))
        ? `--config-dir '${command.configDir}'`
        : undefined,
      onNotice: (notice) =>
        interactive ? notices.push(notice) : console.error(`chat-client: ${notice}`),
    })
    : undefined;
  // A found server is looked up by its name again before every reconnect.
  const discovered = found && trust
    ? new DiscoveredServer(
      found.name,
      trust,
      (enough) => browseServers({ enough }).then(groupClusters),
      found,
    )
    : undefined;
  // The server, nick and rooms of this session, for the next start.
  const memory = command.configDir === undefined ? undefined : new SessionMemory(
    command.configDir,
    { host, port, tls, ...rememberedHosts(hosts, found) },
    (problem) => interactive ? notices.push(problem) : console.error(`chat-client: ${problem}`),
  );
  const options = {
    onRoomsChange: memory && ((change: RoomsChange) => memory.update(change)),
    host,
    port,
    nick: command.nick,
    client: `chat-client/${VERSION}`,
    tls: tls ? trust : undefined,
    resolver: discovered ?? (hosts && new HostList(hosts, tls ? trust : undefined, start)),
    password: command.password,
    identity,
  };
  if (tls && trust && interactive && !command.acceptNew) {
    const confirmed = await confirmNewServer(trust, host, port, found);
    if (!confirmed) return 1;
  }
  let session: ReconnectingSession | undefined;
  // On a terminal a private server's password is asked for, like ssh
  // does: three tries, then give up.
  for (let attempt = 1; !session; attempt++) {
    try {
      session = await ReconnectingSession.connect({ ...options, reconnect: command.reconnect });
    } catch (error) {
      if (!(error instanceof ConnectError)) throw error;
      const askable = error instanceof RefusedError && interactive && attempt <= 3 &&
        (error.code === "password_required" ||
          (error.code === "access_denied" && options.password !== undefined));
      if (askable) {
        if (error.code === "access_denied") console.error("Wrong password; try again.");
        const password = await promptPassword(
          `Password for ${formatHostPort(host, port)} (not shown): `,
        );
        if (password === undefined) return 1;
        options.password = password;
        continue;
      }
      console.error(`chat-client: ${error.message}`);
      if (error instanceof RefusedError && error.code === "password_required") {
        console.error(
          "chat-client: give the password with --password-file <path>, --password <pw> or LANCHAT_PASSWORD",
        );
      }
      return 1;
    }
  }
  // Back in the rooms of the last session on this server, the one in use last.
  if (command.rooms) {
    for (const frame of restoreFrames(command.rooms, session.welcome.room)) {
      await session.send(frame);
    }
  }
  // `/send` and `/get` reach the chat's own host and port, trusted the same way.
  const files = new FileCommands({
    server: { address: { host, port, tls: tls ? trust : undefined } },
    downloads: defaultDownloadDir(Deno.build.os, (name) => Deno.env.get(name)),
  });
  if (interactive) {
    return await runTerminalUi(session, {
      color: command.color && !Deno.env.get("NO_COLOR"),
      notices,
      files,
    });
  }
  return await runLineMode(session, Deno.stdin.readable, {
    out: writeStdout,
    err: (line) => console.error(line),
  }, { giveUpMs: command.giveUpMs, files });
}

const encoder = new TextEncoder();

/**
 * One line on stdout. A reader that went away (`| head -1`) is not an
 * error of ours: line mode then leaves quietly.
 *
 * @throws {OutputClosedError} when stdout is a closed pipe
 */
function writeStdout(line: string): void {
  let bytes = encoder.encode(line + "\n");
  try {
    while (bytes.length > 0) bytes = bytes.subarray(Deno.stdout.writeSync(bytes));
  } catch (error) {
    if (error instanceof Deno.errors.BrokenPipe) throw new OutputClosedError({ cause: error });
    throw error;
  }
}

/**
 * On a terminal, like ssh: a server never seen before is shown with its
 * certificate fingerprint, and nothing (no password, no key proof) is sent
 * until the user says yes. Returns false when the user says no.
 */
async function confirmNewServer(
  trust: ServerTrust,
  host: string,
  port: number,
  found?: FoundServer,
): Promise<boolean> {
  const server = knownHostName(host, port);
  let fingerprint: string;
  try {
    const probe = await connectTls(host, port);
    probe.conn.close();
    fingerprint = await fingerprintOf(probe.certificate);
  } catch {
    return true; // Unreachable: connecting reports why.
  }
  // The announcement is evidence, not trust: a mismatch is refused at once.
  const announced = found?.txt.fingerprint;
  if (found && announced !== undefined && announced !== fingerprint) {
    console.error(
      `chat-client: ${
        announcementMismatch(shownName(found), server, announced, fingerprint).message
      }`,
    );
    return false;
  }
  if (trust.knows(server)) return true;
  // Found by name, with a certificate trusted at another address: the same server, moved.
  if (trust.options.mayMove && trust.options.knownHosts?.withFingerprint(fingerprint)) return true;
  console.log(
    `${server} is a server you have not used before. Its certificate fingerprint is\n` +
      `  ${fingerprint}\n` +
      (found
        ? `It matches the fingerprint "${
          shownName(found)
        }" announced on the LAN (anyone on the LAN can announce\n` +
          "anything, so this is no proof). "
        : "") +
      'Compare it with the "TLS fingerprint" line chat-server printed.',
  );
  while (true) {
    const answer = prompt("Trust it and connect? (yes/no/[fingerprint])")?.trim() ?? "no";
    // The fingerprint as printed, or its digits alone (openssl's base64, with its "=").
    const digits = answer.replace(/^SHA256:/, "").replace(/=+$/, "");
    if (answer === "yes" || `SHA256:${digits}` === fingerprint) {
      trust.trust(server, fingerprint, true);
      return true;
    }
    if (answer === "no" || answer === "") {
      console.error(`chat-client: not trusted; nothing was sent to ${server}`);
      return false;
    }
    console.log(
      /^(SHA256:)?[A-Za-z0-9+/]{43}=?$/.test(answer)
        ? "WARNING: that is not the fingerprint this server presented. If you copied it from\n" +
          "chat-server's output, someone may be intercepting the connection (a man-in-the-middle);\n" +
          'answer "no" unless you can explain the difference.'
        : 'Type "yes", "no", or its fingerprint.',
    );
  }
}

/**
 * Looks for servers on the LAN for about a second (saying so) and returns
 * the one to join, or the exit status after saying why there is none.
 */
async function findServer(
  serverName: string | undefined,
  interactive: boolean,
): Promise<FoundServer | number> {
  console.error("looking for servers on the LAN...");
  const started = performance.now();
  const found = groupClusters(
    await browseServers(
      serverName === undefined ? {} : {
        enough: (found) => found.some((s) => s.name.toLowerCase() === serverName.toLowerCase()),
      },
    ),
  );
  const choice = chooseServer(found, { serverName, interactive, seconds: BROWSE_MS / 1000 });
  if (choice.kind === "fail") {
    const [first, ...rest] = choice.lines;
    console.error(`chat-client: ${first}`);
    for (const line of rest) console.error(line);
    return choice.status;
  }
  const server = choice.kind === "join" ? choice.server : await pickServer(choice.servers);
  if (server === undefined) return 1;
  console.error(
    `found "${shownName(server)}" at ${formatHostPort(server.addresses[0], server.port)} ` +
      `(in ${Math.round(performance.now() - started)} ms)`,
  );
  return server;
}

/** Whether something accepts a TCP connection at `host:port` within a second and a half. */
async function answers(host: string, port: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const attempt = Deno.connect({ hostname: host, port });
  try {
    const conn = await Promise.race([
      attempt,
      new Promise<undefined>((resolve) => timer = setTimeout(() => resolve(undefined), 1500)),
    ]);
    if (conn === undefined) {
      attempt.then((late) => late.close(), () => {});
      return false;
    }
    conn.close();
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** `--list`: the servers that answered, one a line (or JSON); 1 when none did. */
async function listServers(json: boolean): Promise<number> {
  const found = groupClusters(await browseServers());
  if (json) console.log(serversJson(found));
  else for (const server of found) console.log(serverLine(server));
  if (found.length === 0) {
    console.error(`chat-client: ${noServerMessage(BROWSE_MS / 1000)}`);
    return 1;
  }
  return 0;
}

try {
  Deno.exit(await main());
} catch (error) {
  // Last resort: one line, no stack trace.
  console.error(`chat-client: ${error instanceof Error ? error.message : String(error)}`);
  Deno.exit(1);
}
