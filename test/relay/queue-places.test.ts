import { afterEach, describe, expect, it, vi } from 'vitest';
import { HeldPlaces } from '../../src/relay/queue-places.js';

describe('places held in a queue', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('counts the places held per scope, not the asker’s own, and forgets a released one once', () => {
    const places = new HeldPlaces(10_000);
    const a = places.hold('channel-1');
    const b = places.hold('channel-1');
    places.hold('channel-2');
    expect(places.count('channel-1')).toBe(2);
    expect(places.count('channel-1', a)).toBe(1);
    expect(places.count('channel-3')).toBe(0);
    a.release();
    a.release();
    expect(places.count('channel-1')).toBe(1);
    expect(places.count('channel-1', a)).toBe(1);
    b.release();
    expect(places.count('channel-1')).toBe(0);
    expect(places.count('channel-2')).toBe(1);
  });

  it('gives a place back by itself when its ask does not come in time, but never once the ask has taken it', () => {
    vi.useFakeTimers();
    const places = new HeldPlaces(10_000);
    const forgotten = places.hold('channel-1');
    const taken = places.hold('channel-1');
    vi.advanceTimersByTime(9_999);
    taken.take();
    expect(places.count('channel-1')).toBe(2);
    vi.advanceTimersByTime(1);
    expect(places.count('channel-1')).toBe(1);
    expect(forgotten.held).toBe(false);
    vi.advanceTimersByTime(60_000);
    expect(taken.held).toBe(true);
    expect(places.count('channel-1')).toBe(1);
    taken.release();
    expect(places.count('channel-1')).toBe(0);
  });
});
