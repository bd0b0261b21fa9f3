// The fake OpenClaw gateway on the wire for what the real ones do beyond plain text: directives in chat.send,
// suppressCommandInterpretation, chat.history caps, tool-using runs, yielded finals (raw `ws` clients, no project code).
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HISTORY_TRUNCATION_MARKER } from './openclaw-history.js';
import { SUBAGENT_SETTLED_MESSAGE } from './openclaw-methods.js';
import { chatEvents, oc, ocCall, ocConnect, sleep, useCleanups, type Frame, type RawClient } from './raw-client.js';
import { wordTokens, type ReplyContext, type ReplyScript } from './state.js';

useCleanups();

const SMART = 'ollama/glm-5:cloud';
const send = (c: RawClient, sessionKey: string, message: string, extra: Record<string, unknown> = {}) => {
  const runId = randomUUID();
  return ocCall(c, 'chat.send', { sessionKey, message, idempotencyKey: runId, ...extra }).then((res) => ({ res, runId }));
};
const terminal = (c: RawClient, runId: string, timeoutMs = 3000) =>
  c.waitFor((f) => f.event === 'chat' && f.payload.runId === runId && ['final', 'error', 'aborted'].includes(f.payload.state), timeoutMs);
const texts = (frames: Frame[]) => frames.map((f) => f.payload.message?.content?.[0]?.text);

describe('directives in chat.send on the wire', () => {
  it.each([3, 4] as const)('protocol %i: an inline /model is stripped before the model; only v4 keeps the new model', async (protocol) => {
    const gw = await oc({ protocol });
    const seen: ReplyContext[] = [];
    gw.setReplyScript((ctx) => (seen.push(ctx), { tokens: wordTokens(`on ${ctx.model}`), tokenDelayMs: 2 }));
    const { c } = await ocConnect(gw);
    const key = 'agent:main:clawcord:d1';
    const { runId } = await send(c, key, `[Tester (1)] /model ${SMART} what is 2+2`);
    await c.waitFor((f) => f.event === 'chat' && f.payload.runId === runId && f.payload.state === 'final' && f.payload.seq > 1);
    expect(seen[0]!.message).toBe('[Tester (1)] what is 2+2');
    const list = await ocCall(c, 'sessions.list', {});
    const row = list.payload.sessions.find((s: Frame) => s.key === key);
    if (protocol === 3) {
      expect(seen[0]!.model).toBe('ollama/kimi-k2.5:cloud');
      expect(row.model).toBe('kimi-k2.5:cloud');
      expect(chatEvents(c, runId).filter((f) => f.payload.state === 'final')).toHaveLength(1);
      return;
    }
    expect(seen[0]!.model).toBe(SMART);
    expect(row.model).toBe('glm-5:cloud');
    // The acknowledgement: delta seq 1 first, then the run, then a second final seq 1 (live, H-B §3).
    await c.waitFor((f) => f.event === 'chat' && f.payload.runId === runId && f.payload.state === 'final' && f.payload.seq === 1);
    const events = chatEvents(c, runId).filter((f) => f.payload.state !== 'status');
    const notice = `Model set to ${SMART} for this session only; configured default unchanged.`;
    expect(events[0]!.payload).toMatchObject({ state: 'delta', seq: 1, deltaText: notice });
    expect(events.at(-1)!.payload).toMatchObject({ state: 'final', seq: 1, message: { content: [{ text: notice }] } });
    expect(events.filter((f) => f.payload.state === 'final').map((f) => f.payload.message.content[0].text)).toEqual([`on ${SMART}`, notice]);
    // v4 keeps the text as sent in the user row; v3 the stripped one.
    const history = await ocCall(c, 'chat.history', { sessionKey: key });
    expect(history.payload.messages[0].content).toBe(`[Tester (1)] /model ${SMART} what is 2+2`);
  });

  it.each([3, 4] as const)('protocol %i: a directive-only text sets the model with no model run', async (protocol) => {
    const gw = await oc({ protocol });
    let calls = 0;
    gw.setReplyScript(() => (calls++, { tokens: ['x'] }));
    const { c } = await ocConnect(gw);
    const key = 'agent:main:clawcord:d2';
    const { res, runId } = await send(c, key, `[Tester (1)] /model ${SMART}`);
    expect(res.payload).toEqual({ runId, status: 'started' });
    const final = await terminal(c, runId);
    const ack = protocol === 3 ? `Model set to ${SMART}.` : `Model set to ${SMART} for this session only; configured default unchanged.`;
    expect(final.payload).toMatchObject({ seq: 1, state: 'final', message: { content: [{ type: 'text', text: ack }], provider: 'openclaw', model: 'gateway-injected' } });
    expect(final.payload.agentId).toBe(protocol === 4 ? 'main' : undefined);
    expect(calls).toBe(0);
    expect(gw.state.session(key)?.model).toBe(SMART);
    const history = await ocCall(c, 'chat.history', { sessionKey: key });
    const roles = history.payload.messages.map((m: Frame) => m.role);
    expect(roles).toEqual(protocol === 3 ? ['assistant'] : ['user', 'assistant']);
    expect(history.payload.messages.at(-1)).toMatchObject({ model: 'gateway-injected', content: [{ text: ack }] });
  });

  it('v3 flattens whitespace and strips /status; v4 keeps the bytes', async () => {
    for (const protocol of [3, 4] as const) {
      const gw = await oc({ protocol });
      const seen: string[] = [];
      gw.setReplyScript(({ message }) => (seen.push(message), { tokens: ['ok'] }));
      const { c } = await ocConnect(gw);
      const { runId } = await send(c, 'agent:main:s', 'why does GET /status fail?\n    indented');
      await terminal(c, runId);
      expect(seen[0]).toBe(protocol === 3 ? 'why does GET fail? indented' : 'why does GET fail?\n    indented');
    }
  });

  it('v4 fails a turn whose thinking level the model cannot do, as one chat error and no run', async () => {
    const gw = await oc();
    let calls = 0;
    gw.setReplyScript(() => (calls++, { tokens: ['x'] }));
    const { c } = await ocConnect(gw);
    const { runId } = await send(c, 'agent:main:t', 'please /think high explain');
    const err = await terminal(c, runId);
    expect(err.payload).toMatchObject({
      state: 'error',
      seq: 1,
      errorMessage: 'Thinking level "high" is not supported for ollama/kimi-k2.5:cloud. Use one of: off.',
    });
    await sleep(30);
    expect(chatEvents(c, runId)).toHaveLength(1);
    expect(calls).toBe(0);
    expect((await ocCall(c, 'sessions.patch', { key: 'agent:main:t', thinkingLevel: 'high' })).error.message).toBe(
      'thinkingLevel "high" is not supported for ollama/kimi-k2.5:cloud (use off)',
    );
  });

  it('suppressCommandInterpretation: v4 admin sends the text intact, v4 non-admin and v3 are refused', async () => {
    const v4 = await oc();
    const seen: string[] = [];
    v4.setReplyScript(({ message }) => (seen.push(message), { tokens: ['ok'] }));
    const admin = await ocConnect(v4);
    const text = `/model ${SMART} what is 2+2 /status`;
    const { res, runId } = await send(admin.c, 'agent:main:p', text, { suppressCommandInterpretation: true });
    expect(res.ok).toBe(true);
    await terminal(admin.c, runId);
    expect(seen).toEqual([text]);
    expect(v4.state.session('agent:main:p')?.model).toBeUndefined();

    const writer = await ocConnect(v4, { scopes: ['operator.read', 'operator.write'] });
    expect((await send(writer.c, 'agent:main:p', 'x', { suppressCommandInterpretation: true })).res.error).toEqual({
      code: 'INVALID_REQUEST',
      message: 'system provenance fields require admin scope',
    });
    const v3 = await ocConnect(await oc({ protocol: 3 }));
    expect((await send(v3.c, 'agent:main:p', 'x', { suppressCommandInterpretation: true })).res.error.message).toBe(
      "invalid chat.send params: at root: unexpected property 'suppressCommandInterpretation'",
    );
  });

  it('a lone stop word aborts the session runs instead of starting one', async () => {
    const gw = await oc();
    const { c } = await ocConnect(gw);
    const { runId } = await send(c, 'agent:main:stop', 'SLOW please');
    await c.waitFor((f) => f.event === 'chat' && f.payload.runId === runId && f.payload.state === 'delta');
    const stop = await send(c, 'agent:main:stop', 'stop');
    expect(stop.res.payload).toEqual({ ok: true, aborted: true, runIds: [runId] });
    expect((await terminal(c, runId)).payload.state).toBe('aborted');
  });

  it('refuses null bytes and an empty text, and drops other control characters', async () => {
    const gw = await oc({ protocol: 3 });
    const seen: string[] = [];
    gw.setReplyScript(({ message }) => (seen.push(message), { tokens: ['ok'] }));
    const { c } = await ocConnect(gw);
    expect((await send(c, 'agent:main:n', 'a\u0000b')).res.error.message).toBe('message must not contain null bytes');
    expect((await send(c, 'agent:main:n', '   ')).res.error.message).toBe('message or attachment required');
    const { runId } = await send(c, 'agent:main:n', 'be\u0007ll');
    await terminal(c, runId);
    expect(seen).toEqual(['bell']);
  });
});

describe('chat.history text caps', () => {
  const long = 'x'.repeat(14_000);

  it('v4 cuts at 8000 by default with the marker, maxChars up to 500000', async () => {
    const gw = await oc();
    gw.setReplyScript(() => ({ tokens: [long], tokenDelayMs: 1 }));
    const { c } = await ocConnect(gw);
    const { runId } = await send(c, 'agent:main:h', 'go');
    const final = await terminal(c, runId);
    expect(final.payload.message.content[0].text).toBe(long);
    const capped = (await ocCall(c, 'chat.history', { sessionKey: 'agent:main:h' })).payload.messages.at(-1);
    expect(capped.content[0].text).toBe(`${'x'.repeat(8000)}${HISTORY_TRUNCATION_MARKER}`);
    expect(HISTORY_TRUNCATION_MARKER).toBe('\n...(truncated)...');
    expect(capped.__openclaw).toMatchObject({ runId, truncated: true, reason: 'display-cap' });
    const full = (await ocCall(c, 'chat.history', { sessionKey: 'agent:main:h', maxChars: 500_000 })).payload.messages.at(-1);
    expect(full.content[0].text).toBe(long);
    expect(full.__openclaw.truncated).toBeUndefined();
    expect((await ocCall(c, 'chat.history', { sessionKey: 'agent:main:h', maxChars: 500_001 })).error.message).toBe(
      'invalid chat.history params: at /maxChars: must be <= 500000',
    );
  });

  it('v3 cuts at 12000 with the marker and refuses maxChars', async () => {
    const gw = await oc({ protocol: 3 });
    gw.setReplyScript(() => ({ tokens: [long], tokenDelayMs: 1 }));
    const { c } = await ocConnect(gw);
    const { runId } = await send(c, 'agent:main:h', 'go');
    await terminal(c, runId);
    const last = (await ocCall(c, 'chat.history', { sessionKey: 'agent:main:h' })).payload.messages.at(-1);
    expect(last.content[0].text).toBe(`${'x'.repeat(12_000)}${HISTORY_TRUNCATION_MARKER}`);
    expect(last.__openclaw).toBeUndefined();
    expect((await ocCall(c, 'chat.history', { sessionKey: 'agent:main:h', maxChars: 500_000 })).error.message).toBe(
      "invalid chat.history params: at root: unexpected property 'maxChars'",
    );
  });
});

const toolRun: ReplyScript = {
  tokens: wordTokens('All done: one two'),
  tokenDelayMs: 2,
  toolCalls: [
    { say: wordTokens('Let me check.'), name: 'exec', args: { command: 'echo one' }, output: 'one', durationMs: 300 },
    { name: 'exec', args: { command: 'echo two' }, output: '', durationMs: 20 },
  ],
};

describe('tool-using runs', () => {
  it.each([3, 4] as const)('protocol %i: tool events only to the cap socket that sent, quiet while the tool runs', async (protocol) => {
    const gw = await oc({ protocol, deltaPacingMs: 1 });
    gw.setReplyScript(() => toolRun);
    const main = await ocConnect(gw, { extra: { caps: ['tool-events'] } });
    const obs = await ocConnect(gw);
    expect(gw.connections[0]!.hello?.caps).toEqual(['tool-events']);
    const { runId } = await send(main.c, 'agent:main:tools', 'run the tools');

    // Mid-tool: no chat event for 300 ms, and the history's last row is the intermediate tool call.
    await main.c.waitFor((f) => f.event === 'agent' && f.payload.stream === 'tool' && f.payload.data.phase === 'start');
    await sleep(20);
    const chatBefore = chatEvents(obs.c, runId).length;
    const mid = (await ocCall(obs.c, 'chat.history', { sessionKey: 'agent:main:tools' })).payload.messages;
    expect(mid.at(-1)).toMatchObject({ role: 'assistant', stopReason: 'toolUse' });
    expect(mid.at(-1).content.at(-1)).toEqual({ type: 'toolCall', id: 'call_1_0', name: 'exec', arguments: { command: 'echo one' } });
    await main.c.waitFor((f) => f.event === 'agent' && f.payload.stream === 'tool' && f.payload.data.phase === 'result');
    expect(chatEvents(obs.c, runId).length).toBe(chatBefore);

    const final = await terminal(main.c, runId);
    const mainTools = main.c.frames.filter((f) => f.event === 'agent' && f.payload.stream === 'tool');
    expect(mainTools.map((f) => f.payload.data.phase)).toEqual(['start', 'update', 'result', 'start', 'update', 'result']);
    expect(obs.c.frames.filter((f) => f.event === 'agent' && f.payload.stream === 'tool')).toEqual([]);
    await terminal(obs.c, runId);
    const deltas = texts(chatEvents(obs.c, runId).filter((f) => f.payload.state === 'delta'));
    if (protocol === 3) {
      // v3: text restarts per segment, the final holds the last one; tool frames carry no outer seq.
      expect(final.payload.message.content[0].text).toBe('All done: one two');
      expect(final.payload).not.toHaveProperty('stopReason');
      expect(deltas).toContain('Let me check.');
      expect(deltas.at(-1)).toBe('All done: one two');
      expect(mainTools.every((f) => f.seq === undefined)).toBe(true);
      expect(mainTools[2]!.payload.data).not.toHaveProperty('result');
      expect(main.c.frames.some((f) => f.event === 'agent' && f.payload.stream === 'item')).toBe(false);
    } else {
      // v4: cumulative text joined by a blank line; the final holds every segment.
      expect(final.payload.message.content[0].text).toBe('Let me check.\n\nAll done: one two');
      expect(deltas.at(-1)).toBe('Let me check.\n\nAll done: one two');
      expect(mainTools.every((f) => typeof f.seq === 'number')).toBe(true);
      expect(mainTools[2]!.payload.data.result.content[0].text).toBe('one');
      expect(mainTools[0]!.payload.status).toBe('running');
      const items = obs.c.frames.filter((f) => f.event === 'agent' && f.payload.stream === 'item').map((f) => [f.payload.data.kind, f.payload.data.phase]);
      expect(items).toEqual([['preamble', 'update'], ['preamble', 'end'], ['tool', 'start'], ['tool', 'end'], ['tool', 'start'], ['tool', 'end']]);
      expect(obs.c.frames.some((f) => f.event === 'agent' && f.payload.stream === 'command_output' && f.payload.data.phase === 'end')).toBe(true);
      const end = await obs.c.waitFor((f) => f.event === 'agent' && f.payload.stream === 'lifecycle' && f.payload.data.phase === 'end');
      expect(end.payload.data.terminalReply.text).toBe('All done: one two');
    }
  });

  it('v3 history: raw transcript rows, the prompt under its metadata block, no run ids', async () => {
    const gw = await oc({ protocol: 3 });
    gw.setReplyScript(() => toolRun);
    const { c } = await ocConnect(gw, { clientId: 'gateway-client', mode: 'backend' });
    const { runId } = await send(c, 'agent:main:h3', 'run the tools');
    await terminal(c, runId);
    const rows = (await ocCall(c, 'chat.history', { sessionKey: 'agent:main:h3' })).payload.messages;
    expect(rows.map((m: Frame) => [m.role, m.stopReason])).toEqual([
      ['user', undefined],
      ['assistant', 'toolUse'],
      ['toolResult', undefined],
      ['assistant', 'toolUse'],
      ['toolResult', undefined],
      ['assistant', 'stop'],
    ]);
    expect(rows[0].content[0].text).toMatch(
      new RegExp(`^Conversation info \\(untrusted metadata\\):\\n\`\`\`json\\n\\{\\n  "message_id": "${runId}",\\n  "sender": "gateway-client"\\n\\}\\n\`\`\`\\n\\n\\[\\w{3} \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC\\] run the tools$`),
    );
    expect(rows[1].content).toEqual([
      { type: 'text', text: 'Let me check.' },
      { type: 'toolCall', id: 'call_1_0', name: 'exec', arguments: { command: 'echo one' } },
    ]);
    expect(rows[3].content).toEqual([{ type: 'toolCall', id: 'call_2_0', name: 'exec', arguments: { command: 'echo two' } }]);
    expect(rows[4]).toMatchObject({ toolCallId: 'call_2_0', toolName: 'exec', content: [{ type: 'text', text: '(no output)' }], isError: false });
    expect(rows[5]).toMatchObject({ content: [{ type: 'text', text: 'All done: one two' }], api: 'openai-completions', provider: 'ollama' });
    expect(rows.every((m: Frame) => m.__openclaw === undefined)).toBe(true);
  });

  it('v4 history: text and call as two rows, every run row stamped with the run id, no runTerminal', async () => {
    const gw = await oc();
    gw.setReplyScript(() => toolRun);
    const { c } = await ocConnect(gw);
    const { runId } = await send(c, 'agent:main:h4', 'run the tools');
    await terminal(c, runId);
    const rows = (await ocCall(c, 'chat.history', { sessionKey: 'agent:main:h4' })).payload.messages;
    expect(rows.map((m: Frame) => [m.role, m.stopReason, m.__openclaw.seq])).toEqual([
      ['user', undefined, 1],
      ['assistant', undefined, 2],
      ['assistant', 'toolUse', 2],
      ['toolResult', undefined, 3],
      ['assistant', 'toolUse', 4],
      ['toolResult', undefined, 5],
      ['assistant', 'stop', 6],
    ]);
    expect(rows[0].content).toBe('run the tools');
    expect(rows[1]).toMatchObject({ content: [{ type: 'text', text: 'Let me check.' }], openclawStreamFallback: { source: 'segment', replacementText: 'Let me check.' } });
    expect(rows[1].__openclaw.id).toBe(rows[2].__openclaw.id);
    expect(rows.slice(1).every((m: Frame) => m.__openclaw.runId === runId && m.__openclaw.runTerminal === undefined)).toBe(true);
    expect(rows.at(-1).content).toEqual([{ type: 'text', text: 'All done: one two' }]);
  });
});

describe('yielded finals', () => {
  const yielding: ReplyScript = {
    tokens: wordTokens('I started 2 sub-agents; I will report back.'),
    tokenDelayMs: 2,
    yieldTo: { successor: { tokens: wordTokens('Both sub-agents finished: 42.'), tokenDelayMs: 2 }, afterMs: 100 },
  };

  it('v4 ends the turn with a yielded final, then a successor turn under a new run id streams the answer', async () => {
    const gw = await oc();
    const seen: string[] = [];
    gw.setReplyScript(({ message }) => (seen.push(message), yielding));
    const { c } = await ocConnect(gw);
    const { runId } = await send(c, 'agent:main:y', 'research this');
    const final = await terminal(c, runId);
    expect(final.payload).toMatchObject({ state: 'final', stopReason: 'end_turn', yielded: true, message: { content: [{ text: 'I started 2 sub-agents; I will report back.' }] } });
    const end = c.frames.find((f) => f.event === 'agent' && f.payload.runId === runId && f.payload.stream === 'lifecycle' && f.payload.data.phase === 'end');
    expect(end!.payload.data).toMatchObject({ yielded: true, livenessState: 'paused', stopReason: 'end_turn', terminalReply: { disposition: 'empty' } });

    const next = await c.waitFor((f) => f.event === 'chat' && f.payload.sessionKey === 'agent:main:y' && f.payload.runId !== runId && f.payload.state === 'final');
    expect(next.payload.message.content[0].text).toBe('Both sub-agents finished: 42.');
    expect(next.payload.yielded).toBeUndefined();
    expect(seen).toEqual(['research this']);
    const rows = (await ocCall(c, 'chat.history', { sessionKey: 'agent:main:y' })).payload.messages;
    // The successor's prompt is not a history row (F-findings SUB-AGENTS, live); its run id is the gateway's announce id.
    expect(rows.map((m: Frame) => [m.role, m.__openclaw.runId])).toEqual([
      ['user', undefined],
      ['assistant', runId],
      ['assistant', runId],
      ['toolResult', runId],
      ['assistant', next.payload.runId],
    ]);
    expect(next.payload.runId).toMatch(/^announce:requester-settle:main:agent:main:y:[0-9a-f-]{36}:yield-1$/);
    expect(rows[2].content[0]).toMatchObject({ type: 'toolCall', name: 'sessions_yield' });
    expect(gw.state.run(next.payload.runId)?.message).toBe(SUBAGENT_SETTLED_MESSAGE);
  });

  it('v3 has no yield: the same script ends with a plain final', async () => {
    const gw = await oc({ protocol: 3 });
    gw.setReplyScript(() => yielding);
    const { c } = await ocConnect(gw);
    const { runId } = await send(c, 'agent:main:y', 'research this');
    const final = await terminal(c, runId);
    expect(final.payload.yielded).toBeUndefined();
    expect(final.payload.message.content[0].text).toBe('I started 2 sub-agents; I will report back.');
  });
});

describe('v3 payload shapes', () => {
  it('chat and agent payloads carry no agentId, lifecycle has only start and end', async () => {
    const gw = await oc({ protocol: 3 });
    gw.setReplyScript(() => ({ tokens: ['hi'], tokenDelayMs: 1 }));
    const { c } = await ocConnect(gw);
    const { runId } = await send(c, 'agent:cody:x', 'hello');
    await terminal(c, runId);
    const run = c.frames.filter((f) => f.payload?.runId === runId);
    expect(run.every((f) => f.payload.agentId === undefined && f.payload.isHeartbeat === undefined)).toBe(true);
    expect(run.filter((f) => f.payload.stream === 'lifecycle').map((f) => f.payload.data.phase)).toEqual(['start', 'end']);
  });
});
