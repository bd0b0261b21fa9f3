// The fake OpenClaw gateways on the wire for agents at work: progress extras (plan, retries, usage, model, parallel
// tools), stops and their effect on exec processes, steering a busy session, sub-agent hand-offs. Raw `ws` clients,
// no project code; sources: openclaw-agent-events.md §2/§6 and /tmp/clawcord-requests/F-findings.md.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { stillRunningText } from './run-player.js';
import { chatEvents, oc, ocCall, ocConnect, sleep, useCleanups, type Frame, type RawClient } from './raw-client.js';
import { wordTokens, type ReplyContext, type ReplyScript, type ScriptedToolCall } from './state.js';

useCleanups();

const KEY = 'agent:main:relay:work';
const send = async (c: RawClient, message: string, extra: Record<string, unknown> = {}, sessionKey = KEY) => {
  const runId = randomUUID();
  const res = await ocCall(c, 'chat.send', { sessionKey, message, idempotencyKey: runId, ...extra });
  return { res, runId };
};
const terminal = (c: RawClient, runId: string, timeoutMs = 3000) =>
  c.waitFor((f) => f.event === 'chat' && f.payload.runId === runId && ['final', 'error', 'aborted'].includes(f.payload.state), timeoutMs);
const agent = (c: RawClient, runId: string, stream: string) => c.frames.filter((f) => f.event === 'agent' && f.payload.runId === runId && f.payload.stream === stream);
const lifecycle = (c: RawClient, runId: string) => agent(c, runId, 'lifecycle').map((f) => f.payload.data.phase);
const finalText = (f: Frame) => f.payload.message?.content?.[0]?.text;
const exec = (command: string, extra: Partial<ScriptedToolCall> = {}): ScriptedToolCall => ({ name: 'exec', args: { command }, output: '', durationMs: 20, ...extra });
const tools = (calls: ScriptedToolCall[], reply = 'Done.'): ReplyScript => ({ tokens: wordTokens(reply), tokenDelayMs: 1, toolCalls: calls });

describe('progress extras', () => {
  it.each([3, 4] as const)('protocol %i: a progress_card call gives v4 a plan, a card revision and a hidden item; v3 none', async (protocol) => {
    const gw = await oc({ protocol });
    const plan = [
      { step: 'Fetch data', status: 'completed' },
      { step: 'Render chart', status: 'in_progress' },
    ];
    gw.setReplyScript(() => tools([{ name: 'progress_card', args: { plan }, output: 'ok', durationMs: 5 }]));
    const { c } = await ocConnect(gw);
    const { runId } = await send(c, 'plan it');
    await terminal(c, runId);
    const card = c.frames.filter((f) => f.event === 'progressCard.changed');
    const plans = agent(c, runId, 'plan');
    if (protocol === 3) {
      expect([card, plans]).toEqual([[], []]);
      return;
    }
    expect(card.map((f) => f.payload)).toEqual([{ sessionKey: KEY, revision: 1 }]);
    expect(plans.map((f) => f.payload.data)).toEqual([{ phase: 'update', title: 'Plan updated', source: 'openclaw', steps: plan, explanation: '1/2 complete' }]);
    expect(agent(c, runId, 'item').every((f) => f.payload.data.hideFromChannelProgress === true)).toBe(true);
  });

  it('v4 shows a rate-limit retry (finishing, chat status with retry, run_status retrying, start again); v3 retries silently', async () => {
    for (const protocol of [3, 4] as const) {
      const gw = await oc({ protocol });
      gw.setReplyScript(() => ({ tokens: ['ok'], tokenDelayMs: 1, rateLimited: { times: 1, delayMs: 30 } }));
      const { c } = await ocConnect(gw);
      const { runId } = await send(c, 'go');
      expect(finalText(await terminal(c, runId))).toBe('ok');
      const status = chatEvents(c, runId).filter((f) => f.payload.state === 'status' && f.payload.retry);
      const retrying = agent(c, runId, 'run_status').filter((f) => f.payload.data.phase === 'retrying');
      if (protocol === 3) {
        expect([status, retrying, lifecycle(c, runId)]).toEqual([[], [], ['start', 'end']]);
        continue;
      }
      expect(status.map((f) => f.payload.retry)).toEqual([{ attempt: 2, maxAttempts: 10, reason: 'rate_limit' }]);
      expect(retrying[0]!.payload.data).toEqual({ phase: 'retrying', message: 'Retrying… 2/10', retryAttempt: 1, maxRetries: 9, delayMs: 30, attempt: 2, maxAttempts: 10, reason: 'rate_limit' });
      const finishing = agent(c, runId, 'lifecycle').find((f) => f.payload.data.phase === 'finishing')!;
      expect(finishing.payload.data).toMatchObject({ livenessState: 'blocked', errorObservation: { failoverReason: 'rate_limit' } });
      expect(lifecycle(c, runId).filter((p) => p === 'start')).toHaveLength(2);
    }
  });

  it('v4 usage is cumulative per run, lifecycle model comes before each model call and null/null at the end', async () => {
    const gw = await oc();
    gw.setReplyScript(() => ({ ...tools([exec('echo a'), exec('echo b')]), usage: [{ input: 32, output: 5 }, { input: 32, output: 5 }, { input: 32, output: 3 }] }));
    const { c } = await ocConnect(gw);
    const { runId } = await send(c, 'count');
    await terminal(c, runId);
    expect(agent(c, runId, 'usage').map((f) => f.payload.data)).toEqual([{ outputTokens: 5 }, { outputTokens: 10 }, { outputTokens: 13 }]);
    const models = agent(c, runId, 'lifecycle').filter((f) => f.payload.data.phase === 'model').map((f) => f.payload.data.model);
    expect(models).toEqual(['kimi-k2.5:cloud', 'kimi-k2.5:cloud', 'kimi-k2.5:cloud', null]);
    expect(lifecycle(c, runId).slice(-3)).toEqual(['finishing', 'model', 'end']);
    const end = agent(c, runId, 'lifecycle').at(-1)!.payload.data;
    expect(end.terminalReceipt.effective).toEqual({ provider: 'ollama', model: 'kimi-k2.5:cloud', responseModel: 'kimi-k2.5:cloud' });
  });

  it.each([3, 4] as const)('protocol %i: session rows carry the last run’s tokens (total = the last prompt)', async (protocol) => {
    const gw = await oc({ protocol });
    let run = 0;
    gw.setReplyScript(() => (++run === 1 ? { ...tools([exec('echo a'), exec('echo b')]), usage: [{ input: 32, output: 5 }, { input: 32, output: 5 }, { input: 32, output: 3 }] } : { tokens: ['x'], usage: [{ input: 13, output: 12 }] }));
    const { c } = await ocConnect(gw);
    const row = async () => (await ocCall(c, 'sessions.list', {})).payload.sessions.find((s: Frame) => s.key === KEY);
    await terminal(c, (await send(c, 'one')).runId);
    expect(await row()).toMatchObject({ inputTokens: 96, outputTokens: 13, totalTokens: 32, totalTokensFresh: true, contextTokens: 131072 });
    await terminal(c, (await send(c, 'two')).runId);
    expect(await row()).toMatchObject({ inputTokens: 13, outputTokens: 12, totalTokens: 13 });
  });

  it('parallel calls interleave on v4 (results in finishing order), run one by one on v3; one assistant row holds both', async () => {
    for (const protocol of [3, 4] as const) {
      const gw = await oc({ protocol });
      gw.setReplyScript(() => tools([exec('sleep 0.2', { durationMs: 120, output: 'slow' }), exec('echo fast', { durationMs: 20, output: 'fast', parallel: true })]));
      const { c } = await ocConnect(gw, { extra: { caps: ['tool-events'] } });
      const { runId } = await send(c, 'both');
      await terminal(c, runId);
      const order = agent(c, runId, 'tool').filter((f) => f.payload.data.phase !== 'update').map((f) => `${f.payload.data.phase}:${f.payload.data.toolCallId}`);
      expect(order).toEqual(
        protocol === 4
          ? ['start:call_1_0', 'start:call_1_1', 'result:call_1_1', 'result:call_1_0']
          : ['start:call_1_0', 'result:call_1_0', 'start:call_1_1', 'result:call_1_1'],
      );
      const rows = (await ocCall(c, 'chat.history', { sessionKey: KEY })).payload.messages;
      const calls = rows.filter((m: Frame) => m.stopReason === 'toolUse');
      expect(calls).toHaveLength(1);
      expect(calls[0].content.filter((b: Frame) => b.type === 'toolCall').map((b: Frame) => b.id)).toEqual(['call_1_0', 'call_1_1']);
    }
  });
});

describe('stop: what an abort does to the exec process', () => {
  it.each([3, 4] as const)('protocol %i: chat.abort kills a foreground command, its side effect never happens', async (protocol) => {
    const gw = await oc({ protocol });
    let touched = 0;
    gw.setReplyScript(() => tools([exec('sleep 60; touch x', { durationMs: 300, effect: () => touched++ })]));
    const { c } = await ocConnect(gw, { extra: { caps: ['tool-events'] } });
    const { runId } = await send(c, 'long');
    await c.waitFor((f) => f.payload?.stream === 'tool' && f.payload.data.phase === 'update');
    const abort = await ocCall(c, 'chat.abort', { sessionKey: KEY, runId });
    expect(abort.payload).toEqual({ ok: true, aborted: true, runIds: [runId] });
    await sleep(350);
    expect(touched).toBe(0);
    expect(gw.processes[0]).toMatchObject({ command: 'sleep 60; touch x', status: 'killed', effectDone: false });
    const after = c.frames.slice(c.frames.indexOf(abort) + 1).filter((f) => f.payload?.runId === runId);
    if (protocol === 3) {
      // Only the chat aborted, before the answer; nothing after it (F-findings STOP, live).
      expect(chatEvents(c, runId).at(-1)!.payload).toMatchObject({ state: 'aborted', stopReason: 'rpc' });
      expect(after).toEqual([]);
      return;
    }
    expect(after.map((f) => `${f.payload.stream ?? 'chat'}:${f.payload.data?.phase ?? f.payload.state}`)).toEqual([
      'tool:result',
      'item:end',
      'command_output:end',
      'lifecycle:model',
      'lifecycle:error',
    ]);
    expect(after[0]!.payload.data).toMatchObject({ isError: true, result: { content: [{ text: 'Aborted' }] } });
    expect(after[4]!.payload.data).toEqual({ phase: 'error', error: 'This operation was aborted', aborted: true, stopReason: 'aborted', executionSettled: true });
  });

  it('a command moved to the background (yieldMs) survives chat.abort and sessions.abort; v4 tasks.cancel kills it', async () => {
    const gw = await oc();
    let touched = 0;
    gw.setReplyScript(({ message }) => tools([exec('sleep 12; touch m', { args: { command: 'sleep 12; touch m', yieldMs: 20 }, durationMs: 250, effect: () => touched++ })], message));
    const { c } = await ocConnect(gw, { extra: { caps: ['tool-events'] } });
    const { runId } = await send(c, 'first');
    await terminal(c, runId);
    const process = gw.processes[0]!;
    expect(process).toMatchObject({ status: 'running', backgrounded: true });
    const result = agent(c, runId, 'tool').find((f) => f.payload.data.phase === 'result')!;
    expect(result.payload.data.result.content[0].text).toBe(stillRunningText(process.session, process.pid));
    expect((await ocCall(c, 'chat.abort', { sessionKey: KEY, runId })).payload).toEqual({ ok: true, aborted: false, runIds: [] });
    expect((await ocCall(c, 'sessions.abort', { key: KEY, clearQueued: true })).payload).toEqual({ ok: true, abortedRunId: null, status: 'no-active-run' });
    const task = c.frames.find((f) => f.event === 'task')!.payload;
    expect(task).toMatchObject({ action: 'upserted', task: { kind: 'exec', runtime: 'cli', status: 'running', runId: `exec:${process.session}`, sourceId: process.session, sessionKey: KEY } });
    const listed = (await ocCall(c, 'tasks.list', { sessionKey: KEY, status: 'running' })).payload.tasks;
    expect(listed.map((t: Frame) => t.taskId)).toEqual([task.task.taskId]);
    const cancel = await ocCall(c, 'tasks.cancel', { taskId: task.task.taskId, reason: 'stop from relay' });
    expect(cancel.payload).toMatchObject({ found: true, cancelled: true, task: { status: 'cancelled', execution: { state: 'finished' }, error: 'stop from relay' } });
    await sleep(300);
    expect(touched).toBe(0);
    expect(process.status).toBe('killed');

    // Left alone, a backgrounded command finishes (its effect happens) and its task completes.
    const second = await send(c, 'second');
    await terminal(c, second.runId);
    await ocCall(c, 'chat.abort', { sessionKey: KEY, runId: second.runId });
    await sleep(300);
    expect(touched).toBe(1);
    expect(c.frames.filter((f) => f.event === 'task').at(-1)!.payload.task.status).toBe('completed');
  });

  it('past execBackgroundMs a command backgrounds by itself; with denyProcessTool it never does, so a stop kills it', async () => {
    for (const denyProcessTool of [false, true]) {
      const gw = await oc({ protocol: 3, execBackgroundMs: 30, denyProcessTool });
      let touched = 0;
      gw.setReplyScript(() => tools([exec('sleep 60; touch f', { durationMs: 300, effect: () => touched++ })]));
      const { c } = await ocConnect(gw);
      const { runId } = await send(c, 'go');
      // Backgrounded at 30 ms, the turn ends; kept in the foreground, it is still in its tool step.
      if (denyProcessTool) await c.waitFor((f) => f.payload?.runId === runId && f.payload.stream === 'lifecycle');
      else await terminal(c, runId);
      const abort = (await ocCall(c, 'chat.abort', { sessionKey: KEY, runId })).payload;
      await sleep(400);
      expect([abort.aborted, touched]).toEqual(denyProcessTool ? [true, 0] : [false, 1]);
    }
  });

  it('/stop answers like chat.abort and ends the run with stopReason "stop"; v4 sessions.abort names the run', async () => {
    for (const protocol of [3, 4] as const) {
      const gw = await oc({ protocol });
      gw.setReplyScript(() => tools([exec('sleep 5', { durationMs: 300 })]));
      const { c } = await ocConnect(gw);
      const { runId } = await send(c, 'go');
      await sleep(40);
      expect((await send(c, '/stop')).res.payload).toEqual({ ok: true, aborted: true, runIds: [runId] });
      expect((await terminal(c, runId)).payload.stopReason).toBe('stop');
      if (protocol === 3) {
        expect((await ocCall(c, 'sessions.abort', { key: KEY })).error.message).toBe('unknown method: sessions.abort');
        continue;
      }
      expect(agent(c, runId, 'lifecycle').find((f) => f.payload.data.phase === 'end')!.payload.data.stopReason).toBe('stop');
      const next = await send(c, 'again');
      await sleep(40);
      expect((await ocCall(c, 'sessions.abort', { key: KEY, runId: next.runId })).payload).toEqual({ ok: true, abortedRunId: next.runId, status: 'aborted' });
      expect((await ocCall(c, 'sessions.abort', { key: KEY, force: true })).error.message).toBe("invalid sessions.abort params: at root: unexpected property 'force'");
    }
  });
});

describe('steer: a second message to a busy session', () => {
  const stepThenReply: ReplyScript = {
    tokens: [],
    tokenDelayMs: 1,
    toolCalls: [{ say: wordTokens('Working on it.'), ...exec('sleep 1', { durationMs: 200 }) }],
    lateTokens: (ctx) => wordTokens(`Hello ${ctx.steered.join(' ') || 'nobody'}`),
  };

  it('v4 default (steer): the text reaches the running turn at its next model call; the new run id gets an empty final', async () => {
    const gw = await oc();
    const seen: ReplyContext[] = [];
    gw.setReplyScript((ctx) => (seen.push(ctx), stepThenReply));
    const { c } = await ocConnect(gw);
    const r1 = await send(c, 'first');
    await c.waitFor((f) => f.payload?.runId === r1.runId && f.payload.stream === 'item' && f.payload.data.kind === 'tool');
    const r2 = await send(c, 'STEERTEXT');
    expect(r2.res.payload).toEqual({ runId: r2.runId, status: 'started' });
    await sleep(50);
    expect(chatEvents(c, r2.runId)).toEqual([]);
    const empty = await terminal(c, r2.runId);
    expect(empty.payload).toEqual({ runId: r2.runId, sessionKey: KEY, agentId: 'main', seq: 1, state: 'final' });
    const final = await terminal(c, r1.runId);
    expect(finalText(final)).toBe('Working on it.\n\nHello STEERTEXT');
    expect(seen).toHaveLength(1);
    const rows = (await ocCall(c, 'chat.history', { sessionKey: KEY })).payload.messages;
    expect(rows.map((m: Frame) => [m.role, m.idempotencyKey ?? m.__openclaw.runId])).toEqual([
      ['user', `${r1.runId}:user`],
      ['assistant', r1.runId],
      ['assistant', r1.runId],
      ['toolResult', r1.runId],
      ['user', `${r2.runId}:user`],
      ['assistant', r1.runId],
    ]);
  });

  it('v4: a steer during the last step makes one more model call; the final holds both segments', async () => {
    const gw = await oc();
    gw.setReplyScript(() => ({ tokens: wordTokens('slow1 slow2 slow3 slow4'), tokenDelayMs: 40, onSteer: (_ctx, m) => wordTokens(`Also: ${m}`) }));
    const { c } = await ocConnect(gw);
    const r1 = await send(c, 'first');
    await sleep(60);
    const r2 = await send(c, 'more', { queueMode: 'steer' });
    const final = await terminal(c, r1.runId);
    expect(finalText(final)).toBe('slow1 slow2 slow3 slow4\n\nAlso: more');
    expect(chatEvents(c, r2.runId).map((f) => f.payload.state)).toEqual(['final']);
    expect(lifecycle(c, r1.runId).filter((p) => p === 'model')).toHaveLength(3);
  });

  it('v4 followup and collect: an empty final at once, then a gateway-made run after the turn ended', async () => {
    for (const queueMode of ['followup', 'collect'] as const) {
      const gw = await oc();
      const seen: string[] = [];
      gw.setReplyScript(({ message }) => (seen.push(message), { tokens: wordTokens(`re ${message.split('\n').at(-1)}`), tokenDelayMs: 20 }));
      const { c } = await ocConnect(gw, { client: { displayName: 'Tester' } });
      const r1 = await send(c, 'first');
      await sleep(10);
      const r2 = await send(c, 'second', { queueMode });
      await sleep(10);
      expect(chatEvents(c, r2.runId).map((f) => f.payload.state)).toEqual(['final']);
      expect(finalText(await terminal(c, r1.runId))).toBe('re first');
      const r3final = await c.waitFor((f) => f.event === 'chat' && f.payload.state === 'final' && ![r1.runId, r2.runId].includes(f.payload.runId));
      expect(finalText(r3final)).toBe('re second');
      const start = agent(c, r3final.payload.runId, 'lifecycle')[0]!.payload.data;
      expect(start).toMatchObject({ phase: 'start', completionSource: 'reply-dispatch' });
      expect(seen[1]).toBe(queueMode === 'followup' ? 'second' : '[Queued messages while agent was busy]\n\n---\nQueued #1 (from Tester)\nsecond');
      if (queueMode === 'collect') {
        const rows = (await ocCall(c, 'chat.history', { sessionKey: KEY })).payload.messages;
        expect(rows.filter((m: Frame) => m.role === 'user').at(-1).idempotencyKey).toBe('followup');
      }
    }
  });

  it('v4 interrupt, and sessions.steer (its deprecated alias): the turn is aborted "by user", the new one runs', async () => {
    for (const how of ['chat.send', 'sessions.steer'] as const) {
      const gw = await oc();
      gw.setReplyScript(({ message }) => (message === 'first' ? stepThenReply : { tokens: wordTokens('fresh answer'), tokenDelayMs: 1 }));
      const { c } = await ocConnect(gw);
      const r1 = await send(c, 'first');
      await sleep(40);
      const res =
        how === 'chat.send'
          ? (await send(c, 'instead', { queueMode: 'interrupt' })).res
          : await ocCall(c, 'sessions.steer', { key: KEY, message: 'instead' });
      expect(res.payload).toMatchObject({ status: 'started', interruptedActiveRun: true });
      expect((await terminal(c, r1.runId)).payload).toMatchObject({ state: 'aborted', stopReason: 'aborted' });
      const error = agent(c, r1.runId, 'lifecycle').find((f) => f.payload.data.phase === 'error')!;
      expect(error.payload.data).toMatchObject({ error: 'Reply operation aborted by user', stopReason: 'aborted' });
      expect(finalText(await terminal(c, res.payload.runId))).toBe('fresh answer');
    }
  });

  it('v3: collect by default (a new run after the turn); after /queue steer the text reaches the running turn', async () => {
    const gw = await oc({ protocol: 3 });
    const seen: string[] = [];
    gw.setReplyScript(({ message }) => (seen.push(message), message === 'first' ? stepThenReply : { tokens: wordTokens('queued answer'), tokenDelayMs: 1 }));
    const { c } = await ocConnect(gw);
    const r1 = await send(c, 'first');
    await sleep(40);
    const r2 = await send(c, 'second');
    await sleep(10);
    expect(chatEvents(c, r2.runId).map((f) => f.payload.state)).toEqual(['final']);
    expect(finalText(await terminal(c, r1.runId))).toBe('Hello nobody');
    const r3 = await c.waitFor((f) => f.event === 'chat' && f.payload.state === 'final' && ![r1.runId, r2.runId].includes(f.payload.runId));
    expect(finalText(r3)).toBe('queued answer');
    expect(seen[1]).toBe('[Queued messages while agent was busy]\n\n---\nQueued #1\nsecond');

    const ack = await send(c, '/queue steer');
    expect(finalText(await terminal(c, ack.runId))).toBe('⚙️ Queue mode set to steer.');
    const r4 = await send(c, 'first');
    await sleep(40);
    const r5 = await send(c, 'STEERTEXT');
    await sleep(10);
    // v3 answers the steered send's run id at once.
    expect(chatEvents(c, r5.runId).map((f) => f.payload.state)).toEqual(['final']);
    expect(finalText(await terminal(c, r4.runId))).toBe('Hello STEERTEXT');
  });

  it('v4 sessions.send steers like chat.send; it needs an existing session except the agent main one', async () => {
    const gw = await oc();
    gw.setReplyScript(() => ({ tokens: ['ok'], tokenDelayMs: 1 }));
    const { c } = await ocConnect(gw);
    expect((await ocCall(c, 'sessions.send', { key: 'agent:main:relay:none', message: 'x' })).error.message).toBe('session not found: agent:main:relay:none');
    const main = await ocCall(c, 'sessions.send', { key: 'agent:main:main', message: 'hello' });
    expect(main.payload).toEqual({ runId: expect.any(String), status: 'started' });
    expect(finalText(await terminal(c, main.payload.runId))).toBe('ok');
    expect((await ocCall(c, 'sessions.send', { key: 'agent:main:main', message: 'x', queueMode: 'steer' })).error.message).toBe(
      "invalid sessions.send params: at root: unexpected property 'queueMode'",
    );
    const v3 = await ocConnect(await oc({ protocol: 3 }));
    expect((await send(v3.c, 'x', { queueMode: 'steer' })).res.error.message).toBe("invalid chat.send params: at root: unexpected property 'queueMode'");
  });
});

describe('sub-agents: what a yielded turn waits for (v4)', () => {
  it('task events and childSessions count the sub-agents; the successor comes after the last one settled', async () => {
    const gw = await oc();
    gw.setReplyScript(() => ({
      tokens: wordTokens('Spawning.'),
      tokenDelayMs: 1,
      yieldTo: {
        acknowledgment: 'Waiting for the helpers.',
        afterMs: 20,
        subagents: [
          { task: 'count files', script: { tokens: ['12'], tokenDelayMs: 30 } },
          { task: 'read notes', script: { tokens: ['notes'], tokenDelayMs: 60 } },
        ],
        successor: { tokens: wordTokens('Both done: 12, notes.'), tokenDelayMs: 1 },
      },
    }));
    const { c } = await ocConnect(gw);
    const { runId } = await send(c, 'research');
    const yielded = await terminal(c, runId);
    expect(yielded.payload).toMatchObject({ stopReason: 'end_turn', yielded: true, message: { content: [{ text: 'Spawning.' }] } });
    const hidden = agent(c, runId, 'item').filter((f) => f.payload.data.name === 'sessions_yield');
    expect(hidden.length).toBeGreaterThan(0);
    expect(hidden.every((f) => f.payload.data.hideFromChannelProgress === true)).toBe(true);
    const running = c.frames.filter((f) => f.event === 'task' && f.payload.task.status === 'running' && f.payload.task.sessionKey === KEY);
    expect(running.map((f) => f.payload.task.title)).toEqual(['count files', 'read notes']);
    expect(running.every((f) => f.payload.task.kind === 'subagent')).toBe(true);
    // Spawned before the turn yields (live order): the count is known when the yielded final arrives.
    expect(c.frames.indexOf(running[1]!)).toBeLessThan(c.frames.indexOf(yielded));
    const parent = (await ocCall(c, 'sessions.list', {})).payload.sessions.find((s: Frame) => s.key === KEY);
    expect(parent.childSessions).toEqual(running.map((f) => f.payload.task.childSessionKey));
    expect(parent.childSessions[0]).toMatch(/^agent:main:subagent:[0-9a-f-]{36}$/);

    const successor = await c.waitFor((f) => f.event === 'chat' && f.payload.state === 'final' && String(f.payload.runId).startsWith('announce:'));
    expect(finalText(successor)).toBe('Both done: 12, notes.');
    const children = c.frames.filter((f) => f.event === 'chat' && f.payload.state === 'final' && f.payload.spawnedBy === KEY);
    expect(children.map(finalText)).toEqual(['12', 'notes']);
    expect(successor.payload.runId).toBe(`announce:requester-settle:main:${KEY}:${children[1]!.payload.runId}:yield-1`);
    expect(c.frames.filter((f) => f.event === 'task').at(-1)!.payload.task.status).toBe('completed');
    const child = (await ocCall(c, 'sessions.list', {})).payload.sessions.find((s: Frame) => s.key === parent.childSessions[0]);
    expect(child).toMatchObject({ spawnedBy: KEY, classification: 'subagent', isBackground: true, subagentRunState: 'historical' });
    const tasks = (await ocCall(c, 'tasks.list', { sessionKey: KEY })).payload.tasks;
    expect(tasks.map((t: Frame) => [t.kind, t.status])).toEqual([
      ['subagent', 'completed'],
      ['subagent', 'completed'],
    ]);
  });
});
