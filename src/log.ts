import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

const REDACTED = '[redacted]';

/**
 * Values that must never reach a log line (tokens, keys). Anything registered here is replaced in the
 * serialised line, whatever field, message or stack trace it turns up in.
 */
const secrets = new Set<string>();

export function registerSecret(value: string | undefined): void {
  // Very short values would blank out ordinary words; no real token is that short.
  if (value && value.length >= 6) secrets.add(value);
}

const TOKEN_IN_URL = /([?&#](?:token|access_token|auth)=)[^&#\s"']+/gi;

/**
 * Discord puts interaction and webhook tokens in the path (`/interactions/<id>/<token>/callback`,
 * `/webhooks/<id>/<token>/…`), and discord.js keeps that URL on every `DiscordAPIError`. Each token is valid for
 * 15 minutes and posts as the bot, and there is one per interaction, so they are matched by shape instead of
 * being registered one by one.
 */
const TOKEN_IN_PATH = /(\/(?:interactions|webhooks)\/\d+\/)[^/?#\s"'\\]+/gi;

export function scrubSecrets(text: string): string {
  let out = text.replace(TOKEN_IN_URL, `$1${REDACTED}`).replace(TOKEN_IN_PATH, `$1${REDACTED}`);
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    const escaped = JSON.stringify(secret).slice(1, -1);
    if (escaped !== secret && out.includes(escaped)) out = out.split(escaped).join(REDACTED);
  }
  return out;
}

const REDACT_PATHS = [
  'token',
  '*.token',
  '*.*.token',
  'password',
  '*.password',
  'privateKey',
  '*.privateKey',
  'deviceToken',
  '*.deviceToken',
  '*.*.deviceToken',
  'authorization',
  '*.authorization',
  'headers.authorization',
];

/**
 * pino's error serializer plus one rule: `requestBody` is dropped, also on nested errors. discord.js keeps the JSON
 * it sent on every `DiscordAPIError` (members' text, a reply's content), which is no log's business. Tokens in its
 * `url` are scrubbed with the rest of the line.
 */
export function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const serialized = pino.stdSerializers.err(error) as unknown as Record<string, unknown>;
  delete serialized['requestBody'];
  const fields = error as unknown as Record<string, unknown>;
  for (const key of Object.keys(serialized)) {
    if (key === 'aggregateErrors') serialized[key] = (error as Error & { errors?: unknown[] }).errors?.map(serializeError);
    else if (fields[key] instanceof Error) serialized[key] = serializeError(fields[key]);
  }
  return serialized;
}

/** Serializes errors wherever they sit in a log call's object, not only under `err`. */
function withSerializedErrors(value: unknown, depth = 0): unknown {
  if (value instanceof Error) return serializeError(value);
  if (depth >= 6 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.some((item) => typeof item === 'object' && item !== null) ? value.map((item) => withSerializedErrors(item, depth + 1)) : value;
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = withSerializedErrors(item, depth + 1);
  return out;
}

export interface LoggerOptions {
  level?: LevelWithSilent;
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      name: 'clawcord',
      level: options.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      hooks: { streamWrite: scrubSecrets },
      serializers: { err: serializeError },
      formatters: { log: (object) => withSerializedErrors(object) as Record<string, unknown> },
    },
    options.destination ?? pino.destination({ dest: 2, sync: true }),
  );
}

/** A logger that writes nothing, for library users and tests that don't care. */
export const silentLogger: Logger = pino({ level: 'silent' });
