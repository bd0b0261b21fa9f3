// Discord snowflakes: (ms since 2015-01-01) << 22 | worker << 17 | process << 12 | increment.
// Today's values have 19 digits, like real ids. The increment is module-wide so ids stay unique across several fakes
// in one process.
import { randomBytes } from 'node:crypto';

export const DISCORD_EPOCH_MS = 1_420_070_400_000;

let increment = 0n;

export function snowflake(atMs: number = Date.now()): string {
  increment = (increment + 1n) & 0xfffn;
  return ((BigInt(Math.floor(atMs) - DISCORD_EPOCH_MS) << 22n) | (1n << 17n) | (1n << 12n) | increment).toString();
}

export function snowflakeTime(id: string): number {
  return Number(BigInt(id) >> 22n) + DISCORD_EPOCH_MS;
}

export function isSnowflake(value: unknown): value is string {
  return typeof value === 'string' && /^\d{17,20}$/.test(value);
}

/** An interaction token shaped like Discord's (long, url-safe, no slash). */
export function interactionToken(): string {
  return `aW50ZXJhY3Rpb246${randomBytes(48).toString('base64url')}`;
}

export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}
