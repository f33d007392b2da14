import assert from "node:assert/strict";
import jsQRModule from "jsqr";
import { browserUrl, openLine, terminalQrCode } from "./join_hint.ts";

// jsqr is CommonJS: its default export is the function its types call the module.
const jsQR = jsQRModule as unknown as typeof jsQRModule.default;

Deno.test("browserUrl: https with TLS, http on --plain, IPv6 kept in brackets", () => {
  assert.equal(browserUrl("192.168.1.20:7777", true), "https://192.168.1.20:7777/");
  assert.equal(browserUrl("192.168.1.20:7777", false), "http://192.168.1.20:7777/");
  assert.equal(browserUrl("[2001:db8::20]:7777", true), "https://[2001:db8::20]:7777/");
  assert.equal(new URL(browserUrl("[2001:db8::20]:7777", true)).hostname, "[2001:db8::20]");
  assert.equal(
    openLine("https://192.168.1.20:7777/"),
    "open https://192.168.1.20:7777/ in a browser",
  );
});

Deno.test("terminalQrCode: a square of half blocks, black on white with colours, none without", async () => {
  const url = "https://192.168.1.20:7777/";
  const plain = await terminalQrCode(url, false);
  const rows = plain.split("\n").filter((row) => row.length > 0);
  // Version 2 (25 modules) for this URL at level M, plus a quiet zone of 2 each side.
  const width = [...rows[0]].length;
  assert.equal(width, 25 + 4);
  for (const row of rows) assert.equal([...row].length, width);
  // Two modules per row: (25 + 4) / 2 rounded up.
  assert.equal(rows.length, 15);
  assert.match(plain, /[█▀▄]/);
  assert.doesNotMatch(plain, /\x1b/);
  const colored = await terminalQrCode(url, true);
  for (const row of colored.split("\n")) assert.match(row, /^\x1b\[30;47m[ █▀▄]+\x1b\[0m$/);
  // Another URL, another code.
  assert.notEqual(await terminalQrCode("https://192.168.1.21:7777/", false), plain);
});

Deno.test("terminalQrCode: what it draws decodes, with a QR reader, to the URL", async () => {
  const url = "https://[2001:db8::20]:7777/";
  assert.equal(decode(await terminalQrCode(url, false)), url);
  // In colour the blocks are the black foreground on a white background.
  assert.equal(decode((await terminalQrCode(url, true)).replace(/\x1b\[[0-9;]*m/g, "")), url);
});

/** Reads a QR code drawn in half blocks (dark blocks on a light ground). */
function decode(drawn: string): string | undefined {
  const rows = drawn.split("\n");
  // Half blocks back to modules: a character is two modules, top and bottom.
  const modules: boolean[][] = [];
  for (const row of rows) {
    const chars = [...row];
    modules.push(chars.map((c) => c === "█" || c === "▀"));
    modules.push(chars.map((c) => c === "█" || c === "▄"));
  }
  const scale = 6;
  const width = modules[0].length * scale;
  const height = modules.length * scale;
  const pixels = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dark = modules[Math.floor(y / scale)][Math.floor(x / scale)];
      pixels.fill(dark ? 0 : 255, (y * width + x) * 4, (y * width + x) * 4 + 3);
      pixels[(y * width + x) * 4 + 3] = 255;
    }
  }
  return jsQR(pixels, width, height)?.data;
}
