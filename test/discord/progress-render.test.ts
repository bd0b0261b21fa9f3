import { describe, expect, it } from 'vitest';
import { clipEscaped, elapsed, escapeInline, footerLine, isExtrasLine, LINE_MAX, notesLine, progressLine, tokenCount } from '../../src/discord/render/progress.js';
import type { ReplyProgress } from '../../src/relay/phase.js';

const progress = (over: Partial<ReplyProgress> = {}): ReplyProgress => ({ running: [], done: 0, failed: 0, elapsedMs: 0, waitingApprovals: 0, ...over });

describe('the live status line', () => {
  it('names the running tools, parallel calls included, or counts them', () => {
    expect(progressLine(progress({ running: ['Exec print text'], elapsedMs: 4_200 }))).toBe('-# ⚙️ Exec print text · 4 s');
    expect(progressLine(progress({ running: ['Exec a', 'Read b'], done: 1, elapsedMs: 42_000 }))).toBe('-# ⚙️ Exec a · Read b · 1 done · 42 s');
    expect(progressLine(progress({ running: ['a', 'b', 'c'], done: 4, failed: 1, elapsedMs: 185_000 }))).toBe('-# ⚙️ 3 tools running · 3 done, 1 failed · 3 min 5 s');
  });

  it('shows plan progress, retries, approvals and sub-agents', () => {
    const plan = [
      { step: 'Read the code', status: 'completed' as const },
      { step: 'Write the tests', status: 'in_progress' as const },
      { step: 'Ship', status: 'pending' as const },
    ];
    expect(progressLine(progress({ plan, elapsedMs: 9_000 }))).toBe('-# ⚙️ 9 s · plan 2/3: Write the tests');
    expect(progressLine(progress({ plan: plan.map((s) => ({ ...s, status: 'completed' as const })) }))).toBe('-# ⚙️ 0 s · plan 3/3 done');
    expect(progressLine(progress({ retry: { attempt: 2, maxAttempts: 10 }, elapsedMs: 61_000 }))).toBe('-# 🔁 retrying 2/10 · 1 min 1 s');
    expect(progressLine(progress({ retry: { attempt: 3, maxAttempts: undefined } }))).toBe('-# 🔁 retrying (attempt 3) · 0 s');
    expect(progressLine(progress({ waitingApprovals: 1, running: ['Exec rm -rf build'], elapsedMs: 7_000 }))).toBe('-# ✋ waiting for approval · Exec rm -rf build · 7 s');
    expect(progressLine(progress({ waitingApprovals: 2 }))).toBe('-# ✋ waiting for 2 approvals · 0 s');
    expect(progressLine(progress({ subAgents: { count: 3 } }))).toBe('-# 🧩 waiting for 3 sub-agents · 0 s');
    expect(progressLine(progress({ subAgents: { count: 1 } }))).toBe('-# 🧩 waiting for 1 sub-agent · 0 s');
    expect(progressLine(progress({ subAgents: { count: undefined } }))).toBe('-# 🧩 waiting for sub-agents · 0 s');
  });

  it('stays one short line, clipping the longest untrusted parts first', () => {
    const line = progressLine(progress({
      running: [`Exec ${'a'.repeat(300)}`, 'Read b.ts'],
      done: 12,
      failed: 3,
      elapsedMs: 3_720_000,
      waitingApprovals: 2,
      plan: [{ step: 'p\n'.repeat(200), status: 'pending' }],
    }));
    expect(line.length).toBeLessThanOrEqual(LINE_MAX);
    expect(line).not.toContain('\n');
    expect(line).toContain('Read b.ts');
    expect(line).toContain('9 done, 3 failed · 1 h 2 min');
    expect(line).toMatch(/^-# ✋ waiting for 2 approvals · Exec a+… · /u);
  });

  it('escapes markdown, mention and link syntax from tools and the model', () => {
    const line = progressLine(progress({ running: ['Exec echo `hi` **bold** <@123> @everyone [x](http://a) ||s|| # h'] }));
    expect(line).toBe('-# ⚙️ Exec echo \\`hi\\` \\*\\*bold\\*\\* \\<\\@123\\> \\@everyone \\[x\\](http://a) \\|\\|s\\|\\| \\# h · 0 s');
    expect(escapeInline('a\n\n-# b\r\nc\u0000d')).toBe('a -\\# b c d');
  });
});

describe('the footer', () => {
  it('says who answered, with which model, how long and at what cost, with the tools folded in', () => {
    expect(footerLine({ agent: 'main', model: 'openai/gpt-5', durationMs: 42_000, tokens: 1234, tools: { done: 3, failed: 0 } })).toBe(
      '-# 🤖 main · openai/gpt-5 · 3 tools · 42 s · 1.2k tokens',
    );
    expect(footerLine({ agent: undefined, model: undefined, durationMs: 185_000, tokens: undefined, tools: { done: 1, failed: 1 } })).toBe('-# 🤖 1 tool (1 failed) · 3 min 5 s');
    expect(footerLine({ agent: 'main', model: undefined, durationMs: 500, tokens: 0 })).toBe('-# 🤖 main · 0 s');
  });

  it('keeps long names short and escaped', () => {
    const line = footerLine({ agent: `agent_${'x'.repeat(200)}`, model: `prov/${'m'.repeat(200)}`, durationMs: 1_000, tokens: 12_345_678 });
    expect(line.length).toBeLessThanOrEqual(LINE_MAX);
    expect(line).toMatch(/^-# 🤖 agent\\_x+… · prov\/m+… · 1 s · 12M tokens$/u);
  });
});

describe('notes', () => {
  it('lead with their own emoji, or an info sign', () => {
    expect(notesLine(['↪️ A follow-up from Bob was steered into this answer.'])).toBe('-# ↪️ A follow-up from Bob was steered into this answer.');
    expect(notesLine(['↪ from Ann', '↪️ from *Bob*'])).toBe('-# ↪ from Ann · ↪️ from \\*Bob\\*');
    expect(notesLine(['plain note'])).toBe('-# ℹ️ plain note');
    expect(notesLine([])).toBeUndefined();
    expect(notesLine(['  '])).toBeUndefined();
  });
});

describe('formats', () => {
  it('writes durations and token counts compactly', () => {
    expect([0, 999, 42_000, 60_000, 185_000, 3_600_000, 3_720_000].map(elapsed)).toEqual(['0 s', '0 s', '42 s', '1 min', '3 min 5 s', '1 h', '1 h 2 min']);
    expect([1, 950, 1_000, 1_234, 9_960, 12_345, 999_499, 999_500, 3_400_000].map(tokenCount)).toEqual([
      '1 token', '950 tokens', '1k tokens', '1.2k tokens', '10k tokens', '12k tokens', '999k tokens', '1M tokens', '3.4M tokens',
    ]);
  });

  it('clips without splitting a character or leaving an escape dangling', () => {
    expect(clipEscaped('ab*cd', 4)).toBe('ab…');
    expect(clipEscaped('ab*cd', 5)).toBe('ab\\*…');
    expect(clipEscaped('😀😀😀', 5)).toBe('😀😀…');
    expect(clipEscaped('short', 10)).toBe('short');
  });

  it('recognises its own lines only', () => {
    expect(isExtrasLine('-# ⚙️ Exec ls · 1 s')).toBe(true);
    expect(isExtrasLine('-# 🤖 main · 1 s')).toBe(true);
    expect(isExtrasLine('-# ↪ steered')).toBe(true);
    expect(isExtrasLine('-# small print')).toBe(false);
    expect(isExtrasLine('⚙️ Exec ls')).toBe(false);
  });
});
