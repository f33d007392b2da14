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
 * A verb of your own: add it to the chat's commands, make the {@linkcode Hub}
 * with them, and serve that hub (its options, such as `serverName`, go to
 * the `Hub`, not to the server):
 *
 * ```ts
 * import { ChatServer, ChatSession, defaultCommands, Hub } from "./mod.ts";
 *
 * const commands = defaultCommands().add({
 *   name: "roll", usage: "[sides]", help: "Roll a die", minArgs: 0, maxArgs: 1, rest: false,
 *   run: (ctx, [sides]) => ctx.reply({ type: "notice", message: `1 of ${sides ?? 6}` }),
 * });
 * const hub = new Hub({ serverName: "dice", commands });
 * await using server = await ChatServer.listen({ hostname: "127.0.0.1", port: 0, hub });
 * await using session = await ChatSession.connect({
 *   host: "127.0.0.1", port: server.addr.port, nick: "bot", client: "example",
 * });
 * await session.sendLine("/roll 20");
 * for await (const event of session.events()) {
 *   if (event.type === "notice") break; // { type: "notice", message: "1 of 20" }
 * }
 * ```
 *
 * @module
 */

// The chat core.
export * from "./lib/core/events.ts";
export {
  DEFAULT_RATE_LIMIT,
  type HelloRequest,
  Hub,
  type HubOptions,
  LOBBY,
  type RateLimit,
} from "./lib/core/hub.ts";
export { Member, MemberRooms, type MemberSink, type RemoteNode } from "./lib/core/member.ts";
export { Room } from "./lib/core/room.ts";
export { type BudgetOwner, History, type HistoryBudget, MemoryBudget } from "./lib/core/history.ts";
export { TokenBucket } from "./lib/core/token_bucket.ts";
export { COMMANDS, defaultCommands } from "./lib/core/commands/default_commands.ts";
export {
  type Command,
  CommandClashError,
  type CommandContext,
  CommandNameError,
  CommandRegistry,
} from "./lib/core/command_registry.ts";
export type { ChatServices } from "./lib/core/chat_services.ts";
export type { RoomDirectory } from "./lib/core/room_directory.ts";
export type { NickClaims } from "./lib/core/nick_claims.ts";
export type { Mutes } from "./lib/core/mutes.ts";
export { parseTypedLine, type TypedLine } from "./lib/core/typed_line.ts";
export { foldNick, MAX_NICK_LENGTH, normalizeNick } from "./lib/core/nick.ts";
export { checkRoomName, foldRoom } from "./lib/core/room_name.ts";
export { type SanitizeOptions, sanitizeText } from "./lib/core/sanitize.ts";
export { ChatError, NickError } from "./lib/core/errors.ts";

// State seams, with their in-process implementations.
export {
  LocalRoomLog,
  type RoomEvent,
  type RoomEventBody,
  type RoomLog,
  type RoomLogListener,
} from "./lib/core/state/room_log.ts";
export {
  LocalPresence,
  type Presence,
  type PresenceRoster,
  type Present,
} from "./lib/core/state/presence.ts";
export { type HistoryStore, MemoryStore, type StoredRoom } from "./lib/core/state/history_store.ts";
export {
  type HistoryQuery,
  type HistoryRange,
  type HistoryRanges,
  type HistoryRef,
  queryHistory,
} from "./lib/core/state/history_query.ts";
export {
  type AccessChange,
  type AccessStore,
  type AccessView,
  MemoryAccessStore,
  type Registration,
} from "./lib/core/state/access_store.ts";
export {
  type FileContent,
  type FileIndex,
  type FileRecord,
  MemoryFileIndex,
  type ReleasedContent,
  type RemovedFile,
} from "./lib/core/state/file_index.ts";
export { type CheckedTarget, type FileTarget, uploaderKeys } from "./lib/core/file_share.ts";
export {
  defaultQuota,
  type FileLimits,
  FileSharing,
  type FileSharingOptions,
  type UploadFloor,
  UploadRefused,
} from "./lib/server/file_sharing.ts";
export {
  DEFAULT_FILES_BUDGET_BYTES,
  DEFAULT_MAX_FILE_BYTES,
  FileStore,
  FileStoreError,
  type FileStoreOptions,
  type UploadMeta,
} from "./lib/files/file_store.ts";
export { DiskContent } from "./lib/files/disk_content.ts";
export { cleanFileName } from "./lib/core/file_name.ts";
export {
  MemoryMuteStore,
  type MuteChange,
  type MuteEntry,
  type MuteStore,
} from "./lib/core/state/mute_store.ts";

// The wire: frames, codecs, errors.
export {
  type ByeFrame,
  type ChallengeEvent,
  DEFAULT_PORT,
  type ErrorCode,
  type ErrorFrame,
  type PingEvent,
  type PongEvent,
  type ServerFrame,
  type WireErrorCode,
} from "./lib/protocol/wire_frames.ts";
export {
  type AuthFrame,
  type ClientFrame,
  type CmdFrame,
  type HelloFrame,
  type InputFrame,
  type MsgFrame,
  parseClientFrame,
  type PingFrame,
  type PongFrame,
} from "./lib/protocol/client_frames.ts";
export { InvalidFrameError, parseServerFrame } from "./lib/protocol/server_frames.ts";
export type {
  Codec,
  CodecCapabilities,
  Decoded,
  DecodedFrame,
  ExternalFrame,
  PasswordFrame,
} from "./lib/protocol/codec.ts";
export { NativeCodec } from "./lib/protocol/native_codec.ts";
export { TextCodec, type TextCodecOptions } from "./lib/protocol/text_codec.ts";
export { LineReader } from "./lib/protocol/line_reader.ts";
export { formatEvent, type TextFormatContext } from "./lib/protocol/text_format.ts";
export { ProtocolError } from "./lib/protocol/protocol_error.ts";
export { fingerprintOf } from "./lib/protocol/fingerprint.ts";
export { ConnectError, UsageError } from "./lib/errors.ts";

// The server: listeners, pipes, the server itself.
export {
  ChatServer,
  type ChatServerOptions,
  type LogLevel,
  type LogRecord,
} from "./lib/server/chat_server.ts";
export type {
  Arrival,
  HttpHandOff,
  Listener,
  ListenerServeOptions,
} from "./lib/server/listener.ts";
export { FrontDoor } from "./lib/server/front_door.ts";
export {
  type Admitted,
  ConnectionLimits,
  type ConnectionLimitsOptions,
  type Refusal,
  type Ticket,
} from "./lib/server/connection_limits.ts";
export type { Outbox, OverflowListener, Pipe, PipeReader } from "./lib/server/outbox.ts";
export type { PasswordGateOptions } from "./lib/server/password_gate.ts";
export {
  type CertificateSource,
  createSelfSigned,
  loadCertificate,
  type ServerCertificate,
} from "./lib/server/tls_certificate.ts";

// The client: pipe, protocol session, resolver, trust.
export {
  ChatSession,
  type InvalidFrameEvent,
  RefusedError,
  type SessionOptions,
} from "./lib/client/chat_session.ts";
export {
  type CertificateCheck,
  type ClientPipe,
  type OpenPipe,
  PipeError,
  PipeMismatchError,
  type ServerAddress,
} from "./lib/client/pipe.ts";
export { openSocketPipe } from "./lib/client/socket_pipe.ts";
export { FixedServer, ServerNotFoundError, type ServerResolver } from "./lib/client/resolver.ts";
export { ReconnectingSession, type ReconnectOptions } from "./lib/client/reconnecting_session.ts";
export type {
  RejoinedEvent,
  RoomsChange,
  SessionEvent,
  StatusEvent,
} from "./lib/client/session_events.ts";
export type { Identity } from "./lib/client/identity.ts";
export { ServerTrust, type TrustOptions, UntrustedServerError } from "./lib/client/server_trust.ts";
export { type KnownHost, knownHostName, KnownHosts } from "./lib/client/known_hosts.ts";
export { VERSION } from "./lib/version.ts";
