/**
 * The DNS-SD side of announcing a server (RFC 6763 over mDNS, RFC 6762),
 * as records and nothing else: which records name a service instance, which
 * of them answer a question, what a conflicting answer looks like, and how a
 * taken instance name is renamed. Pure: the sockets are in `announcer.ts`.
 *
 * @module
 */

/** A DNS record as the mDNS library encodes it (`dns-packet`'s shape). */
export interface DnsRecord {
  name: string;
  type: "PTR" | "SRV" | "TXT" | "A" | "AAAA";
  ttl: number;
  /** Unique records (SRV, TXT, addresses) tell caches to drop older ones (RFC 6762 §10.2). */
  flush?: boolean;
  data:
    | string
    | { priority: number; weight: number; port: number; target: string }
    | string[];
}

/** A question as the mDNS library decodes it. */
export interface DnsQuestion {
  name: string;
  type: string;
}

/** One service a server announces: its type, instance name, port and TXT strings. */
export interface ServiceAd {
  /** `_lanchat._tcp`, `_https._tcp` or `_http._tcp`. */
  type: string;
  /** The instance name people see, e.g. `office` (spaces and any UTF-8 allowed). */
  instance: string;
  port: number;
  /** `key=value` strings. */
  txt: string[];
}

/** How long records live in caches (RFC 6762 §10: 120 s for those naming a host, 75 min otherwise). */
export const HOST_TTL = 120;
/** The TTL of PTR, SRV and TXT records. */
export const SERVICE_TTL = 4500;

/** `office._lanchat._tcp.local`: the full name of an instance (dots in the name escaped). */
export function instanceName(ad: Pick<ServiceAd, "instance" | "type">): string {
  return `${ad.instance.replaceAll("\\", "\\\\").replaceAll(".", "\\.")}.${ad.type}.local`;
}

/**
 * The name DNS-SD prescribes after `instance` was found taken (RFC 6763
 * §4.1, as Apple's responders do it): `office` → `office (2)`, `office (2)`
 * → `office (3)`, within the 63 bytes a label may have.
 */
export function renamed(instance: string): string {
  const numbered = /^(.*) \((\d+)\)$/.exec(instance);
  const base = numbered ? numbered[1] : instance;
  const suffix = ` (${numbered ? Number(numbered[2]) + 1 : 2})`;
  let cut = base;
  while (new TextEncoder().encode(cut + suffix).length > 63) cut = [...cut].slice(0, -1).join("");
  return cut + suffix;
}

/**
 * The host name the SRV records point to: one of lanchat's own, made of the
 * first address (`lanchat-10-77-0-1.local`), so it claims nothing a
 * machine's own responder (Avahi, Bonjour) already owns.
 */
export function hostNameFor(addresses: readonly string[]): string {
  const first = addresses[0] ?? "unknown";
  return `lanchat-${first.replace(/[^0-9A-Za-z]+/g, "-")}.local`;
}

/** Every record of `ads` on one interface with `addresses`, with `ttl` (0 says goodbye). */
export function recordsOf(
  ads: readonly ServiceAd[],
  host: string,
  addresses: readonly string[],
  ttl: "live" | "goodbye" = "live",
): DnsRecord[] {
  const service = ttl === "live" ? SERVICE_TTL : 0;
  const hostTtl = ttl === "live" ? HOST_TTL : 0;
  const records: DnsRecord[] = [];
  for (const ad of ads) {
    const full = instanceName(ad);
    const type = `${ad.type}.local`;
    records.push(
      { name: "_services._dns-sd._udp.local", type: "PTR", ttl: service, data: type },
      { name: type, type: "PTR", ttl: service, data: full },
      {
        name: full,
        type: "SRV",
        ttl: hostTtl,
        flush: true,
        data: { priority: 0, weight: 0, port: ad.port, target: host },
      },
      { name: full, type: "TXT", ttl: service, flush: true, data: ad.txt },
    );
  }
  for (const address of addresses) {
    records.push({
      name: host,
      type: address.includes(":") ? "AAAA" : "A",
      ttl: hostTtl,
      flush: true,
      data: address,
    });
  }
  return records;
}

/**
 * The records that answer `questions`, and those a querier will want next
 * (RFC 6763 §12: with a PTR, the instance's SRV and TXT and the host's
 * addresses; with an SRV, the addresses).
 */
export function answersTo(
  questions: readonly DnsQuestion[],
  records: readonly DnsRecord[],
): { answers: DnsRecord[]; additionals: DnsRecord[] } {
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  const answers = records.filter((record) =>
    questions.some((question) =>
      same(question.name, record.name) && (question.type === "ANY" || question.type === record.type)
    )
  );
  const wanted = new Set<string>();
  for (const answer of answers) {
    if (answer.type === "PTR") wanted.add(String(answer.data).toLowerCase());
    if (answer.type === "SRV") {
      wanted.add((answer.data as { target: string }).target.toLowerCase());
    }
  }
  for (const record of records) {
    if (record.type === "SRV" && wanted.has(record.name.toLowerCase())) {
      wanted.add((record.data as { target: string }).target.toLowerCase());
    }
  }
  const additionals = records.filter((record) =>
    wanted.has(record.name.toLowerCase()) && !answers.includes(record) && record.type !== "PTR"
  );
  return { answers, additionals };
}

/**
 * Whether a response from someone else claims one of our instance names
 * (any record with that name, RFC 6762 §8.1): then the name is taken.
 */
export function claimsAny(
  response: { answers?: readonly { name: string }[]; additionals?: readonly { name: string }[] },
  fullNames: readonly string[],
): boolean {
  const ours = new Set(fullNames.map((name) => name.toLowerCase()));
  return [...response.answers ?? [], ...response.additionals ?? []].some((record) =>
    ours.has(record.name.toLowerCase())
  );
}
