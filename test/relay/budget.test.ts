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

  it('spreads what a window allows evenly over it, leaving the reserve unused', () => {
    const budget = new RateBudget((key) => (key === 'global' ? { limit: 40, windowMs: 1_000 } : { limit: 5, windowMs: 5_000 }), () => 1_000_000);
    expect(budget.spacingMs(['webhook'])).toBeGreaterThanOrEqual(1_000);
    expect(budget.spacingMs(['webhook'])).toBeLessThan(1_020);
    expect(budget.spacingMs(['webhook'], 1)).toBeGreaterThanOrEqual(1_250);
    expect(budget.spacingMs(['webhook'], 1)).toBeLessThan(1_270);
    // The slowest bucket of a route sets its pace.
    expect(budget.spacingMs(['global', 'webhook'])).toBe(budget.spacingMs(['webhook']));
  });

  it('requests Discord counted that the mirror did not free up when Discord resets its window, not a window later', () => {
    let now = 1_000_000;
    const budget = new RateBudget(() => ({ limit: 5, windowMs: 5_000 }), () => now);
    // A first request on a route not yet known to share the bucket: Discord's window has 1 s left.
    budget.take(['bucket:h']);
    budget.observe('bucket:h', { limit: 5, remaining: 0, resetAfterMs: 1_000 });
    expect(budget.waitMs(['bucket:h'])).toBeGreaterThan(0);
    now += 1_100;
    // Discord has reset: the four it counted before are gone; only the one this mirror took stays in its window.
    expect(budget.remaining('bucket:h')).toBe(4);
  });
});
