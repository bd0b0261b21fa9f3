import { describe, expect, it } from 'vitest';
import { AuthError, MethodNotFoundError, ParamsError, RequestTimeoutError, SessionNotFoundError } from '../../src/gateway/errors.js';
import { startCardGateway, type CardGatewayOptions } from '../fakes/gateway/card-gateway.js';
import { wordTokens } from '../fakes/gateway/state.js';
import { collect, expectReconnectAfterFreeze, makeClient, onCleanup, waitFor } from './helpers.js';

async function cardGateway(options: CardGatewayOptions = {}) {
  const gateway = await startCardGateway(options);
  onCleanup(() => gateway.close());
  return gateway;
}

describe('card dialect', () => {
  it('connects with the token in the URL, says hello in a binary JSON frame and gets helloOk', async () => {
    const gateway = await cardGateway();
    const client = makeClient({ url: gateway.url, token: gateway.token, protocol: 'card' });
    const info = await client.start();
    expect(info).toMatchObject({ dialect: 'card', protocol: '1.0' });
    expect(gateway.connections).toHaveLength(1);
    expect(new URL(gateway.connections[0]!.url, 'http://x').searchParams.get('token')).toBe(gateway.token);
    expect(gateway.received[0]).toMatchObject({ frame: { event: 'hello', payload: { version: '1.0' } }, binary: true });
  });

  it('sends requests as {id, method, params} in binary frames and normalises all nine methods', async () => {
    const gateway = await cardGateway();
    const client = makeClient({ url: gateway.url, token: gateway.token, protocol: 'card' });
    await client.start();
    const key = client.sessionKey('cody', 'chan-1');
    expect(key).toBe('cody:clawcord:chan-1');

    const models = await client.modelsList();
    expect(models.map((m) => m.ref)).toContain('ollama/kimi-k2.5:cloud');
    expect(models.find((m) => m.ref === 'ollama/kimi-k2.5:cloud')).toMatchObject({ provider: 'ollama', id: 'kimi-k2.5:cloud', name: 'kimi-k2.5' });
    const agents = await client.agentsList();
    expect(agents.defaultId).toBe('main');
    expect(agents.agents.map((a) => a.id)).toEqual(['main', 'cody', 'qa']);

    const run = await client.chatSend({ sessionKey: key, message: 'hello there', thinking: 'low' });
    const events = await collect(run);
    expect(events.at(-1)).toEqual({ type: 'final', text: 'Echo: hello there' });
    const texts = events.filter((e) => e.type === 'text').map((e) => e.text);
    expect(texts.length).toBeGreaterThan(1);
    expect(texts.every((t, i) => i === 0 || t.startsWith(texts[i - 1]!))).toBe(true);

    const history = await client.chatHistory(key, 10);
    expect(history.map((m) => [m.role, m.text])).toEqual([
      ['user', 'hello there'],
      ['assistant', 'Echo: hello there'],
    ]);
    const sessions = await client.sessionsList({ limit: 5 });
    expect(sessions).toEqual([
      expect.objectContaining({ key, title: expect.any(String), preview: 'Echo: hello there', model: 'github-copilot/gpt-5.2-codex' }),
    ]);
    expect(sessions[0]!.updatedAt).toBeGreaterThan(Date.now() - 60_000);

    const patched = await client.sessionsPatch(key, { model: 'ollama/glm-5:cloud' });
    expect(patched.model).toBe('ollama/glm-5:cloud');
    await client.sessionsReset(key, 'switching topics');
    expect(await client.chatHistory(key)).toEqual([]);

    const status = await client.status();
    expect(status).toMatchObject({ dialect: 'card', version: '2026.2.15', sessions: 1, agents: 3, ready: true });
    expect(status.uptimeMs).toBeGreaterThanOrEqual(0);

    const frames = gateway.received.map((r) => r.frame as Record<string, unknown>).filter((f) => 'method' in f);
    expect(new Set(frames.map((f) => f.method))).toEqual(
      new Set(['models.list', 'agents.list', 'chat.send', 'chat.history', 'sessions.list', 'sessions.patch', 'sessions.reset', 'status']),
    );
    for (const frame of frames) expect(Object.keys(frame).sort()).toEqual(['id', 'method', 'params']);
    expect(gateway.received.every((r) => r.binary)).toBe(true);
    const send = frames.find((f) => f.method === 'chat.send')!;
    expect(send.params).toEqual({ sessionKey: key, message: 'hello there', thinking: 'low' });
    expect(frames.find((f) => f.method === 'sessions.reset')!.params).toEqual({ key, reason: 'switching topics' });
  });

  it('reads one session row', async () => {
    const gateway = await cardGateway();
    const client = makeClient({ url: gateway.url, token: gateway.token, protocol: 'card' });
    await client.start();
    const key = client.sessionKey('cody', 'row');
    await collect(await client.chatSend({ sessionKey: key, message: 'hi' }));
    expect(await client.sessionRow(key)).toMatchObject({ key, model: 'github-copilot/gpt-5.2-codex' });
    expect(await client.sessionRow(client.sessionKey('cody', 'never-used'))).toBeUndefined();
  });

  it('a chat.send the gateway does not answer in time stays an error that says so (its run id comes from the answer)', async () => {
    const gateway = await cardGateway({ responseDelayMs: 500 });
    const client = makeClient({ url: gateway.url, token: gateway.token, protocol: 'card', requestTimeoutMs: 200 });
    await client.start();
    const error = await client.chatSend({ sessionKey: client.sessionKey('main', 'slow'), message: 'hi' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect((error as Error).message).toBe('chat.send: no answer from the gateway within 200 ms');
    expect(client.activeRuns).toEqual([]);
  });

  it('aborts a run: the stream ends with aborted and the partial text', async () => {
    const gateway = await cardGateway();
    const client = makeClient({ url: gateway.url, token: gateway.token, protocol: 'card' });
    await client.start();
    const key = client.sessionKey('main', 'abort');
    const run = await client.chatSend({ sessionKey: key, message: 'SLOW please' });
    const events: string[] = [];
    for await (const event of run) {
      events.push(event.type);
      if (event.type === 'text' && events.length === 2) expect(await run.abort()).toEqual({ aborted: true });
      if (event.type === 'aborted') expect(event.text.length).toBeGreaterThan(0);
    }
    expect(events.at(-1)).toBe('aborted');
  });

  it.each(['string', 'object', 'number'] as const)('maps the card errors given as a %s to typed errors', async (errorShape) => {
    const gateway = await cardGateway({ errorShape });
    const client = makeClient({ url: gateway.url, token: gateway.token, protocol: 'card' });
    await client.start();
    await expect(client.request('chat.sendd', {})).rejects.toBeInstanceOf(MethodNotFoundError);
    await expect(client.request('chat.send', { sessionKey: 'x' })).rejects.toBeInstanceOf(ParamsError);
    await expect(client.sessionsPatch('main:clawcord:never', { model: 'a/b' })).rejects.toBeInstanceOf(SessionNotFoundError);
    await expect(client.request('chat.sendd', {})).rejects.toThrow(/Method not found/);
  });

  it.each(['http401', 'error-frame'] as const)('treats a wrong token (%s) as fatal and does not retry', async (auth) => {
    const gateway = await cardGateway({ auth });
    const client = makeClient({ url: gateway.url, token: 'wrong-token', protocol: 'card' });
    const error = await client.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).message).toMatch(/401 Unauthorized/);
    expect((error as AuthError).message).not.toContain('wrong-token');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(gateway.connections).toHaveLength(1);
  });

  it('recovers the final text from chat.history when the connection drops mid-stream', async () => {
    const gateway = await cardGateway();
    const client = makeClient({ url: gateway.url, token: gateway.token, protocol: 'card' });
    await client.start();
    gateway.setReplyScript(({ message }) => ({ tokens: wordTokens(`Echo: ${message} and a longer tail of words`), tokenDelayMs: 30 }));
    const run = await client.chatSend({ sessionKey: client.sessionKey('main', 'drop'), message: 'survive this' });
    await waitFor(() => run.currentText.length > 0, 2_000, 'first text');
    gateway.dropSockets();
    const outcome = await run.outcome;
    expect(outcome).toEqual({ type: 'final', text: 'Echo: survive this and a longer tail of words' });
    expect(gateway.connections.length).toBeGreaterThanOrEqual(2);
  });

  it('takes the final text from chat.history after a sequence gap', async () => {
    const gateway = await cardGateway();
    const client = makeClient({ url: gateway.url, token: gateway.token, protocol: 'card' });
    await client.start();
    gateway.setReplyScript(() => ({ tokens: ['one', ' two', ' three', ' four'], tokenDelayMs: 100 }));
    const gaps: unknown[] = [];
    client.on('gap', (gap) => gaps.push(gap));
    const run = await client.chatSend({ sessionKey: client.sessionKey('main', 'gap'), message: 'count' });
    await waitFor(() => run.currentText.length > 0, 2_000, 'first chunk');
    // The next push skips a seq: a chunk was missed, so the accumulated text cannot be trusted.
    gateway.skipNextEventSeq();
    const outcome = await run.outcome;
    expect(gaps).toEqual([{ expected: 2, received: 3 }]);
    expect(outcome).toEqual({ type: 'final', text: 'one two three four' });
  });
});

describe('card keepalive', () => {
  it('pings, notices a gateway that stopped answering, and reconnects', async () => {
    const gateway = await cardGateway();
    const client = makeClient({ url: gateway.url, token: gateway.token, protocol: 'card', pingIntervalMs: 100 });
    await client.start();
    await expectReconnectAfterFreeze(gateway, client);
    expect(gateway.connections.length).toBeGreaterThanOrEqual(2);
  });
});
