// Smoke test of the interop harness: a real gateway of each supported version comes up, speaks its protocol, reaches
// the fake LLM, and sends nothing off the machine.
import { createHash, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startFakeLlm, type FakeLlm } from './harness/fake-llm.js';
import { startOpenClawGateway, type OpenClawVersion, type RunningGateway } from './harness/openclaw.js';

interface Frame {
  type: string;
  id?: string;
  event?: string;
  ok?: boolean;
  payload?: any;
  error?: unknown;
}

/** A minimal operator connection with an Ed25519 device identity (2026.2.x clears the scopes of device-less clients). */
async function connect(gw: RunningGateway) {
  const ws = new WebSocket(gw.url);
  const frames: Frame[] = [];
  const waiters: Array<() => void> = [];
  ws.on('message', (d) => {
    frames.push(JSON.parse(d.toString()) as Frame);
    for (const w of waiters.splice(0)) w();
  });
  const waitFor = async (pred: (f: Frame) => boolean, ms = 30_000): Promise<Frame> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = frames.find(pred);
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error('timed out waiting for a frame');
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 250);
      });
    }
  };
  const request = async (method: string, params: unknown): Promise<Frame> => {
    const id = randomUUID();
    ws.send(JSON.stringify({ type: 'req', id, method, params }));
    return waitFor((f) => f.type === 'res' && f.id === id);
  };

  const challenge = await waitFor((f) => f.event === 'connect.challenge', 15_000);
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const deviceId = createHash('sha256').update(raw).digest('hex');
  const client = { id: 'gateway-client', version: '0.1.0', platform: process.platform, mode: 'backend' };
  const scopes = ['operator.read', 'operator.write', 'operator.admin'];
  const { nonce, ts } = challenge.payload as { nonce: string; ts: number };
  const proof = ['v2', deviceId, client.id, client.mode, 'operator', scopes.join(','), ts, gw.token, nonce].join('|');
  const hello = await request('connect', {
    minProtocol: 3,
    maxProtocol: 4,
    client,
    role: 'operator',
    scopes,
    auth: { token: gw.token },
    device: {
      id: deviceId,
      publicKey: raw.toString('base64url'),
      signature: sign(null, Buffer.from(proof, 'utf8'), privateKey).toString('base64url'),
      signedAt: ts,
      nonce,
    },
  });
  return { ws, frames, waitFor, request, hello };
}

const versions: OpenClawVersion[] = ['2026.2.17', '2026.9.6'];

describe.each(versions)('openclaw@%s via the harness', (version) => {
  let llm: FakeLlm;
  let gw: RunningGateway;
  let conn: Awaited<ReturnType<typeof connect>>;

  beforeAll(async () => {
    llm = await startFakeLlm();
    gw = await startOpenClawGateway({ version, llmBaseUrl: llm.baseUrl });
    conn = await connect(gw);
  });

  afterAll(async () => {
    conn?.ws.close();
    await gw?.stop();
    await llm?.close();
  });

  it('answers hello-ok with the expected protocol and version', () => {
    expect(conn.hello.ok).toBe(true);
    const hello = conn.hello.payload as { type: string; protocol: number; server: { version: string } };
    expect(hello.type).toBe('hello-ok');
    expect(hello.protocol).toBe(gw.expectedProtocol);
    // 2026.2.x reports OPENCLAW_VERSION ?? npm_package_version ?? "dev", so a gateway started from its CLI says "dev".
    expect(hello.server.version).toBe(version === '2026.2.17' ? 'dev' : version);
  });

  it('runs a chat turn against the fake LLM', async () => {
    const runId = randomUUID();
    const res = await conn.request('chat.send', {
      sessionKey: 'agent:cody:relay:smoke',
      message: 'ping from the smoke test',
      idempotencyKey: runId,
    });
    expect(res.ok).toBe(true);
    const final = await conn.waitFor(
      (f) => f.event === 'chat' && f.payload?.runId === runId && ['final', 'error', 'aborted'].includes(f.payload.state),
      60_000,
    );
    expect(final.payload.state).toBe('final');
    expect(final.payload.message.content[0].text).toBe(llm.expectedReply('fake/fake-smart', 'ping from the smoke test'));
    expect(llm.requests.at(-1)).toMatchObject({ model: 'fake-smart', userText: 'ping from the smoke test' });
  });

  it('sent nothing off the machine', () => {
    const records = gw.netguardRecords();
    expect(records.filter((r) => !r.blocked)).toEqual([]);
  });
});
