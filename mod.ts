/**
 * lanchat: a chat for the local network. This module is the API for
 * embedding it: run a {@linkcode ChatServer} inside another program, drive
 * the chat core ({@linkcode Hub}) with your own transport, or talk to a server
 * with a {@linkcode ChatSession}.
 *
 * @example
 * ```ts
 * import { ChatServer, ChatSession } from "./mod.ts";
 *
 * await using server = await ChatServer.listen({ hostname: "127.0.0.1", port: 0 });
 * await using session = await ChatSession.connect({
 *   host: "127.0.0.1", port: server.addr.port, nick: "bot", client: "example",
 * });
 * await session.sendLine("hello from a bot");
 * ```
 *
 * With TLS, as `chat-server` and `chat-client` run by default:
 *
 * ```ts
 * import { ChatServer, ChatSession, loadCertificate, ServerTrust } from "./mod.ts";
 *
 * const certificate = await loadCertificate({ kind: "memory" });
 * await using server = await ChatServer.listen({ hostname: "127.0.0.1", port: 0, tls: certificate });
 * await using session = await ChatSession.connect({
 *   host: "127.0.0.1", port: server.addr.port, nick: "bot", client: "example",
 *   tls: new ServerTrust({ pinned: certificate.fingerprint, acceptNew: false }),
 * });
 * ```
 *
 * @module
 */

export * from "./lib/core/events.ts";
export { type HelloRequest, Hub, type HubOptions, LOBBY } from "./lib/core/hub.ts";
export { Member, type MemberSink } from "./lib/core/member.ts";
export { Room } from "./lib/core/room.ts";
export {
  type Command,
  type CommandContext,
  COMMANDS,
  defaultCommands,
} from "./lib/core/commands.ts";
export { CommandRegistry } from "./lib/core/command_registry.ts";
export type { ChatServices } from "./lib/core/chat_services.ts";
export {
  LocalRoomLog,
  type RoomEvent,
  type RoomEventBody,
  type RoomLog,
  type RoomLogListener,
} from "./lib/core/state/room_log.ts";
export { LocalPresence, type Presence, type Present } from "./lib/core/state/presence.ts";
export { type HistoryStore, MemoryStore, type StoredRoom } from "./lib/core/state/history_store.ts";
export {
  type AccessStore,
  type AccessView,
  MemoryAccessStore,
  type Registration,
} from "./lib/core/state/access_store.ts";
export { foldNick, MAX_NICK_LENGTH, normalizeNick } from "./lib/core/nick.ts";
export { foldRoom } from "./lib/core/room_name.ts";
export { sanitizeText } from "./lib/core/sanitize.ts";
export { ChatError, NickError } from "./lib/core/errors.ts";
export { ProtocolError } from "./lib/protocol/protocol_error.ts";
export { ConnectError, UsageError } from "./lib/errors.ts";
export { type ClientFrame, parseClientFrame } from "./lib/protocol/client_frames.ts";
export { InvalidFrameError, parseServerFrame } from "./lib/protocol/server_frames.ts";
export { LineReader } from "./lib/protocol/line_reader.ts";
export { formatEvent } from "./lib/protocol/text_format.ts";
export { ChatServer, type ChatServerOptions, type LogRecord } from "./lib/server/chat_server.ts";
export { DEFAULT_PORT } from "./lib/protocol/wire_frames.ts";
export type { Codec, CodecCapabilities, Decoded } from "./lib/protocol/codec.ts";
export { NativeCodec } from "./lib/protocol/native_codec.ts";
export { TextCodec, type TextCodecOptions } from "./lib/protocol/text_codec.ts";
export type { Outbox, Pipe } from "./lib/server/outbox.ts";
export {
  ChatSession,
  type InvalidFrameEvent,
  RefusedError,
  type SessionOptions,
} from "./lib/client/chat_session.ts";
export { VERSION } from "./lib/version.ts";
export {
  type CertificateSource,
  createSelfSigned,
  loadCertificate,
  type ServerCertificate,
} from "./lib/server/tls_certificate.ts";
export { ServerTrust, type TrustOptions, UntrustedServerError } from "./lib/client/server_trust.ts";
export { knownHostName, KnownHosts } from "./lib/client/known_hosts.ts";
export { fingerprintOf } from "./lib/protocol/fingerprint.ts";
