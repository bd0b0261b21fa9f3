// `MEDIA:` lines as 2026.2 reads them (src/media/parse.ts of its package), for the reply clawcord takes from the history.
import { describe, expect, it } from 'vitest';
import { splitMediaLines, withoutPartialMediaLine } from '../../src/gateway/media-lines.js';

describe('splitMediaLines', () => {
  it('takes each media line out and names its files as the gateway does, keeping the blank lines of the rest', () => {
    expect(splitMediaLines('Here is the chart\n\nMEDIA:./chart.png\nMEDIA: `file:///tmp/a b.pdf`\n\nThanks')).toEqual({
      text: 'Here is the chart\n\nThanks',
      urls: ['./chart.png', '/tmp/a b.pdf'],
    });
  });

  it('takes several files on one line, a url, and a bare name only when nothing else on the line is a file', () => {
    expect(splitMediaLines('MEDIA: ./a.png https://x.test/b.jpg').urls).toEqual(['./a.png', 'https://x.test/b.jpg']);
    expect(splitMediaLines('two\nMEDIA:report.txt')).toEqual({ text: 'two', urls: ['report.txt'] });
  });

  it('leaves a line inside a code fence, a mention in a sentence and a line naming no file', () => {
    const text = 'Use it like this:\n```\nMEDIA:./example.png\n```\nwrite MEDIA:./x.png to send\nMEDIA: soon';
    expect(splitMediaLines(text)).toEqual({ text, urls: [] });
  });
});

describe('withoutPartialMediaLine', () => {
  it.each(['M', 'MED', 'MEDIA', 'MEDIA:', 'MEDIA:chart', '  MEDIA:.'])('drops a last line %j', (last) => {
    expect(withoutPartialMediaLine(`Here is the chart\n${last}`)).toBe('Here is the chart');
  });

  it('keeps a last line that is no start of one', () => {
    expect(withoutPartialMediaLine('Here is the chart\nMEDIUM')).toBe('Here is the chart\nMEDIUM');
    expect(withoutPartialMediaLine('Here is the chart\nmedia')).toBe('Here is the chart\nmedia');
    expect(withoutPartialMediaLine('Here is the chart\n')).toBe('Here is the chart\n');
  });
});
