// The five scenarios of the benchmark, in full size and in the quick (CI) size.
import type { RateLimitConfig } from '../test/fakes/discord/types.js';

export interface Limits {
  /** Message writes (create, edit, delete) per channel. */
  perChannel: { limit: number; windowMs: number };
  /** Requests per interaction webhook (application id + interaction token). */
  perWebhook: { limit: number; windowMs: number };
  /** Requests per second with the bot token (interaction endpoints are exempt). */
  globalPerSecond: number;
}

/** The defaults, and where they come from: see bench/README.md. */
export const DEFAULT_LIMITS: Limits = {
  perChannel: { limit: 5, windowMs: 5_000 },
  perWebhook: { limit: 5, windowMs: 5_000 },
  globalPerSecond: 50,
};

export interface Pace {
  tokensPerSecond: number;
  tokenChars: number;
}

export const DEFAULT_PACE: Pace = { tokensPerSecond: 20, tokenChars: 4 };

export interface Scenario {
  id: 1 | 2 | 3 | 4 | 5;
  title: string;
  streams: number;
  channels: number;
  /**
   * Ask with `/ask thread:true`: each prompt gets a session of its own (a thread on its reply) while the reply
   * itself streams in the channel. Plain `/ask` runs one answer per channel at a time (bench/README.md).
   */
  thread: boolean;
  /** Characters of each answer. */
  chars: number;
  tokenChars: number;
  /** Between two gateway events; 0: as fast as possible. */
  intervalMs: number;
  /** The fake Discord's limits; false: none (it answers at once). */
  rateLimits: Partial<RateLimitConfig> | false;
}

/** Quick mode runs the limits' windows this many times faster, so a few seconds see several windows. */
export const QUICK_TIME_SCALE = 5;

/** The limits a run uses: as given, or with shorter windows in quick mode. */
export function effectiveLimits(limits: Limits, quick: boolean): Limits {
  if (!quick) return limits;
  const scale = (b: { limit: number; windowMs: number }) => ({ limit: b.limit, windowMs: Math.round(b.windowMs / QUICK_TIME_SCALE) });
  return { perChannel: scale(limits.perChannel), perWebhook: scale(limits.perWebhook), globalPerSecond: limits.globalPerSecond };
}

export function scenarios(options: { quick: boolean; limits: Limits; pace: Pace }): Scenario[] {
  const { quick, pace } = options;
  const limits = effectiveLimits(options.limits, quick);
  const intervalMs = Math.round(1000 / pace.tokensPerSecond);
  const limited = { perChannel: limits.perChannel, perWebhook: limits.perWebhook, globalPerSecond: limits.globalPerSecond };
  const paced = { tokenChars: pace.tokenChars, intervalMs, rateLimits: limited };
  if (quick) {
    return [
      { id: 1, title: 'one stream', streams: 1, channels: 1, thread: false, chars: 120, ...paced },
      { id: 2, title: 'concurrent streams in one channel', streams: 4, channels: 1, thread: true, chars: 80, ...paced },
      { id: 3, title: 'concurrent streams over several channels', streams: 8, channels: 4, thread: true, chars: 80, ...paced },
      { id: 4, title: 'an answer that overflows into more messages', streams: 1, channels: 1, thread: false, chars: 4_200, ...paced, tokenChars: 100 },
      { id: 5, title: 'raw relay cost (events as fast as possible, no limits)', streams: 1, channels: 1, thread: false, chars: 4_000, tokenChars: 4, intervalMs: 0, rateLimits: false },
    ];
  }
  return [
    { id: 1, title: 'one stream of 3000 characters', streams: 1, channels: 1, thread: false, chars: 3_000, ...paced },
    { id: 2, title: '20 concurrent streams in one channel', streams: 20, channels: 1, thread: true, chars: 1_500, ...paced },
    { id: 3, title: '200 concurrent streams over 50 channels', streams: 200, channels: 50, thread: true, chars: 1_500, ...paced },
    { id: 4, title: 'one 20,000-character answer (overflow across messages)', streams: 1, channels: 1, thread: false, chars: 20_000, ...paced },
    {
      id: 5,
      title: 'raw relay cost: 20,000 gateway events as fast as possible, fake Discord answering at once',
      streams: 1,
      channels: 1,
      thread: false,
      chars: 80_000,
      tokenChars: 4,
      intervalMs: 0,
      rateLimits: false,
    },
  ];
}
