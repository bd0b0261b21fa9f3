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
  detectTimeoutMs: durationMs(50, 1_500),
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

export const storeSchema = z.strictObject({
  url: z.string().min(1).default('sqlite://data/clawcord.sqlite'),
});

export const logSchema = z.strictObject({
  level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export const configSchema = z.strictObject({
  gateway: gatewaySchema,
  discord: discordSchema.prefault({}),
  store: storeSchema.prefault({}),
  log: logSchema.prefault({}),
});

export type Config = z.infer<typeof configSchema>;
export type GatewayConfig = z.infer<typeof gatewaySchema>;

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
