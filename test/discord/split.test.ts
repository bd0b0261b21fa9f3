import { describe, expect, it } from 'vitest';
import { joinChunks, settledCount, splitMessage, type SplitOptions } from '../../src/discord/render/split.js';

// ---- deterministic text generator ----

type Random = () => number;

/** mulberry32: a tiny seeded PRNG, so every run tests the same texts. */
function random(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const int = (rnd: Random, min: number, max: number): number => min + Math.floor(rnd() * (max - min + 1));
const pick = <T>(rnd: Random, items: readonly T[]): T => items[Math.floor(rnd() * items.length)] as T;
const repeat = (rnd: Random, min: number, max: number, make: () => string): string[] =>
  Array.from({ length: int(rnd, min, max) }, make);

const EMOJI = ['😀', '🚀', '👍🏽', '🇫🇷', 'é', '中文'];

function word(rnd: Random): string {
  const roll = rnd();
  if (roll < 0.05) return pick(rnd, EMOJI).repeat(int(rnd, 1, 3));
  if (roll < 0.08) return `\`${word(rnd)}\``;
  if (roll < 0.1) return '```'; // a fence-looking word in the middle of a line
  return rnd() < 0.1 ? `${letters(rnd)}${pick(rnd, EMOJI)}` : letters(rnd);
}

function letters(rnd: Random): string {
  return Array.from({ length: int(rnd, 1, 10) }, () => String.fromCharCode(97 + int(rnd, 0, 25))).join('');
}

/** Words separated by spaces or tabs; starts with a plain word so it never looks like a fence line. */
function proseLine(rnd: Random, words: number): string {
  const parts = repeat(rnd, 0, words - 1, () => word(rnd));
  return parts.reduce((line, w) => line + pick(rnd, [' ', ' ', ' ', ' ', '  ', '\t']) + w, letters(rnd));
}

/** A "word" with no whitespace, often longer than a whole chunk: URLs, emoji runs. */
function longWord(rnd: Random): string {
  const length = int(rnd, 50, 2500);
  if (rnd() < 0.3) return pick(rnd, EMOJI).repeat(Math.ceil(length / 2));
  let url = 'https://example.com/';
  while (url.length < length) url += rnd() < 0.05 ? pick(rnd, EMOJI) : String.fromCharCode(97 + int(rnd, 0, 25));
  return url;
}

const OPENERS = ['```', '```ts', '~~~', '~~~python', '````md', '   ```js', '``` sh ', '~~~~'];

function codeBlock(rnd: Random, eol: string, unclosed: boolean): string {
  const opener = pick(rnd, OPENERS);
  const marker = /[`~]+/.exec(opener)?.[0] ?? '```';
  const lines = repeat(rnd, 1, 25, () => {
    const roll = rnd();
    if (roll < 0.1) return ''; // a blank line inside the code
    if (marker.startsWith('````') && roll < 0.3) return pick(rnd, ['```', '```ts', '   ```']); // inner fences
    const otherChar = marker.startsWith('`') ? '~~~' : '```';
    if (roll < 0.35) return pick(rnd, ['```ts', otherChar, '    ```', '``` x']); // none of these close the block
    return ' '.repeat(pick(rnd, [0, 0, 2, 4, 8])) + proseLine(rnd, 12);
  });
  const closer = unclosed ? [] : [pick(rnd, [marker, marker, `${marker}${marker[0]}`, `  ${marker}  `])];
  return [opener, ...lines, ...closer].join(eol);
}

interface TextShape {
  /** Add fences whose info string is too long to be carried across chunks. */
  longInfo?: boolean;
}

function generate(rnd: Random, pieces: number, shape: TextShape = {}): string {
  const eol = pick(rnd, ['\n', '\n', '\r\n']);
  const out: string[] = [];
  for (let i = 0; i < pieces; i++) {
    const roll = rnd();
    const last = i === pieces - 1;
    const prose = roll < 0.62;
    if (roll < 0.35) out.push(repeat(rnd, 1, 5, () => proseLine(rnd, 25)).join(eol));
    else if (roll < 0.45) out.push(proseLine(rnd, 120)); // a long line
    else if (roll < 0.55) out.push(`${proseLine(rnd, 4)} ${longWord(rnd)} ${proseLine(rnd, 4)}`);
    else if (roll < 0.62) out.push(repeat(rnd, 1, 6, () => `- ${proseLine(rnd, 15)}`).join(eol));
    else if (roll < 0.67 && shape.longInfo) out.push(`\`\`\`${'x'.repeat(45)}${eol}${proseLine(rnd, 9)}${eol}\`\`\``);
    else out.push(codeBlock(rnd, eol, last && rnd() < 0.5));
    // A space joins two pieces into one line, so only after prose: a fence line must stay a line of its own.
    if (!last) out.push(pick(rnd, [eol, eol + eol, eol + eol, eol + eol + eol, ...(prose ? [' '] : [])]));
  }
  return out.join('');
}

// Dense markup noise: breaks, fence runs, CRLF and surrogate pairs at nearly every position, so that some chunk
// decision lands on every edge case, including exactly at the end of a window.
const NOISE = ['a', 'bc', 'word', ' ', '  ', '\t', '\n', '\n\n', '\r\n', '```', '```ts', '~~~', '````', '`', '😀'];
const LONG_INFO = `~~~${'i'.repeat(40)}`; // too long to carry

function noise(rnd: Random, length: number): string {
  let text = '';
  while (text.length < length) {
    const roll = rnd();
    text += roll < 0.05 ? 'x'.repeat(int(rnd, 20, 90)) : roll < 0.06 ? LONG_INFO : pick(rnd, NOISE);
  }
  return text;
}

const OPTION_SETS: readonly SplitOptions[] = [{ maxLength: 64 }, { maxLength: 120, reserve: 2 }, { maxLength: 400 }];

function* texts(count: number, pieces: number, shape?: TextShape): Generator<[seed: number, text: string]> {
  for (let seed = 1; seed <= count; seed++) yield [seed, generate(random(seed * 7919), pieces, shape)];
}

// ---- independent checks ----

const limitOf = ({ maxLength = 2000, reserve = 0 }: SplitOptions = {}): number => maxLength - reserve;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A plain re-implementation of CommonMark fence tracking: the fence open after the lines of `markdown`, if any. */
function openFence(markdown: string): { run: string; info: string } | undefined {
  let open: { run: string; info: string } | undefined;
  for (const rawLine of markdown.split('\n')) {
    const line = rawLine.replace(/\r$/, '');
    const fence = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(line);
    if (!fence) continue;
    const [, run = '', rest = ''] = fence;
    if (open === undefined) {
      if (!(run.startsWith('`') && rest.includes('`'))) open = { run, info: rest.trim() };
    } else if (run[0] === open.run[0] && run.length >= open.run.length && rest.trim() === '') {
      open = undefined;
    }
  }
  return open;
}

function expectWellFormed(text: string, options: SplitOptions): string[] {
  const chunks = splitMessage(text, options);
  for (const chunk of chunks) {
    expect(chunk.length).toBeLessThanOrEqual(limitOf(options));
    expect(chunk.trim()).not.toBe('');
    expect(chunk).not.toMatch(LONE_SURROGATE);
  }
  // A cut \r\n leaves a chunk ending in \r, before any added closing fence.
  for (const chunk of chunks.slice(0, -1)) expect(chunk).not.toMatch(/\r(\n[`~]{3,})?$/);
  return chunks;
}

// ---- tests ----

describe('splitMessage basics', () => {
  it('returns no chunks for empty or blank text', () => {
    expect(splitMessage('')).toEqual([]);
    expect(splitMessage(' \n\r\n\t ')).toEqual([]);
    expect(settledCount('')).toBe(0);
  });

  it('keeps a text that fits in one chunk as it is, up to exactly maxLength', () => {
    expect(splitMessage('hello')).toEqual(['hello']);
    const full = 'a '.repeat(1000);
    expect(splitMessage(full)).toEqual([full]);
    expect(splitMessage(`${full}b`)).toHaveLength(2);
  });

  it('defaults to 2000 characters and subtracts reserve from every chunk', () => {
    const text = proseLine(random(1), 3000);
    expect(Math.max(...splitMessage(text).map((c) => c.length))).toBeLessThanOrEqual(2000);
    expect(splitMessage(text).some((c) => c.length > 1990)).toBe(true);
    const reserved = splitMessage(text, { reserve: 2 });
    expect(Math.max(...reserved.map((c) => c.length))).toBeLessThanOrEqual(1998);
    expect(joinChunks(reserved)).toBe(text);
  });

  it('rejects options that leave no useful room', () => {
    expect(() => splitMessage('x', { maxLength: 63 })).toThrow(RangeError);
    expect(() => splitMessage('x', { maxLength: 100, reserve: 40 })).toThrow(RangeError);
    expect(() => splitMessage('x', { reserve: -1 })).toThrow(RangeError);
    expect(() => splitMessage('x', { maxLength: 100.5 })).toThrow(RangeError);
    expect(splitMessage('x', { maxLength: 64 })).toEqual(['x']);
  });
});

describe('where chunks end', () => {
  const options = { maxLength: 100 };

  it('prefers a paragraph break, then a line break, then a space, in the second half of the window', () => {
    const para = `${'p '.repeat(30)}\n\n${'q '.repeat(10)}\n${'r '.repeat(40)}`;
    expect(splitMessage(para, options)[0]).toBe(`${'p '.repeat(30)}\n\n`);
    const line = `${'p '.repeat(30)}\n${'q '.repeat(10)}${'r '.repeat(40)}`;
    expect(splitMessage(line, options)[0]).toBe(`${'p '.repeat(30)}\n`);
    const space = `${'p '.repeat(30)}${'q '.repeat(40)}`;
    expect(splitMessage(space, options)[0]).toBe(`${'p '.repeat(30)}${'q '.repeat(20)}`);
  });

  it('does not take an early paragraph break when the second half of the window has a line break', () => {
    const text = `intro\n\n${'a '.repeat(30)}\n${'b '.repeat(40)}`;
    expect(splitMessage(text, options)[0]).toBe(`intro\n\n${'a '.repeat(30)}\n`);
  });

  it('falls back to the best break in the first half when the second half has none', () => {
    const url = `https://example.com/${'x'.repeat(60)}`;
    const text = `one two\n\nthree four ${url} ${'end '.repeat(20)}`;
    expect(splitMessage(text, options)[0]).toBe('one two\n\n');
  });

  it('keeps the separator at the end of the earlier chunk, so the next starts with text', () => {
    const text = `${'word '.repeat(15)}\n\n\n${'next '.repeat(15)}`;
    const chunks = splitMessage(text, options);
    expect(chunks).toEqual([`${'word '.repeat(15)}\n\n\n`, 'next '.repeat(15)]);
    const crlf = `${'word '.repeat(15)}\r\n\r\n${'next '.repeat(15)}`;
    expect(splitMessage(crlf, options)[1]).toBe('next '.repeat(15));
  });

  it('never starts a chunk with a blank line, whatever the window catches', () => {
    for (const [, text] of texts(20, 12)) {
      for (const chunk of splitMessage(text, { maxLength: 80 }).slice(1)) {
        expect(chunk).not.toMatch(/^[ \t]*\r?\n/);
      }
    }
  });

  it('keeps the indentation of the line that starts a chunk', () => {
    const code = Array.from({ length: 12 }, (_, i) => `    line ${i} of indented text`).join('\n');
    for (const chunk of splitMessage(code, options)) expect(chunk).toMatch(/^ {4}line/);
  });

  it('cuts a word longer than the window, and only that word', () => {
    const url = `https://example.com/${'x'.repeat(2980)}`;
    const chunks = expectWellFormed(`see ${url} ok`, {});
    expect(chunks).toEqual(['see ', url.slice(0, 2000), `${url.slice(2000)} ok`]);
  });

  it('never cuts a surrogate pair', () => {
    const emoji = '😀'.repeat(100);
    for (const prefix of ['', 'x']) {
      const chunks = expectWellFormed(prefix + emoji, options);
      expect(joinChunks(chunks)).toBe(prefix + emoji);
      expect(chunks[0]).toHaveLength(prefix ? 99 : 100);
    }
  });

  it('never cuts a \\r\\n', () => {
    const text = `${'x'.repeat(99)}\r\n\r\n${'y'.repeat(20)}`;
    const chunks = expectWellFormed(text, options);
    expect(chunks[0]).toBe('x'.repeat(99));
    expect(joinChunks(chunks)).toBe(text);
  });

  it('does not start a chunk mid-line with a backtick or tilde', () => {
    // The break before "```" is the last one in the window, but a chunk starting with it would look like a fence.
    const text = `${'word '.repeat(19)}\`\`\`${'y'.repeat(10)} ${'more '.repeat(10)}`;
    expect(splitMessage(text, options)[1]).toMatch(/^word ```y/);
  });
});

describe('code fences', () => {
  const options = { maxLength: 100 };
  const code = (n: number, indent = ''): string =>
    Array.from({ length: n }, (_, i) => `${indent}const value${i} = ${i};`).join('\n');

  it('closes an open block at the end of a chunk and reopens it with the same info string', () => {
    const text = `Intro\n\n\`\`\`ts\n${code(10)}\n\`\`\`\n\nOutro`;
    const chunks = expectWellFormed(text, options);
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks[0]).toMatch(/\n```$/);
    for (const chunk of chunks.slice(1, -1)) {
      expect(chunk).toMatch(/^```ts\n/);
      expect(chunk).toMatch(/\n```$/);
    }
    expect(joinChunks(chunks)).toBe(text);
  });

  it('uses the opening marker: tildes, longer runs, indented fences', () => {
    const tildes = `~~~python\n${code(10)}\n~~~`;
    expect(splitMessage(tildes, options)[1]).toMatch(/^~~~python\nconst/);
    expect(splitMessage(tildes, options)[0]).toMatch(/\n~~~$/);

    const inner = Array.from({ length: 10 }, (_, i) => `\`\`\`ts\nconst x${i} = 1;\n\`\`\``).join('\n');
    const four = `\`\`\`\`md\n${inner}\n\`\`\`\``;
    const chunks = expectWellFormed(four, options);
    for (const chunk of chunks.slice(1)) expect(chunk).toMatch(/^````md\n/);
    for (const chunk of chunks.slice(0, -1)) expect(chunk).toMatch(/\n````$/);
    expect(joinChunks(chunks)).toBe(four);

    const indented = `   \`\`\`js  \n${code(10)}\n   \`\`\``;
    expect(splitMessage(indented, options)[1]).toMatch(/^```js\nconst/);
  });

  it('counts the added fence lines toward the limit', () => {
    const text = `\`\`\`ts\n${'x'.repeat(300)}\n\`\`\``;
    const chunks = expectWellFormed(text, options);
    expect(chunks[0]).toBe(`\`\`\`ts\n${'x'.repeat(90)}\n\`\`\``);
    expect(chunks[1]).toBe(`\`\`\`ts\n${'x'.repeat(90)}\n\`\`\``);
    expect(joinChunks(chunks)).toBe(text);
  });

  it('does not reopen after a block is closed, and a longer closing run closes it', () => {
    const text = `\`\`\`\n${code(2)}\n\`\`\`\`\`\n${'after '.repeat(30)}`;
    const chunks = expectWellFormed(text, options);
    expect(chunks.slice(1).some((c) => c.startsWith('```'))).toBe(false);
  });

  it('treats lines that cannot close the block as code', () => {
    const text = `\`\`\`\n${code(3)}\n\`\`\`ts\n~~~\n    \`\`\`\n${code(6)}\n\`\`\`\ndone`;
    const chunks = expectWellFormed(text, options);
    expect(chunks.filter((c) => c.startsWith('```\n')).length).toBeGreaterThan(0);
    expect(chunks.at(-1)).not.toMatch(/^```/);
    expect(joinChunks(chunks)).toBe(text);
  });

  it('ignores a backtick line whose info string has a backtick', () => {
    const text = `\`\`\`a\`b\n${'word '.repeat(40)}`;
    expect(splitMessage(text, options).slice(1).some((c) => c.startsWith('```'))).toBe(false);
  });

  it('leaves the last chunk of an unclosed block open', () => {
    const text = `\`\`\`ts\n${code(8)}`;
    const chunks = expectWellFormed(text, options);
    expect(chunks.at(-1)).toMatch(/^```ts\n/);
    expect(chunks.at(-1)).not.toMatch(/```$/);
    expect(joinChunks(chunks)).toBe(text);
  });

  it('does not end a chunk with an empty block', () => {
    const text = `${'word '.repeat(14)}\n\`\`\`ts\n${'x'.repeat(40)}\n\`\`\``;
    expect(splitMessage(text, options)[0]).toBe(`${'word '.repeat(14)}\n`);
  });

  it('does not carry a fence whose reopening line is too long', () => {
    const text = `\`\`\`${'i'.repeat(45)}\n${code(8)}\n\`\`\``;
    const chunks = expectWellFormed(text, options);
    expect(chunks.slice(1).some((c) => c.startsWith('```'))).toBe(false);
    expect(joinChunks(chunks)).toBe(text);
  });

  it('a hard cut never leaves a line of fence characters that joinChunks would strip', () => {
    // The block closes on a line padded with spaces past a whole window, so the chunk that starts in the padding has
    // no break, and the window ends 3 characters into a line of backticks: "```" alone, like an added closing fence.
    const text = `\`\`\`\n${'x'.repeat(20)}\n\`\`\`${' '.repeat(181)}\n\`\`\`${'y'.repeat(200)}`;
    const chunks = expectWellFormed(text, options);
    expect(joinChunks(chunks)).toBe(text);
  });

  it('closes and reopens exactly the blocks open at each cut, so every chunk but the last is self-contained', () => {
    let reopened = 0;
    for (const options of OPTION_SETS) {
      for (const [, text] of texts(30, 15)) {
        const chunks = splitMessage(text, options);
        chunks.slice(0, -1).forEach((chunk, i) => {
          expect(openFence(chunk)).toBeUndefined();
          // The original text up to this cut; a fence line counts once it is complete.
          const before = joinChunks([...chunks.slice(0, i + 1), '']);
          const open = openFence(before.slice(0, before.lastIndexOf('\n') + 1));
          if (open === undefined) return;
          reopened++;
          expect(chunk.endsWith(`\n${open.run}`)).toBe(true);
          expect(chunks[i + 1]?.startsWith(`${open.run}${open.info}\n`)).toBe(true);
        });
      }
    }
    expect(reopened).toBeGreaterThan(100);
  });
});

describe('joinChunks', () => {
  it('is the inverse of splitMessage on generated texts', () => {
    for (const options of [...OPTION_SETS, {}]) {
      for (const [seed, text] of texts(60, options.maxLength ? 15 : 80)) {
        const chunks = expectWellFormed(text, options);
        expect(joinChunks(chunks), `seed ${seed}`).toBe(text);
      }
    }
  });

  it('is the inverse with fences too long to carry', () => {
    for (const [seed, text] of texts(30, 15, { longInfo: true })) {
      expect(joinChunks(expectWellFormed(text, { maxLength: 90 })), `seed ${seed}`).toBe(text);
    }
  });

  it('is the inverse on dense markup noise', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const text = noise(random(seed), 1000);
      expect(joinChunks(expectWellFormed(text, { maxLength: 64 + (seed % 7) })), `seed ${seed}`).toBe(text);
    }
  });

  it('is exact for edge cases', () => {
    const cases = [
      'x',
      '  leading spaces\n\nand trailing  \n\n',
      `\`\`\`\n${'\n'.repeat(10)}${'y '.repeat(100)}`,
      `~~~\n${'a'.repeat(150)}\n~~~\n~~~\n${'b'.repeat(150)}`,
      `\`\`\`\n${'a'.repeat(70)}\n\`\`\`\n\`\`\`\n${'b'.repeat(70)}\n\`\`\`\n`,
      `${'😀'.repeat(40)}\r\n${'😀'.repeat(40)}`,
      `\`\`\`\`\n\`\`\`\n${'z '.repeat(80)}\n\`\`\`\n\`\`\`\``,
    ];
    for (const text of cases) expect(joinChunks(expectWellFormed(text, { maxLength: 64 }))).toBe(text);
    expect(joinChunks([])).toBe('');
  });
});

describe('prefix stability while streaming', () => {
  /** Grows `text` like a stream and checks every step against the final split. */
  function stream(text: string, options: SplitOptions, rnd: Random, maxStep: number): void {
    const final = splitMessage(text, options);
    for (let length = 0; length <= text.length; length += int(rnd, 1, maxStep)) {
      const partial = text.slice(0, length);
      const chunks = splitMessage(partial, options);
      const settled = settledCount(partial, options);
      // All chunks but the last are settled, and settled chunks are final. (expect() only on failure: it is slow.)
      const stable = settled >= chunks.length - 1 && chunks.slice(0, settled).every((chunk, i) => chunk === final[i]);
      if (!stable) {
        expect(settled).toBeGreaterThanOrEqual(chunks.length - 1);
        expect(chunks.slice(0, settled), `after ${length} characters`).toEqual(final.slice(0, settled));
      }
    }
  }

  it('never changes a chunk other than the last as the text grows', () => {
    for (const options of OPTION_SETS) {
      for (const [seed, text] of texts(15, 8)) stream(text, options, random(seed), 11);
    }
  });

  it('holds at every single length, including between the halves of a surrogate pair', () => {
    for (const [seed, text] of texts(6, 6)) stream(text, { maxLength: 64 }, random(seed), 1);
  });

  it('holds at every single length of dense markup noise', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const options = { maxLength: 64 + (seed % 5) };
      stream(noise(random(seed), 500), options, random(seed), 1);
    }
  });

  it('holds with fences too long to carry', () => {
    for (const [seed, text] of texts(6, 10, { longInfo: true })) stream(text, { maxLength: 90 }, random(seed), 7);
  });

  it('holds for a 20,000-character answer at the default size', () => {
    const rnd = random(42);
    let text = '';
    while (text.length < 20_000) text += generate(rnd, 10) + '\n\n';
    stream(text, {}, rnd, 40);
  });

  it('settled chunks survive any appended text, not only the eventual one', () => {
    const tails = ['\n```\n', '\n\n', '`', '\r', '\n', '😀', '~~~~\n', ' x', 'y'.repeat(500)];
    for (const options of OPTION_SETS) {
      for (const [seed, text] of texts(15, 10)) {
        const rnd = random(seed);
        for (let n = 0; n < 30; n++) {
          const partial = text.slice(0, int(rnd, 0, text.length));
          const settled = settledCount(partial, options);
          const before = splitMessage(partial, options).slice(0, settled);
          const tail = rnd() < 0.5 ? pick(rnd, tails) : generate(rnd, 2);
          expect(splitMessage(partial + tail, options).slice(0, settled)).toEqual(before);
        }
      }
    }
  });

  it('counts every chunk but the last as settled', () => {
    const text = 'word '.repeat(100);
    const settled = settledCount(text, { maxLength: 64 });
    expect(settled).toBe(splitMessage(text, { maxLength: 64 }).length - 1);
    expect(settledCount('short')).toBe(0);
  });

  it('counts every chunk as settled when only blank text follows them', () => {
    const text = `${'word '.repeat(20)}${' '.repeat(200)}`;
    const chunks = splitMessage(text, { maxLength: 64 });
    expect(settledCount(text, { maxLength: 64 })).toBe(chunks.length);
    expect(chunks.every((c) => c.trim() !== '')).toBe(true);
  });
});

describe('cost', () => {
  it('splits a growing 20,000-character answer on every update without slowing down', () => {
    // No timing assertion: this is the bot's workload (one split per streamed update), kept here as a smoke check.
    const rnd = random(7);
    let text = '';
    while (text.length < 20_000) text += generate(rnd, 10) + '\n\n';
    let chunks = 0;
    for (let length = 200; length <= text.length; length += 200) chunks = splitMessage(text.slice(0, length)).length;
    expect(chunks).toBeGreaterThanOrEqual(10);
  });
});
