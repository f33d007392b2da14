/**
 * What `chat-server` prints so that people can join from a browser: the
 * address to open (`open https://192.168.1.20:7777/ in a browser`) and, on a
 * terminal, the same address as a QR code that a phone's camera opens.
 *
 * @module
 */

import type QRCodeModule from "./qrcode_types.d.ts";

/**
 * The page's address for `address` (a `host:port` as `listenAddresses`
 * gives them, IPv6 in brackets): `https://` with TLS, else `http://`.
 */
export function browserUrl(address: string, tls: boolean): string {
  return `${tls ? "https" : "http"}://${address}/`;
}

/** The line that tells people where to point a browser. */
export function openLine(url: string): string {
  return `open ${url} in a browser`;
}

/**
 * `url` as a QR code for a terminal, in half blocks (two modules a
 * character) with a quiet zone of two modules: with `color`, every row is
 * black on white in ANSI colours, since a code drawn in a dark terminal's
 * light foreground would be inverted, which some phone cameras do not read;
 * without, the blocks are the terminal's foreground (reads on a light
 * background).
 */
export async function terminalQrCode(url: string, color: boolean): Promise<string> {
  // Loaded only for a terminal: a start that prints no code does not pay for it.
  const QRCode: typeof QRCodeModule = (await import("qrcode")).default;
  const drawn = await QRCode.toString(url, { type: "utf8", errorCorrectionLevel: "M", margin: 2 });
  const rows = drawn.split("\n").filter((row) => row.length > 0);
  return rows.map((row) => color ? `\x1b[30;47m${row}\x1b[0m` : row).join("\n");
}
