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

export function scrubSecrets(text: string): string {
  let out = text.replace(TOKEN_IN_URL, `$1${REDACTED}`);
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
      serializers: { err: pino.stdSerializers.err },
    },
    options.destination ?? pino.destination({ dest: 2, sync: true }),
  );
}

/** A logger that writes nothing, for library users and tests that don't care. */
export const silentLogger: Logger = pino({ level: 'silent' });
