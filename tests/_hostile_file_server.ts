/**
 * A hostile chat server on 127.0.0.1 for the terminal client's `/send` and
 * `/get`: it speaks enough of the native protocol to welcome the client
 * with an upload token and announce one file, and hands every HTTP request
 * on the same port to the test's `answer`.
 *
 * @module
 */

/** The file announced: its id. */
export const HOSTILE_FILE_ID = "EEEEEEEEEEEEEEEEEEEEEE";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What a test does with an HTTP request: `head` is the request's first bytes. */
export type FileAnswer = (conn: Deno.Conn, head: string) => Promise<void>;

/** The server: its port, and every HTTP request's head so far. */
export interface HostileFileServer extends AsyncDisposable {
  /** The port it listens on. */
  port: number;
  /** The heads of the HTTP requests, in order. */
  requests: string[];
}

/**
 * Listens on 127.0.0.1, port 0: chat lines go to a scripted chat side that
 * announces `name` of `size` bytes; requests starting with `GET`, `HEAD` or
 * `POST` go to `answer`.
 */
export function hostileFileServer(
  answer: FileAnswer,
  file: { name: string; size: number } = { name: "endless.bin", size: 100_000 },
): HostileFileServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  const requests: string[] = [];
  const tasks: Promise<unknown>[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      tasks.push((async () => {
        try {
          const buffer = new Uint8Array(65536);
          const n = await conn.read(buffer);
          if (n === null) return;
          const first = decoder.decode(buffer.subarray(0, n));
          if (/^(GET|HEAD|POST) \//.test(first)) {
            requests.push(first);
            await answer(conn, first);
          } else await chat(conn, first, port, file);
        } catch {
          // The client went away.
        } finally {
          try {
            conn.close();
          } catch { /* closed */ }
        }
      })());
    }
  })().catch(() => {});
  return {
    port,
    requests,
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting;
      await Promise.all(tasks);
    },
  };
}

/** The chat side: welcome with an upload token and a shared file; pongs; a goodbye on /quit. */
async function chat(
  conn: Deno.Conn,
  first: string,
  port: number,
  shared: { name: string; size: number },
): Promise<void> {
  const send = (frame: Record<string, unknown>) =>
    conn.write(encoder.encode(JSON.stringify(frame) + "\n"));
  const ts = Date.now();
  const id = HOSTILE_FILE_ID;
  const file = {
    id,
    name: shared.name,
    size: shared.size,
    type: "application/octet-stream",
    url: `http://127.0.0.1:${port}/f/${id}/${encodeURIComponent(shared.name)}`,
  };
  const buffer = new Uint8Array(65536);
  let pending = first;
  let welcomed = false;
  while (true) {
    const lines = pending.split("\n");
    pending = lines.pop()!;
    for (const line of lines.filter((l) => l.trim() !== "")) {
      const frame = JSON.parse(line);
      if (frame.type === "hello" && !welcomed) {
        welcomed = true;
        await send({
          type: "welcome",
          protocol: 1,
          server: "hostile",
          motd: "",
          nick: "ana",
          room: "#lobby",
          members: ["ana", "bob"],
          memberCount: 2,
          rateLimit: { rate: 50, burst: 100 },
          history: [],
          files: { token: "t".repeat(22), maxFileBytes: 1_000_000 },
        });
        await send({
          type: "msg",
          room: "#lobby",
          id: 1,
          ts,
          from: "bob",
          text: "[file]",
          kind: "say",
          file,
        });
      }
      if (frame.type === "ping") await send({ type: "pong", token: frame.token });
      if (frame.type === "cmd" && frame.name === "quit") {
        await send({ type: "bye", reason: "quit", message: "bye" });
        await conn.closeWrite();
      }
    }
    const n = await conn.read(buffer);
    if (n === null) return;
    pending += decoder.decode(buffer.subarray(0, n));
  }
}
