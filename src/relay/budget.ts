/**
 * A mirror of Discord's rate-limit buckets, so writes slow down before Discord says no. Each bucket allows
 * `limit` requests in any `windowMs` (a sliding window, which never exceeds Discord's fixed windows), and learns
 * the real limit and reset from the `x-ratelimit-*` headers Discord sends back.
 */
export interface BucketLimit {
  limit: number;
  windowMs: number;
}

export interface ObservedLimit {
  limit?: number;
  remaining?: number;
  resetAfterMs?: number;
}

interface Bucket {
  limit: number;
  windowMs: number;
  /** Times of the requests inside the current window, oldest first. */
  sent: number[];
  /** Discord said the bucket is empty until this time. */
  blockedUntil: number;
}

/** Added to every window: clocks and latency differ between us and Discord. */
const SAFETY_MS = 60;

export class RateBudget {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly defaults: (key: string) => BucketLimit,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until one more request on all `keys` fits (0: now), leaving `reserve` requests unused in each. */
  waitMs(keys: readonly string[], reserve = 0): number {
    const now = this.now();
    let wait = 0;
    for (const key of keys) wait = Math.max(wait, this.bucketWait(this.bucket(key), now, reserve));
    return wait;
  }

  /**
   * The spacing that spends `limit - reserve` requests of every bucket of `keys` evenly across its window: writes
   * that keep it never meet a full bucket, so they come steadily instead of in a burst followed by a wait.
   */
  spacingMs(keys: readonly string[], reserve = 0): number {
    let spacing = 0;
    for (const key of keys) {
      const bucket = this.bucket(key);
      spacing = Math.max(spacing, Math.ceil((bucket.windowMs + SAFETY_MS) / Math.max(1, bucket.limit - reserve)));
    }
    return spacing;
  }

  /** How many more requests fit now on `key`. */
  remaining(key: string): number {
    const bucket = this.bucket(key);
    const now = this.now();
    if (bucket.blockedUntil > now) return 0;
    this.expire(bucket, now);
    return Math.max(0, bucket.limit - bucket.sent.length);
  }

  /** Waits until a request on all `keys` fits, then records it. */
  async acquire(keys: readonly string[]): Promise<void> {
    for (let wait = this.waitMs(keys); wait > 0; wait = this.waitMs(keys)) {
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
    this.take(keys);
  }

  /** Records a request on all `keys`. */
  take(keys: readonly string[]): void {
    const now = this.now();
    if (this.buckets.size > 2_000) this.prune(now);
    for (const key of keys) {
      const bucket = this.bucket(key);
      this.expire(bucket, now);
      bucket.sent.push(now);
    }
  }

  /** Learns from Discord's answer on `key`. */
  observe(key: string, observed: ObservedLimit): void {
    const bucket = this.bucket(key);
    const now = this.now();
    if (observed.limit && observed.limit > 0 && observed.limit !== bucket.limit) bucket.limit = observed.limit;
    if (observed.remaining !== undefined) {
      // Discord may have counted requests this mirror did not (a bucket first known under another key): count them
      // as sent when Discord's window began, so they free up when Discord resets it (as soon as it allows, no later;
      // without the reset, now, which is later than they were), and the mirror never runs ahead of Discord.
      this.expire(bucket, now);
      const counted = bucket.limit - observed.remaining;
      const sentAt = observed.resetAfterMs === undefined ? now : Math.min(now, now + observed.resetAfterMs - bucket.windowMs);
      const missing = counted - bucket.sent.length;
      if (missing > 0) {
        const at = bucket.sent.findIndex((t) => t > sentAt);
        bucket.sent.splice(at === -1 ? bucket.sent.length : at, 0, ...new Array<number>(missing).fill(sentAt));
      }
    }
    if (observed.remaining === 0 && observed.resetAfterMs !== undefined) {
      bucket.blockedUntil = Math.max(bucket.blockedUntil, now + observed.resetAfterMs + SAFETY_MS);
    }
  }

  /** Discord answered 429: nothing more on `key` until it allows. */
  blockFor(key: string, retryAfterMs: number): void {
    const bucket = this.bucket(key);
    bucket.blockedUntil = Math.max(bucket.blockedUntil, this.now() + retryAfterMs + SAFETY_MS);
  }

  /** Forgets idle buckets (every reply has a webhook bucket of its own). */
  private prune(now: number): void {
    for (const [key, bucket] of this.buckets) {
      this.expire(bucket, now);
      if (bucket.sent.length === 0 && bucket.blockedUntil <= now) this.buckets.delete(key);
    }
  }

  private bucket(key: string): Bucket {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      const { limit, windowMs } = this.defaults(key);
      bucket = { limit, windowMs, sent: [], blockedUntil: 0 };
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  private expire(bucket: Bucket, now: number): void {
    const horizon = now - bucket.windowMs - SAFETY_MS;
    let drop = 0;
    while (drop < bucket.sent.length && bucket.sent[drop]! <= horizon) drop += 1;
    if (drop > 0) bucket.sent.splice(0, drop);
  }

  private bucketWait(bucket: Bucket, now: number, reserve: number): number {
    this.expire(bucket, now);
    let wait = Math.max(0, bucket.blockedUntil - now);
    const limit = Math.max(1, bucket.limit - reserve);
    if (bucket.sent.length >= limit) {
      const oldestThatMustExpire = bucket.sent[bucket.sent.length - limit]!;
      wait = Math.max(wait, oldestThatMustExpire + bucket.windowMs + SAFETY_MS - now + 1);
    }
    return wait;
  }
}
