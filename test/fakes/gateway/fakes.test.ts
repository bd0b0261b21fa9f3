// Self-tests of the fake gateways, driven by a raw `ws` client (no project code).
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createTestDevice } from './device-verify.js';
import { startOpenClawGateway } from './openclaw-gateway.js';
import { ALL_SCOPES, RawClient, card, cardCall, cardClient, chatEvents, cleanups, oc, ocCall, ocConnect, sleep, useCleanups } from './raw-client.js';
import { wordTokens } from './state.js';

useCleanups();

describe('card gateway', () => {
  it('does the hello handshake and streams a chat as binary frames', async () => {
    const gw = await card();
    const c = await cardClient(gw);
    expect(c.frames[0]).toEqual({ event: 'helloOk', payload: { ready: true } });

    const res = await cardCall(c, 'chat.send', { sessionKey: 'main:clawcord:1', message: 'hello there world', deliver: true });
    expect(res.error).toBeNull();
    const runId = res.result.runId as string;
    expect(runId).toMatch(/^run-[0-9a-f-]{36}$/);
    await c.waitFor((f) => f.event === 'chat.done');

    const pushes = c.frames.filter((f) => typeof f.event === 'string' && f.event.startsWith('chat.'));
    expect(pushes.map((f) => f.seq)).toEqual(pushes.map((_, i) => i + 1));
    const text = pushes.filter((f) => f.event === 'chat.chunk').map((f) => f.payload.delta).join('');
    expect(text).toBe('Echo: hello there world');
    expect(pushes.at(-1)).toEqual({ event: 'chat.done', payload: { runId }, seq: pushes.length });
    expect(c.binaryFlags.every(Boolean)).toBe(true);

    const history = await cardCall(c, 'chat.history', { sessionKey: 'main:clawcord:1', limit: 50 });
    expect(history.result.messages).toEqual([
      { role: 'user', content: 'hello there world' },
      { role: 'assistant', content: 'Echo: hello there world' },
    ]);
    const list = await cardCall(c, 'sessions.list', { limit: 10 });
    expect(list.result.sessions[0]).toMatchObject({
      key: 'main:clawcord:1',
      derivedTitle: 'hello there world',
      model: 'ollama/kimi-k2.5:cloud',
      lastMessagePreview: 'Echo: hello there world',
    });
    expect(gw.received.every((r) => r.binary)).toBe(true);
    expect(gw.connections[0]!.url).toContain('token=card-token');
  });

  it('answers status, models, agents, abort and reset in the card shapes', async () => {
    const gw = await card();
    const c = await cardClient(gw);
    expect((await cardCall(c, 'status')).result).toMatchObject({ ready: true, version: '2026.2.15', sessions: 0, agents: 3 });
    expect((await cardCall(c, 'models.list')).result.models[0]).toEqual({
      id: 'ollama/kimi-k2.5:cloud',
      name: 'kimi-k2.5',
      provider: 'ollama',
      contextWindow: 131072,
      reasoning: false,
    });
    expect((await cardCall(c, 'agents.list')).result.defaultId).toBe('main');

    const send = await cardCall(c, 'chat.send', { sessionKey: 'cody:clawcord:2', message: 'SLOW please' });
    await c.waitFor((f) => f.event === 'chat.chunk');
    const abort = await cardCall(c, 'chat.abort', { sessionKey: 'cody:clawcord:2', runId: send.result.runId });
    expect(abort.result).toEqual({ ok: true, aborted: true });
    await c.waitFor((f) => f.event === 'chat.aborted');
    const again = await cardCall(c, 'chat.abort', { sessionKey: 'cody:clawcord:2', runId: send.result.runId });
    expect(again.result).toEqual({ ok: true, aborted: false });

    expect((await cardCall(c, 'sessions.reset', { key: 'cody:clawcord:2', reason: 'Switching topics' })).error).toBeNull();
    expect((await cardCall(c, 'chat.history', { sessionKey: 'cody:clawcord:2' })).result.messages).toEqual([]);
  });

  it('reports a failed run with chat.error after the chunks', async () => {
    const gw = await card();
    const c = await cardClient(gw);
    const res = await cardCall(c, 'chat.send', { sessionKey: 'main:clawcord:3', message: 'please FAIL now' });
    const err = await c.waitFor((f) => f.event === 'chat.error');
    expect(err.payload).toMatchObject({ runId: res.result.runId, error: expect.stringContaining('LLM request failed') });
    expect(c.frames.filter((f) => f.event === 'chat.chunk')).toHaveLength(2);
  });

  it.each([
    ['string', '404 Method not found', 'Params validation failed', 'Session not found'],
    ['object', { code: 404, message: 'Method not found' }, { code: 400, message: 'Params validation failed' }, { code: 404, message: 'Session not found' }],
  ] as const)('encodes errors as %s', async (errorShape, notFound, badParams, noSession) => {
    const gw = await card({ errorShape });
    const c = await cardClient(gw);
    expect(await cardCall(c, 'chat.sned')).toMatchObject({ result: null, error: notFound });
    expect(await cardCall(c, 'chat.send', { sessionKey: 'main:x' })).toMatchObject({ error: badParams });
    expect(await cardCall(c, 'chat.send', { sessionKey: 'main:x', message: 5 })).toMatchObject({ error: badParams });
    expect(await cardCall(c, 'chat.history', { sessionKey: 'main:never' })).toMatchObject({ error: noSession });
    expect(await cardCall(c, 'sessions.patch', { key: 'main:never', model: 'ollama/glm-5:cloud' })).toMatchObject({ error: noSession });
  });

  it('encodes errors as number with a top-level message', async () => {
    const gw = await card({ errorShape: 'number' });
    const c = await cardClient(gw);
    const res = await cardCall(c, 'nope');
    expect(res).toEqual({ id: res.id, result: null, error: 404, message: 'Method not found' });
  });

  it('refuses requests before hello', async () => {
    const gw = await card();
    const c = await cardClient(gw, false);
    expect((await cardCall(c, 'status')).error).toBe('Hello required');
  });

  it('refuses a bad token with HTTP 401 on the upgrade', async () => {
    const gw = await card();
    const ws = new WebSocket(`${gw.url}/?token=wrong`);
    const status = await new Promise<number | undefined>((resolve) => {
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode));
      ws.on('error', () => resolve(undefined));
    });
    expect(status).toBe(401);
    expect(gw.connections[0]).toMatchObject({ accepted: false });
  });

  it('answers every method call responseDelayMs late, hello at once, and starts the run only then', async () => {
    const gw = await card({ responseDelayMs: 300 });
    const helloAt = Date.now();
    const c = await cardClient(gw);
    expect(Date.now() - helloAt).toBeLessThan(250);
    const sentAt = Date.now();
    const status = await cardCall(c, 'status');
    expect(status.result.ready).toBe(true);
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(295);
    const bad = cardCall(c, 'nope');
    const send = await cardCall(c, 'chat.send', { sessionKey: 'main:slow:1', message: 'hi' });
    expect((await bad).error).toBe('404 Method not found');
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(595);
    // Nothing of the run was pushed before its answer.
    expect(c.frames.findIndex((f) => f.event === 'chat.chunk')).toBe(-1);
    await c.waitFor((f) => f.event === 'chat.done' && f.payload.runId === send.result.runId);
  });

  it('refuses a bad token with an error frame then a close', async () => {
    const gw = await card({ auth: 'error-frame', serverFrames: 'text' });
    const c = await RawClient.open(`${gw.url}/?token=wrong`);
    cleanups.push(() => c.close());
    const frame = await c.waitFor(() => true);
    expect(frame).toEqual({ id: null, result: null, error: '401 Unauthorized' });
    expect(c.binaryFlags[0]).toBe(false);
    expect((await c.closed).code).toBe(1008);
  });
});

// ---- OpenClaw -------------------------------------------------------------------------------------------------------

describe('OpenClaw gateway handshake', () => {
  it.each([3, 4] as const)('accepts a signed v2 device on protocol %i', async (protocol) => {
    const gw = await oc({ protocol });
    const { c, res } = await ocConnect(gw);
    expect(c.frames[0]).toMatchObject({ type: 'event', event: 'connect.challenge' });
    expect(c.frames[0]!.seq).toBeUndefined();
    expect(res.ok).toBe(true);
    expect(res.payload).toMatchObject({
      type: 'hello-ok',
      protocol,
      server: { version: protocol === 4 ? '2026.9.6' : '2026.2.17' },
      snapshot: { sessionDefaults: { defaultAgentId: 'main', mainKey: 'main' } },
      policy: { maxPayload: 26214400, maxBufferedBytes: 52428800, tickIntervalMs: 30000 },
      auth: { role: 'operator', scopes: ALL_SCOPES, deviceToken: expect.any(String) },
    });
    const status = (await ocCall(c, 'status')).payload;
    expect(status).toMatchObject({ sessions: { count: 0 } });
    // 2026.2's status has no runtimeVersion.
    expect(status.runtimeVersion).toBe(protocol === 4 ? gw.version : undefined);
    expect(gw.connections[0]!.url).toBe('/');
    expect(gw.connections[0]!.headers.origin).toBeUndefined();
  });

  it('accepts the v3 device payload only on protocol 4', async () => {
    expect((await ocConnect(await oc({ protocol: 4 }), { payload: 'v3' })).res.ok).toBe(true);
    const { res } = await ocConnect(await oc({ protocol: 3 }), { payload: 'v3' });
    expect(res.error).toEqual({ code: 'INVALID_REQUEST', message: 'device signature invalid' });
  });

  it('rejects a bad signature and a nonce mismatch with close 1008', async () => {
    const gw = await oc();
    const bad = await ocConnect(gw, { tamper: (d) => (d.signature = String(d.signature).replace(/^./, (ch) => (ch === 'A' ? 'B' : 'A'))) });
    expect(bad.res.error).toMatchObject({ code: 'INVALID_REQUEST', message: 'device signature invalid', details: { code: 'DEVICE_AUTH_SIGNATURE_INVALID' } });
    expect((await bad.c.closed).code).toBe(1008);

    const other = randomUUID();
    const mismatch = await ocConnect(gw, { signNonce: other, tamper: (d) => (d.nonce = other) });
    expect(mismatch.res.error).toMatchObject({ message: 'device nonce mismatch' });
    expect((await mismatch.c.closed).code).toBe(1008);
  });

  it('rejects an unknown connect key, and v4-only keys on v3', async () => {
    const v4 = await ocConnect(await oc(), { extra: { foo: 1 } });
    expect(v4.res.error).toEqual({ code: 'INVALID_REQUEST', message: "invalid connect params: at root: unexpected property 'foo'" });
    expect((await v4.c.closed).code).toBe(1008);

    const v3 = await ocConnect(await oc({ protocol: 3 }), { client: { buildId: 'x' } });
    expect(v3.res.error.message).toBe("invalid connect params: at /client: unexpected property 'buildId'");
  });

  it('refuses a wrong token and a protocol mismatch', async () => {
    const gw = await oc();
    const wrong = await ocConnect(gw, { token: 'nope' });
    expect(wrong.res.error).toMatchObject({
      code: 'INVALID_REQUEST',
      message: expect.stringMatching(/^unauthorized: gateway token mismatch \(/),
      details: { code: 'AUTH_TOKEN_MISMATCH' },
    });
    expect((await wrong.c.closed).code).toBe(1008);

    const old = await ocConnect(gw, { extra: { minProtocol: 3, maxProtocol: 3 } });
    expect(old.res.error).toMatchObject({ message: 'protocol mismatch', details: { code: 'PROTOCOL_MISMATCH' } });
    expect((await old.c.closed).code).toBe(1002);
  });

  it('closes without a reply when the first frame is not a request', async () => {
    const gw = await oc();
    const c = await RawClient.open(gw.url);
    cleanups.push(() => c.close());
    c.send({ event: 'hello', payload: { version: '1.0' } }, true);
    expect(await c.closed).toEqual({ code: 1008, reason: 'invalid request frame' });
    expect(c.frames.filter((f) => f.type === 'res')).toEqual([]);
    expect(gw.received[0]).toMatchObject({ binary: true });
  });

  it('clears scopes of a device-less client unless it is local cli/cli (v4 only)', async () => {
    const gw = await oc();
    const test = await ocConnect(gw, { device: null });
    expect(test.res.payload.auth.scopes).toEqual([]);
    expect((await ocCall(test.c, 'status')).error).toEqual({
      code: 'FORBIDDEN',
      message: 'missing scope: operator.read',
      details: { code: 'MISSING_SCOPE', missingScope: 'operator.read', requiredScopes: ['operator.read'] },
    });
    const cli = await ocConnect(gw, { device: null, clientId: 'cli', mode: 'cli' });
    expect(cli.res.payload.auth.scopes).toEqual(ALL_SCOPES);

    const v3 = await oc({ protocol: 3 });
    const v3cli = await ocConnect(v3, { device: null, clientId: 'cli', mode: 'cli' });
    expect(v3cli.res.payload.auth).toBeUndefined();
    expect((await ocCall(v3cli.c, 'status')).error).toEqual({ code: 'INVALID_REQUEST', message: 'missing scope: operator.read' });
  });

  it('requires pairing for a remote device until approved', async () => {
    const gw = await oc({ remote: true });
    const device = createTestDevice();
    const first = await ocConnect(gw, { device });
    expect(first.res.error).toMatchObject({ code: 'NOT_PAIRED', details: { code: 'PAIRING_REQUIRED', requestId: gw.pairingRequests[0]!.requestId } });
    expect((await first.c.closed).code).toBe(1008);
    gw.approveDevice(device.deviceId);
    expect((await ocConnect(gw, { device })).res.ok).toBe(true);
  });

  it('answers UNAVAILABLE with retryAfterMs for the next n connects', async () => {
    const gw = await oc();
    gw.unavailableOnConnect(1, 250);
    const first = await ocConnect(gw);
    expect(first.res.error).toMatchObject({ code: 'UNAVAILABLE', message: 'gateway starting; retry shortly', retryable: true, retryAfterMs: 250 });
    expect((await first.c.closed).code).toBe(1013);
    expect((await ocConnect(gw)).res.ok).toBe(true);
  });
});

describe('OpenClaw gateway methods', () => {
  it('validates chat.send params per protocol', async () => {
    const v4 = await ocConnect(await oc());
    const missing = await ocCall(v4.c, 'chat.send', { sessionKey: 'agent:main:x', message: 'x' });
    expect(missing.error).toEqual({ code: 'INVALID_REQUEST', message: "invalid chat.send params: must have required property 'idempotencyKey'" });
    const v3 = await ocConnect(await oc({ protocol: 3 }));
    const v4only = await ocCall(v3.c, 'chat.send', { sessionKey: 'agent:main:x', message: 'x', idempotencyKey: 'k', agentId: 'main' });
    expect(v4only.error.message).toBe("invalid chat.send params: at root: unexpected property 'agentId'");
    const trace = await ocCall(v3.c, 'status', {}, { traceparent: '00-abc' });
    expect(trace.error.message).toBe("invalid request frame: at root: unexpected property 'traceparent'");
    expect((await ocCall(v3.c, 'models.list', { agentId: 'main' })).error.message).toMatch(/unexpected property 'agentId'/);
  });

  it("says what a model takes in as each version does: 2026.2 always, 2026.9 with includeDetails", async () => {
    const v3 = await ocConnect(await oc({ protocol: 3 }));
    const v3Rows = (await ocCall(v3.c, 'models.list')).payload.models;
    expect(v3Rows.map((m: { id: string; input?: string[] }) => [m.id, m.input])).toContainEqual(['glm-5:cloud', ['text']]);
    const v4 = await ocConnect(await oc());
    const plain = (await ocCall(v4.c, 'models.list', { agentId: 'main' })).payload.models;
    expect(plain.some((m: { input?: string[] }) => m.input)).toBe(false);
    const detailed = (await ocCall(v4.c, 'models.list', { agentId: 'main', includeDetails: true })).payload.models;
    expect(detailed[0]).toMatchObject({ id: 'kimi-k2.5:cloud', input: ['text', 'image'] });
  });

  it('rejects unknown methods and unknown agents, and prefixes bare keys', async () => {
    const gw = await oc();
    const { c } = await ocConnect(gw);
    expect((await ocCall(c, 'chat.sned')).error).toEqual({ code: 'INVALID_REQUEST', message: 'unknown method: chat.sned' });
    const nobody = await ocCall(c, 'chat.send', { sessionKey: 'agent:nobody:x', message: 'x', idempotencyKey: randomUUID() });
    expect(nobody.error.message).toBe('Agent "nobody" no longer exists in configuration');
    expect((await ocCall(c, 'models.list')).error.message).toMatch(/^Multiple agents are configured/);
    expect((await ocCall(c, 'models.list', { agentId: 'main' })).payload.models[0]).toMatchObject({ id: 'kimi-k2.5:cloud', provider: 'ollama' });

    const runId = randomUUID();
    await ocCall(c, 'chat.send', { sessionKey: 'bare-key', message: 'hi', idempotencyKey: runId });
    const final = await c.waitFor((f) => f.event === 'chat' && f.payload.runId === runId && f.payload.state === 'final');
    expect(final.payload.sessionKey).toBe('agent:main:bare-key');
  });

  it('streams status, cumulative deltas, then final', async () => {
    const gw = await oc({ deltaPacingMs: 40 });
    gw.setReplyScript(() => ({ tokens: wordTokens('one two three four five six seven eight nine ten'), tokenDelayMs: 15 }));
    const { c } = await ocConnect(gw);
    const runId = randomUUID();
    const res = await ocCall(c, 'chat.send', { sessionKey: 'agent:cody:clawcord:1', message: 'go', idempotencyKey: runId });
    expect(res.payload).toEqual({ runId, status: 'started' });
    const final = await c.waitFor((f) => f.event === 'chat' && f.payload.state === 'final');
    expect(final.payload.message.content[0].text).toBe('one two three four five six seven eight nine ten');

    const events = chatEvents(c, runId);
    const states = events.map((f) => f.payload.state);
    expect(states.slice(0, 3)).toEqual(['status', 'status', 'status']);
    expect(states.at(-1)).toBe('final');
    const deltas = events.filter((f) => f.payload.state === 'delta');
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.length).toBeLessThan(10); // paced, so tokens were merged
    const texts = deltas.map((f) => f.payload.message.content[0].text as string);
    texts.forEach((t, i) => i > 0 && expect(t.startsWith(texts[i - 1]!)).toBe(true));
    expect(deltas.map((f) => f.payload.deltaText).join('')).toBe(texts.at(-1));
    expect(texts.at(-1)).toBe(final.payload.message.content[0].text);
    const frameSeqs = c.frames.filter((f) => f.type === 'event' && f.event !== 'connect.challenge').map((f) => f.seq);
    expect(frameSeqs).toEqual(frameSeqs.map((_, i) => i + 1));
    expect(c.frames.some((f) => f.event === 'agent' && f.payload.stream === 'assistant')).toBe(true);

    const dup = await ocCall(c, 'chat.send', { sessionKey: 'agent:cody:clawcord:1', message: 'go', idempotencyKey: runId });
    expect(dup.payload).toEqual({ runId, status: 'ok' });
    const history = await ocCall(c, 'chat.history', { sessionKey: 'agent:cody:clawcord:1' });
    expect(history.payload.messages).toMatchObject([
      { role: 'user', content: 'go' },
      { role: 'assistant', content: [{ type: 'text', text: 'one two three four five six seven eight nine ten' }] },
    ]);
  });

  it('v3 drops deltas inside the pacing window and sends no deltaText', async () => {
    const gw = await oc({ protocol: 3 });
    gw.setReplyScript(() => ({ tokens: wordTokens('a b c d e f g h'), tokenDelayMs: 10 }));
    const { c } = await ocConnect(gw);
    const runId = randomUUID();
    await ocCall(c, 'chat.send', { sessionKey: 'agent:main:x', message: 'go', idempotencyKey: runId });
    await c.waitFor((f) => f.event === 'chat' && f.payload.state === 'final');
    const events = chatEvents(c, runId);
    expect(events.some((f) => f.payload.state === 'status')).toBe(false);
    const deltas = events.filter((f) => f.payload.state === 'delta');
    expect(deltas.map((f) => f.payload.message.content[0].text)).toEqual(['a']);
    expect(deltas[0]!.payload.deltaText).toBeUndefined();
  });

  it('emits two error events for one failed run on v4, one on v3', async () => {
    const v3 = await oc({ protocol: 3 });
    const v3c = (await ocConnect(v3)).c;
    const v3run = randomUUID();
    await ocCall(v3c, 'chat.send', { sessionKey: 'agent:main:fail', message: 'please FAIL', idempotencyKey: v3run });
    await v3c.waitFor((f) => f.event === 'chat' && f.payload.runId === v3run && f.payload.state === 'error');
    await sleep(40);
    expect(chatEvents(v3c, v3run).filter((f) => f.payload.state === 'error')).toHaveLength(1);

    const gw = await oc();
    const { c } = await ocConnect(gw);
    const runId = randomUUID();
    await ocCall(c, 'chat.send', { sessionKey: 'agent:main:fail', message: 'please FAIL', idempotencyKey: runId });
    await c.waitFor((f) => f.event === 'chat' && f.payload.state === 'error' && f.payload.agentId === undefined);
    const errors = chatEvents(c, runId).filter((f) => f.payload.state === 'error');
    expect(errors).toHaveLength(2);
    expect(errors[0]!.payload).toMatchObject({ agentId: 'main', errorMessage: expect.stringContaining('LLM request failed') });
    expect(errors[1]!.payload.errorMessage).toMatch(/^⚠️ Agent failed before reply: /);
    expect(errors[1]!.payload.seq).toBe(1);
  });

  it('sends the aborted event before the chat.abort response', async () => {
    const gw = await oc();
    const { c } = await ocConnect(gw);
    const runId = randomUUID();
    await ocCall(c, 'chat.send', { sessionKey: 'agent:main:slow', message: 'SLOW one', idempotencyKey: runId });
    await c.waitFor((f) => f.event === 'chat' && f.payload.state === 'delta');
    const res = await ocCall(c, 'chat.abort', { sessionKey: 'agent:main:slow', runId });
    expect(res.payload).toEqual({ ok: true, aborted: true, runIds: [runId] });
    const abortedAt = c.frames.findIndex((f) => f.event === 'chat' && f.payload.state === 'aborted');
    expect(abortedAt).toBeGreaterThan(-1);
    expect(abortedAt).toBeLessThan(c.frames.indexOf(res));
    expect(c.frames[abortedAt]!.payload).toMatchObject({ stopReason: 'rpc', message: { content: [{ text: 'Echo:' }] } });

    const history = await ocCall(c, 'chat.history', { sessionKey: 'agent:main:slow' });
    expect(history.payload.messages.at(-1)).toMatchObject({ role: 'assistant', openclawAbort: { aborted: true, runId } });
    expect((await ocCall(c, 'chat.abort', { sessionKey: 'agent:main:slow', runId })).payload).toEqual({ ok: true, aborted: false, runIds: [] });
  });

  it('patches and resets sessions with the real semantics', async () => {
    const gw = await oc();
    const { c } = await ocConnect(gw);
    // Both versions accept a model they do not know.
    expect((await ocCall(c, 'sessions.patch', { key: 'agent:qa:s', model: 'nope/nothing' })).ok).toBe(true);
    const patched = await ocCall(c, 'sessions.patch', { key: 'agent:qa:s', model: 'github-copilot/gpt-5.2-codex' });
    expect(patched.payload.resolved).toMatchObject({ modelProvider: 'github-copilot', model: 'gpt-5.2-codex' });
    const before = gw.state.session('agent:qa:s')!.sessionId;
    const reset = await ocCall(c, 'sessions.reset', { key: 'agent:qa:s', reason: 'reset' });
    expect(reset.payload.resolved.model).toBe('gpt-5.2-codex');
    expect(gw.state.session('agent:qa:s')!.sessionId).toBe(before);
    const history = await ocCall(c, 'chat.history', { sessionKey: 'agent:qa:s' });
    expect(history.payload.messages).toMatchObject([{ role: 'system', content: [{ type: 'text', text: 'Reset' }] }]);
    expect((await ocCall(c, 'sessions.reset', { key: 'agent:qa:s', reason: 'Switching topics' })).error.message).toBe(
      'invalid sessions.reset params: at /reason: must be equal to one of the allowed values',
    );
    const list = await ocCall(c, 'sessions.list', { includeDerivedTitles: true });
    expect(list.payload.sessions[0]).toMatchObject({ key: 'agent:qa:s', model: 'gpt-5.2-codex', modelProvider: 'github-copilot' });
    expect(list.payload.sessions[0]).not.toHaveProperty('lastMessagePreview');
  });

  it('v3 reset starts a new session id, drops the model override and leaves no row; its default model clears an override', async () => {
    const gw = await oc({ protocol: 3 });
    const { c } = await ocConnect(gw);
    await ocCall(c, 'sessions.patch', { key: 'agent:qa:s', model: 'github-copilot/gpt-5.2-codex' });
    const before = gw.state.session('agent:qa:s')!.sessionId;
    const reset = await ocCall(c, 'sessions.reset', { key: 'agent:qa:s', reason: 'reset' });
    expect(reset.payload).not.toHaveProperty('resolved');
    expect(gw.state.session('agent:qa:s')!.sessionId).not.toBe(before);
    expect(gw.state.session('agent:qa:s')!.model).toBeUndefined();
    expect((await ocCall(c, 'chat.history', { sessionKey: 'agent:qa:s' })).payload.messages).toEqual([]);
    await ocCall(c, 'sessions.patch', { key: 'agent:qa:s', model: 'ollama/glm-5:cloud' });
    await ocCall(c, 'sessions.patch', { key: 'agent:qa:s', model: 'ollama/kimi-k2.5:cloud' });
    expect(gw.state.session('agent:qa:s')!.model).toBeUndefined();
  });

  it('v3 runs a key of an unknown agent on the default model and does not list it; v4 refuses it', async () => {
    const gw = await oc({ protocol: 3 });
    const models: string[] = [];
    gw.setReplyScript(({ model }) => (models.push(model), { tokens: ['ok'] }));
    const { c } = await ocConnect(gw);
    const runId = randomUUID();
    expect((await ocCall(c, 'chat.send', { sessionKey: 'agent:nobody:x', message: 'hi', idempotencyKey: runId })).ok).toBe(true);
    await c.waitFor((f) => f.event === 'chat' && f.payload.runId === runId && f.payload.state === 'final');
    expect(models).toEqual(['ollama/kimi-k2.5:cloud']);
    expect((await ocCall(c, 'sessions.list', {})).payload.sessions).toEqual([]);
  });

  it('v3 rows: no agentId or run status in sessions.list, the stored prompt as title; history after an abort', async () => {
    const gw = await oc({ protocol: 3 });
    const { c } = await ocConnect(gw);
    const runId = randomUUID();
    await ocCall(c, 'chat.send', { sessionKey: 'agent:main:v3', message: 'SLOW one', idempotencyKey: runId });
    await c.waitFor((f) => f.event === 'chat' && f.payload.runId === runId && f.payload.state === 'delta');
    const row = (await ocCall(c, 'sessions.list', { includeDerivedTitles: true, includeLastMessage: true })).payload.sessions[0];
    for (const key of ['agentId', 'displayName', 'status', 'hasActiveRun']) expect(row).not.toHaveProperty(key);
    expect(row.derivedTitle).toMatch(/^Conversation info \(untrusted metadata\): ```json \{/);
    await ocCall(c, 'chat.abort', { sessionKey: 'agent:main:v3', runId });
    const rows = (await ocCall(c, 'chat.history', { sessionKey: 'agent:main:v3' })).payload.messages;
    expect(rows.map((m: { role: string; model?: string; stopReason?: string }) => [m.role, m.model, m.stopReason])).toEqual([
      ['assistant', 'gateway-injected', 'stop'],
      ['user', undefined, undefined],
      ['assistant', 'kimi-k2.5:cloud', 'aborted'],
    ]);
    expect(rows[0].openclawAbort).toEqual({ aborted: true, origin: 'rpc', runId });
    expect(rows[2].errorMessage).toBe('Request was aborted');
  });

  it('v4 refuses a reused message id with other text; v3 answers from its cache', async () => {
    for (const protocol of [3, 4] as const) {
      const { c } = await ocConnect(await oc({ protocol }));
      const idempotencyKey = randomUUID();
      await ocCall(c, 'chat.send', { sessionKey: 'agent:main:k', message: 'first', idempotencyKey });
      const again = await ocCall(c, 'chat.send', { sessionKey: 'agent:main:k', message: 'second', idempotencyKey });
      if (protocol === 3) expect(again.payload.runId).toBe(idempotencyKey);
      else expect(again.error).toMatchObject({ code: 'INVALID_REQUEST', details: { reason: 'chat-request-conflict' }, message: expect.stringMatching(/^This message ID was already used for different input\./) });
    }
  });
});

describe('OpenClaw gateway scopes and bookkeeping', () => {
  it('lets write patch model but needs admin for verboseLevel on v4; v3 needs admin for any patch', async () => {
    const v4 = await ocConnect(await oc(), { scopes: ['operator.read', 'operator.write'] });
    expect((await ocCall(v4.c, 'sessions.patch', { key: 'agent:main:p', model: 'ollama/glm-5:cloud' })).ok).toBe(true);
    expect((await ocCall(v4.c, 'sessions.patch', { key: 'agent:main:p', verboseLevel: 'on' })).error).toMatchObject({
      code: 'FORBIDDEN',
      message: 'missing scope: operator.admin',
    });
    const v3 = await ocConnect(await oc({ protocol: 3 }), { scopes: ['operator.read', 'operator.write'] });
    expect((await ocCall(v3.c, 'sessions.patch', { key: 'agent:main:p', model: 'ollama/glm-5:cloud' })).error).toEqual({
      code: 'INVALID_REQUEST',
      message: 'missing scope: operator.admin',
    });
  });

  it('dedupes a re-sent idempotencyKey as in_flight and records deliver:true', async () => {
    const gw = await oc();
    const { c } = await ocConnect(gw);
    const params = { sessionKey: 'agent:main:d', message: 'SLOW', idempotencyKey: randomUUID(), deliver: true };
    expect((await ocCall(c, 'chat.send', params)).payload.status).toBe('started');
    expect((await ocCall(c, 'chat.send', params)).payload).toEqual({ runId: params.idempotencyKey, status: 'in_flight' });
    expect(gw.state.activeRuns()).toHaveLength(1);
    expect(gw.deliverTrueSeen).toBe(true);
    expect(gw.chatSends).toHaveLength(2);
  });

  it('grants at most grantScopes and reports them in hello-ok', async () => {
    const gw = await oc({ grantScopes: ['operator.read', 'operator.write'] });
    const { c, res } = await ocConnect(gw);
    expect(res.payload.auth.scopes).toEqual(['operator.read', 'operator.write']);
    expect((await ocCall(c, 'sessions.reset', { key: 'agent:main:g' })).error.message).toBe('missing scope: operator.admin');
  });

  it('answers sessions.describe on v4 only, with title and preview only when asked', async () => {
    const gw = await oc();
    const { c, res } = await ocConnect(gw);
    expect(res.payload.features.methods).toContain('sessions.describe');
    const runId = randomUUID();
    await ocCall(c, 'chat.send', { sessionKey: 'agent:main:desc', message: 'hello there', idempotencyKey: runId });
    await c.waitFor((f) => f.event === 'chat' && f.payload.runId === runId && f.payload.state === 'final');
    const plain = await ocCall(c, 'sessions.describe', { key: 'agent:main:desc' });
    expect(plain.payload.session).toMatchObject({ key: 'agent:main:desc', model: 'kimi-k2.5:cloud' });
    expect(plain.payload.session).not.toHaveProperty('lastMessagePreview');
    const full = await ocCall(c, 'sessions.describe', { key: 'agent:main:desc', includeDerivedTitles: true, includeLastMessage: true });
    expect(full.payload.session).toMatchObject({ derivedTitle: 'hello there', lastMessagePreview: 'Echo: hello there' });
    expect((await ocCall(c, 'sessions.describe', { key: 'agent:main:none' })).payload).toEqual({ session: null });

    const v3 = await ocConnect(await oc({ protocol: 3 }));
    expect(v3.res.payload.features.methods).not.toContain('sessions.describe');
    expect((await ocCall(v3.c, 'sessions.describe', { key: 'agent:main:desc' })).error).toEqual({ code: 'INVALID_REQUEST', message: 'unknown method: sessions.describe' });
    const v3reader = await ocConnect(await oc({ protocol: 3 }), { scopes: ['operator.read'] });
    expect((await ocCall(v3reader.c, 'sessions.describe', { key: 'x' })).error.message).toBe('missing scope: operator.admin');
  });

  it('searches sessions by key, label, display name and session id, not by title', async () => {
    const gw = await oc({ protocol: 3 });
    const { c } = await ocConnect(gw);
    await ocCall(c, 'sessions.patch', { key: 'agent:main:clawcord:alpha', label: 'Team room' });
    const runId = randomUUID();
    await ocCall(c, 'chat.send', { sessionKey: 'agent:main:clawcord:beta', message: 'ask about alpha', idempotencyKey: runId });
    await c.waitFor((f) => f.event === 'chat' && f.payload.runId === runId && f.payload.state === 'final');
    const keys = async (search: string) => (await ocCall(c, 'sessions.list', { search })).payload.sessions.map((s: { key: string }) => s.key);
    expect(await keys('alpha')).toEqual(['agent:main:clawcord:alpha']);
    expect(await keys('team')).toEqual(['agent:main:clawcord:alpha']);
    expect(await keys('RAW-TEST')).toHaveLength(2);
  });

  it('withholds the answers of the next n requests of a method while handling them', async () => {
    const gw = await oc();
    const { c } = await ocConnect(gw);
    gw.withholdAnswers('chat.send', 1);
    const runId = randomUUID();
    c.send({ type: 'req', id: 'lost', method: 'chat.send', params: { sessionKey: 'agent:main:w', message: 'hi', idempotencyKey: runId } });
    await c.waitFor((f) => f.event === 'chat' && f.payload.runId === runId && f.payload.state === 'final');
    expect(c.frames.some((f) => f.type === 'res' && f.id === 'lost')).toBe(false);
    expect((await ocCall(c, 'chat.send', { sessionKey: 'agent:main:w', message: 'hi', idempotencyKey: runId })).payload).toEqual({ runId, status: 'ok' });
  });

  it('closes an oversized pre-auth frame with 1009', async () => {
    const gw = await oc();
    const c = await RawClient.open(gw.url);
    cleanups.push(() => c.close());
    c.send({ type: 'req', id: 'c1', method: 'connect', params: { pad: 'x'.repeat(70_000) } });
    expect((await c.closed).code).toBe(1009);
  });
});

describe('OpenClaw gateway responseDelayMs', () => {
  it.each([3, 4] as const)('answers every request late on protocol %i, but not the handshake or events', async (protocol) => {
    const gw = await oc({ protocol, responseDelayMs: 300, tickIntervalMs: 100 });
    const connectAt = Date.now();
    const { c, res } = await ocConnect(gw);
    expect(res.ok).toBe(true);
    expect(Date.now() - connectAt).toBeLessThan(250);
    await c.waitFor((f) => f.event === 'tick');

    const sentAt = Date.now();
    const runId = randomUUID();
    const unknown = ocCall(c, 'chat.sned');
    const send = await ocCall(c, 'chat.send', { sessionKey: 'agent:main:slow', message: 'hi', idempotencyKey: runId });
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(295);
    expect((await unknown).error.message).toBe('unknown method: chat.sned');
    expect(send.payload).toMatchObject({ runId, status: 'started' });
    // The run starts when the request is handled, so its events follow the answer.
    const sendAt = c.frames.indexOf(send);
    expect(c.frames.findIndex((f) => f.event === 'chat' && f.payload.runId === runId)).toBe(-1);
    await c.waitFor((f) => f.event === 'chat' && f.payload.runId === runId && f.payload.state === 'final');
    expect(c.frames.findIndex((f) => f.event === 'chat' && f.payload.runId === runId)).toBeGreaterThan(sendAt);
  });

  it('drops answers still pending when the gateway closes', async () => {
    const gw = await startOpenClawGateway({ responseDelayMs: 200 });
    const { c } = await ocConnect(gw);
    c.send({ type: 'req', id: 'late', method: 'status', params: {} });
    await gw.close();
    await sleep(250);
    expect(c.frames.some((f) => f.id === 'late')).toBe(false);
  });
});

describe('OpenClaw gateway faults', () => {
  it('sends shutdown, closes with 1012, refuses, then restarts on the same port', async () => {
    const gw = await oc();
    const { c } = await ocConnect(gw);
    await gw.shutdown(1500);
    expect(c.frames.find((f) => f.event === 'shutdown')?.payload).toMatchObject({ restartExpectedMs: 1500 });
    expect((await c.closed).code).toBe(1012);
    await expect(RawClient.open(gw.url)).rejects.toThrow(/ECONNREFUSED/);
    await gw.restart();
    expect((await ocConnect(gw)).res.ok).toBe(true);
  });

  it('ticks, makes seq gaps and freezes', async () => {
    const gw = await oc({ tickIntervalMs: 50 });
    const { c } = await ocConnect(gw);
    const first = await c.waitFor((f) => f.event === 'tick');
    gw.skipNextEventSeq();
    const second = await c.waitFor((f) => f.event === 'tick' && f !== first);
    expect(second.seq).toBe(first.seq + 2);

    gw.freeze();
    const count = c.frames.length;
    const pong = new Promise<boolean>((resolve) => {
      c.ws.once('pong', () => resolve(true));
      setTimeout(() => resolve(false), 200);
    });
    c.ws.ping();
    expect(await pong).toBe(false);
    expect(c.frames.length).toBe(count);
    gw.unfreeze();
    await c.waitFor((f) => f.event === 'tick' && f.seq > second.seq);
  });

  it('drops sockets without a close frame and sends raw data', async () => {
    const gw = await oc();
    const { c } = await ocConnect(gw);
    gw.sendRaw('{"type":"event","event":"chat","payload":{}}');
    await c.waitFor((f) => f.event === 'chat');
    gw.dropSocket();
    expect((await c.closed).code).toBe(1006);
    await sleep(10);
    expect(gw.openConnections()).toBe(0);
  });
});
