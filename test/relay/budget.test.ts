import { describe, expect, it } from 'vitest';
import { RateBudget } from '../../src/relay/budget.js';

describe('rate budget', () => {
  it('counts the requests Discord says it has seen, even those the mirror never took on this key', () => {
    let now = 1_000_000;
    const budget = new RateBudget(() => ({ limit: 5, windowMs: 5_000 }), () => now);
    // Discord names a bucket after three requests that the mirror counted under the route's default key.
    budget.observe('bucket:abc', { limit: 5, remaining: 2, resetAfterMs: 4_000 });
    expect(budget.remaining('bucket:abc')).toBe(2);
    budget.take(['bucket:abc']);
    budget.take(['bucket:abc']);
    expect(budget.waitMs(['bucket:abc'])).toBeGreaterThan(0);
    now += 5_100;
    expect(budget.waitMs(['bucket:abc'])).toBe(0);
  });

  it('an answer that counts fewer requests than were sent never frees any', () => {
    const budget = new RateBudget(() => ({ limit: 5, windowMs: 5_000 }), () => 1_000_000);
    for (let i = 0; i < 4; i++) budget.take(['k']);
    budget.observe('k', { limit: 5, remaining: 4 });
    expect(budget.remaining('k')).toBe(1);
  });
});
