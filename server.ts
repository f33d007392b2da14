/**
 * `chat-server`: parse flags, start the server, print where it listens, and
 * shut down cleanly on SIGINT/SIGTERM.
 *
 * @module
 */

import { ChatServer, type LogLevel, type LogRecord } from "./lib/server/chat_server.ts";
import { LOG_LEVEL_RANK } from "./lib/server/log_record.ts";
import { FrontDoor } from "./lib/server/front_door.ts";
import { IrcListener } from "./lib/server/irc_listener.ts";
import { hexFingerprint } from "./lib/protocol/fingerprint.ts";
import { browserUrl, openLine, terminalQrCode } from "./lib/server/join_hint.ts";
import { listenAddresses } from "./lib/server/listen_addresses.ts";
import { type LanAnnouncement, startLanAnnouncement } from "./lib/server/lan_announcement.ts";
import { formatHostPort } from "./lib/net/host_port.ts";
import { parseServerArgs, SERVER_USAGE } from "./lib/server/server_config.ts";
import { VERSION } from "./lib/version.ts";
import { exportLog } from "./lib/store/export_log.ts";
import { exportsFromCluster } from "./lib/server/cluster_flag.ts";
import { openStore } from "./lib/store/open_store.ts";
import { StoreOpenError, type StoreReport } from "./lib/store/sqlite_store.ts";
import { DataDirInUseError } from "./lib/store/data_dir_lock.ts";
import { UsageError } from "./lib/errors.ts";
import { startCommand } from "./lib/cli_args.ts";
import { CertificateError, loadCertificate } from "./lib/server/tls_certificate.ts";
import { FILE_GRACE_MS, type OpenedFiles, openFiles } from "./lib/server/open_files.ts";
import { shortSize } from "./lib/server/file_flags.ts";
import type { ClusterMembership } from "./lib/server/cluster_join.ts";
import { enterTaskStartDirectory } from "./lib/task_start_directory.ts";

/** The cluster's code and the NATS client: loaded only when a command asks for a cluster. */
const clusterCode = () => import("./lib/server/cluster_code.ts");

/** A logger that prints records at `minimum` or above as one `key=value` line each. */
function logger(minimum: LogLevel): (record: LogRecord) => void {
  return (record) => {
    if (LOG_LEVEL_RANK[record.level] < LOG_LEVEL_RANK[minimum]) return;
    const fields = Object.entries(record)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) =>
        `${key}=${/[\s"=]/.test(String(value)) ? JSON.stringify(value) : value}`
      );
    console.error(`${new Date().toISOString()} ${fields.join(" ")}`);
  };
}

const MiB = 1024 * 1024;

/** The log line for what the history store reports. */
function storeRecord(report: StoreReport): LogRecord {
  switch (report.kind) {
    case "write_failed":
      return {
        level: "error",
        event: "store_error",
        error: report.error.message,
        pending: report.pending,
        dropped: report.dropped,
        detail: report.dropped > 0
          ? "cannot write: the newest messages are kept in memory and retried every second; the oldest were dropped"
          : "cannot write: messages are kept in memory and retried every second",
      };
    case "recovered":
      return {
        level: "info",
        event: "store_recovered",
        written: report.written,
        dropped: report.dropped,
      };
    case "trimmed":
      return {
        level: "warn",
        event: "store_full",
        removed: report.removed,
        used_mb: (report.usedBytes / MiB).toFixed(1),
        limit_mb: report.maxBytes / MiB,
        detail: "deleted the oldest messages to stay within --max-store-mb",
      };
    case "trim_failed":
      return {
        level: "error",
        event: "store_error",
        error: report.error.message,
        detail: "cannot delete old messages for --max-store-mb; tried again after the next write",
      };
    case "lost":
      return {
        level: "error",
        event: "store_lost",
        lost: report.lost,
        error: report.error?.message,
        detail: "accepted messages that could not be written to the history store",
      };
  }
}

/** `chat-server export ...`: the room's log to stdout (from the cluster's stream with --cluster). */
async function runExport(args: string[]): Promise<number> {
  const encoder = new TextEncoder();
  const write = (line: string) => void Deno.stdout.writeSync(encoder.encode(line + "\n"));
  try {
    if (exportsFromCluster(args)) return await (await clusterCode()).exportFromCluster(args, write);
    return exportLog(args, write);
  } catch (error) {
    // The reader went away (`| head`): it has what it wanted.
    if (error instanceof Deno.errors.BrokenPipe) return 0;
    if (!(error instanceof UsageError) && !(error instanceof StoreOpenError)) throw error;
    console.error(`chat-server: ${error.message}`);
    return error instanceof UsageError ? 2 : 1;
  }
}

async function main(): Promise<number> {
  // `deno task start` runs here in the checkout: --data-dir, --cert, ... are the user's directory's.
  const notBack = enterTaskStartDirectory();
  if (notBack) {
    console.error(`chat-server: ${notBack}`);
    return 2;
  }
  // `deno task start -- export ...`, as npm users write it: the "--" is not ours.
  const args = Deno.args[0] === "--" ? Deno.args.slice(1) : Deno.args;
  if (args[0] === "export") return runExport(args.slice(1));
  if (args[0] === "cluster") return await (await clusterCode()).runClusterCommand(args.slice(1));
  const command = startCommand(
    "chat-server",
    VERSION,
    SERVER_USAGE,
    () => parseServerArgs(args),
  );
  if (typeof command === "number") return command;
  // The cluster's code before anything is bound or written: if it cannot be loaded (a package
  // missing from Deno's cache, say), the server fails here, as the static import failed before,
  // not after opening the data directory with an uncaught error.
  let code: Awaited<ReturnType<typeof clusterCode>> | undefined;
  if (command.cluster) {
    try {
      code = await clusterCode();
    } catch (error) {
      console.error(
        `chat-server: --cluster: cannot load the cluster's code: ${(error as Error).message}`,
      );
      return 1;
    }
  }
  const { options } = command;
  const log = logger(command.logLevel);
  // Bind first: a wrong address or a taken port fails before anything is
  // written to disk (a certificate, a database).
  let door: FrontDoor;
  let ircDoor: IrcListener | undefined;
  let bindingPort = options.port;
  try {
    const bind = (port: number) => {
      bindingPort = port;
      const where = { hostname: options.hostname, port };
      return command.tls ? FrontDoor.bindTls(where) : FrontDoor.bind(where);
    };
    door = await bind(options.port);
    if (options.ircPort !== undefined) {
      try {
        ircDoor = new IrcListener(await bind(options.ircPort));
      } catch (error) {
        door.close();
        throw error;
      }
    }
  } catch (error) {
    if (error instanceof Deno.errors.AddrNotAvailable && options.hostname !== undefined) {
      console.error(
        `chat-server: --host ${options.hostname}: this machine has no address ${options.hostname}`,
      );
      return 2;
    }
    if (/lookup|ENOTFOUND|EAI_|not known/i.test(String(error)) && options.hostname !== undefined) {
      console.error(
        `chat-server: --host ${options.hostname}: no address found for that name`,
      );
      return 2;
    }
    const where = formatHostPort(options.hostname ?? "::", bindingPort);
    const reason = error instanceof Deno.errors.AddrInUse
      ? "the port is already in use"
      : error instanceof Deno.errors.PermissionDenied
      ? "permission denied (ports below 1024 need privileges)"
      : (error as Error).message;
    console.error(`chat-server: cannot listen on ${where}: ${reason}`);
    return 1;
  }
  let store;
  try {
    const opened = openStore(command.dataDir, {
      memoryBytes: options.historyMemoryBytes,
      maxStoreBytes: command.maxStoreBytes,
      report: (report) => log(storeRecord(report)),
    });
    store = opened.store;
    if (opened.tookOverFrom) {
      log({
        level: "warn",
        event: "stale_lock",
        pid: opened.tookOverFrom.pid,
        started: opened.tookOverFrom.started,
        detail:
          "took over the data directory from a server that did not shut down cleanly (killed or crashed); its last 100 ms of messages may be lost",
      });
    }
  } catch (error) {
    door.close();
    ircDoor?.close();
    if (!(error instanceof StoreOpenError) && !(error instanceof DataDirInUseError)) throw error;
    console.error(`chat-server: ${error.message}`);
    return 1;
  }
  let files: OpenedFiles | undefined;
  // A cluster node's files are in NATS: opened once it joined (below).
  if (command.files && !command.cluster) {
    try {
      files = await openFiles(command.dataDir, store, command.files);
    } catch (error) {
      console.error(`chat-server: cannot open the files directory: ${(error as Error).message}`);
      door.close();
      ircDoor?.close();
      store.close();
      return 1;
    }
  }
  let tls;
  let fingerprint: string | undefined;
  if (command.tls) {
    try {
      const certificate = await loadCertificate(command.tls);
      tls = { cert: certificate.cert, key: certificate.key };
      fingerprint = certificate.fingerprint;
      if (certificate.source === "memory") {
        log({
          level: "warn",
          event: "tls_certificate",
          detail:
            "made for this run only; clients will see a new fingerprint after a restart (--data-dir keeps one)",
        });
      } else if (certificate.created) console.log(`made a TLS certificate: ${certificate.source}`);
      // Users compare this with what their client shows on first connect.
      console.log(`TLS fingerprint ${certificate.fingerprint}`);
      // A browser's certificate viewer shows the same digest in hex.
      console.log(`in a browser: SHA-256 ${hexFingerprint(certificate.fingerprint)}`);
      // IRC clients pin it too: irssi takes the line above, weechat bare hex.
      console.log(`in weechat: tls_fingerprint ${weechatFingerprint(certificate.fingerprint)}`);
    } catch (error) {
      if (!(error instanceof CertificateError)) throw error;
      console.error(`chat-server: ${error.message}`);
      door.close();
      ircDoor?.close();
      store.close();
      await files?.close();
      return 1;
    }
  } else {
    log({
      level: "warn",
      event: "tls_off",
      detail: "--plain: anyone on this network can read the chat",
    });
  }
  let cluster: ClusterMembership | undefined;
  if (command.cluster) {
    const {
      ClusterJoinError,
      joinCluster,
      streamLimitFigures,
      clusterStartLine,
      untilReady,
      openClusterFiles,
    } = code!;
    try {
      cluster = await joinCluster({
        ...command.clusterSettings,
        urls: command.cluster,
        serverName: options.serverName ?? "lanchat",
        log,
        // --retain-days, --retain-messages, --max-store-mb: the stream's limits (only these: the
        // command line holds passwords, and the limits are logged).
        limits: streamLimitFigures(command),
        historyMemoryBytes: options.historyMemoryBytes,
        // Where clients reach this node, in its node record (`/cluster`, `cluster status`).
        listen: listenAddresses(door.hostnames, door.addr.port),
      });
      const status = await cluster.status();
      log({
        level: "info",
        event: "cluster",
        node: cluster.node,
        nats: command.cluster.join(","),
        server: status.link.server,
        replicas: status.stream?.replicas,
        leader: status.stream?.leader,
        nodes: status.nodes.length,
      });
      console.log(clusterStartLine(cluster.node, status));
    } catch (error) {
      if (!(error instanceof ClusterJoinError)) throw error;
      console.error(`chat-server: --cluster: ${error.message}`);
      door.close();
      ircDoor?.close();
      store.close();
      await files?.close();
      return 1;
    }
    if (command.files) {
      try {
        // Like the cluster's own steps, asked again while JetStream settles (a restart).
        const joined = cluster;
        files = await untilReady(
          () => openClusterFiles(joined.nc, joined.replicas, command.files!, command.dataDir),
          {
            onWait: (error, waitMs) =>
              log({
                level: "warn",
                event: "cluster_waiting",
                what: "files",
                error: (error as Error).message,
                detail: `JetStream is not ready; waiting for it up to ${
                  Math.round(waitMs / 1000)
                } s`,
              }),
          },
        );
      } catch (error) {
        console.error(
          `chat-server: --cluster: JetStream refused the files' bucket or object store: ${
            (error as Error).message
          }`,
        );
        door.close();
        ircDoor?.close();
        store.close();
        await cluster.close();
        return 1;
      }
    }
  }
  const day = 24 * 60 * 60 * 1000;
  const prune = () => {
    const olderThan = command.retainDays ? Date.now() - command.retainDays * day : undefined;
    try {
      const removed = store.prune(olderThan, command.retainMessages);
      if (removed > 0) log({ level: "info", event: "prune", removed });
      // Retention of files follows the messages: a file no kept message announces goes.
      files?.store.prune(Date.now() - FILE_GRACE_MS).then((deleted) => {
        if (deleted > 0) log({ level: "info", event: "prune_files", deleted });
      }, (error) => log({ level: "error", event: "files_error", error: String(error) }));
    } catch (error) {
      log({
        level: "error",
        event: "store_error",
        error: (error as Error).message,
        detail: "prune",
      });
    }
  };
  prune();
  const pruner = setInterval(prune, 60 * 60 * 1000);
  let server: ChatServer;
  try {
    const listeners = ircDoor ? [door, ircDoor] : [door];
    const shared = cluster?.hubOptions ?? {};
    // On a cluster the stream is the history, and access lives in KV buckets.
    const local = shared.store ? {} : { store };
    server = await ChatServer.serve(listeners, {
      ...options,
      ...local,
      ...shared,
      log,
      logLevel: command.logLevel,
      tls,
      ...(files
        ? { files: files.store, fileLimits: { quotaBytes: command.files!.quotaBytes } }
        : {}),
    });
    const member = cluster; // `/cluster` for operators, on a cluster node only
    if (member) {
      const { clusterCommand, formatClusterStatus } = code!;
      server.hub.commands.add(
        clusterCommand(async () =>
          formatClusterStatus(await member.status(), Date.now(), member.node)
        ),
      );
    }
  } catch (error) {
    const reason = tls && /key|cert|pem/i.test((error as Error).message)
      ? `the TLS certificate or key is not usable (${(error as Error).message})`
      : (error as Error).message;
    console.error(`chat-server: cannot serve: ${reason}`);
    door.close();
    ircDoor?.close();
    clearInterval(pruner);
    store.close();
    await files?.close();
    await cluster?.close();
    return 1;
  }
  log({
    level: "info",
    event: "start",
    version: VERSION,
    host: server.hostnames.join(","),
    port: server.addr.port,
    irc_port: server.ircAddr?.port,
    history: command.dataDir ?? "memory",
    tls: tls ? "on" : "off",
    private: options.password !== undefined ? "yes" : undefined,
    files: files ? "on" : "off",
    max: files ? shortSize(command.files!.maxFileBytes) : undefined,
    budget: files ? shortSize(command.files!.budgetBytes) : undefined,
    quota: files ? shortSize(command.files!.quotaBytes) : undefined,
    files_dir: files?.dir,
    operators: options.operators ? [...options.operators].length : undefined,
  });
  // Only a server others can reach is announced: bound to loopback, nothing is opened.
  let announcement: LanAnnouncement | undefined;
  if (command.discovery) {
    announcement = await startLanAnnouncement({
      name: options.serverName ?? "lanchat",
      hostnames: server.hostnames,
      port: server.addr.port,
      fingerprint,
      password: options.password !== undefined,
      ...(cluster ? { cluster: cluster.clusterId } : {}),
      log,
    });
  }
  const stopped = Promise.withResolvers<void>();
  const stop = () => stopped.resolve();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  // Only now: whoever waits for these lines may signal us at once.
  const addresses = listenAddresses(server.hostnames, server.addr.port);
  for (const address of addresses) console.log(`listening on ${address}`);
  // --irc-port 0 picks a port: say which, or nobody can point an IRC client at it.
  const ircPort = server.ircAddr?.port;
  if (ircPort !== undefined) {
    for (const address of listenAddresses(server.hostnames, ircPort)) {
      console.log(`IRC clients only: ${address}`);
    }
  }
  const url = browserUrl(addresses[0], tls !== undefined);
  console.log(openLine(url));
  if (Deno.stdout.isTerminal()) {
    console.log(await terminalQrCode(url, !Deno.env.get("NO_COLOR")));
  }
  await stopped.promise;
  clearInterval(pruner);
  await announcement?.close(); // Goodbye (TTL 0) first: browsers stop listing us.
  await server.shutdown(); // also flushes the history store
  await files?.close();
  if (cluster?.hubOptions.store) store.close(); // the hub had the stream's store
  await cluster?.close();
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  return 0;
}

Deno.exit(await main());

/** The certificate's SHA-256 as weechat's `tls_fingerprint` takes it: hex digits, no colons. */
function weechatFingerprint(fingerprint: string): string {
  return hexFingerprint(fingerprint).replaceAll(":", "").toLowerCase();
}
