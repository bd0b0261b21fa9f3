import { z } from 'zod';

export const GATEWAY_URL_EXAMPLES =
  'ws://localhost:11112 (the card\'s local gateway) or ws://127.0.0.1:18789 (OpenClaw)';

const websocketUrl = z
  .string({ error: `is required, e.g. ${GATEWAY_URL_EXAMPLES}` })
  .trim()
  .refine((value) => /^wss?:\/\/[^\s/]+/i.test(value), {
    message: `must be a ws:// or wss:// URL, e.g. ${GATEWAY_URL_EXAMPLES}`,
  });

const httpUrl = z
  .string()
  .trim()
  .refine((value) => /^https?:\/\/[^\s/]+/i.test(value), { message: 'must be an http:// or https:// URL' });

const durationMs = (min: number, fallback: number) => z.number().int().min(min).default(fallback);

export const gatewaySchema = z.strictObject({
  url: websocketUrl,
  token: z.string().trim().min(1, 'must not be empty').optional(),
  protocol: z.enum(['auto', 'card', 'openclaw']).default('auto'),
  /** Where the Ed25519 device identity for OpenClaw is kept (created on first use). */
  deviceKeyPath: z.string().min(1).default('./data/device-identity.json'),
  requestTimeoutMs: durationMs(100, 15_000),
  connectTimeoutMs: durationMs(100, 15_000),
  /** How long `auto` waits for an OpenClaw challenge before deciding the server speaks the card. */
  detectTimeoutMs: durationMs(50, 5_000),
  /** A run whose connection dropped and that the gateway does not finish within this time is shown as interrupted. */
  lostRunGraceMs: durationMs(1_000, 60_000),
  /** A run with no event of any kind (text, tool step, status) and no final in the history for this long is ended. */
  runIdleTimeoutMs: durationMs(1_000, 600_000),
  /** How often a run that missed events, or went quiet, is looked up in the session history. */
  recoveryIntervalMs: durationMs(50, 2_000),
  reconnect: z
    .strictObject({
      initialDelayMs: durationMs(10, 500),
      maxDelayMs: durationMs(100, 30_000),
    })
    .prefault({}),
});

export const discordSchema = z.strictObject({
  token: z.string().trim().min(1, 'must not be empty').optional(),
  apiBase: httpUrl.optional(),
});

const snowflakes = z.array(z.string().regex(/^\d{17,20}$/, 'must be a Discord id (17 to 20 digits)')).default([]);

export const relaySchema = z.strictObject({
  /** Minimum time between two live edits of one reply. */
  minEditIntervalMs: z.number().int().min(250, 'must be at least 250 (Discord allows about one edit a second per message)').default(1_000),
  /** Prompts waiting behind the running one, per session. */
  maxQueue: z.number().int().min(0).max(50).default(3),
  /** How a prompt reaches the agent, so it knows who is speaking: {user}, {userId}, {prompt}. */
  promptTemplate: z
    .string()
    .refine((t) => t.includes('{prompt}'), 'must contain {prompt}')
    .default('[{user} ({userId})] {prompt}'),
  /** Agent for channels that have not chosen one; empty means the gateway's default agent. */
  defaultAgent: z.string().default(''),
  /** After a restart, how long a run left in flight may stay silent before its reply says it was interrupted. */
  recoveryTimeoutMs: z.number().int().min(1_000).default(30_000),
  /**
   * What a reply shows of an agent's tool steps: `summary` a live status line that folds into the footer at the end,
   * `line` the live line only, `off` nothing.
   */
  progress: z.enum(['line', 'summary', 'off'], { error: 'must be "line", "summary" or "off"' }).default('summary'),
  /** A small line under each final answer: agent, model, duration, tokens. */
  footer: z.boolean().default(true),
  /** A final answer longer than this many messages keeps its first message and attaches the whole as `answer.md`. */
  fileAfterMessages: z.number().int().min(1).max(50).default(4),
  /** A code block of more lines than this is also attached as a file with its language's extension. */
  codeFileLines: z.number().int().min(1).default(80),
  /**
   * An answer that took longer than this (ms, from the question) ends as a new message that replies to the live one
   * and notifies the asker, because an edit notifies no one; the live message shrinks to a stub pointing to it.
   * 0: always; "off": never (finals always edit in place).
   */
  notifyAfterMs: z
    .union([z.number().int().min(0), z.literal('off')], { error: 'must be a number of milliseconds (0: always) or "off"' })
    .default(30_000),
});

const MiB = 1024 * 1024;

export const attachmentsSchema = z.strictObject({
  /** The most clawcord downloads of one file a person attached; the gateway's own limit may be lower. */
  maxBytes: z.number().int().min(1).max(100 * MiB).default(25 * MiB),
  /** A text file inlined into the prompt (2026.2 and the card take no text files) keeps at most this many characters. */
  inlineTextMaxChars: z.number().int().min(100).max(200_000).default(20_000),
  /** Files the agent produces are attached to the final up to this size each (Discord's own limit is 10 MiB). */
  uploadMaxBytes: z.number().int().min(1).max(500 * MiB).default(10 * MiB),
});

const commandAccess = z.enum(['member', 'admin']);

export const accessSchema = z.strictObject({
  /** Guilds the bot answers in (empty: all). */
  guilds: snowflakes,
  /** Channels the bot answers in (empty: all); a thread counts as its parent. */
  channels: snowflakes,
  /** Roles allowed to use the bot (empty: everyone). */
  roles: snowflakes,
  /** Users allowed to use the bot, besides the roles (empty with empty roles: everyone). */
  users: snowflakes,
  admins: z
    .strictObject({
      roles: snowflakes,
      users: snowflakes,
      /** Members with Discord's Manage Server permission are admins. */
      manageGuild: z.boolean().default(true),
    })
    .prefault({}),
  /** Who may decide an agent's exec approvals, besides the admins (who always may). */
  approvers: z
    .strictObject({
      roles: snowflakes,
      users: snowflakes,
      /** The member whose question led to the request may decide it. */
      asker: z.boolean().default(false),
    })
    .prefault({}),
  /** Per-command override of who may run it: member or admin. */
  commands: z.record(z.string(), commandAccess).default({}),
  allowDMs: z.boolean().default(false),
});

export const threadsSchema = z.strictObject({
  /** In a thread the bot started, any message from a person continues the conversation (needs the Message Content intent). */
  followUpWithoutMention: z.boolean().default(false),
  /** Minutes of inactivity before Discord archives a thread the bot starts. */
  autoArchiveMinutes: z.union([z.literal(60), z.literal(1440), z.literal(4320), z.literal(10080)]).default(1440),
});

export const storeSchema = z.strictObject({
  url: z.string().min(1).default('sqlite://data/clawcord.sqlite'),
  /** Another clawcord process holds the store (a rolling deploy): wait until it stops, or exit at once. */
  whenLocked: z.enum(['wait', 'exit']).default('wait'),
});

export const healthSchema = z.strictObject({
  /** Written every 15 s while the bot runs; the Docker health check reads it. Empty: no file. */
  file: z.string().default('./data/health.json'),
});

export const logSchema = z.strictObject({
  level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export const configSchema = z.strictObject({
  gateway: gatewaySchema,
  discord: discordSchema.prefault({}),
  relay: relaySchema.prefault({}),
  access: accessSchema.prefault({}),
  threads: threadsSchema.prefault({}),
  attachments: attachmentsSchema.prefault({}),
  store: storeSchema.prefault({}),
  health: healthSchema.prefault({}),
  log: logSchema.prefault({}),
});

export type Config = z.infer<typeof configSchema>;
export type GatewayConfig = z.infer<typeof gatewaySchema>;
export type RelayConfig = z.infer<typeof relaySchema>;
export type AccessConfig = z.infer<typeof accessSchema>;
export type ThreadsConfig = z.infer<typeof threadsSchema>;
export type AttachmentsConfig = z.infer<typeof attachmentsSchema>;

/** Environment variables and the config path each one sets. The names are fixed: other tools rely on them. */
export const ENV_VARS = {
  GATEWAY_URL: ['gateway', 'url'],
  GATEWAY_TOKEN: ['gateway', 'token'],
  GATEWAY_PROTOCOL: ['gateway', 'protocol'],
  DISCORD_TOKEN: ['discord', 'token'],
  DISCORD_API_BASE: ['discord', 'apiBase'],
  STORE_URL: ['store', 'url'],
  LOG_LEVEL: ['log', 'level'],
} as const satisfies Record<string, readonly string[]>;
