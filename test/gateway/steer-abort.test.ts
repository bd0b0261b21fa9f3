// Steering a running turn, stopping a run, and session token counts (issue 11), as H-F found them on the real gateways
// (/tmp/clawcord-requests/F-findings.md: STEER, STOP) and the installed 2026.9.6 chat.send schema (queueMode).
import { describe, expect, it } from 'vitest';
import { WORD_JOINER } from '../../src/gateway/directives.js';
import { SteerUnsupportedError } from '../../src/gateway/errors.js';
import { startCardGateway } from '../fakes/gateway/card-gateway.js';
import { makeClient, onCleanup, waitFor } from './helpers.js';
import { runFrames, startScriptedOpenClaw, type ScriptedOpenClawOptions } from './scripted-openclaw.js';

const KEY = 'agent:main:clawcord:steer';
const V4_METHODS = ['chat.send', 'chat.history', 'chat.abort', 'sessions.abort', 'sessions.list'];

async function connected(options: ScriptedOpenClawOptions) {
  const gateway = await startScriptedOpenClaw(options);
  const client = makeClient({ url: gateway.url, token: 'tok', protocol: 'openclaw' });
  await client.start();
  return { gateway, client };
}
const sent = (gateway: { requests: Array<{ method: string; params: Record<string, unknown> }> }, method: string) =>
  gateway.requests.filter((r) => r.method === method).map((r) => r.params);

/** The steering chat.send's own run: the gateway ends it with an empty final once the text is in the turn. */
async function injected(gateway: Awaited<ReturnType<typeof startScriptedOpenClaw>>, nth = 1) {
  const steer = await waitFor(() => sent(gateway, 'chat.send')[nth], 2_000, 'the steering chat.send');
  gateway.event('chat', { runId: steer.idempotencyKey, sessionKey: KEY, seq: 1, state: 'final' });
  return steer;
}

describe('steer', () => {
  it('on 2026.9, puts the message into the running turn with chat.send queueMode steer, and says so once the gateway did', async () => {
    const { gateway, client } = await connected({ protocol: 4, methods: V4_METHODS });
    const run = await client.chatSend({ sessionKey: KEY, message: 'long task' });
    let result: unknown;
    const steering = client.steer(KEY, '[Ann (7)] /model x also check the logs', run.runId).then((r) => (result = r));
    const steer = await waitFor(() => sent(gateway, 'chat.send')[1], 2_000, 'the steering chat.send');
    expect(steer).toEqual({
      sessionKey: KEY,
      message: '[Ann (7)] /model x also check the logs',
      idempotencyKey: expect.any(String),
      queueMode: 'steer',
      suppressCommandInterpretation: true,
    });
    expect(steer.idempotencyKey).not.toBe(run.runId);
    // Until the gateway puts the text into the turn (after the tool step, at the next model call), it is not steered.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(result).toBeUndefined();
    await injected(gateway);
    await steering;
    expect(result).toEqual({ status: 'steered' });
    expect(gateway.requests.map((r) => r.method)).not.toContain('sessions.steer');
    // The steering run's events are never an answer, nor followed as one; the turn's own final holds the answer.
    gateway.event('chat', { runId: steer.idempotencyKey, sessionKey: KEY, seq: 2, state: 'final', message: { role: 'assistant', content: [{ type: 'text', text: 'stray' }] } });
    gateway.event('chat', runFrames(run.runId, KEY).final('Done.\n\nThe logs are clean.'));
    expect(await run.outcome).toEqual({ type: 'final', text: 'Done.\n\nThe logs are clean.' });
    expect(client.activeRuns).toEqual([]);
  });

  it('says queued by the gateway when the turn ends before the text got in', async () => {
    const { gateway, client } = await connected({ protocol: 4, methods: V4_METHODS });
    const run = await client.chatSend({ sessionKey: KEY, message: 'long task' });
    const steering = client.steer(KEY, 'more', run.runId);
    await waitFor(() => sent(gateway, 'chat.send')[1], 2_000, 'the steering chat.send');
    gateway.event('chat', runFrames(run.runId, KEY).final('Done.'));
    expect(await steering).toEqual({ status: 'queued', byGateway: true });
    // The gateway then runs the message as a turn of its own, under an id of its making: that turn is followed.
    const next = client.followQueuedTurn(KEY, 'more');
    const turn = runFrames('gateway-made-run', KEY);
    gateway.event('agent', turn.agent('lifecycle', { phase: 'start', completionSource: 'reply-dispatch' }));
    gateway.event('chat', turn.delta('Here is more'));
    gateway.event('chat', turn.final('Here is more.'));
    expect(await next.outcome).toEqual({ type: 'final', text: 'Here is more.' });
    expect(next.runId).toBe('gateway-made-run');
  });

  it('on 2026.9 without admin, neutralises commands and stop words as chat.send does', async () => {
    const { gateway, client } = await connected({ protocol: 4, methods: V4_METHODS, scopes: ['operator.read', 'operator.write'] });
    const run = await client.chatSend({ sessionKey: KEY, message: 'long task' });
    const first = client.steer(KEY, 'stop', run.runId);
    await injected(gateway, 1);
    await first;
    const second = client.steer(KEY, '/think high', run.runId);
    await injected(gateway, 2);
    await second;
    expect(sent(gateway, 'chat.send').slice(1).map((p) => [p.message, p.suppressCommandInterpretation])).toEqual([
      [`stop${WORD_JOINER}`, undefined],
      [`/${WORD_JOINER}think high`, undefined],
    ]);
  });

  it('sends nothing and says queued when the run is over, or handed to sub-agents', async () => {
    const { gateway, client } = await connected({ protocol: 4, methods: V4_METHODS });
    const run = await client.chatSend({ sessionKey: KEY, message: 'quick' });
    const f = runFrames(run.runId, KEY);
    gateway.event('chat', f.final('done'));
    await run.outcome;
    expect(await client.steer(KEY, 'and more', run.runId)).toEqual({ status: 'queued' });
    const helpers = await client.chatSend({ sessionKey: KEY, message: 'with helpers' });
    gateway.event('chat', runFrames(helpers.runId, KEY).final('started 2 sub-agents', { yielded: true }));
    await waitFor(() => helpers.handedOff, 2_000, 'the hand-off');
    expect(await client.steer(KEY, 'and more')).toEqual({ status: 'queued' });
    expect(sent(gateway, 'chat.send')).toHaveLength(2);
  });

  it('without a run id, steers the run this client follows in the session', async () => {
    const { gateway, client } = await connected({ protocol: 4, methods: V4_METHODS });
    await client.chatSend({ sessionKey: KEY, message: 'long task' });
    const steering = client.steer(KEY.toUpperCase(), 'more');
    await injected(gateway);
    expect(await steering).toEqual({ status: 'steered' });
    expect(await client.steer('agent:main:clawcord:other', 'more')).toEqual({ status: 'queued' });
    expect(sent(gateway, 'chat.send')).toHaveLength(2);
  });

  it('on 2026.2 and the card, is unsupported', async () => {
    const { gateway, client } = await connected({ protocol: 3 });
    const run = await client.chatSend({ sessionKey: KEY, message: 'long task' });
    await expect(client.steer(KEY, 'more', run.runId)).rejects.toBeInstanceOf(SteerUnsupportedError);
    expect(sent(gateway, 'chat.send')).toHaveLength(1);
    const card = await startCardGateway();
    onCleanup(() => card.close());
    const cardClient = makeClient({ url: card.url, token: card.token, protocol: 'card' });
    await cardClient.start();
    await expect(cardClient.steer(KEY, 'more')).rejects.toBeInstanceOf(SteerUnsupportedError);
  });

  it('is unsupported on a 2026.9 whose chat.send refuses queueMode', async () => {
    const { gateway, client } = await connected({ protocol: 4, methods: V4_METHODS });
    const run = await client.chatSend({ sessionKey: KEY, message: 'long task' });
    gateway.handle('chat.send', () => ({ error: { code: 'INVALID_REQUEST', message: "invalid chat.send params: at root: unexpected property 'queueMode'" } }));
    await expect(client.steer(KEY, 'more', run.runId)).rejects.toBeInstanceOf(SteerUnsupportedError);
  });
});

describe('stopping a run', () => {
  it.each([3, 4] as const)('on OpenClaw v%i, run.abort() is chat.abort {sessionKey, runId}, which kills the tool step\'s process', async (protocol) => {
    const { gateway, client } = await connected({ protocol, methods: protocol === 4 ? V4_METHODS : undefined });
    gateway.handle('chat.abort', (params) => ({ payload: { ok: true, aborted: true, runIds: [params.runId] } }));
    const run = await client.chatSend({ sessionKey: KEY, message: 'sleep 60; touch f' });
    expect(await run.abort()).toEqual({ aborted: true });
    expect(sent(gateway, 'chat.abort')).toEqual([{ sessionKey: KEY, runId: run.runId }]);
  });

  it('on 2026.9, stops a turn handed to sub-agents with sessions.abort {key}, which stops them too', async () => {
    const { gateway, client } = await connected({ protocol: 4, methods: V4_METHODS });
    gateway.handle('sessions.abort', () => ({ payload: { ok: true, abortedRunId: 'child-run', status: 'aborted' } }));
    const run = await client.chatSend({ sessionKey: KEY, message: 'with helpers' });
    gateway.event('chat', runFrames(run.runId, KEY).final('started 2 sub-agents', { yielded: true }));
    await waitFor(() => run.handedOff, 2_000, 'the hand-off');
    expect(await run.abort()).toEqual({ aborted: true });
    expect(sent(gateway, 'sessions.abort')).toEqual([{ key: KEY }]);
    expect(sent(gateway, 'chat.abort')).toEqual([]);
  });

  it('chatAbort of a whole session is sessions.abort on 2026.9 (no-active-run is not aborted), chat.abort on 2026.2', async () => {
    const v4 = await connected({ protocol: 4, methods: V4_METHODS });
    v4.gateway.handle('sessions.abort', () => ({ payload: { ok: true, abortedRunId: null, status: 'no-active-run' } }));
    expect(await v4.client.chatAbort(KEY)).toEqual({ aborted: false });
    expect(sent(v4.gateway, 'sessions.abort')).toEqual([{ key: KEY }]);
    const v3 = await connected({ protocol: 3 });
    v3.gateway.handle('chat.abort', () => ({ payload: { ok: true, aborted: true, runIds: ['r'] } }));
    expect(await v3.client.chatAbort(KEY)).toEqual({ aborted: true });
    expect(sent(v3.gateway, 'chat.abort')).toEqual([{ sessionKey: KEY }]);
  });

  it('on a 2026.9 that does not list sessions.abort, stays with chat.abort', async () => {
    const { gateway, client } = await connected({ protocol: 4, methods: ['chat.send', 'chat.abort'] });
    gateway.handle('chat.abort', () => ({ payload: { ok: true, aborted: true, runIds: [] } }));
    await client.chatAbort(KEY);
    expect(sent(gateway, 'chat.abort')).toEqual([{ sessionKey: KEY }]);
  });
});

describe('stopping what a session runs in the background (2026.9 tasks)', () => {
  const TASK_METHODS = [...V4_METHODS, 'tasks.list', 'tasks.cancel'];
  const task = (taskId: string, kind: string, sessionKey = KEY) => ({ id: taskId, taskId, kind, runtime: 'cli', status: 'running', sessionKey, runId: `exec:${taskId}`, title: 'sleep 60; touch f' });

  it('after the abort, cancels the session\'s background commands and sub-agents, and only those', async () => {
    const { gateway, client } = await connected({ protocol: 4, methods: TASK_METHODS });
    gateway.handle('chat.abort', () => ({ payload: { ok: true, aborted: false, runIds: [] } }));
    gateway.handle('tasks.list', () => ({ payload: { tasks: [task('quick-daisy', 'exec'), task('child', 'subagent'), task('nightly', 'cron'), task('theirs', 'exec', 'agent:main:other')] } }));
    gateway.handle('tasks.cancel', (params) => ({ payload: { found: true, cancelled: true, task: { taskId: params.taskId, status: 'cancelled' } } }));
    const run = await client.chatSend({ sessionKey: KEY, message: 'TOOLCALL:exec:sleep 60; touch f' });
    // The turn already ended (the command went to the background), so chat.abort stopped nothing; the task did stop.
    expect(await run.abort()).toEqual({ aborted: true, cancelledTasks: 2 });
    expect(gateway.requests.slice(1).map((r) => [r.method, r.params])).toEqual([
      ['chat.abort', { sessionKey: KEY, runId: run.runId }],
      ['tasks.list', { sessionKey: KEY, status: ['queued', 'running'] }],
      ['tasks.cancel', { taskId: 'quick-daisy', reason: 'stopped from clawcord' }],
      ['tasks.cancel', { taskId: 'child', reason: 'stopped from clawcord' }],
    ]);
  });

  it('a failed task lookup does not fail the stop', async () => {
    const { gateway, client } = await connected({ protocol: 4, methods: TASK_METHODS });
    gateway.handle('chat.abort', () => ({ payload: { ok: true, aborted: true, runIds: ['r'] } }));
    gateway.handle('tasks.list', () => ({ error: { code: 'UNAVAILABLE', message: 'task ledger busy' } }));
    expect(await client.chatAbort(KEY, 'r')).toEqual({ aborted: true });
  });

  it('where the gateway lists no task methods (2026.2), is not tried', async () => {
    const { gateway, client } = await connected({ protocol: 3 });
    gateway.handle('chat.abort', () => ({ payload: { ok: true, aborted: true, runIds: ['r'] } }));
    await client.chatAbort(KEY, 'r');
    expect(gateway.requests.map((r) => r.method)).toEqual(['chat.abort']);
  });
});

describe('session token counts', () => {
  it.each([3, 4] as const)('on OpenClaw v%i, come from the rows\' inputTokens, outputTokens and totalTokens', async (protocol) => {
    const { gateway, client } = await connected({ protocol });
    gateway.handle('sessions.list', () => ({
      payload: {
        sessions: [
          { key: KEY, inputTokens: 1200, outputTokens: 80, totalTokens: 1280, estimatedCostUsd: 0.01 },
          { key: 'agent:main:clawcord:partial', outputTokens: 5 },
          { key: 'agent:main:clawcord:none' },
        ],
      },
    }));
    const rows = await client.sessionsList();
    expect(rows.map((r) => r.tokens)).toEqual([{ input: 1200, output: 80, total: 1280 }, { input: undefined, output: 5, total: undefined }, undefined]);
    expect(rows[2]).not.toHaveProperty('tokens');
  });
});
