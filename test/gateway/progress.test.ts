// Run progress from OpenClaw agent events (issue 11), with frames as captured in
// ../shared/reference/openclaw-agent-events.md §2.2 (v4), §2.3 (v3), §6.2 (retries) and §6.3 (usage).
import { describe, expect, it } from 'vitest';
import { ActivityTracker, agentProgress } from '../../src/gateway/progress.js';
import type { RunStream } from '../../src/gateway/run.js';
import type { RunActivity, RunEvent } from '../../src/gateway/types.js';
import { collect, makeClient, waitFor } from './helpers.js';
import { runFrames, startScriptedOpenClaw, type Frame } from './scripted-openclaw.js';

const KEY = 'agent:main:clawcord:progress';

async function started(protocol: 3 | 4) {
  const gateway = await startScriptedOpenClaw({ protocol });
  const client = makeClient({ url: gateway.url, token: 'tok', protocol: 'openclaw' });
  await client.start();
  const run = await client.chatSend({ sessionKey: KEY, message: 'use your tools' });
  const f = runFrames(run.runId, KEY);
  // v3 sends its tool stream to the run's sender only, without a frame seq.
  const agent = (stream: string, data: Frame, extra: Frame = {}) =>
    gateway.event('agent', { ...f.agent(stream, data), ...extra }, { seq: !(protocol === 3 && stream === 'tool') });
  return { gateway, client, run, f, agent };
}

/** The activities a run yields until its final. */
async function activities(run: RunStream, end: () => void): Promise<RunActivity[]> {
  const events = collect(run);
  end();
  return (await events).flatMap((e: RunEvent) => (e.type === 'activity' ? [e.activity] : []));
}

// The ~70 session-row fields 2026.9 spreads over a `tool` payload, `status` among them.
const SNAPSHOT = { session: { key: KEY }, status: 'failed', startedAt: 1, model: 'not-this', updatedAt: 2 };
const item = (toolCallId: string, phase: string, status: string, extra: Frame = {}): Frame => ({
  itemId: `tool:${toolCallId}`,
  toolCallId,
  name: 'exec',
  kind: 'tool',
  phase,
  title: 'Exec print text',
  status,
  meta: 'print text',
  commandBearing: true,
  startedAt: 1796311768620,
  ...extra,
});

describe('progress on 2026.9', () => {
  it('comes from item events per toolCallId; the tool stream and its snapshot fields are not read twice', async () => {
    const { run, f, gateway, agent } = await started(4);
    const got = await activities(run, () => {
      agent('item', item('call_1_0', 'start', 'running'));
      agent('tool', { phase: 'start', name: 'exec', toolCallId: 'call_1_0', args: { command: 'echo hi-from-exec' } }, SNAPSHOT);
      agent('tool', { phase: 'update', name: 'exec', toolCallId: 'call_1_0', partialResult: { content: [{ type: 'text', text: 'hi-from-exec\n' }] } }, SNAPSHOT);
      agent('command_output', { itemId: 'command:call_1_0', phase: 'delta', title: 'command print text', toolCallId: 'call_1_0', name: 'exec', output: 'hi-from-exec', status: 'running' });
      agent('tool', { phase: 'result', name: 'exec', toolCallId: 'call_1_0', meta: 'print text', isError: false, result: { content: [] } }, SNAPSHOT);
      agent('item', item('call_1_0', 'end', 'completed', { endedAt: 1796311768775 }));
      gateway.event('chat', f.final('Tool results: exec=hi-from-exec'));
    });
    expect(got).toEqual([
      { type: 'tool', phase: 'start', toolCallId: 'call_1_0', name: 'exec', title: 'Exec print text', status: 'running' },
      { type: 'tool', phase: 'end', toolCallId: 'call_1_0', name: 'exec', title: 'Exec print text', status: 'completed' },
    ]);
  });

  it('keeps parallel calls apart as their events interleave, and passes a nested call\'s parent on', async () => {
    const { run, f, gateway, agent } = await started(4);
    const got = await activities(run, () => {
      agent('item', item('call_a', 'start', 'running'));
      agent('item', item('call_b', 'start', 'running', { title: 'Exec list files' }));
      agent('item', item('call_c', 'start', 'running', { name: 'web_fetch', title: 'Fetch page', parentToolCallId: 'call_b' }));
      agent('item', item('call_b', 'end', 'failed', { title: 'Exec list files', error: 'exit 2' }));
      agent('item', item('call_a', 'end', 'completed'));
      gateway.event('chat', f.final('done'));
    });
    expect(got.map((a) => a.type === 'tool' && [a.toolCallId, a.phase, a.status, a.title, a.parentToolCallId])).toEqual([
      ['call_a', 'start', 'running', 'Exec print text', undefined],
      ['call_b', 'start', 'running', 'Exec list files', undefined],
      ['call_c', 'start', 'running', 'Fetch page', 'call_b'],
      ['call_b', 'end', 'failed', 'Exec list files', undefined],
      ['call_a', 'end', 'completed', 'Exec print text', undefined],
    ]);
  });

  it('skips hidden items (the plan tool) and items that are not tool calls (preamble text)', async () => {
    const { run, f, gateway, agent } = await started(4);
    const got = await activities(run, () => {
      agent('item', { itemId: 'commentary-0-a7ef', kind: 'preamble', title: 'Preamble', phase: 'update', progressText: 'Let me check.' });
      agent('item', item('call_p', 'start', 'running', { name: 'progress_card', title: 'Progress card', hideFromChannelProgress: true }));
      agent('item', item('call_p', 'end', 'completed', { name: 'progress_card', title: 'Progress card', hideFromChannelProgress: true }));
      gateway.event('chat', f.final('ok'));
    });
    expect(got).toEqual([]);
  });

  it('tells a published plan', async () => {
    const { run, f, gateway, agent } = await started(4);
    const got = await activities(run, () => {
      gateway.event('progressCard.changed', { sessionKey: KEY, revision: 1 });
      agent('plan', {
        phase: 'update',
        title: 'Plan updated',
        source: 'openclaw',
        steps: [
          { step: 'Fetch data', status: 'completed' },
          { step: 'Render chart', status: 'in_progress' },
          { step: 42, status: 'pending' },
        ],
        explanation: '1/2 complete',
      });
      gateway.event('chat', f.final('Charted.'));
    });
    expect(got).toEqual([
      {
        type: 'plan',
        steps: [
          { step: 'Fetch data', status: 'completed' },
          { step: 'Render chart', status: 'in_progress' },
        ],
      },
    ]);
  });

  it('tells each model retry once, though chat status and run_status both announce it', async () => {
    const { run, f, gateway, agent } = await started(4);
    const retry = (attempt: number) => {
      agent('lifecycle', { phase: 'finishing', error: '⚠️ fake-llm rate limit; Retry-After: 1 seconds', aborted: false, livenessState: 'blocked' });
      gateway.event('chat', { ...f.status('starting_model'), retry: { attempt, maxAttempts: 10, reason: 'rate_limit' } });
      agent('run_status', { phase: 'retrying', message: `Retrying… ${attempt}/10`, retryAttempt: attempt - 1, maxRetries: 9, delayMs: 1000, attempt, maxAttempts: 10, reason: 'rate_limit' });
      agent('lifecycle', { phase: 'start', startedAt: Date.now() });
    };
    const got = await activities(run, () => {
      gateway.event('chat', f.status('preparing_workspace'));
      retry(2);
      retry(3);
      gateway.event('chat', f.final('Answered at last.'));
    });
    expect(got).toEqual([
      { type: 'retry', attempt: 2, maxAttempts: 10, reason: 'rate_limit' },
      { type: 'retry', attempt: 3, maxAttempts: 10, reason: 'rate_limit' },
    ]);
  });

  it('counts usage per model call, the model once, and the approval a tool call waits for', async () => {
    const { run, f, gateway, agent } = await started(4);
    const got = await activities(run, () => {
      agent('lifecycle', { phase: 'start', startedAt: 1 });
      agent('lifecycle', { phase: 'model', provider: 'fake', model: 'fake-fast' });
      agent('usage', { outputTokens: 12 });
      agent('item', item('call_3_0', 'start', 'running'));
      agent('lifecycle', { phase: 'waiting-approval', approvalId: '98f741c7-0379-4009-9f31-ec98a103ee33', toolCallId: 'call_3_0' });
      agent('lifecycle', { phase: 'approval-resolved', approvalId: '98f741c7-0379-4009-9f31-ec98a103ee33', toolCallId: 'call_3_0' });
      agent('item', item('call_3_0', 'end', 'completed'));
      agent('lifecycle', { phase: 'model', provider: 'fake', model: 'fake-fast' });
      agent('usage', { outputTokens: 30 });
      agent('lifecycle', { phase: 'model', provider: null, model: null });
      agent('lifecycle', {
        phase: 'end',
        stopReason: 'stop',
        aborted: false,
        terminalReply: { disposition: 'visible', text: 'Tool results: exec=approved-run' },
        terminalReceipt: { requested: { provider: 'fake', model: 'fake-fast' }, effective: { provider: 'fake', model: 'fake-smart', responseModel: 'fake-smart-v2' }, successfulToolNames: ['exec'] },
      });
      gateway.event('chat', f.final('Tool results: exec=approved-run'));
    });
    expect(got.filter((a) => a.type !== 'tool')).toEqual([
      { type: 'model', ref: 'fake/fake-fast' },
      { type: 'usage', outputTokens: 12, callIndex: 0 },
      { type: 'approval', phase: 'waiting', approvalId: '98f741c7-0379-4009-9f31-ec98a103ee33', toolCallId: 'call_3_0' },
      { type: 'approval', phase: 'resolved', approvalId: '98f741c7-0379-4009-9f31-ec98a103ee33', toolCallId: 'call_3_0' },
      { type: 'usage', outputTokens: 18, callIndex: 1 },
      // The receipt of the end names what really answered (here after a failover).
      { type: 'model', ref: 'fake/fake-smart' },
    ]);
  });
});

describe('progress on 2026.2', () => {
  it('comes from the tool stream: the command titles the step until the result\'s summary does', async () => {
    const { run, f, gateway, agent } = await started(3);
    const got = await activities(run, () => {
      agent('lifecycle', { phase: 'start', startedAt: 1 });
      agent('tool', { phase: 'start', name: 'exec', toolCallId: 'call_1_0', args: { command: 'echo hi-from-exec' } });
      agent('tool', { phase: 'update', name: 'exec', toolCallId: 'call_1_0' });
      agent('tool', { phase: 'result', name: 'exec', toolCallId: 'call_1_0', meta: 'print text', isError: false });
      agent('tool', { phase: 'start', name: 'read', toolCallId: 'call_2_0', args: { path: 'x' } });
      agent('tool', { phase: 'result', name: 'read', toolCallId: 'call_2_0', isError: true });
      agent('lifecycle', { phase: 'end', endedAt: 2 });
      gateway.event('chat', f.final('Tool results: exec=hi-from-exec'));
    });
    expect(got).toEqual([
      { type: 'tool', phase: 'start', toolCallId: 'call_1_0', name: 'exec', title: 'echo hi-from-exec', status: 'running' },
      { type: 'tool', phase: 'update', toolCallId: 'call_1_0', name: 'exec', title: 'echo hi-from-exec', status: 'running' },
      { type: 'tool', phase: 'end', toolCallId: 'call_1_0', name: 'exec', title: 'print text', status: 'completed' },
      { type: 'tool', phase: 'start', toolCallId: 'call_2_0', name: 'read', title: undefined, status: 'running' },
      { type: 'tool', phase: 'end', toolCallId: 'call_2_0', name: 'read', title: undefined, status: 'failed' },
    ]);
  });
});

describe('the run iterator', () => {
  it('yields activities between texts and ends only with the final', async () => {
    const { run, f, gateway, agent } = await started(4);
    const events = collect(run);
    gateway.event('chat', f.delta('Let me check.'));
    agent('item', item('call_1', 'start', 'running'));
    agent('item', item('call_1', 'end', 'completed'));
    gateway.event('chat', f.delta('Let me check.\n\nAll done.'));
    gateway.event('chat', f.final('Let me check.\n\nAll done.'));
    expect((await events).map((e) => (e.type === 'activity' ? `${e.activity.type}:${e.activity.type === 'tool' ? e.activity.phase : ''}` : e.type))).toEqual([
      'text',
      'tool:start',
      'tool:end',
      'text',
      'final',
    ]);
  });

  it('tells a yielded final as a hand-off and goes on to the successor turn\'s final', async () => {
    const { run, f, gateway } = await started(4);
    const events = collect(run);
    gateway.event('chat', f.final('I started 2 sub-agents.', { stopReason: 'end_turn', yielded: true }));
    await waitFor(() => run.handedOff, 2_000, 'the hand-off');
    const next = runFrames('successor-run', KEY);
    gateway.event('chat', next.delta('Both are back'));
    gateway.event('chat', next.final('Both are back: 42.'));
    expect((await events).map((e) => (e.type === 'activity' ? e.activity : e.type))).toEqual([
      'text',
      { type: 'handoff', waitingFor: undefined },
      'text',
      'final',
    ]);
  });

  it('counts the sub-agents a handed-off turn waits for from 2026.9 task events, and is kept alive by them', async () => {
    const gateway = await startScriptedOpenClaw({ protocol: 4 });
    const client = makeClient({ url: gateway.url, token: 'tok', protocol: 'openclaw', runIdleTimeoutMs: 600 });
    await client.start();
    const run = await client.chatSend({ sessionKey: KEY, message: 'research with helpers' });
    const f = runFrames(run.runId, KEY);
    const task = (taskId: string, status: string, sessionKey = KEY) =>
      gateway.event('task', {
        action: 'upserted',
        task: { id: taskId, taskId, kind: 'subagent', runtime: 'subagent', status, execution: { state: 'running' }, title: 'child', agentId: 'main', sessionKey, childSessionKey: `agent:main:subagent:${taskId}` },
      });
    const events = collect(run);
    task('t1', 'running');
    task('t2', 'running');
    task('t9', 'running', 'agent:main:clawcord:elsewhere');
    gateway.event('chat', f.final('Spawning.', { stopReason: 'end_turn', yielded: true }));
    await waitFor(() => run.handedOff, 2_000, 'the hand-off');
    // The children report for longer than the idle limit: the turn waits for them.
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      task('t1', 'running');
    }
    task('t2', 'completed');
    task('t1', 'completed');
    const next = runFrames('announce:requester-settle:main:x:child:yield-1', KEY);
    gateway.event('chat', next.final('Both helpers are back: 42.'));
    expect((await events).map((e) => (e.type === 'activity' ? e.activity : e.type))).toEqual([
      'text',
      { type: 'handoff', waitingFor: 2 },
      { type: 'handoff', waitingFor: 1 },
      { type: 'handoff', waitingFor: 0 },
      'final',
    ]);
  });

  it('ignores what 2026.9 sends after an abort ended the run (lifecycle end, then error)', async () => {
    const { run, f, gateway, agent } = await started(4);
    const events = collect(run);
    agent('item', item('call_1', 'start', 'running'));
    gateway.event('chat', { ...f.status('x'), state: 'aborted', stopReason: 'rpc' });
    agent('lifecycle', { phase: 'end', status: 'cancelled', aborted: true, stopReason: 'rpc' });
    agent('item', item('call_1', 'end', 'failed', { error: 'Aborted' }));
    agent('lifecycle', { phase: 'error', error: 'This operation was aborted', aborted: true, stopReason: 'aborted' });
    expect((await events).map((e) => e.type)).toEqual(['activity', 'aborted']);
    expect(await run.outcome).toEqual({ type: 'aborted', text: '' });
  });
});

describe('the activity tracker', () => {
  it('starts a new call, counted from zero, when the gateway\'s count falls (it counted afresh)', () => {
    const tracker = new ActivityTracker();
    const usage = (outputTokens: number) => tracker.accept({ reportedOutputTokens: outputTokens });
    expect(usage(10)).toEqual({ type: 'usage', outputTokens: 10, callIndex: 0 });
    expect(usage(14)).toEqual({ type: 'usage', outputTokens: 14, callIndex: 0 });
    expect(usage(14)).toBeUndefined();
    expect(usage(5)).toEqual({ type: 'usage', outputTokens: 5, callIndex: 1 });
  });

  it('reads the data of a payload, never its top level', () => {
    expect(agentProgress({ stream: 'item', status: 'running', kind: 'tool', toolCallId: 'x', phase: 'start', data: {} }, 4)).toBeUndefined();
    expect(agentProgress({ stream: 'lifecycle', phase: 'model', provider: 'a', model: 'b', data: { phase: 'start' } }, 4)).toBeUndefined();
  });
});

describe('text around tool calls on 2026.2', () => {
  // §2.4: 2026.2's chat text starts over after each tool call, its final holds the last segment only, and its paced
  // chat deltas can miss a segment's last words (the pending one is dropped when the tool starts); the assistant
  // stream has each segment whole.
  it('keeps every segment, joined as 2026.9 joins them, and never rolls a segment back to an older copy', async () => {
    const { run, f, gateway, agent } = await started(3);
    const texts: string[] = [];
    const done = (async () => {
      for await (const event of run) if (event.type === 'text') texts.push(event.text);
    })();
    agent('assistant', { text: 'Let', delta: 'Let' });
    gateway.event('chat', f.delta('Let'));
    agent('assistant', { text: 'Let me check', delta: ' me check' });
    gateway.event('chat', f.delta('Let me')); // an older copy, paced
    agent('tool', { phase: 'start', name: 'exec', toolCallId: 'call_1_0', args: { command: 'echo one' } });
    agent('tool', { phase: 'result', name: 'exec', toolCallId: 'call_1_0', meta: 'print text', isError: false });
    agent('assistant', { text: 'All', delta: 'All' });
    gateway.event('chat', f.delta('All'));
    agent('assistant', { text: 'All done.', delta: ' done.' });
    gateway.event('chat', f.final('All done.'));
    expect(await run.outcome).toEqual({ type: 'final', text: 'Let me check\n\nAll done.' });
    await done;
    // A reader may see fewer steps (texts coalesce), never the older copy nor the new segment without the first.
    expect(texts).not.toContain('Let me');
    expect(texts.filter((t) => t.startsWith('All'))).toEqual([]);
    expect(texts.at(-1)).toBe('Let me check\n\nAll done.');
  });
});
