import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import {
  AuthError,
  DisconnectedError,
  MethodNotFoundError,
  NotPairedError,
  ParamsError,
  ProtocolMismatchError,
} from '../../src/gateway/errors.js';
import { generateDeviceIdentity } from '../../src/gateway/device.js';
import { RESUME_MESSAGE, startOpenClawGateway, type OpenClawGatewayOptions } from '../fakes/gateway/openclaw-gateway.js';
import { wordTokens } from '../fakes/gateway/state.js';
import { captureLogs, collect, expectReconnectAfterFreeze, makeClient, onCleanup, waitFor } from './helpers.js';

async function openClaw(options: OpenClawGatewayOptions = {}) {
  const gateway = await startOpenClawGateway(options);
  onCleanup(() => gateway.close());
  return gateway;
}

type Req = { type: string; id: string; method: string; params: Record<string, unknown> };
const requests = (gateway: { received: Array<{ frame: unknown }> }, method?: string): Req[] =>
  gateway.received.map((r) => r.frame as Req).filter((f) => f.type === 'req' && (!method || f.method === method));

describe.each([3, 4] as const)('OpenClaw protocol v%i', (protocol) => {
  it('answers the challenge with a signed device connect and reads hello-ok', async () => {
    const gateway = await openClaw({ protocol });
    const device = generateDeviceIdentity();
    const client = makeClient({ url: gateway.url, token: gateway.token, protocol: 'openclaw', device });
    const info = await client.start();
    expect(info).toMatchObject({ dialect: 'openclaw', protocol: String(protocol), serverVersion: gateway.version });
    expect(info.uptimeMs).toBeGreaterThanOrEqual(0);
    const connect = requests(gateway, 'connect')[0]!;
    expect(connect.params).toMatchObject({
      minProtocol: 3,
      maxProtocol: 4,
      client: { id: 'gateway-client', mode: 'backend' },
      role: 'operator',
      scopes: ['operator.read', 'operator.write', 'operator.admin', 'operator.approvals'],
      caps: ['tool-events', 'exec-approvals'],
      auth: { token: gateway.token },
      device: { id: device.id, publicKey: device.publicKey },
    });
    expect(gateway.connections[0]!.hello).toMatchObject({ protocol, scopes: ['operator.read', 'operator.write', 'operator.admin', 'operator.approvals'] });
    // The token travels only inside connect: never in the URL, and no Origin header.
    expect(gateway.connections[0]!.url).not.toContain('token');
    expect(gateway.connections[0]!.headers.origin).toBeUndefined();
  });

  it('normalises all nine methods and sends only keys the protocol accepts', async () => {
    const gateway = await openClaw({ protocol });
    const client = makeClient({ url: gateway.url, token: gateway.token, protocol: 'openclaw' });
    await client.start();
    const key = client.sessionKey('cody', 'c1');
    expect(key).toBe('agent:cody:clawcord:c1');

    const models = await client.modelsList();
    expect(models.find((m) => m.ref === 'ollama/kimi-k2.5:cloud')).toMatchObject({ provider: 'ollama', id: 'kimi-k2.5:cloud' });
    expect(requests(gateway, 'models.list')[0]!.params).toEqual(protocol === 4 ? { agentId: 'main' } : {});
    const agents = await client.agentsList();
    expect(agents).toMatchObject({ defaultId: 'main', agents: [{ id: 'main', name: 'Asha' }, { id: 'cody' }, { id: 'qa' }] });

    const events = await collect(await client.chatSend({ sessionKey: key, message: 'hi cody', thinking: 'low' }));
    expect(events.at(-1)).toEqual({ type: 'final', text: 'Echo: hi cody' });
    const send = requests(gateway, 'chat.send')[0]!;
    // 2026.9 granted admin, so the text goes as it is with command interpretation off; 2026.2 has no such flag.
    const suppress = protocol === 4 ? { suppressCommandInterpretation: true } : {};
    expect(send.params).toEqual({ sessionKey: key, message: 'hi cody', thinking: 'low', idempotencyKey: expect.any(String), ...suppress });
    expect(gateway.deliverTrueSeen).toBe(false);

    const history = await client.chatHistory(key, 10);
    expect(history.filter((m) => m.role !== 'system').map((m) => [m.role, m.text])).toEqual([
      ['user', 'hi cody'],
      ['assistant', 'Echo: hi cody'],
    ]);
    const rows = await client.sessionsList({ limit: 10 });
    expect(requests(gateway, 'sessions.list').at(-1)!.params).toEqual({ limit: 10, includeDerivedTitles: true, includeLastMessage: true });
    expect(rows.find((r) => r.key === key)).toMatchObject({ title: expect.any(String), preview: 'Echo: hi cody', model: expect.stringContaining('/') });

    expect((await client.sessionsPatch(key, { model: 'ollama/glm-5:cloud' })).model).toBe('ollama/glm-5:cloud');
    await client.sessionsReset(key, 'switching topics');
    expect(requests(gateway, 'sessions.reset')[0]!.params).toEqual({ key, reason: 'reset' });
    expect((await client.chatHistory(key)).filter((m) => m.role !== 'system')).toEqual([]);

    const status = await client.status();
    expect(status).toMatchObject({ dialect: 'openclaw', protocol: String(protocol), version: gateway.version, ready: true, sessions: 1 });
    expect(status.uptimeMs).toBeGreaterThanOrEqual(0);

    // Every request the gateway received passed its closed-object validation.
    expect(gateway.connections.every((c) => c.closed === undefined || c.closed.code === 1000)).toBe(true);
  });

  it('reads one session row for its model without title or preview projections', async () => {
    const gateway = await openClaw({ protocol });
    const client = makeClient({ url: gateway.url, token: gateway.token, protocol: 'openclaw' });
    await client.start();
    const key = client.sessionKey('cody', 'row');
    for (const scope of ['other-1', 'other-2']) await collect(await client.chatSend({ sessionKey: client.sessionKey('main', scope), message: 'hi' }));
    await collect(await client.chatSend({ sessionKey: key, message: 'hi' }));
    await client.sessionsPatch(key, { model: 'ollama/glm-5:cloud' });
    expect(await client.sessionRow(key)).toMatchObject({ key, model: 'ollama/glm-5:cloud', preview: undefined });
    // 2026.9 describes one session (and lists the method); 2026.2 narrows its list by a search on the key.
    if (protocol === 4) expect(requests(gateway, 'sessions.describe').at(-1)!.params).toEqual({ key });
    else expect(requests(gateway, 'sessions.list').at(-1)!.params).toEqual({ search: key, limit: 10 });
    expect(await client.sessionRow(client.sessionKey('cody', 'never-used'))).toBeUndefined();
  });

  it('gives every chat.send a fresh idempotencyKey and matches events by it', async () => {
    const gateway = await openClaw({ protocol });
    const client = makeClient({ url: gateway.url, token: gateway.token, protocol: 'openclaw' });
    await client.start();
    const a = await client.chatSend({ sessionKey: client.sessionKey('main', 'a'), message: 'first' });
    const b = await client.chatSend({ sessionKey: client.sessionKey('main', 'b'), message: 'second' });
    const [ea, eb] = await Promise.all([collect(a), collect(b)]);
    expect(ea.at(-1)).toEqual({ type: 'final', text: 'Echo: first' });
    expect(eb.at(-1)).toEqual({ type: 'final', text: 'Echo: second' });
    const keys = requests(gateway, 'chat.send').map((r) => r.params.idempotencyKey);
    expect(new Set(keys).size).toBe(2);
    expect([a.runId, b.runId]).toEqual(keys);
  });

  it('ends a failed run once, even though the gateway sends the error twice', async () => {
    const gateway = await openClaw({ protocol });
    const client = makeClient({ url: gateway.url, token: gateway.token, protocol: 'openclaw' });
    await client.start();
    const events = await collect(await client.chatSend({ sessionKey: client.sessionKey('main', 'f'), message: 'please FAIL' }));
    expect(events.filter((e) => e.type !== 'text' && e.type !== 'activity')).toEqual([
      { type: 'error', message: expect.stringContaining('LLM request failed'), text: expect.any(String), fromGateway: true },
    ]);
  });

  it('aborts a run in flight', async () => {
    const gateway = await openClaw({ protocol });
    const client = makeClient({ url: gateway.url, token: gateway.token, protocol: 'openclaw' });
    await client.start();
    const run = await client.chatSend({ sessionKey: client.sessionKey('main', 'slow'), message: 'SLOW story' });
    await waitFor(() => run.currentText.length > 0, 3_000, 'first text');
    expect(await run.abort()).toEqual({ aborted: true });
    const outcome = await run.outcome;
    expect(outcome.type).toBe('aborted');
    expect(outcome.text.length).toBeGreaterThan(0);
  });

  it('maps errors: unknown method, bad params', async () => {
    const gateway = await openClaw({ protocol });
    const client = makeClient({ url: gateway.url, token: gateway.token, protocol: 'openclaw' });
    await client.start();
    await expect(client.request('chat.nope', {})).rejects.toBeInstanceOf(MethodNotFoundError);
    await expect(client.request('chat.send', { sessionKey: 'agent:main:x', message: 'no key' })).rejects.toBeInstanceOf(ParamsError);
    await expect(client.request('chat.send', { sessionKey: 'agent:main:x', message: 'no key' })).rejects.toThrow(/idempotencyKey/);
  });

  it('treats a wrong token as fatal, without retrying and without echoing the token', async () => {
    const gateway = await openClaw({ protocol });
    const client = makeClient({ url: gateway.url, token: 'not-the-right-token', protocol: 'openclaw' });
    const error = await client.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(String((error as Error).message)).toMatch(/unauthorized: gateway token mismatch/);
    expect(String((error as Error).message)).not.toContain('not-the-right-token');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(gateway.connections).toHaveLength(1);
  });
});

describe('OpenClaw resilience', () => {
  it('tells the operator how to approve an unpaired device on a remote gateway', async () => {
    const gateway = await openClaw({ remote: true });
    const device = generateDeviceIdentity();
    const client = makeClient({ url: gateway.url, token: gateway.token, protocol: 'openclaw', device });
    const error = (await client.start().catch((e: unknown) => e)) as NotPairedError;
    expect(error).toBeInstanceOf(NotPairedError);
    const requestId = gateway.pairingRequests[0]!.requestId;
    expect(error.requestId).toBe(requestId);
    expect(error.message).toContain(`openclaw devices approve ${requestId}`);
    expect(error.message).toContain(device.id);
    gateway.approveDevice(device.id);
    const again = makeClient({ url: gateway.url, token: gateway.token, protocol: 'openclaw', device });
    await expect(again.start()).resolves.toMatchObject({ dialect: 'openclaw' });
  });

  it('refuses a protocol it does not speak, without retrying', async () => {
    // A gateway from the future that only speaks protocol 5.
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    onCleanup(() => new Promise((resolve) => server.close(resolve)));
    let connects = 0;
    server.on('connection', (ws) => {
      connects += 1;
      ws.send(JSON.stringify({ type: 'event', event: 'connect.challenge', payload: { nonce: 'n', ts: Date.now() } }));
      ws.on('message', (data) => {
        const { id } = JSON.parse(data.toString()) as { id: string };
        const error = { code: 'INVALID_REQUEST', message: 'protocol mismatch', details: { code: 'PROTOCOL_MISMATCH' } };
        ws.send(JSON.stringify({ type: 'res', id, ok: false, error }));
        ws.close(1002, 'protocol mismatch');
      });
    });
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    const client = makeClient({ url: `ws://127.0.0.1:${port}`, token: 'tok-123456', protocol: 'auto' });
    await expect(client.start()).rejects.toBeInstanceOf(ProtocolMismatchError);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(connects).toBe(1);
  });

  it('waits for retryAfterMs when the gateway is starting, then connects', async () => {
    const gateway = await openClaw();
    gateway.unavailableOnConnect(2, 150);
    const client = makeClient({ url: gateway.url, token: gateway.token, protocol: 'openclaw' });
    const delays: number[] = [];
    client.on('reconnecting', ({ delayMs }) => delays.push(delayMs));
    await client.start();
    expect(delays).toEqual([150, 150]);
    expect(gateway.connections).toHaveLength(3);
  });

  it('treats shutdown and close 1012 as a restart: reconnects, and follows the turn 2026.9 resumes under a new run id', async () => {
    const gateway = await openClaw({ deltaPacingMs: 20 });
    const client = makeClient({ url: gateway.url, token: gateway.token, protocol: 'openclaw' });
    await client.start();
    gateway.setReplyScript(({ message }) => ({ tokens: wordTokens(`Echo: ${message} with many more words after it`), tokenDelayMs: 60 }));
    const run = await client.chatSend({ sessionKey: client.sessionKey('main', 'restart'), message: 'keep going' });
    const firstRunId = run.runId;
    await waitFor(() => run.currentText.length > 0, 2_000, 'first text');
    const closes: number[] = [];
    client.on('disconnected', ({ code }) => closes.push(code));
    await gateway.shutdown(100);
    setTimeout(() => void gateway.restart(), 100);
    const outcome = await run.outcome;
    expect(closes).toEqual([1012]);
    expect(run.runId).not.toBe(firstRunId);
    expect(outcome).toEqual({ type: 'final', text: `Echo: ${RESUME_MESSAGE} with many more words after it` });
    expect(client.connected).toBe(true);
  });

  it('ends a run 2026.2 lost in a restart as lost, once the history shows it is gone', async () => {
    const gateway = await openClaw({ protocol: 3, deltaPacingMs: 20 });
    const client = makeClient({ url: gateway.url, token: gateway.token, protocol: 'openclaw', lostRunGraceMs: 300 });
    await client.start();
    gateway.setReplyScript(() => ({ tokens: wordTokens('a b c d e f g h i j k l m n o p'), tokenDelayMs: 100 }));
    const run = await client.chatSend({ sessionKey: client.sessionKey('main', 'lost3'), message: 'go' });
    await waitFor(() => run.currentText.length > 0, 2_000, 'first text');
    await gateway.shutdown();
    await gateway.restart();
    expect(await run.outcome).toMatchObject({ type: 'error', lost: true });
  });

  it('notices a frozen gateway through the tick watchdog and reconnects', async () => {
    const gateway = await openClaw({ tickIntervalMs: 100 });
    const client = makeClient({ url: gateway.url, token: gateway.token, protocol: 'openclaw' });
    await client.start();
    await expectReconnectAfterFreeze(gateway, client);
  });

  it('fails pending requests with a typed error when the connection drops, and times out silent requests', async () => {
    const gateway = await openClaw({ tickIntervalMs: 60_000 });
    const client = makeClient({ url: gateway.url, token: gateway.token, protocol: 'openclaw', requestTimeoutMs: 300 });
    await client.start();
    gateway.freeze();
    await expect(client.status()).rejects.toThrow(/no answer from the gateway within 300 ms/);
    const pending = client.status();
    gateway.dropSocket();
    await expect(pending).rejects.toBeInstanceOf(DisconnectedError);
    gateway.unfreeze();
  });

  it('logs and drops malformed and oversized frames without crashing', async () => {
    const gateway = await openClaw();
    const { lines, logger } = captureLogs();
    const client = makeClient({ url: gateway.url, token: gateway.token, protocol: 'openclaw', logger, maxFrameBytes: 10_000 });
    await client.start();
    gateway.sendRaw('this is not json');
    gateway.sendRaw(Buffer.from('[1,2,3]'));
    gateway.sendRaw(JSON.stringify({ type: 'mystery' }));
    gateway.sendRaw(JSON.stringify({ type: 'event', event: 'chat', payload: { state: 'delta' } }));
    gateway.sendRaw(JSON.stringify({ type: 'event', event: 'noise', payload: 'x'.repeat(20_000) }));
    await expect(client.status()).resolves.toMatchObject({ ready: true });
    const messages = lines.map((l) => l.msg);
    expect(messages).toContain('dropped a gateway frame that is not JSON');
    expect(messages).toContain('dropped a gateway frame that is not a JSON object');
    expect(messages).toContain('dropped a gateway frame of unknown shape');
    expect(messages).toContain('dropped an oversized gateway frame');
    expect(client.connected).toBe(true);
  });
});

describe('OpenClaw 2026.2 storage quirks', () => {
  it('strips the envelope v3 stores around a user turn', async () => {
    const { stripEnvelope } = await import('../../src/gateway/dialects/openclaw.js');
    const stored = 'Conversation info (untrusted metadata):\n```json\n{\n  "message_id": "54637ba4",\n  "sender": "gateway-client"\n}\n```\n\n[Wed 2026-11-25 01:41 UTC] [Ada] hello gateway';
    expect(stripEnvelope(stored)).toBe('[Ada] hello gateway');
    expect(stripEnvelope('[Tue 2026-11-24 18:40 UTC] plain')).toBe('plain');
    expect(stripEnvelope('[Ada] no envelope here')).toBe('[Ada] no envelope here');
  });
});

describe('a run the gateway lost', () => {
  it('ends with a clear error after the grace period when a restart took it', async () => {
    const gateway = await openClaw({ deltaPacingMs: 20 });
    const client = makeClient({ url: gateway.url, token: gateway.token, protocol: 'openclaw', lostRunGraceMs: 400 });
    await client.start();
    gateway.setReplyScript(() => ({ tokens: wordTokens('a b c d e f g h i j k l m n o p'), tokenDelayMs: 100 }));
    const run = await client.chatSend({ sessionKey: client.sessionKey('main', 'lost'), message: 'go' });
    await waitFor(() => run.currentText.length > 0, 2_000, 'first text');
    // Like OpenClaw 2026.2: the restart forgets the run and its turn.
    await gateway.shutdown();
    for (const active of gateway.state.activeRuns()) gateway.state.abortRun(active.runId);
    gateway.state.sessions.clear();
    await gateway.restart();
    const outcome = await run.outcome;
    expect(outcome).toMatchObject({ type: 'error', lost: true, message: expect.stringContaining('the gateway restarted or the connection dropped during this answer') });
    expect(outcome.text.length).toBeGreaterThan(0);
  });
});
