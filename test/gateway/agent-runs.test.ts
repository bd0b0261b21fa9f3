// Runs that call tools, hand off to sub-agents, or lose their chat.send answer, against a scripted OpenClaw peer
// whose frames follow ../shared/reference/openclaw-agent-events.md and H-B's live observations.
import { describe, expect, it } from 'vitest';
import type { GatewayClientOptions } from '../../src/gateway/client.js';
import { collect, makeClient, waitFor } from './helpers.js';
import { runFrames, startScriptedOpenClaw, type Frame } from './scripted-openclaw.js';

const KEY = 'agent:main:clawcord:tools';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function connected(protocol: 3 | 4, options: Partial<GatewayClientOptions> = {}) {
  const gateway = await startScriptedOpenClaw({ protocol });
  const client = makeClient({ url: gateway.url, token: 'tok', protocol: 'openclaw', recoveryIntervalMs: 50, ...options });
  await client.start();
  return { gateway, client };
}

const text = (value: string) => [{ type: 'text', text: value }];
const toolCall = (id: string) => ({ type: 'toolCall', id, name: 'exec', arguments: { command: 'npm test' } });
const historyRequests = (gateway: { requests: Array<{ method: string }> }) => gateway.requests.filter((r) => r.method === 'chat.history').length;

describe.each([3, 4] as const)('a tool-using run on OpenClaw v%i', (protocol) => {
  it('stays open through a tool step longer than the idle limit while agent events say it is working', async () => {
    const { gateway, client } = await connected(protocol, { runIdleTimeoutMs: 600 });
    const run = await client.chatSend({ sessionKey: KEY, message: 'run the test suite' });
    const f = runFrames(run.runId, KEY);
    gateway.event('chat', f.delta('Let me run the tests first.'));
    // The tool step: no chat event for 1.5 s, only the run's agent events (v3 sends its tool stream without a seq).
    gateway.event('agent', f.agent('tool', { phase: 'start', name: 'exec', toolCallId: 'call_1' }), { seq: protocol === 4 });
    for (let i = 0; i < 6; i++) {
      await sleep(250);
      if (protocol === 4) gateway.event('agent', f.agent('command_output', { phase: 'delta', toolCallId: 'call_1', output: `line ${i}` }));
      else gateway.event('agent', f.agent('tool', { phase: 'update', name: 'exec', toolCallId: 'call_1' }), { seq: false });
    }
    gateway.event('agent', f.agent('tool', { phase: 'result', name: 'exec', toolCallId: 'call_1', isError: false }), { seq: protocol === 4 });
    gateway.event('chat', f.final(protocol === 4 ? 'Let me run the tests first.\n\nAll green.' : 'All green.'));
    expect(await run.outcome).toEqual({ type: 'final', text: protocol === 4 ? 'Let me run the tests first.\n\nAll green.' : 'All green.' });
  });

  it('does not take an intermediate tool-call row of the history as the final', async () => {
    const { gateway, client } = await connected(protocol, { runIdleTimeoutMs: 400 });
    const run = await client.chatSend({ sessionKey: KEY, message: 'run the test suite' });
    const sent = String(gateway.requests.find((r) => r.method === 'chat.send')!.params.message);
    const own = protocol === 4 ? { __openclaw: { runId: run.runId } } : {};
    // The history mid-run, as each version writes it (H-B's live rows): the last assistant row calls a tool.
    const rows: Frame[] =
      protocol === 3
        ? [
            { role: 'user', content: text(`Conversation info (untrusted metadata):\n\`\`\`json\n{}\n\`\`\`\n\n[Fri 2026-12-04 01:10 UTC] ${sent}`) },
            { role: 'assistant', content: [...text('Let me run the tests first.'), toolCall('call_1')], stopReason: 'toolUse' },
            { role: 'toolResult', toolCallId: 'call_1', toolName: 'exec', content: text('ok'), isError: false },
            { role: 'assistant', content: [toolCall('call_2')], stopReason: 'toolUse' },
          ]
        : [
            { role: 'user', content: sent, ...own },
            { role: 'assistant', content: text('Let me run the tests first.'), openclawStreamFallback: { source: 'segment' }, ...own },
            { role: 'assistant', content: [toolCall('call_1')], stopReason: 'toolUse', ...own },
          ];
    gateway.history.set(KEY, rows);
    const f = runFrames(run.runId, KEY);
    gateway.event('chat', f.delta('Let me run the tests first.'));
    // Quiet for longer than a quarter of the idle limit: the client looks in the history, several times.
    await waitFor(() => historyRequests(gateway) >= 3, 3_000, 'history checks');
    expect(run.done).toBe(false);
    gateway.event('agent', f.agent('lifecycle', { phase: 'end' }));
    gateway.event('chat', f.final('All green.'));
    expect(await run.outcome).toEqual({ type: 'final', text: 'All green.' });
  });

  it('after a reconnect, the first event of the run restores its idle limit and stops the history checks', async () => {
    const { gateway, client } = await connected(protocol, { runIdleTimeoutMs: 4_000, lostRunGraceMs: 300 });
    const run = await client.chatSend({ sessionKey: KEY, message: 'keep going' });
    const f = runFrames(run.runId, KEY);
    gateway.event('chat', f.delta('Working'));
    const back = new Promise((resolve) => client.once('ready', resolve));
    gateway.dropSockets();
    await back;
    await sleep(30);
    gateway.event('chat', f.delta('Working on it'));
    await waitFor(() => run.currentText === 'Working on it', 2_000, 'the text after the reconnect');
    await sleep(60); // a history check begun before that event may still be on its way
    const checksWhenLive = historyRequests(gateway);
    // Silent for longer than the lost-run grace: the gateway still runs the turn, as it just said.
    await sleep(700);
    expect(run.done).toBe(false);
    expect(historyRequests(gateway) - checksWhenLive).toBe(0);
    // A sequence gap (shown by another event) makes the run check the history again, until it is heard from.
    gateway.skipSeq();
    gateway.event('tick', { ts: Date.now() });
    await waitFor(() => historyRequests(gateway) > checksWhenLive, 2_000, 'a history check after the gap');
    gateway.event('chat', f.final('Done working'));
    expect(await run.outcome).toEqual({ type: 'final', text: 'Done working' });
  });
});

describe('a run the history shows at work', () => {
  it('on 2026.9, lives while the gateway lists it among the session\'s active runs, and not after', async () => {
    const { gateway, client } = await connected(4, { runIdleTimeoutMs: 400 });
    const run = await client.chatSend({ sessionKey: KEY, message: 'a long tool step' });
    const own = { __openclaw: { runId: run.runId } };
    let active = true;
    gateway.handle('chat.history', () => ({
      payload: {
        messages: [
          { role: 'user', content: 'a long tool step', ...own },
          { role: 'assistant', content: [toolCall('c1')], stopReason: 'toolUse', ...own },
        ],
        sessionInfo: { key: KEY, hasActiveRun: active, ...(active ? { activeRunIds: [run.runId] } : {}) },
      },
    }));
    await sleep(1_000);
    expect(run.done).toBe(false);
    active = false;
    expect(await run.outcome).toMatchObject({ type: 'error', message: 'no answer from the gateway for 0.4 s' });
  });

  it('on 2026.9, a run the restarted gateway still lists as active is followed into the turn it resumes under a new id', async () => {
    const { gateway, client } = await connected(4);
    const run = await client.chatSend({ sessionKey: KEY, message: 'slow one' });
    gateway.event('chat', { runId: run.runId, sessionKey: KEY, seq: 1, state: 'delta', deltaText: 'slow1', message: { role: 'assistant', content: text('slow1') } });
    await waitFor(() => run.currentText === 'slow1', 2_000, 'the first text');
    // The gateway restarts; back up, it still lists the interrupted run as active before it resumes the turn.
    let activeRunIds = [run.runId];
    gateway.handle('chat.history', () => ({ payload: { messages: [{ role: 'user', content: 'slow one', __openclaw: { runId: run.runId } }], sessionInfo: { key: KEY, hasActiveRun: true, activeRunIds } } }));
    const reconnected = new Promise((resolve) => client.once('ready', resolve));
    gateway.dropSockets();
    await reconnected;
    const checks = gateway.requests.length;
    await waitFor(() => gateway.requests.slice(checks).some((r) => r.method === 'chat.history'), 5_000, 'a history check');
    await sleep(100);
    activeRunIds = ['resumed-run'];
    gateway.event('chat', { runId: 'resumed-run', sessionKey: KEY, seq: 1, state: 'delta', deltaText: 'resumed', message: { role: 'assistant', content: text('resumed') } });
    gateway.event('chat', { runId: 'resumed-run', sessionKey: KEY, seq: 2, state: 'final', stopReason: 'stop', message: { role: 'assistant', content: text('resumed answer') } });
    expect(await run.outcome).toEqual({ type: 'final', text: 'resumed answer' });
  });

  it('on 2026.2, a turn left in the history does not keep a run alive after the connection dropped', async () => {
    const { gateway, client } = await connected(3, { runIdleTimeoutMs: 60_000, lostRunGraceMs: 400 });
    const run = await client.chatSend({ sessionKey: KEY, message: 'a long tool step' });
    const sent = String(gateway.requests.find((r) => r.method === 'chat.send')!.params.message);
    gateway.history.set(KEY, [
      { role: 'user', content: text(sent) },
      { role: 'assistant', content: [toolCall('c1')], stopReason: 'toolUse' },
    ]);
    gateway.dropSockets();
    expect(await run.outcome).toMatchObject({ type: 'error', lost: true });
  });
});

describe('2026.9 status events', () => {
  it('count as activity', async () => {
    const { gateway, client } = await connected(4, { runIdleTimeoutMs: 400 });
    const run = await client.chatSend({ sessionKey: KEY, message: 'think hard' });
    const f = runFrames(run.runId, KEY);
    for (const phase of ['preparing_workspace', 'preparing_context', 'starting_model', 'starting_model', 'starting_model']) {
      gateway.event('chat', f.status(phase));
      await sleep(200);
    }
    gateway.event('chat', f.final('Thought.'));
    expect(await run.outcome).toEqual({ type: 'final', text: 'Thought.' });
  });
});

describe('a turn handed to sub-agents (2026.9 yielded final)', () => {
  it('stays open and ends with the successor run\'s final', async () => {
    const { gateway, client } = await connected(4, { runIdleTimeoutMs: 2_000 });
    const run = await client.chatSend({ sessionKey: KEY, message: 'research this with helpers' });
    const first = runFrames(run.runId, KEY);
    const interim = 'I started 2 sub-agents; I will report back.';
    gateway.event('chat', first.delta(interim));
    gateway.event('chat', first.final(interim, { stopReason: 'end_turn', yielded: true }));
    // The sub-agents work in their own sessions; the parent session's next run is the successor turn.
    await sleep(300);
    expect(run.done).toBe(false);
    expect(run.handedOff).toBe(true);
    const events = collect(run);
    const next = runFrames('successor-run', KEY);
    gateway.event('agent', next.agent('lifecycle', { phase: 'start' }));
    gateway.event('chat', next.delta('Both helpers are back: the answer'));
    gateway.event('chat', next.final('Both helpers are back: the answer is 42.'));
    expect(await run.outcome).toEqual({ type: 'final', text: 'Both helpers are back: the answer is 42.' });
    expect(run.runId).toBe('successor-run');
    expect((await events).flatMap((e) => ('text' in e ? [e.text] : []))).toEqual([interim, 'Both helpers are back: the answer', 'Both helpers are back: the answer is 42.']);
  });

  it('gives up after the idle limit when no successor comes, never taking the interim text from the history as the answer', async () => {
    const { gateway, client } = await connected(4, { runIdleTimeoutMs: 500 });
    const run = await client.chatSend({ sessionKey: KEY, message: 'research this with helpers' });
    const f = runFrames(run.runId, KEY);
    const interim = 'I started 2 sub-agents; I will report back.';
    const own = { __openclaw: { runId: run.runId } };
    gateway.history.set(KEY, [
      { role: 'user', content: 'research this with helpers', ...own },
      { role: 'assistant', content: text(interim), stopReason: 'end_turn', ...own },
    ]);
    gateway.event('chat', f.final(interim, { stopReason: 'end_turn', yielded: true }));
    const outcome = await run.outcome;
    expect(outcome).toMatchObject({ type: 'error', text: interim, message: expect.stringContaining('handed the work to sub-agents') });
  });
});

describe('a final recovered from the history', () => {
  it('on 2026.9, asks for texts up to 500,000 chars and joins the run\'s segments as its final does', async () => {
    const { gateway, client } = await connected(4, { runIdleTimeoutMs: 60_000 });
    const run = await client.chatSend({ sessionKey: KEY, message: 'write it all' });
    const own = { __openclaw: { runId: run.runId } };
    const long = 'y'.repeat(9_000);
    gateway.history.set(KEY, [
      { role: 'user', content: 'write it all', ...own },
      { role: 'assistant', content: text('Looking.'), ...own },
      { role: 'assistant', content: [toolCall('c1')], stopReason: 'toolUse', ...own },
      { role: 'toolResult', content: text('data'), ...own },
      { role: 'assistant', content: text(long), stopReason: 'stop', ...own },
    ]);
    // A reconnect: the final was sent while the client was away.
    const back = new Promise((resolve) => client.once('ready', resolve));
    gateway.dropSockets();
    await back;
    expect(await run.outcome).toEqual({ type: 'final', text: `Looking.\n\n${long}` });
    expect(gateway.requests.find((r) => r.method === 'chat.history')!.params).toMatchObject({ maxChars: 500_000 });
  });

  it('on 2026.2, which cuts history texts at 12,000 chars, keeps the streamed text that the cut one begins', async () => {
    const { gateway, client } = await connected(3, { runIdleTimeoutMs: 60_000 });
    const prompt = 'write a /long story';
    const run = await client.chatSend({ sessionKey: KEY, message: prompt });
    const sent = String(gateway.requests.find((r) => r.method === 'chat.send')!.params.message);
    const story = 'Once upon a time. '.repeat(800);
    gateway.event('chat', runFrames(run.runId, KEY).delta(story));
    await waitFor(() => run.currentText === story, 2_000, 'the streamed story');
    gateway.history.set(KEY, [
      { role: 'user', content: text(`[Fri 2026-12-04 01:10 UTC] ${sent}`) },
      { role: 'assistant', content: text(`${story.slice(0, 12_000)}\n...(truncated)...`), stopReason: 'stop' },
    ]);
    const back = new Promise((resolve) => client.once('ready', resolve));
    gateway.dropSockets();
    await back;
    expect(await run.outcome).toEqual({ type: 'final', text: story });
    expect(gateway.requests.find((r) => r.method === 'chat.history')!.params).not.toHaveProperty('maxChars');
  });
  it('keeps a cut history text when the streamed text does not hold all of it', async () => {
    const { gateway, client } = await connected(4, { runIdleTimeoutMs: 60_000 });
    const run = await client.chatSend({ sessionKey: KEY, message: 'write it all' });
    const own = (extra: Frame = {}) => ({ __openclaw: { runId: run.runId, ...extra } });
    const cut = `${'z'.repeat(600_000).slice(0, 500_000)}\n...(truncated)...`;
    gateway.event('chat', runFrames(run.runId, KEY).delta('z'.repeat(100)));
    await waitFor(() => run.currentText.length === 100, 2_000, 'the first text');
    gateway.history.set(KEY, [
      { role: 'user', content: 'write it all', ...own() },
      { role: 'assistant', content: text(cut), stopReason: 'stop', ...own({ truncated: true, reason: 'display-cap' }) },
    ]);
    const back = new Promise((resolve) => client.once('ready', resolve));
    gateway.dropSockets();
    await back;
    expect(await run.outcome).toEqual({ type: 'final', text: cut });
  });
});

describe('a chat.send that is not answered in time', () => {
  it.each([3, 4] as const)('on OpenClaw v%i, keeps following the run, which the gateway did start', async (protocol) => {
    const { gateway, client } = await connected(protocol, { requestTimeoutMs: 200 });
    gateway.handle('chat.send', () => 'no-answer');
    const run = await client.chatSend({ sessionKey: KEY, message: 'slow gateway' });
    const f = runFrames(run.runId, KEY);
    gateway.event('chat', f.delta('Here'));
    gateway.event('chat', f.final('Here it is.'));
    expect(await run.outcome).toEqual({ type: 'final', text: 'Here it is.' });
  });

  it('finds the reply in the history when the run\'s events are missed too', async () => {
    const { gateway, client } = await connected(3, { requestTimeoutMs: 200 });
    gateway.handle('chat.send', (params) => {
      gateway.history.set(KEY, [
        { role: 'user', content: text(String(params.message)) },
        { role: 'assistant', content: text('Answered quietly.'), stopReason: 'stop' },
      ]);
      return 'no-answer';
    });
    const run = await client.chatSend({ sessionKey: KEY, message: 'slow gateway' });
    expect(await run.outcome).toEqual({ type: 'final', text: 'Answered quietly.' });
  });

  it('ends with an error that says the gateway did not answer when the run never shows up', async () => {
    const { gateway, client } = await connected(4, { requestTimeoutMs: 200, lostRunGraceMs: 400 });
    gateway.handle('chat.send', () => 'no-answer');
    const run = await client.chatSend({ sessionKey: KEY, message: 'lost send' });
    expect(await run.outcome).toMatchObject({ type: 'error', message: expect.stringContaining('the gateway did not answer') });
  });
});

describe('one session row', () => {
  it('comes from sessions.describe where 2026.9 lists it', async () => {
    const gateway = await startScriptedOpenClaw({ protocol: 4, methods: ['chat.send', 'sessions.list', 'sessions.describe'] });
    gateway.handle('sessions.describe', (params) => ({
      payload: { session: params.key === KEY ? { key: KEY, model: 'fake-smart', modelProvider: 'fake', updatedAt: 1_796_311_768_000 } : null },
    }));
    const client = makeClient({ url: gateway.url, token: 'tok', protocol: 'openclaw' });
    await client.start();
    expect(await client.sessionRow(KEY)).toMatchObject({ key: KEY, model: 'fake/fake-smart', updatedAt: 1_796_311_768_000 });
    expect(await client.sessionRow('agent:main:clawcord:none')).toBeUndefined();
    expect(gateway.requests.map((r) => [r.method, r.params])).toEqual([
      ['sessions.describe', { key: KEY }],
      ['sessions.describe', { key: 'agent:main:clawcord:none' }],
    ]);
  });
});
