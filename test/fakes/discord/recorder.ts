// The request log: every REST request with its route template, body, answer and the bucket it counted against;
// waiting for requests; per-route and per-bucket counters.
import type { FakeStats, RequestRecord, RouteStats } from './types.js';

interface Waiter {
  predicate: (r: RequestRecord) => boolean;
  resolve: (r: RequestRecord) => void;
}

export class RequestLog {
  readonly entries: RequestRecord[] = [];
  private seq = 0;
  private waiters = new Set<Waiter>();
  private readonly listeners = new Set<() => void>();
  private counters: FakeStats = { total: 0, rateLimited: 0, byRoute: {}, byBucket: {} };

  /** @param limit keep at most this many entries (the oldest are dropped; stats still count everything). */
  constructor(private readonly limit: number = Number.POSITIVE_INFINITY) {}

  nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  onRecord(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  record(entry: RequestRecord): void {
    this.entries.push(entry);
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
    const c = this.counters;
    c.total += 1;
    const is429 = entry.status === 429;
    if (is429) c.rateLimited += 1;
    const routeKey = entry.route ?? `${entry.method} (unmatched)`;
    const route: RouteStats = (c.byRoute[routeKey] ??= { requests: 0, rateLimited: 0, statuses: {} });
    route.requests += 1;
    if (is429) route.rateLimited += 1;
    route.statuses[String(entry.status)] = (route.statuses[String(entry.status)] ?? 0) + 1;
    const bucketKeys: string[] = [];
    if (entry.rateLimit) bucketKeys.push(entry.rateLimit.bucket);
    if (entry.global) bucketKeys.push('global');
    for (const key of bucketKeys) {
      const bucket = (c.byBucket[key] ??= { requests: 0, rateLimited: 0 });
      bucket.requests += 1;
      const countedHere = entry.rateLimited === null ? is429 : (entry.rateLimited === 'global') === (key === 'global');
      if (is429 && countedHere) bucket.rateLimited += 1;
    }
    for (const w of [...this.waiters]) {
      if (w.predicate(entry)) {
        this.waiters.delete(w);
        w.resolve(entry);
      }
    }
    for (const l of this.listeners) l();
  }

  /** Resolves with the first recorded request (already logged or future) that matches. */
  waitFor(predicate: (r: RequestRecord) => boolean, timeoutMs: number): Promise<RequestRecord> {
    const found = this.entries.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        const recent = this.entries
          .slice(-10)
          .map((r) => `${r.method} ${r.path} -> ${r.status}`)
          .join('\n  ');
        reject(new Error(`fake-discord: no matching request within ${timeoutMs} ms. Last requests:\n  ${recent || '(none)'}`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  clear(): void {
    this.entries.length = 0;
  }

  stats(): FakeStats {
    return structuredClone(this.counters);
  }

  resetStats(): void {
    this.counters = { total: 0, rateLimited: 0, byRoute: {}, byBucket: {} };
  }
}
