import { describe, expect, it } from 'vitest';
import { renderReply, shownText } from '../../src/discord/render/reply.js';
import { joinChunks } from '../../src/discord/render/split.js';

describe('renderReply', () => {
  it('shows a placeholder while waiting or queued, with the live flag', () => {
    expect(renderReply('', { kind: 'waiting' })).toEqual([{ content: '⏳ Thinking…', live: true }]);
    expect(renderReply('', { kind: 'queued', position: 2 })).toEqual([
      { content: '⏳ Queued: position 2 (one answer at a time per session).', live: true },
    ]);
  });

  it('adds a cursor while streaming, outside an unfinished code block', () => {
    expect(renderReply('Hello', { kind: 'streaming' })).toEqual([{ content: 'Hello ▌', live: true }]);
    expect(renderReply('Look:\n```ts\nconst a = 1;', { kind: 'streaming' })).toEqual([
      { content: 'Look:\n```ts\nconst a = 1;\n``` ▌', live: true },
    ]);
  });

  it('renders a final reply as exactly the gateway text, across messages', () => {
    const text = Array.from({ length: 120 }, (_, i) => `Line ${i}: ${'word '.repeat(12)}`).join('\n') + '\n```py\nprint(1)\n```';
    const messages = renderReply(text, { kind: 'final' });
    expect(messages.length).toBeGreaterThan(3);
    expect(messages.every((m) => !m.live && m.content.length <= 2000)).toBe(true);
    expect(joinChunks(messages.map((m) => m.content))).toBe(text);
  });

  it('keeps earlier messages identical between streaming and final', () => {
    const text = 'paragraph '.repeat(700);
    const streaming = renderReply(text, { kind: 'streaming' });
    const final = renderReply(text, { kind: 'final' });
    expect(streaming.slice(0, -1)).toEqual(final.slice(0, -1));
    expect(streaming.at(-1)!.content).toBe(`${final.at(-1)!.content} ▌`);
  });

  it('says plainly when a run failed, was stopped or interrupted, after closing an open block', () => {
    expect(renderReply('partial', { kind: 'aborted', by: 'Ada' })).toEqual([{ content: 'partial\n\n⏹️ Stopped by Ada.', live: false }]);
    expect(renderReply('', { kind: 'error', message: 'LLM request failed' })).toEqual([
      { content: '⚠️ **Error:** LLM request failed', live: false },
    ]);
    expect(renderReply('```\ncode', { kind: 'interrupted', reason: 'interrupted by a restart' })[0]!.content).toBe(
      '```\ncode\n```\n\n⚠️ Interrupted: interrupted by a restart.',
    );
    const full = 'x '.repeat(985);
    const reason = 'the provider said no '.repeat(4).trim();
    const messages = renderReply(full, { kind: 'error', message: reason });
    expect(messages).toEqual([
      { content: full, live: false },
      { content: `⚠️ **Error:** ${reason}`, live: false },
    ]);
  });
});

describe('shownText', () => {
  it('reads back the model text from rendered messages, in every phase', () => {
    const text = `Intro\n\n\`\`\`ts\n${'const x = 1;\n'.repeat(200)}\`\`\`\nThe end.`;
    for (const phase of [{ kind: 'streaming' }, { kind: 'final' }, { kind: 'interrupted', reason: 'restart' }, { kind: 'aborted', by: 'Ada' }] as const) {
      expect(shownText(renderReply(text, phase).map((m) => m.content))).toBe(text);
    }
    expect(shownText(renderReply('', { kind: 'waiting' }).map((m) => m.content))).toBe('');
    const closed = 'Done:\n```ts\nconst y = 2;\n```';
    expect(shownText(renderReply(closed, { kind: 'final' }).map((m) => m.content))).toBe(closed);
    expect(shownText(renderReply(closed, { kind: 'streaming' }).map((m) => m.content))).toBe(closed);
  });
});
