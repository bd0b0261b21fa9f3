// Rate-limit emulation as Discord documents it: fixed-window buckets per route group and major parameter, each
// answer carrying x-ratelimit-* headers, and a per-second global limit for requests made with the bot token.
import { createHash } from 'node:crypto';
import type { RateLimitConfig, RateLimitInfo } from './types.js';

export const DEFAULT_RATE_LIMITS: RateLimitConfig = {
  perChannel: { limit: 5, windowMs: 5000 },
  perWebhook: { limit: 5, windowMs: 5000 },
  globalPerSecond: 50,
};

export type LimitKind = 'channel' | 'webhook';

export interface BucketSpec {
  kind: LimitKind;
  /** `channel:<id>` or `webhook:<app>/<token>` */
  key: string;
  /** Opaque x-ratelimit-bucket value, shared by every route of the group (so discord.js queues them together). */
  hash: string;
  limit: number;
  windowMs: number;
}

interface WindowState {
  count: number;
  resetAt: number;
}

export interface RateLimitAnswer {
  status: 429;
  headers: Record<string, string>;
  /** The spec's RatelimitedResponse: Error's code and message, plus retry_after and global. */
  body: { message: string; code: number; retry_after: number; global: boolean };
  scope: 'bucket' | 'global';
}

export interface BucketDecision {
  headers: Record<string, string>;
  info: RateLimitInfo;
  /** Set when the request is over the limit. */
  limited: RateLimitAnswer | null;
}

function opaqueHash(name: string): string {
  return createHash('md5').update(`fake-discord:${name}`).digest('hex');
}

const HASHES: Record<LimitKind, string> = {
  channel: opaqueHash('channel-messages'),
  webhook: opaqueHash('interaction-webhook'),
};

const seconds = (ms: number): number => Math.round(ms) / 1000;

export function resolveRateLimits(option: Partial<RateLimitConfig> | false | undefined): RateLimitConfig | null {
  if (option === false) return null;
  return { ...DEFAULT_RATE_LIMITS, ...(option ?? {}) };
}

export class RateLimiter {
  private readonly buckets = new Map<string, WindowState>();
  private readonly globalWindow: WindowState = { count: 0, resetAt: 0 };

  constructor(readonly config: RateLimitConfig | null) {}

  /** The bucket a request counts against, or null when its group is not limited. */
  bucketFor(kind: LimitKind, major: string): BucketSpec | null {
    if (!this.config) return null;
    const cfg = kind === 'channel' ? this.config.perChannel : this.config.perWebhook;
    if (!cfg) return null;
    return { kind, key: `${kind}:${major}`, hash: HASHES[kind], limit: cfg.limit, windowMs: cfg.windowMs };
  }

  get globalEnabled(): boolean {
    return !!this.config && this.config.globalPerSecond !== false;
  }

  /** Counts one request against the global limit; returns a 429 answer when it is over. */
  takeGlobal(now: number): RateLimitAnswer | null {
    if (!this.config || this.config.globalPerSecond === false) return null;
    const w = this.globalWindow;
    if (now >= w.resetAt) {
      w.count = 0;
      w.resetAt = now + 1000;
    }
    if (w.count >= this.config.globalPerSecond) {
      const retryAfterMs = w.resetAt - now;
      return {
        status: 429,
        scope: 'global',
        headers: {
          'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
          'x-ratelimit-global': 'true',
          'x-ratelimit-scope': 'global',
        },
        body: { message: 'You are being rate limited.', code: 0, retry_after: seconds(retryAfterMs), global: true },
      };
    }
    w.count += 1;
    return null;
  }

  private window(spec: BucketSpec, now: number): WindowState {
    let w = this.buckets.get(spec.key);
    if (!w) {
      w = { count: 0, resetAt: 0 };
      this.buckets.set(spec.key, w);
    }
    if (now >= w.resetAt) {
      w.count = 0;
      w.resetAt = now + spec.windowMs;
    }
    return w;
  }

  private headers(spec: BucketSpec, w: WindowState, now: number): { headers: Record<string, string>; info: RateLimitInfo } {
    const remaining = Math.max(0, spec.limit - w.count);
    const resetAfterMs = Math.max(0, w.resetAt - now);
    return {
      headers: {
        'x-ratelimit-limit': String(spec.limit),
        'x-ratelimit-remaining': String(remaining),
        'x-ratelimit-reset': (w.resetAt / 1000).toFixed(3),
        'x-ratelimit-reset-after': (resetAfterMs / 1000).toFixed(3),
        'x-ratelimit-bucket': spec.hash,
      },
      info: { bucket: spec.key, hash: spec.hash, limit: spec.limit, remaining, resetAfterMs },
    };
  }

  /** Counts one request against the bucket. */
  take(spec: BucketSpec, now: number): BucketDecision {
    const w = this.window(spec, now);
    if (w.count >= spec.limit) {
      const { headers, info } = this.headers(spec, w, now);
      const retryAfterMs = w.resetAt - now;
      return {
        headers,
        info,
        limited: {
          status: 429,
          scope: 'bucket',
          headers: {
            ...headers,
            'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
            'x-ratelimit-scope': 'user',
          },
          body: { message: 'You are being rate limited.', code: 0, retry_after: seconds(retryAfterMs), global: false },
        },
      };
    }
    w.count += 1;
    return { ...this.headers(spec, w, now), limited: null };
  }

  /** The bucket's headers without counting a request (for injected answers). */
  peek(spec: BucketSpec, now: number): { headers: Record<string, string>; info: RateLimitInfo } {
    return this.headers(spec, this.window(spec, now), now);
  }
}

/** Headers and body of an injected 429 (override with status 429 and no headers of its own). */
export function injected429(retryAfterSec: number, global: boolean, bucket: { hash: string; limit: number } | null): RateLimitAnswer {
  const headers: Record<string, string> = {
    'retry-after': String(Math.max(1, Math.ceil(retryAfterSec))),
    'x-ratelimit-scope': global ? 'global' : 'user',
  };
  if (global) {
    headers['x-ratelimit-global'] = 'true';
  } else {
    Object.assign(headers, {
      'x-ratelimit-limit': String(bucket?.limit ?? 5),
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': ((Date.now() + retryAfterSec * 1000) / 1000).toFixed(3),
      'x-ratelimit-reset-after': retryAfterSec.toFixed(3),
      'x-ratelimit-bucket': bucket?.hash ?? opaqueHash('injected'),
    });
  }
  return {
    status: 429,
    scope: global ? 'global' : 'bucket',
    headers,
    body: { message: 'You are being rate limited.', code: 0, retry_after: retryAfterSec, global },
  };
}
