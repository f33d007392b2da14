/**
 * What chat-server serves over HTTP: a map from path to bytes, kept in
 * memory (never a file looked up by the requested path), and the headers
 * every answer carries. For now one placeholder page; the web client's
 * assets join the map.
 *
 * @module
 */

/** One thing served at a path. */
export interface WebAsset {
  /** Its `Content-Type`. */
  contentType: string;
  /** Its bytes. */
  body: Uint8Array;
}

/**
 * Headers on every answer, page or error: no script, style or frame from
 * elsewhere or inline (`default-src 'self'`), WebSocket only to this server
 * (`connect-src 'self'`), never inside another site's frame, no guessing of
 * content types, no `Referer` sent on.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy": "default-src 'self'; connect-src 'self'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};

const encoder = new TextEncoder();

/** `&`, `<`, `>` and quotes as entities: the page names the server's address. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The placeholder page: the web client is coming; how to join today.
 * `host` is how the browser reached the server (its `Host` header, already
 * checked to be a plain host and port).
 */
function placeholderPage(host: string, tls: boolean): string {
  const [name, port] = splitHost(host);
  const text = tls
    ? `ncat --ssl ${name} ${port}` + "\n" + `openssl s_client -quiet -connect ${host}`
    : `nc ${name} ${port}`;
  const client = `chat-client --host ${name} --port ${port}${tls ? "" : " --plain"}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lanchat</title>
</head>
<body>
<h1>lanchat</h1>
<p>The web client is coming. Until then, join from a terminal:</p>
<pre>${escapeHtml(client)}</pre>
<p>or with a text client:</p>
<pre>${escapeHtml(text)}</pre>
</body>
</html>
`;
}

/** `host:port` or `[v6]:port` as its host and port (the port defaulted by scheme). */
function splitHost(host: string): [string, string] {
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(host);
  const name = match?.[1] ?? host;
  return [name.replace(/^\[(.*)\]$/, "$1"), match?.[2] ?? ""];
}

/**
 * What is served at `path` for a browser that reached the server as
 * `host`, or undefined (404). Only paths in the map exist.
 */
export function findAsset(path: string, host: string, tls: boolean): WebAsset | undefined {
  const pages: Record<string, () => WebAsset> = {
    "/": () => ({
      contentType: "text/html; charset=utf-8",
      body: encoder.encode(placeholderPage(host, tls)),
    }),
  };
  return Object.hasOwn(pages, path) ? pages[path]() : undefined;
}
