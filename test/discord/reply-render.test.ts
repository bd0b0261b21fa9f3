import { describe, expect, it } from 'vitest';
import { createReplyRenderer, renderReply, RESERVE, shownText, withoutExtras } from '../../src/discord/render/reply.js';
import { joinChunks } from '../../src/discord/render/split.js';
import type { ReplyExtras, ReplyProgress } from '../../src/relay/phase.js';

const progress = (over: Partial<ReplyProgress> = {}): ReplyProgress => ({ running: [], done: 0, failed: 0, elapsedMs: 0, waitingApprovals: 0, ...over });
const footer = { agent: 'main', model: 'openai/gpt-5', durationMs: 42_000, tokens: 1234, tools: { done: 3, failed: 0 } };

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
    const messages = createReplyRenderer({ fileAfterMessages: 10, codeFileLines: 80 })(text, { kind: 'final' });
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
    const full = 'x '.repeat(885);
    const reason = 'the provider said no '.repeat(12).trim();
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
    // A reply interrupted before any text shows only the note: there is no text to continue from.
    expect(shownText(renderReply('', { kind: 'interrupted', reason: 'restart' }).map((m) => m.content))).toBe('');
    const closed = 'Done:\n```ts\nconst y = 2;\n```';
    expect(shownText(renderReply(closed, { kind: 'final' }).map((m) => m.content))).toBe(closed);
    expect(shownText(renderReply(closed, { kind: 'streaming' }).map((m) => m.content))).toBe(closed);
  });
});

describe('renderReply with extras', () => {
  it('draws the status line under the streaming text, or alone under the placeholder', () => {
    const extras: ReplyExtras = { progress: progress({ running: ['Exec ls -la'], done: 2, elapsedMs: 42_000 }) };
    expect(renderReply('Looking', { kind: 'streaming' }, extras)).toEqual([{ content: 'Looking ▌\n-# ⚙️ Exec ls -la · 2 done · 42 s', live: true }]);
    expect(renderReply('', { kind: 'waiting' }, extras)).toEqual([{ content: '⏳ Thinking…\n-# ⚙️ Exec ls -la · 2 done · 42 s', live: true }]);
    // Outside a code block that is still being written.
    expect(renderReply('```sh\nls', { kind: 'streaming' }, extras)[0]!.content).toBe('```sh\nls\n``` ▌\n-# ⚙️ Exec ls -la · 2 done · 42 s');
  });

  it('ends with exactly the gateway text and the footer; no status line once final', () => {
    const extras: ReplyExtras = { progress: progress({ running: ['Exec ls'] }), footer };
    expect(renderReply('All done.', { kind: 'final' }, extras)).toEqual([
      { content: 'All done.\n-# 🤖 main · openai/gpt-5 · 3 tools · 42 s · 1.2k tokens', live: false },
    ]);
    expect(renderReply('', { kind: 'final' }, { footer })[0]!.content).toBe('*(no text)*\n-# 🤖 main · openai/gpt-5 · 3 tools · 42 s · 1.2k tokens');
    // The footer never lands inside a code block the answer left open.
    expect(renderReply('```\ncode', { kind: 'final' }, { footer })[0]!.content).toBe('```\ncode\n```\n-# 🤖 main · openai/gpt-5 · 3 tools · 42 s · 1.2k tokens');
  });

  it('draws notes in every phase, over the status line or the footer', () => {
    const notes = ['↪️ A follow-up from Bob was steered into this answer.'];
    expect(renderReply('Hi', { kind: 'streaming' }, { notes, progress: progress({ elapsedMs: 3_000 }) })[0]!.content).toBe(
      'Hi ▌\n-# ↪️ A follow-up from Bob was steered into this answer.\n-# ⚙️ 3 s',
    );
    expect(renderReply('Hi', { kind: 'final' }, { notes, footer: { ...footer, tools: undefined, tokens: undefined } })[0]!.content).toBe(
      'Hi\n-# ↪️ A follow-up from Bob was steered into this answer.\n-# 🤖 main · openai/gpt-5 · 42 s',
    );
    expect(renderReply('partial', { kind: 'aborted', by: 'Ada' }, { notes })[0]!.content).toBe(
      'partial\n\n⏹️ Stopped by Ada.\n-# ↪️ A follow-up from Bob was steered into this answer.',
    );
  });

  it('never moves a split point: with or without extras, live or final, the messages hold the same text', () => {
    const text = `${'A paragraph of words that goes on. '.repeat(40)}\n\n${'```ts\n' + 'const value = compute();\n'.repeat(90)}\`\`\`\nThe end.`;
    const plain = renderReply(text, { kind: 'streaming' });
    const withLine = renderReply(text, { kind: 'streaming' }, { progress: progress({ running: ['x'.repeat(300)], elapsedMs: 99_000 }), notes: ['n'.repeat(300)] });
    const final = renderReply(text, { kind: 'final' }, { footer, notes: ['n'.repeat(300)] });
    const finalPlain = renderReply(text, { kind: 'final' });
    expect(plain.length).toBeGreaterThan(1);
    for (const messages of [withLine, final, finalPlain]) {
      expect(messages.length).toBe(plain.length);
      expect(messages.slice(0, -1)).toEqual(finalPlain.slice(0, -1));
      expect(messages.every((m) => m.content.length <= 2000)).toBe(true);
    }
    expect(joinChunks(final.map((m) => withoutExtras(m.content)))).toBe(text);
    expect(joinChunks(finalPlain.map((m) => m.content))).toBe(text);
  });

  it('fits the longest text, the longest lines and the closing fence in one message', () => {
    const text = `\`\`\`${'a'.repeat(20)}\n${'b'.repeat(5000)}`;
    const extras: ReplyExtras = { progress: progress({ running: ['r'.repeat(500), 's'.repeat(500)], plan: [{ step: 'p'.repeat(500), status: 'in_progress' }] }), notes: ['q'.repeat(500)], footer };
    for (const phase of [{ kind: 'streaming' }, { kind: 'final' }] as const) {
      const messages = renderReply(text, phase, extras);
      expect(Math.max(...messages.map((m) => m.content.length))).toBeLessThanOrEqual(2000);
    }
    expect(RESERVE).toBeLessThan(300);
  });

  it('keeps a long phase note and the extras within a message of their own', () => {
    const full = 'x '.repeat(885);
    const reason = 'no '.repeat(1000);
    const messages = renderReply(full, { kind: 'error', message: reason }, { notes: ['↪️ steered'] });
    expect(messages).toHaveLength(2);
    expect(messages[1]!.content.length).toBeLessThanOrEqual(2000);
    expect(messages[1]!.content.endsWith('\n-# ↪️ steered')).toBe(true);
  });

  it('reads back the model text without the lines it added, after a restart', () => {
    const text = `Intro\n\n\`\`\`ts\n${'const x = 1;\n'.repeat(200)}\`\`\`\nThe end.`;
    const extras: ReplyExtras = { progress: progress({ running: ['Exec ls'], elapsedMs: 1_000 }), footer, notes: ['↪️ steered'] };
    for (const phase of [{ kind: 'streaming' }, { kind: 'final' }, { kind: 'interrupted', reason: 'restart' }, { kind: 'aborted', by: 'Ada' }] as const) {
      expect(shownText(renderReply(text, phase, extras).map((m) => m.content))).toBe(text);
    }
    expect(shownText(renderReply('', { kind: 'waiting' }, extras).map((m) => m.content))).toBe('');
    expect(shownText(renderReply('', { kind: 'interrupted', reason: 'restart' }, extras).map((m) => m.content))).toBe('');
    // The model's own subtext stays.
    const own = 'Answer\n-# a small print of its own';
    expect(shownText(renderReply(own, { kind: 'streaming' }, extras).map((m) => m.content))).toBe(own);
    expect(shownText(renderReply(own, { kind: 'final' }, extras).map((m) => m.content))).toBe(own);
  });
});
