/**
 * The server's announcement on the LAN: `_lanchat._tcp` with the TXT record
 * clients read, and the web page as `_https._tcp` (`_http._tcp` with
 * `--plain`) under the same instance name, on the interfaces the server
 * listens on. A server bound only to loopback (or with `--no-discovery`)
 * gets none, and so opens no multicast socket.
 *
 * @module
 */

import { AnnounceError, Announcer } from "../discovery/announcer.ts";
import { lanInterfaces, type MachineAddress } from "../discovery/lan_interfaces.ts";
import { encodeTxtStrings, LANCHAT_SERVICE } from "../discovery/txt.ts";
import { PROTOCOL_VERSION } from "../core/events.ts";
import type { LogRecord } from "./log_record.ts";

/** What the announcement says about the server. */
export interface LanAnnouncementOptions {
  /** The instance name wanted: the server's `--name`. */
  name: string;
  /** The addresses the server is bound to (`::`, `0.0.0.0`, or one address). */
  hostnames: readonly string[];
  port: number;
  /** The certificate's fingerprint; undefined with `--plain`. */
  fingerprint: string | undefined;
  /** Whether joining needs a password. */
  password: boolean;
  /** The cluster's id on a node of a cluster (`cl=` in the TXT record). */
  cluster?: string;
  log: (record: LogRecord) => void;
  /** The machine's addresses. @default {Deno.networkInterfaces()} */
  machine?: readonly MachineAddress[];
}

/** A started announcement; `close()` says goodbye. */
export interface LanAnnouncement {
  /** Resolves with the name announced (renamed if taken) once announced. */
  announced: Promise<string | undefined>;
  close(): Promise<void>;
}

/**
 * Starts announcing, logging `event=announce` at once (names and
 * interfaces) and `event=announce_renamed` if the name was taken; undefined
 * (and nothing opened) when the server is reachable on no LAN interface.
 */
export async function startLanAnnouncement(
  options: LanAnnouncementOptions,
): Promise<LanAnnouncement | undefined> {
  const machine = options.machine ?? Deno.networkInterfaces() as MachineAddress[];
  const interfaces = lanInterfaces(options.hostnames, machine);
  if (interfaces.length === 0) return undefined;
  const tls = options.fingerprint !== undefined;
  const web = tls ? "_https._tcp" : "_http._tcp";
  const services = [
    {
      type: LANCHAT_SERVICE,
      port: options.port,
      txt: encodeTxtStrings({
        version: PROTOCOL_VERSION,
        tls,
        fingerprint: options.fingerprint,
        password: options.password,
        web: true,
        ...(options.cluster !== undefined ? { cluster: options.cluster } : {}),
      }),
    },
    { type: web, port: options.port, txt: ["path=/"] },
  ];
  let announcer: Announcer;
  try {
    announcer = await Announcer.open(interfaces);
  } catch (error) {
    if (!(error instanceof AnnounceError)) throw error;
    options.log({ level: "warn", event: "announce_failed", error: error.message });
    return undefined;
  }
  options.log({
    level: "info",
    event: "announce",
    name: options.name,
    services: `${LANCHAT_SERVICE},${web}`,
    on: interfaces.map((iface) => iface.name).join(","),
    detail: "on the LAN (mDNS); --no-discovery turns it off",
  });
  const announced = announcer.announce({ instance: options.name, services }).then(
    (name) => {
      if (name !== undefined && name !== options.name) {
        options.log({
          level: "warn",
          event: "announce_renamed",
          name,
          taken: options.name,
          detail: "another server on the LAN has this name",
        });
      }
      return name;
    },
    (error) => {
      if (!(error instanceof AnnounceError)) throw error;
      options.log({ level: "warn", event: "announce_failed", error: error.message });
      return undefined;
    },
  );
  return {
    announced,
    async close() {
      await announcer.close();
      await announced;
    },
  };
}
