import { createHash } from 'node:crypto';
import type { REST } from 'discord.js';
import type { BucketLimit, RateBudget } from '../relay/budget.js';

/**
 * Budget keys for Discord's rate-limit buckets, by route and major parameter: one per channel for channel
 * messages, one per interaction token for interaction webhooks, and the bot-wide global limit (which interaction
 * webhooks, sent without the bot token, are not bound to).
 */
export const GLOBAL_KEY = 'global';

export function channelKey(channelId: string): string {
  return `channel:${channelId}`;
}

/** Keyed by a hash: interaction tokens are secrets and must not sit in keys that may be logged. */
export function webhookKey(applicationId: string, token: string): string {
  return `webhook:${applicationId}/${createHash('sha256').update(token).digest('hex').slice(0, 16)}`;
}

/** Discord's documented defaults, until its headers say otherwise. */
export function discordDefaultLimit(key: string): BucketLimit {
  // 50 requests a second, with room for the other requests discord.js makes (typing, fetches).
  if (key === GLOBAL_KEY) return { limit: 40, windowMs: 1_000 };
  return { limit: 5, windowMs: 5_000 };
}

export function budgetKeyForPath(path: string): string | undefined {
  const webhook = /^\/webhooks\/(\d+)\/([^/?]+)/.exec(path);
  if (webhook) return webhookKey(webhook[1]!, webhook[2]!);
  const channel = /^\/channels\/(\d+)\/messages/.exec(path);
  if (channel) return channelKey(channel[1]!);
  return undefined;
}

interface ResponseLike {
  status: number;
  headers: { get(name: string): string | null };
}

/** Feeds every answer's `x-ratelimit-*` headers into the budget, so pacing follows Discord's real limits. */
export function observeRateLimits(rest: REST, budget: RateBudget): void {
  rest.on('response', (request: { path: string }, response: ResponseLike) => {
    const key = budgetKeyForPath(request.path);
    if (!key) return;
    const header = (name: string) => {
      const value = response.headers.get(name);
      return value === null ? undefined : Number(value);
    };
    const limit = header('x-ratelimit-limit');
    const remaining = header('x-ratelimit-remaining');
    const resetAfter = header('x-ratelimit-reset-after');
    budget.observe(key, { limit, remaining, resetAfterMs: resetAfter === undefined ? undefined : resetAfter * 1000 });
    if (response.status === 429) {
      const retryAfter = header('retry-after') ?? resetAfter ?? 1;
      budget.blockFor(response.headers.get('x-ratelimit-global') ? GLOBAL_KEY : key, retryAfter * 1000);
    }
  });
}
