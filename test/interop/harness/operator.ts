// A small operator client of a real OpenClaw gateway, beside the bot: it sees the gateway's side of a run (history,
// sessions, every frame) without going through clawcord's own client.
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { deviceProof, generateDeviceIdentity, type DeviceIdentity } from '../../../src/gateway/device.js';

export interface OperatorFrame {
  type?: string;
  id?: string;
  event?: string;
  ok?: boolean;
  payload?: unknown;
  error?: { code?: string; message?: string; details?: unknown };
  seq?: number;
}

export interface RpcAnswer {
  ok: boolean;
  payload?: unknown;
  error?: OperatorFrame['error'];
}

export interface Operator {
  hello: Record<string, unknown>;
  /** Every frame received after hello-ok, in order, with its arrival time. */
  frames: Array<{ at: number; frame: OperatorFrame }>;
  /** Sends a request and resolves with its answer, ok or not. */
  call(method: string, params?: Record<string, unknown>, timeoutMs?: number): Promise<RpcAnswer>;
  /** Like call, but throws on an error answer. */
  rpc<T = Record<string, unknown>>(method: string, params?: Record<string, unknown>): Promise<T>;
  close(): Promise<void>;
}

export interface OperatorOptions {
  scopes?: string[];
  caps?: string[];
  clientId?: string;
  clientMode?: string;
  /** The device to sign with; a fresh one by default. Reuse one to reconnect as an already paired device. */
  device?: DeviceIdentity;
}

const DEFAULT_SCOPES = ['operator.read', 'operator.write', 'operator.admin'];

/** Connects with a fresh signed device (loopback devices are paired silently by both versions). */
export function connectOperator(url: string, token: string, options: OperatorOptions = {}): Promise<Operator> {
  const scopes = options.scopes ?? DEFAULT_SCOPES;
  const clientId = options.clientId ?? 'gateway-client';
  const clientMode = options.clientMode ?? 'backend';
  const device = options.device ?? generateDeviceIdentity();
  const ws = new WebSocket(url);
  const frames: Operator['frames'] = [];
  const pending = new Map<string, (answer: RpcAnswer) => void>();

  return new Promise<Operator>((resolve, reject) => {
    const connectId = randomUUID();
    const timer = setTimeout(() => fail(new Error('operator: no hello-ok within 20 s')), 20_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      ws.terminate();
      reject(error);
    };
    ws.on('error', fail);
    ws.on('close', () => {
      for (const settle of pending.values()) settle({ ok: false, error: { code: 'CLOSED', message: 'socket closed' } });
      pending.clear();
    });
    ws.on('message', (data) => {
      let frame: OperatorFrame;
      try {
        frame = JSON.parse(data.toString()) as OperatorFrame;
      } catch {
        return;
      }
      if (frame.type === 'event' && frame.event === 'connect.challenge') {
        const { nonce, ts } = frame.payload as { nonce: string; ts?: number };
        const proof = deviceProof(device, { clientId, clientMode, role: 'operator', scopes, token, nonce, signedAt: ts ?? Date.now() });
        ws.send(
          JSON.stringify({
            type: 'req',
            id: connectId,
            method: 'connect',
            params: {
              minProtocol: 3,
              maxProtocol: 4,
              client: { id: clientId, version: '0.0.0', platform: process.platform, mode: clientMode, displayName: 'interop-operator' },
              role: 'operator',
              scopes,
              ...(options.caps ? { caps: options.caps } : {}),
              auth: { token },
              device: proof,
            },
          }),
        );
        return;
      }
      if (frame.type === 'res' && frame.id === connectId) {
        clearTimeout(timer);
        if (!frame.ok) return fail(new Error(`operator: connect refused: ${JSON.stringify(frame.error)}`));
        resolve(operator(frame.payload as Record<string, unknown>));
        return;
      }
      frames.push({ at: Date.now(), frame });
      if (frame.type === 'res' && frame.id && pending.has(frame.id)) {
        const settle = pending.get(frame.id)!;
        pending.delete(frame.id);
        settle({ ok: frame.ok === true, payload: frame.payload, error: frame.error });
      }
    });
  });

  function operator(hello: Record<string, unknown>): Operator {
    const call: Operator['call'] = (method, params = {}, timeoutMs = 30_000) =>
      new Promise((resolve) => {
        const id = randomUUID();
        const timer = setTimeout(() => {
          pending.delete(id);
          resolve({ ok: false, error: { code: 'TIMEOUT', message: `no answer to ${method} within ${timeoutMs} ms` } });
        }, timeoutMs);
        pending.set(id, (answer) => {
          clearTimeout(timer);
          resolve(answer);
        });
        ws.send(JSON.stringify({ type: 'req', id, method, params }));
      });
    return {
      hello,
      frames,
      call,
      async rpc<T>(method: string, params: Record<string, unknown> = {}) {
        const answer = await call(method, params);
        if (!answer.ok) throw new Error(`${method} failed: ${JSON.stringify(answer.error)}`);
        return answer.payload as T;
      },
      close: () =>
        new Promise<void>((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          ws.once('close', () => resolve());
          ws.close();
          setTimeout(() => {
            ws.terminate();
            resolve();
          }, 2_000).unref();
        }),
    };
  }
}
