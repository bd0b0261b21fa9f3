// Public types of the fake Discord. Everything a test touches is declared here; index.ts re-exports it.
import type { SpecViolation } from '../../spec/validate.js';

export type { SpecViolation };

/** A JSON object as it travels over the wire. */
export type JsonObject = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------------------------
// Options

export interface FakeUserSpec {
  id?: string;
  username?: string;
  /** Display name; `null` for none. Default: the username with a capital first letter. */
  globalName?: string | null;
  bot?: boolean;
  avatar?: string | null;
}

export interface FakeChannelSpec {
  id?: string;
  name: string;
  /** Discord channel type: 0 text (default), 2 voice, 4 category, 5 announcement, 15 forum, 11/12 thread. */
  type?: number;
  /** Category id for channels; parent channel id for threads (required for type 11/12). */
  parentId?: string;
  topic?: string | null;
  nsfw?: boolean;
  /** Threads only. */
  archived?: boolean;
  locked?: boolean;
  /**
   * Whether the bot has View Channel here. Default true. Without it the channel routes answer 403 50001, no message
   * events from it reach the bot, and app_permissions lack VIEW_CHANNEL, while interactions and their webhook still
   * work. A thread follows its parent.
   */
  botCanView?: boolean;
}

export interface FakeRoleSpec {
  id?: string;
  name: string;
  /** Permission bit set as a decimal string. Default '0'. */
  permissions?: string;
  color?: number;
  position?: number;
  mentionable?: boolean;
}

export interface FakeMemberSpec {
  user: FakeUserSpec;
  roles?: string[];
  nick?: string | null;
}

export interface FakeGuildSpec {
  id?: string;
  name?: string;
  /** Default: text channels 'general' and 'random'. */
  channels?: FakeChannelSpec[];
  /** Extra roles; the @everyone role (id = guild id) is always there. */
  roles?: FakeRoleSpec[];
  members?: FakeMemberSpec[];
  ownerId?: string;
  preferredLocale?: string;
}

export interface RateLimitBucketConfig {
  limit: number;
  windowMs: number;
}

export interface RateLimitConfig {
  /** Bucket per channel for POST /channels/{id}/messages and PATCH/DELETE /channels/{id}/messages/{id}. */
  perChannel: RateLimitBucketConfig | false;
  /** Bucket per webhook id + token for every /webhooks/{app}/{token}… route (interaction replies and follow-ups). */
  perWebhook: RateLimitBucketConfig | false;
  /** Requests per second for requests sent with the bot token (interaction callbacks and webhook routes are exempt). */
  globalPerSecond: number | false;
}

export interface FakeDiscordOptions {
  /** Bot token the fake accepts. Default 'FAKE.BOT.TOKEN'. */
  token?: string;
  /** Default: one guild with text channels 'general' and 'random'. */
  guilds?: FakeGuildSpec[];
  botUserId?: string;
  /** Default: the bot user id (as on Discord for apps made since 2020). */
  applicationId?: string;
  botUsername?: string;
  /** A callback later than this after INTERACTION_CREATE answers 404 10062. Default 3000; `null` disables. */
  ackDeadlineMs?: number | null;
  /**
   * Webhook routes of an interaction token older than this answer 401 50027. Default 15 min (Discord's); `null`
   * disables. Both limits count on the fake's clock, which advanceClock() moves.
   */
  tokenTtlMs?: number | null;
  /** The bot's permissions in a channel, sent as app_permissions. Default: a member's plus Manage Messages/Threads and Mention Everyone. */
  botPermissions?: string | bigint;
  /**
   * Check every request and answer against Discord's OpenAPI spec and documented limits (test/spec); read them with
   * specViolations(). Default true.
   */
  specValidation?: boolean;
  /** Partial config is merged over the defaults; `false` disables rate limiting (no headers, no 429s). */
  rateLimits?: Partial<RateLimitConfig> | false;
  /** HELLO heartbeat_interval. Default 41250. */
  heartbeatIntervalMs?: number;
  /** Send MESSAGE_CREATE/UPDATE/DELETE for the bot's own messages (Discord does). Default true. */
  echoMessages?: boolean;
  /**
   * Privileged intents the app is allowed to ask for (Developer Portal switches). IDENTIFY asking for one that is
   * off closes the gateway with 4014. Default: all allowed.
   */
  privilegedIntents?: { messageContent?: boolean; guildMembers?: boolean; presences?: boolean };
  /** TCP port; default 0 (any free port). */
  port?: number;
  /** Keep at most this many entries in `requests` (oldest dropped; stats() still counts all). Default: no limit. */
  requestLogLimit?: number;
  /** Print a warning the first time the bot calls a route the fake does not model (it answers 404). Default true. */
  warnUnmatched?: boolean;
  /**
   * Largest file a message may carry, in bytes; a bigger one answers 413 40005. Also sent as interactions'
   * `attachment_size_limit`. Default 10 MiB, Discord's default (reference.mdx, Uploading Files); a boosted guild
   * allows more.
   */
  attachmentSizeLimit?: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Recording

export interface UploadedFileInfo {
  field: string;
  filename: string;
  contentType: string;
  size: number;
  /** Hex SHA-256 of the part's bytes. */
  sha256: string;
}

/** One request to the fake CDN (attachment downloads). */
export interface CdnRequest {
  method: string;
  /** `cdn` for `url`s, `media` for `proxy_url`s. */
  host: 'cdn' | 'media';
  /** Path without the signature query, e.g. `/attachments/<channel>/<id>/a.txt`. */
  path: string;
  /** The attachment the path names, if any. */
  attachmentId: string | null;
  status: number;
  /** Whether the request carried an Authorization header (a bot has no reason to send its token to the CDN). */
  authorization: boolean;
  at: number;
}

export interface RateLimitInfo {
  /** Bucket key, e.g. `channel:<channelId>` or `webhook:<appId>/<token>`. */
  bucket: string;
  /** The opaque `x-ratelimit-bucket` hash sent. */
  hash: string;
  limit: number;
  remaining: number;
  resetAfterMs: number;
}

export interface RequestRecord {
  /** 1, 2, 3… in order of arrival. */
  seq: number;
  method: string;
  /** Route template, e.g. `PATCH /webhooks/:app/:token/messages/@original`; `null` when no route matched (404). */
  route: string | null;
  /** Decoded path below /api/v10, without the query, e.g. `/webhooks/123/abc/messages/@original`. */
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body (for multipart: `payload_json`), or undefined. */
  body: unknown;
  files: UploadedFileInfo[];
  /** 0 when the fake never answered (hang or dropped socket, also after handling it). */
  status: number;
  responseBody: unknown;
  /** Arrival time (ms since epoch). */
  time: number;
  durationMs: number;
  /** The per-route bucket it counted against, if any. */
  rateLimit: RateLimitInfo | null;
  /** Whether it counted against the global (per-second) limit. */
  global: boolean;
  /** 'bucket' or 'global' when the fake itself answered 429 because of a limit. */
  rateLimited: 'bucket' | 'global' | null;
  /** An override() answered, delayed or dropped it. */
  overridden: boolean;
  authorized: boolean;
}

export interface RouteStats {
  requests: number;
  rateLimited: number;
  statuses: Record<string, number>;
}

export interface FakeStats {
  total: number;
  /** Every 429 the fake sent, injected ones included. */
  rateLimited: number;
  byRoute: Record<string, RouteStats>;
  /** Keyed like RateLimitInfo.bucket, plus 'global'. */
  byBucket: Record<string, { requests: number; rateLimited: number }>;
}

export interface OverrideRequest {
  method: string;
  route: string | null;
  path: string;
  query: Record<string, string>;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

export interface OverrideSpec {
  match: (req: OverrideRequest) => boolean;
  /** Answer with this status instead of handling the request. Omit to only delay (delayMs) and then handle it. */
  status?: number;
  /**
   * Extra headers. For status 429 the fake fills in `retry-after`, `x-ratelimit-*` and the body itself unless you
   * give them (see retryAfter, global).
   */
  headers?: Record<string, string>;
  body?: unknown;
  /** How many matching requests it applies to. Default 1; Infinity for all. */
  times?: number;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Never answer (the socket is destroyed on close()). */
  hang?: boolean;
  /**
   * Kill the socket instead of answering: 'reset' (TCP RST, retried by discord.js) or 'close' (FIN, not retried)
   * without handling the request; 'after-handling' handles it first (a message is created, its events are sent) and
   * then resets the socket, as when Discord did the work but its answer never arrived, so discord.js sends it again.
   */
  drop?: 'reset' | 'close' | 'after-handling';
  /** For injected 429s: seconds to announce (retry-after and reset-after). Default 1. */
  retryAfter?: number;
  /** For injected 429s: make it a global rate limit. */
  global?: boolean;
}

export interface OverrideHandle {
  /** Requests it has answered so far. */
  readonly hits: number;
  readonly remaining: number;
  cancel(): void;
}

// ---------------------------------------------------------------------------------------------------------------
// Store views

export interface AttachmentInfo {
  id: string;
  filename: string;
  /** Bytes. */
  size: number;
  contentType: string;
  /** Signed CDN url (`?ex=&is=&hm=`), served by the fake's CDN while the url is valid. */
  url: string;
  /** The same file through the media proxy (a second loopback server). */
  proxyUrl: string;
  /** Hex SHA-256 of the bytes; null when the fake has none (a user attachment given without data). */
  sha256: string | null;
  /** Images: read from the file's header unless given. */
  width?: number;
  height?: number;
  description?: string;
  title?: string;
  /** Attachment flags: IS_SPOILER 8. */
  flags?: number;
  /** Uploads of a slash command option and files on ephemeral messages. */
  ephemeral?: boolean;
}

/** A file a person uploads: an ATTACHMENT option's value, or a user message's attachment (fake.addAttachment). */
export interface AttachmentSpec {
  filename: string;
  /** The bytes (a string is UTF-8). Without them the CDN answers 404 for this file. */
  data?: Buffer | Uint8Array | string;
  /** Default: guessed from the bytes and the extension. */
  contentType?: string;
  /** Only without data (default 0). */
  size?: number;
  width?: number;
  height?: number;
  description?: string;
  title?: string;
  spoiler?: boolean;
  /** An outside url instead of the fake CDN's (nothing is served). */
  url?: string;
}

export interface AddAttachmentOptions {
  /** The channel in the CDN path. Default: the first guild's default channel. */
  channelId?: string;
  /** Default true: what a slash command's upload is (`/ephemeral-attachments/…`). */
  ephemeral?: boolean;
}

export interface MentionSet {
  users: string[];
  roles: string[];
  everyone: boolean;
}

export interface MessageVersion {
  kind: 'create' | 'edit';
  /** ms since epoch */
  at: number;
  content: string;
  embeds: unknown[];
  components: unknown[];
  flags: number;
  attachments: AttachmentInfo[];
  /** `allowed_mentions` exactly as sent with this version (undefined when the request had none). */
  allowedMentions: unknown;
  /** Mentions written in the content (`<@id>`, `<@&id>`, `@everyone`/`@here`). */
  contentMentions: MentionSet;
  /** Who is actually pinged after allowed_mentions (and reply rules) are applied. */
  pinged: MentionSet;
  /** Route template of the request that made this version. */
  route: string;
  /** The interaction token used, for interaction routes. */
  interactionToken?: string;
}

export type MessageSource = 'channel' | 'interaction-response' | 'follow-up' | 'user' | 'system';

export interface RecordedMessage {
  id: string;
  channelId: string;
  guildId: string | null;
  authorId: string;
  byBot: boolean;
  source: MessageSource;
  /** Discord message type (0 default, 19 reply, 20 chat input command, 18 thread created…). */
  type: number;
  ephemeral: boolean;
  deleted: boolean;
  deletedAt: number | null;
  createdAt: number;
  editedAt: number | null;
  interactionId: string | null;
  interactionToken: string | null;
  /** Current state (the last version). */
  content: string;
  embeds: unknown[];
  components: unknown[];
  flags: number;
  attachments: AttachmentInfo[];
  /** Thread started from this message, if any. */
  threadId: string | null;
  /** Id of the message it replies to. */
  replyTo: string | null;
  reactions: Record<string, string[]>;
  /** Every version, the first one being the creation. */
  versions: MessageVersion[];
  /** The Discord object the REST API would answer now. */
  api: JsonObject;
}

export interface CallbackRecord {
  type: number;
  data: unknown;
  at: number;
  /** Time since INTERACTION_CREATE was sent. */
  latencyMs: number;
  status: number;
  withResponse: boolean;
  errorCode: number | null;
}

export interface AutocompleteChoice {
  name: string;
  value: string | number;
  name_localizations?: Record<string, string> | null;
}

export interface InteractionView {
  id: string;
  token: string;
  /** 2 command, 3 component, 4 autocomplete, 5 modal submit. */
  type: number;
  channelId: string;
  guildId: string | null;
  userId: string;
  dispatchedAt: number;
  /** The INTERACTION_CREATE `d` that was sent. */
  payload: JsonObject;
  callbacks: CallbackRecord[];
  /** Ms from dispatch to the first accepted callback; null while unacknowledged. */
  ackLatencyMs: number | null;
  /** Type of the accepted callback. */
  ackType: number | null;
  /** The message @original refers to (the reply, or for components the clicked message). */
  original: RecordedMessage | undefined;
  /** Versions of `original` made through this interaction's token (edits after the first callback). */
  edits: MessageVersion[];
  followUps: RecordedMessage[];
  /** Autocomplete answer (type 8). */
  choices: AutocompleteChoice[] | null;
  /** Modal shown (type 9). */
  modal: JsonObject | null;
}

export interface CommandRecord {
  id: string;
  application_id: string;
  guild_id?: string;
  name: string;
  type: number;
  description: string;
  options?: JsonObject[];
  version: string;
  [key: string]: unknown;
}

// ---------------------------------------------------------------------------------------------------------------
// Gateway

export interface IdentifyRecord {
  at: number;
  intents: number;
  shard: [number, number] | null;
  properties: unknown;
  compress: unknown;
  accepted: boolean;
  closeCode: number | null;
}

export interface ResumeRecord {
  at: number;
  sessionId: string;
  seq: number;
  path: string;
  /** Events replayed; -1 when the session was unknown (op 9 sent). */
  replayed: number;
}

export interface GatewaySessionInfo {
  id: string;
  seq: number;
  intents: number;
  connected: boolean;
  ready: boolean;
}

export interface FakeGatewayControl {
  readonly identifies: readonly IdentifyRecord[];
  readonly resumes: readonly ResumeRecord[];
  /** Intents of the most recent IDENTIFY (null before any). */
  readonly intents: number | null;
  /** Open WebSocket connections. */
  readonly connections: number;
  /** Heartbeats received. */
  readonly heartbeats: number;
  sessions(): GatewaySessionInfo[];
  /** op 7 RECONNECT: the client closes and resumes on resume_gateway_url. */
  reconnect(): void;
  /** op 9 INVALID_SESSION. With resumable=false the session is dropped (the client re-identifies after ~6 s). */
  invalidateSession(resumable?: boolean): void;
  /** Close every connection with this code (default 4000: the client resumes). */
  closeConnections(code?: number, reason?: string): void;
  /** Stop (false) or restart (true) answering heartbeats with op 11, to provoke zombie detection. */
  setHeartbeatAck(enabled: boolean): void;
}

// ---------------------------------------------------------------------------------------------------------------
// Drivers

export interface MemberOptions {
  roles?: string[];
  /** Permissions as a decimal string or bigint. Default: a plain member's permissions (no admin). */
  permissions?: string | bigint;
  nick?: string | null;
}

/** An option's value; for an ATTACHMENT option the id of an attachment from addAttachment(), or the file itself. */
export type OptionValue = string | number | boolean | AttachmentSpec;

export interface InteractionBase {
  /** Default: the first guild's 'general' channel (or its first text channel). May be a thread id. */
  channelId?: string;
  /** Default: the channel's guild. */
  guildId?: string;
  /** Send it in the bot's DM with the user instead of a guild (no member, context 1). */
  dm?: boolean;
  /** Default: a user 'tester'. */
  user?: FakeUserSpec;
  member?: MemberOptions;
  /** Default en-US. */
  locale?: string;
  /** Default: the bot's permissions string. */
  appPermissions?: string;
}

export interface ChatInputOptions extends InteractionBase {
  name: string;
  /** `{ prompt: 'hi' }` (types taken from the registered command, else inferred) or raw API options. */
  options?: Record<string, OptionValue> | JsonObject[];
  subcommand?: string;
  subcommandGroup?: string;
}

export interface AutocompleteOptions extends ChatInputOptions {
  /** Name of the option being typed. */
  focused: string;
  /** What is typed in it (default: options[focused] or ''). */
  value?: string;
  /** How long to wait for the bot's type 8 callback. Default: ackDeadlineMs or 3000. */
  timeoutMs?: number;
}

export interface ComponentOptions extends Omit<InteractionBase, 'channelId' | 'guildId' | 'dm'> {
  messageId: string;
  customId: string;
  /** Don't check that the message has a component with this custom_id. */
  force?: boolean;
}

export interface SelectOptions extends ComponentOptions {
  values: string[];
  /** 3 string select (default), 5 user, 6 role, 7 mentionable, 8 channel. */
  componentType?: number;
}

export interface ModalSubmitOptions extends InteractionBase {
  customId: string;
  /** text input custom_id → value */
  fields: Record<string, string>;
  /** The message whose component opened the modal, if any. */
  messageId?: string;
}

export interface UserMessageOptions {
  channelId?: string;
  content: string;
  author?: FakeUserSpec;
  /** Make it mention the bot: `<@botId> ` is put in front unless the content already has it. */
  mentionsBot?: boolean;
  /** Make it mention the bot's managed role (`<@&roleId> ` in front; `mention_roles` lists it). Guild channels only. */
  mentionsBotRole?: boolean;
  /** Reply to this message id. */
  replyTo?: string;
  /** Files in the message (served by the fake CDN when they have data). */
  attachments?: AttachmentSpec[];
}

export interface SentInteraction {
  id: string;
  token: string;
  type: number;
  applicationId: string;
  channelId: string;
  guildId: string | null;
  userId: string;
  payload: JsonObject;
}

// ---------------------------------------------------------------------------------------------------------------
// The fake

/** A spec violation of one request (`seq` as in `requests`). */
export interface RecordedSpecViolation extends SpecViolation {
  seq: number;
}

/** Secrets the fake handed out, for scanning logs. */
export interface IssuedSecrets {
  botToken: string;
  /** Every interaction token sent so far. */
  interactionTokens: string[];
}

export interface ThreadState {
  archived?: boolean;
  locked?: boolean;
}

export interface MessageQuery {
  /** Include messages people sent (sendUserMessage). Default false: only what the bot created. */
  includeUsers?: boolean;
}

export interface FakeDiscord {
  /** `http://127.0.0.1:<port>/api`: pass as `rest: { api }` (discord.js appends /v10). */
  readonly restBase: string;
  /** `http://127.0.0.1:<port>/api/v10` */
  readonly apiBase: string;
  /** `ws://127.0.0.1:<port>/gateway` (what GET /gateway/bot returns). */
  readonly gatewayUrl: string;
  /** `http://127.0.0.1:<port>`: the CDN serving attachment `url`s (a server of its own, like cdn.discordapp.com). */
  readonly cdnBase: string;
  /** `http://127.0.0.1:<port>`: the media proxy serving `proxy_url`s. */
  readonly mediaBase: string;
  readonly port: number;
  readonly token: string;
  readonly botUserId: string;
  readonly applicationId: string;
  /** The first guild. */
  readonly guildId: string;
  /** The user drivers act as by default ('tester'). */
  readonly defaultUserId: string;
  /** Id of a channel by name (first guild unless guildId is given); throws when there is none. */
  channelId(name: string, guildId?: string): string;
  /** Makes (or updates) a user the drivers and mentions can refer to; returns its id. */
  addUser(spec: FakeUserSpec): string;
  /** The bot's managed role in a guild (first guild unless given): `tags.bot_id` is the bot's id. */
  botRoleId(guildId?: string): string;
  /** Archives, unarchives, locks or unlocks a thread (as a moderator would), with THREAD_UPDATE. */
  setThreadState(threadId: string, state: ThreadState): void;
  /** Grants or takes the bot's View Channel in a channel (see FakeChannelSpec.botCanView). */
  setBotCanView(channelId: string, canView: boolean): void;
  /** Moves the fake's clock forward: interaction tokens age (tokenTtlMs) and acks come late (ackDeadlineMs). */
  advanceClock(ms: number): void;
  /** The bot token and every interaction token the fake issued. */
  issuedSecrets(): IssuedSecrets;

  // files
  /** Puts a file a person uploads on the CDN; pass its id as an ATTACHMENT option's value. */
  addAttachment(spec: AttachmentSpec, opts?: AddAttachmentOptions): AttachmentInfo;
  /** The bytes of any attachment the fake holds (uploaded by the bot or added by a test), by id or url. */
  attachmentBytes(idOrUrl: string): Buffer | undefined;
  /** Every request to the CDN and the media proxy, in order. */
  readonly cdnRequests: readonly CdnRequest[];

  // recording
  readonly requests: readonly RequestRecord[];
  waitForRequest(predicate: (r: RequestRecord) => boolean, timeoutMs?: number): Promise<RequestRecord>;
  clearRequests(): void;
  stats(): FakeStats;
  resetStats(): void;
  override(spec: OverrideSpec): OverrideHandle;
  clearOverrides(): void;
  /**
   * Where the traffic so far disagrees with Discord's OpenAPI spec or documented limits: requests the bot sent and
   * answers the fake gave (answers a test chose with override() are not checked). Empty with specValidation: false.
   */
  specViolations(): RecordedSpecViolation[];
  /** specViolations(), then forgets them: for tests that send a bad request on purpose. */
  takeSpecViolations(): RecordedSpecViolation[];

  // store
  /** Messages the bot created (deleted and ephemeral ones included, flagged), in creation order. */
  messages(channelId?: string, query?: MessageQuery): RecordedMessage[];
  /** What a person sees in the channel now: every author, not deleted, not ephemeral, in creation order. */
  visibleMessages(channelId: string): RecordedMessage[];
  message(id: string): RecordedMessage | undefined;
  /** By token or interaction id. */
  interaction(tokenOrId: string): InteractionView | undefined;
  interactions(): InteractionView[];
  /** Registered application commands (global, or of a guild). */
  commands(guildId?: string): CommandRecord[];
  /** Resolves with the first truthy value of `check`, re-evaluated whenever the fake records something. */
  waitFor<T>(check: () => T | undefined | null | false, timeoutMs?: number): Promise<T>;

  // gateway
  readonly gateway: FakeGatewayControl;
  waitForReady(timeoutMs?: number): Promise<void>;
  /** Raw dispatch to every session (no intent filtering). Returns how many sessions got it. */
  dispatch(t: string, d: unknown): number;

  // drivers
  sendChatInput(opts: ChatInputOptions): SentInteraction;
  /** Resolves with the choices of the bot's type 8 callback. */
  sendAutocomplete(opts: AutocompleteOptions): Promise<AutocompleteChoice[]>;
  clickButton(opts: ComponentOptions): SentInteraction;
  selectMenu(opts: SelectOptions): SentInteraction;
  submitModal(opts: ModalSubmitOptions): SentInteraction;
  sendUserMessage(opts: UserMessageOptions): RecordedMessage;

  close(): Promise<void>;
}
