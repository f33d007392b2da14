/**
 * A chat server in the test's own process, on 127.0.0.1 port 0. It is
 * `AsyncDisposable`: `await using server = await startServer()` leaks nothing.
 *
 * @module
 */

import { ChatServer, type ChatServerOptions } from "../lib/server/chat_server.ts";

/** Starts an in-process server on 127.0.0.1 with a free port. */
export function startServer(options: ChatServerOptions = {}): Promise<ChatServer> {
  return ChatServer.listen({ hostname: "127.0.0.1", port: 0, ...options });
}
