import { describe, expect, it } from 'vitest';
import { choices, fitLines, oneLine } from '../../src/discord/format.js';

describe('Discord limits in formatting', () => {
  it('keeps autocomplete to 25 choices with names and values of at most 100 characters', () => {
    const entries = Array.from({ length: 40 }, (_, i) => ({ name: `model ${i} ${'x'.repeat(150)}`, value: `p/m${i}` }));
    entries.unshift({ name: 'too long a value', value: 'v'.repeat(101) });
    const result = choices(entries);
    expect(result).toHaveLength(25);
    expect(result.every((c) => c.name.length <= 100 && c.value.length <= 100)).toBe(true);
    expect(result[0]).toEqual({ name: expect.stringMatching(/^model 0 x+…$/), value: 'p/m0' });
  });

  it('fits lines into one message and says how many did not fit', () => {
    const text = fitLines('**Header**', Array.from({ length: 100 }, (_, i) => `line ${i} ${'y'.repeat(50)}`));
    expect(text.length).toBeLessThanOrEqual(2000);
    expect(text).toMatch(/\n…and \d+ more$/);
    expect(oneLine('a\n\n b   c', 10)).toBe('a b c');
  });
});
