import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RunActivity } from '../../src/gateway/types.js';
import { LiveReply, type ReplyWriter } from '../../src/relay/live-reply.js';
import type { RenderedMessage, ReplyExtras, ReplyPhase } from '../../src/relay/phase.js';
import { RunProgress } from '../../src/relay/progress.js';
import { lastRunTokens, PROGRESS_TICK_MS, ReplyStatus } from '../../src/relay/reply-status.js';

const tool = (toolCallId: string, phase: 'start' | 'update' | 'end', extra: Partial<Extract<RunActivity, { type: 'tool' }>> = {}): RunActivity => ({
  type: 'tool',
  phase,
  toolCallId,
  name: 'exec',
  title: `Exec ${toolCallId}`,
  status: phase === 'end' ? 'completed' : 'running',
  ...extra,
});

describe('RunProgress', () => {
  let now = 1_000;
  const clock = () => now;

  it('shows parallel tools by title while they run, and counts them (failures too) once they end', () => {
    const progress = new RunProgress(0, clock);
    expect(progress.view()).toBeUndefined();
    expect(progress.apply(tool('a', 'start'))).toBe(true);
    expect(progress.apply(tool('b', 'start'))).toBe(true);
    expect(progress.view()).toMatchObject({ running: ['Exec a', 'Exec b'], done: 0, failed: 0, elapsedMs: 1_000 });
    expect(progress.apply(tool('a', 'update'))).toBe(false);
    progress.apply(tool('b', 'end', { status: 'failed' }));
    progress.apply(tool('a', 'end'));
    // A late duplicate of an end (2026.9 sends item and tool events for one call) counts once.
    expect(progress.apply(tool('a', 'end'))).toBe(false);
    now = 42_000;
    expect(progress.view()).toMatchObject({ running: [], done: 2, failed: 1, elapsedMs: 42_000 });
    expect(progress.tools).toEqual({ done: 2, failed: 1 });
  });

  it('shows the tool a wrapper call reaches, not the wrapper, and counts one step for both', () => {
    const progress = new RunProgress(0, clock);
    progress.apply(tool('wrap', 'start', { name: 'tool_call', title: 'Tool call' }));
    progress.apply(tool('inner', 'start', { parentToolCallId: 'wrap' }));
    expect(progress.view()?.running).toEqual(['Exec inner']);
    progress.apply(tool('inner', 'end'));
    progress.apply(tool('wrap', 'end'));
    expect(progress.view()).toMatchObject({ running: [], done: 1 });
  });

  it('keeps the plan, a retry until text arrives, approvals waited for, and a hand-off until the successor writes', () => {
    const progress = new RunProgress(0, clock);
    progress.apply({ type: 'plan', steps: [{ step: 'Fetch', status: 'completed' }, { step: 'Chart', status: 'in_progress' }] });
    progress.apply({ type: 'retry', attempt: 2, maxAttempts: 10, reason: 'rate_limit' });
    progress.apply({ type: 'approval', phase: 'waiting', approvalId: 'ap1', toolCallId: 'c1' });
    expect(progress.view()).toMatchObject({ plan: [{ step: 'Fetch' }, { step: 'Chart' }], retry: { attempt: 2, maxAttempts: 10 }, waitingApprovals: 1 });
    expect(progress.busy).toBe(true);
    progress.apply({ type: 'approval', phase: 'resolved', approvalId: 'ap1', toolCallId: 'c1' });
    expect(progress.textArrived()).toBe(true);
    expect(progress.view()).toMatchObject({ waitingApprovals: 0 });
    expect(progress.view()?.retry).toBeUndefined();
    progress.apply({ type: 'handoff', waitingFor: 2 });
    expect(progress.view()?.subAgents).toEqual({ count: 2 });
    progress.textArrived();
    expect(progress.view()?.subAgents).toBeUndefined();
  });

  it('adds the output tokens of each model call and remembers the model', () => {
    const progress = new RunProgress(0, clock);
    expect(progress.reportedOutputTokens).toBeUndefined();
    progress.apply({ type: 'usage', outputTokens: 10, callIndex: 0 });
    progress.apply({ type: 'usage', outputTokens: 25, callIndex: 0 });
    progress.apply({ type: 'usage', outputTokens: 7, callIndex: 1 });
    progress.apply({ type: 'model', ref: 'fake/fake-fast' });
    expect(progress.reportedOutputTokens).toBe(32);
    expect(progress.model).toBe('fake/fake-fast');
    expect(progress.visible).toBe(false);
  });
});

describe('lastRunTokens', () => {
  const row = (input?: number, output?: number, total?: number) => ({
    key: 'k',
    title: undefined,
    displayName: undefined,
    model: undefined,
    preview: undefined,
    updatedAt: undefined,
    tokens: { input, output, total },
  });

  it("is the last run's input plus output, never the total (the last prompt's size)", () => {
    expect(lastRunTokens(row(96, 13, 32))).toBe(109);
    expect(lastRunTokens(row(undefined, 13, 32))).toBe(13);
    expect(lastRunTokens(row(undefined, undefined, 32))).toBeUndefined();
    expect(lastRunTokens(undefined)).toBeUndefined();
  });
});

describe('ReplyStatus', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  const seen: Array<ReplyExtras | undefined> = [];
  const render = (text: string, phase: ReplyPhase, extras?: ReplyExtras): RenderedMessage[] => {
    seen.push(extras);
    return [{ content: text, live: phase.kind !== 'final' }];
  };
  const writer: ReplyWriter = { routes: () => [], write: async () => {} };
  const newReply = () => new LiveReply(writer, render, { kind: 'waiting' }, () => {});

  it('shows nothing for a run that only writes text, and a footer once it answers', () => {
    const reply = newReply();
    const status = new ReplyStatus(reply, { progress: 'summary', footer: true }, 0);
    status.text();
    expect(reply.currentExtras).toBeUndefined();
    vi.setSystemTime(12_000);
    status.finish({ agent: 'Main', model: 'fake/fake-fast', tokens: 1234 });
    expect(reply.currentExtras).toEqual({ footer: { agent: 'Main', model: 'fake/fake-fast', durationMs: 12_000, tokens: 1234 } });
  });

  it('moves the elapsed time while a tool runs, and folds the line into the footer at the end (summary)', async () => {
    const reply = newReply();
    const status = new ReplyStatus(reply, { progress: 'summary', footer: true }, 0);
    status.activity(tool('a', 'start'));
    expect(reply.currentExtras?.progress).toMatchObject({ running: ['Exec a'], elapsedMs: 0 });
    await vi.advanceTimersByTimeAsync(PROGRESS_TICK_MS);
    expect(reply.currentExtras?.progress?.elapsedMs).toBe(PROGRESS_TICK_MS);
    status.activity(tool('a', 'end'));
    status.finish({ agent: undefined, model: undefined, tokens: undefined });
    expect(reply.currentExtras).toEqual({ footer: { agent: undefined, model: undefined, durationMs: PROGRESS_TICK_MS, tokens: undefined, tools: { done: 1, failed: 0 } } });
    const before = reply.currentExtras;
    await vi.advanceTimersByTimeAsync(PROGRESS_TICK_MS * 3);
    expect(reply.currentExtras).toBe(before);
  });

  it('keeps only the live line with progress "line", nothing with "off", and a bare tools summary without the footer', () => {
    const line = newReply();
    const lineStatus = new ReplyStatus(line, { progress: 'line', footer: false }, 0);
    lineStatus.activity(tool('a', 'start'));
    expect(line.currentExtras?.progress).toBeDefined();
    lineStatus.finish({ agent: 'Main', model: 'm', tokens: 5 });
    expect(line.currentExtras).toBeUndefined();

    const off = newReply();
    const offStatus = new ReplyStatus(off, { progress: 'off', footer: true }, 0);
    offStatus.activity(tool('a', 'start'));
    expect(off.currentExtras).toBeUndefined();

    const bare = newReply();
    const bareStatus = new ReplyStatus(bare, { progress: 'summary', footer: false }, 0);
    bareStatus.activity(tool('a', 'start'));
    bareStatus.activity(tool('a', 'end'));
    bareStatus.finish({ agent: 'Main', model: 'm', tokens: 5 });
    expect(bare.currentExtras?.footer).toEqual({ agent: undefined, model: undefined, durationMs: 0, tokens: undefined, tools: { done: 1, failed: 0 } });
  });

  it('drops the line when the run ends without an answer, and keeps notes', () => {
    const reply = newReply();
    const status = new ReplyStatus(reply, { progress: 'summary', footer: true }, 0);
    status.activity(tool('a', 'start'));
    status.note('↪️ Bob added to this answer while it ran.');
    status.end();
    expect(reply.currentExtras).toEqual({ notes: ['↪️ Bob added to this answer while it ran.'] });
  });
});
