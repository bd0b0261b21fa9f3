import { createHash } from 'node:crypto';
import type { REST } from 'discord.js';
import type { BucketLimit, RateBudget } from '../relay/budget.js';

/**
 * Budget keys for Discord's rate-limit buckets. Discord limits each route (method and path) per major parameter
 * (the channel, or the webhook id and token), and routes that share a limit answer with the same
 * `x-ratelimit-bucket` hash. Until a route has told its hash, message writes to one channel (create and edit)
 * count against one key, and so do the writes of one interaction webhook: the cautious guess. Any other route
 * (reads, thread creation) has a key of its own, so it never spends or blocks a reply's messages.
 */
export const GLOBAL_KEY = 'global';

/** A request as Discord rate-limits it. */
export interface RouteId {
  /** Method and path template, e.g. `PATCH /channels/:channel/messages/:message`. */
  route: string;
  /** The major parameter: a channel id, or a webhook id with a hash of its token. */
  major: string;
}

export const ROUTES = {
  createMessage: 'POST /channels/:channel/messages',
  editMessage: 'PATCH /channels/:channel/messages/:message',
  createFollowUp: 'POST /webhooks/:app/:token',
  editWebhookMessage: 'PATCH /webhooks/:app/:token/messages/:message',
} as const;

const MESSAGE_WRITES: ReadonlySet<string> = new Set([ROUTES.createMessage, ROUTES.editMessage]);
const WEBHOOK_WRITES: ReadonlySet<string> = new Set([ROUTES.createFollowUp, ROUTES.editWebhookMessage]);

/** Interaction tokens are secrets and must not sit in keys that may be logged. */
export function webhookMajor(applicationId: string, token: string): string {
  return `${applicationId}/${createHash('sha256').update(token).digest('hex').slice(0, 16)}`;
}

/** The route of a request discord.js made, for the paths the budget mirrors (channels and webhooks). */
export function routeOf(method: string, path: string): RouteId | undefined {
  const verb = method.toUpperCase();
  const webhook = /^\/webhooks\/(\d+)\/([^/?]+)(\/messages\/[^/?]+)?/.exec(path);
  if (webhook) {
    return { route: `${verb} /webhooks/:app/:token${webhook[3] ? '/messages/:message' : ''}`, major: webhookMajor(webhook[1]!, webhook[2]!) };
  }
  const channel = /^\/channels\/(\d+)((?:\/[^/?]+)*)/.exec(path);
  if (channel) {
    const rest = channel[2]!.replace(/^\/messages\/[^/]+/, '/messages/:message').replace(/\/\d{15,}(?=\/|$)/g, '/:id');
    return { route: `${verb} /channels/:channel${rest}`, major: channel[1]! };
  }
  return undefined;
}

/** What the bot has learned of Discord's buckets: which hash each route answered with. */
export class BucketMap {
  private readonly hashes = new Map<string, string>();

  /** The budget key for a request on this route. */
  keyFor(id: RouteId): string {
    const hash = this.hashes.get(id.route);
    if (hash) return `bucket:${hash}:${id.major}`;
    if (MESSAGE_WRITES.has(id.route)) return `channel:${id.major}`;
    if (WEBHOOK_WRITES.has(id.route)) return `webhook:${id.major}`;
    return `${id.route}:${id.major}`;
  }

  learn(route: string, hash: string): void {
    // Routes are a handful of templates, so this stays small; a changed hash replaces the old one.
    this.hashes.set(route, hash);
  }
}

/** Discord's documented defaults, until its headers say otherwise. */
export function discordDefaultLimit(key: string): BucketLimit {
  // 50 requests a second, with room for the other requests discord.js makes (typing, fetches).
  if (key === GLOBAL_KEY) return { limit: 40, windowMs: 1_000 };
  return { limit: 5, windowMs: 5_000 };
}

interface ResponseLike {
  status: number;
  headers: { get(name: string): string | null };
}

/** Feeds every answer's `x-ratelimit-*` headers into the budget, so pacing follows Discord's real limits. */
export function observeRateLimits(rest: REST, budget: RateBudget, buckets: BucketMap): void {
  rest.on('response', (request: { method: string; path: string }, response: ResponseLike) => {
    const id = routeOf(request.method, request.path);
    if (!id) return;
    const hash = response.headers.get('x-ratelimit-bucket');
    if (hash) buckets.learn(id.route, hash);
    const key = buckets.keyFor(id);
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
