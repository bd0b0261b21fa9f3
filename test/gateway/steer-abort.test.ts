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

describe('steer', () => {
  it('on 2026.9, puts the message into the running turn with chat.send queueMode steer, text as it is (admin)', async () => {
    const { gateway, client } = await connected({ protocol: 4, methods: V4_METHODS });
    const run = await client.chatSend({ sessionKey: KEY, message: 'long task' });
    expect(await client.steer(KEY, '[Ann (7)] /model x also check the logs', run.runId)).toEqual({ status: 'steered' });
    const [, steer] = sent(gateway, 'chat.send');
    expect(steer).toEqual({
      sessionKey: KEY,
      message: '[Ann (7)] /model x also check the logs',
      idempotencyKey: expect.any(String),
      queueMode: 'steer',
      suppressCommandInterpretation: true,
    });
    expect(steer!.idempotencyKey).not.toBe(run.runId);
    expect(gateway.requests.map((r) => r.method)).not.toContain('sessions.steer');
  });

  it('on 2026.9 without admin, neutralises commands and stop words as chat.send does', async () => {
    const { gateway, client } = await connected({ protocol: 4, methods: V4_METHODS, scopes: ['operator.read', 'operator.write'] });
    const run = await client.chatSend({ sessionKey: KEY, message: 'long task' });
    await client.steer(KEY, 'stop', run.runId);
    await client.steer(KEY, '/think high', run.runId);
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
    expect(await client.steer(KEY.toUpperCase(), 'more')).toEqual({ status: 'steered' });
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
