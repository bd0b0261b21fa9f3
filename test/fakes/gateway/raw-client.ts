// Raw `ws` clients for the fake gateways' self-tests (no project code): frames recorded, waits by predicate.
import { randomUUID } from 'node:crypto';
import { afterEach } from 'vitest';
import WebSocket from 'ws';
import { startCardGateway, type CardGateway } from './card-gateway.js';
import { createTestDevice, signTestDevice, type TestDeviceIdentity } from './device-verify.js';
import { startOpenClawGateway, type OpenClawGateway, type OpenClawGatewayOptions } from './openclaw-gateway.js';
export type Frame = Record<string, any>;

export class RawClient {
  readonly frames: Frame[] = [];
  readonly binaryFlags: boolean[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: Array<{ pred: (f: Frame) => boolean; resolve: (f: Frame) => void }> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const frame = JSON.parse(String(data)) as Frame;
      this.frames.push(frame);
      this.binaryFlags.push(isBinary);
      for (const w of [...this.waiters]) {
        if (w.pred(frame)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(frame);
        }
      }
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  }

  static open(url: string): Promise<RawClient> {
    const ws = new WebSocket(url);
    const client = new RawClient(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
    });
  }

  send(frame: unknown, binary = false): void {
    const text = JSON.stringify(frame);
    this.ws.send(binary ? Buffer.from(text) : text, { binary });
  }

  /** Resolves with the first frame (already received or future) matching `pred`. */
  waitFor(pred: (f: Frame) => boolean, timeoutMs = 3000): Promise<Frame> {
    const seen = this.frames.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timeout waiting for frame; got ${JSON.stringify(this.frames)}`)), timeoutMs);
      this.waiters.push({ pred, resolve: (f) => (clearTimeout(timer), resolve(f)) });
    });
  }

  close(): void {
    this.ws.terminate();
  }
}

export const cleanups: Array<() => unknown> = [];

/** Closes every client and gateway a test opened; call once per test file. */
export function useCleanups(): void {
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- card dialect ---------------------------------------------------------------------------------------------------

export async function card(opts: Parameters<typeof startCardGateway>[0] = {}): Promise<CardGateway> {
  const gw = await startCardGateway(opts);
  cleanups.push(() => gw.close());
  return gw;
}

export async function cardClient(gw: CardGateway, hello = true): Promise<RawClient> {
  const c = await RawClient.open(`${gw.url}/?token=${gw.token}`);
  cleanups.push(() => c.close());
  if (hello) {
    c.send({ event: 'hello', payload: { version: '1.0' } }, true);
    await c.waitFor((f) => f.event === 'helloOk');
  }
  return c;
}

export async function cardCall(c: RawClient, method: string, params: unknown = {}): Promise<Frame> {
  const id = randomUUID();
  c.send({ id, method, params }, true);
  return c.waitFor((f) => f.id === id);
}

export async function oc(opts: OpenClawGatewayOptions = {}): Promise<OpenClawGateway> {
  const gw = await startOpenClawGateway(opts);
  cleanups.push(() => gw.close());
  return gw;
}

export interface ConnectOptions {
  device?: TestDeviceIdentity | null;
  clientId?: string;
  mode?: string;
  scopes?: string[];
  token?: string;
  extra?: Record<string, unknown>;
  client?: Record<string, unknown>;
  /** Change the signed device block before sending. */
  tamper?: (device: Record<string, unknown>) => void;
  signNonce?: string;
  payload?: 'v2' | 'v3';
}

export const ALL_SCOPES = ['operator.read', 'operator.write', 'operator.admin'];

export async function ocConnect(gw: OpenClawGateway, o: ConnectOptions = {}): Promise<{ c: RawClient; res: Frame }> {
  const c = await RawClient.open(gw.url);
  cleanups.push(() => c.close());
  const challenge = await c.waitFor((f) => f.event === 'connect.challenge');
  const clientId = o.clientId ?? 'test';
  const mode = o.mode ?? 'test';
  const scopes = o.scopes ?? ALL_SCOPES;
  const token = o.token ?? gw.token;
  const params: Record<string, unknown> = {
    minProtocol: 3,
    maxProtocol: 4,
    client: { id: clientId, version: '0.1.0', platform: 'Linux', mode, displayName: 'raw-test', ...o.client },
    role: 'operator',
    scopes,
    auth: { token },
    ...o.extra,
  };
  const identity = o.device === undefined ? createTestDevice() : o.device;
  if (identity) {
    const device: Record<string, unknown> = signTestDevice(identity, {
      clientId,
      clientMode: mode,
      role: 'operator',
      scopes,
      signedAt: challenge.payload.ts,
      token,
      nonce: o.signNonce ?? challenge.payload.nonce,
      payload: o.payload,
      platform: 'Linux',
    });
    o.tamper?.(device);
    params.device = device;
  }
  c.send({ type: 'req', id: 'c1', method: 'connect', params });
  const res = await c.waitFor((f) => f.type === 'res' && f.id === 'c1');
  return { c, res };
}

let reqCounter = 0;
export async function ocCall(c: RawClient, method: string, params: unknown = {}, extra: Record<string, unknown> = {}): Promise<Frame> {
  const id = `r${++reqCounter}`;
  c.send({ type: 'req', id, method, params, ...extra });
  return c.waitFor((f) => f.type === 'res' && f.id === id);
}

export const chatEvents = (c: RawClient, runId: string) => c.frames.filter((f) => f.event === 'chat' && f.payload.runId === runId);
