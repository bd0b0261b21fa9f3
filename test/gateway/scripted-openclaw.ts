// A bare OpenClaw peer whose every frame a test writes: the challenge → connect → hello-ok handshake, then requests
// answered by per-method handlers and events pushed by the test (frames as in ../shared/reference/*.md). For behaviours
// the fake gateways do not model yet; it checks nothing the client sends.
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { onCleanup } from './helpers.js';

export type Frame = Record<string, unknown>;
export interface Request {
  id: string;
  method: string;
  params: Frame;
}
/** A handler's answer: a payload, an error shape, or silence (the request is never answered). */
export type Answer = { payload: unknown } | { error: { code: string; message: string; details?: Frame } } | 'no-answer';
export type Handler = (params: Frame, request: Request) => Answer;

export interface ScriptedOpenClawOptions {
  protocol?: 3 | 4;
  /** hello-ok `auth.scopes`, or how they follow from the scopes asked for (v4 always sends it; default those asked for). */
  scopes?: string[] | ((asked: string[]) => string[]);
  /** hello-ok `features.methods`. */
  methods?: string[];
  /** How late the challenge of the n-th connection (from 0) comes; default at once. */
  challengeDelayMs?: (connection: number) => number;
  /**
   * An error to refuse the n-th connect with, given its params. The socket then closes with `closeCode` (default 1013, as
   * a starting gateway does; 1008 for a pairing refusal).
   */
  refuseConnect?: (connection: number, params: Frame) => Refusal | undefined;
}

export interface Refusal {
  code: string;
  message: string;
  retryAfterMs?: number;
  details?: Frame;
  closeCode?: number;
}

export interface ScriptedOpenClaw {
  url: string;
  /** Every request after connect, in order. */
  requests: Request[];
  connects: Frame[];
  /** Request path and query of every upgrade. */
  upgrades: string[];
  /** Session key → rows `chat.history` answers (newest last). */
  history: Map<string, Frame[]>;
  handle(method: string, handler: Handler): void;
  /** Pushes an event to every open socket with the next per-connection seq (or none with `seq: false`). */
  event(event: string, payload: Frame, options?: { seq?: boolean }): void;
  /** The next event skips one seq, as when the gateway dropped one for a slow consumer. */
  skipSeq(): void;
  /** Ends every socket without a close frame. */
  dropSockets(): void;
  openSockets(): number;
}

export async function startScriptedOpenClaw(options: ScriptedOpenClawOptions = {}): Promise<ScriptedOpenClaw> {
  const protocol = options.protocol ?? 4;
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  onCleanup(() => new Promise((resolve) => server.close(resolve)));
  const sockets = new Map<WebSocket, { seq: number }>();
  const handlers = new Map<string, Handler>();
  const history = new Map<string, Frame[]>();
  const requests: Request[] = [];
  const connects: Frame[] = [];
  const upgrades: string[] = [];
  let skip = 0;

  handlers.set('chat.send', (params) => ({ payload: { runId: params.idempotencyKey, status: 'started' } }));
  handlers.set('chat.history', (params) => ({ payload: { sessionKey: params.sessionKey, messages: history.get(String(params.sessionKey)) ?? [] } }));
  handlers.set('status', () => ({ payload: { sessions: { count: history.size } } }));

  const send = (ws: WebSocket, frame: Frame) => ws.send(JSON.stringify(frame));

  server.on('connection', (ws, request) => {
    const index = upgrades.length;
    upgrades.push(request.url ?? '');
    const state = { seq: 0 };
    const challenge = () => send(ws, { type: 'event', event: 'connect.challenge', payload: { nonce: `nonce-${index}`, ts: Date.now() } });
    const delay = options.challengeDelayMs?.(index) ?? 0;
    if (delay > 0) setTimeout(() => ws.readyState === ws.OPEN && challenge(), delay);
    else challenge();
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Frame & Request;
      if (frame.method === 'connect') {
        connects.push(frame.params);
        const refusal = options.refuseConnect?.(index, frame.params ?? {});
        if (refusal) {
          const { closeCode = 1013, ...error } = refusal;
          send(ws, { type: 'res', id: frame.id, ok: false, error: closeCode === 1013 ? { ...error, retryable: true } : error });
          ws.close(closeCode, closeCode === 1013 ? 'gateway starting' : error.message);
          return;
        }
        const asked = Array.isArray(frame.params?.scopes) ? (frame.params.scopes as string[]) : [];
        const granted = typeof options.scopes === 'function' ? options.scopes(asked) : (options.scopes ?? asked);
        const auth = protocol === 4 || options.scopes ? { role: 'operator', scopes: granted } : undefined;
        const hello = {
          type: 'hello-ok',
          protocol,
          server: { version: protocol === 4 ? '2026.9.6' : '2026.2.17', connId: `conn-${connects.length}` },
          features: { methods: options.methods ?? ['chat.send', 'chat.history', 'chat.abort', 'sessions.list', 'status'], events: ['chat', 'agent', 'tick'] },
          snapshot: { uptimeMs: 1_000, sessionDefaults: { defaultAgentId: 'main' } },
          // 2026.9 says its attachment limits (live: maxBytes min(20 MB, (maxPayload − 256 KiB)·¾), images 6 MiB).
          policy: { tickIntervalMs: 60_000, maxPayload: 26_214_400, ...(protocol === 4 ? { attachments: { maxBytes: 19_464_192, maxImageBytes: 6_291_456 } } : {}) },
          ...(auth ? { auth } : {}),
        };
        sockets.set(ws, state);
        send(ws, { type: 'res', id: frame.id, ok: true, payload: hello });
        return;
      }
      const request = { id: frame.id, method: frame.method, params: frame.params ?? {} };
      requests.push(request);
      const handler = handlers.get(request.method);
      const answer: Answer = handler ? handler(request.params, request) : { error: { code: 'INVALID_REQUEST', message: `unknown method: ${request.method}` } };
      if (answer === 'no-answer') return;
      if ('error' in answer) send(ws, { type: 'res', id: request.id, ok: false, error: answer.error });
      else send(ws, { type: 'res', id: request.id, ok: true, payload: answer.payload });
    });
    ws.on('close', () => sockets.delete(ws));
  });

  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    requests,
    connects,
    upgrades,
    history,
    handle: (method, handler) => handlers.set(method, handler),
    event(event, payload, { seq = true } = {}) {
      for (const [ws, state] of sockets) {
        if (!seq) {
          send(ws, { type: 'event', event, payload });
          continue;
        }
        state.seq += 1 + skip;
        send(ws, { type: 'event', event, payload, seq: state.seq });
      }
      if (seq) skip = 0;
    },
    skipSeq: () => {
      skip = 1;
    },
    dropSockets: () => {
      for (const ws of sockets.keys()) ws.terminate();
    },
    openSockets: () => sockets.size,
  };
}

/** `chat` and `agent` payloads of one run, as OpenClaw sends them. */
export function runFrames(runId: string, sessionKey: string) {
  let seq = 0;
  const base = () => ({ runId, sessionKey, agentId: 'main', seq: ++seq });
  const message = (text: string) => ({ role: 'assistant', content: [{ type: 'text', text }], timestamp: Date.now() });
  return {
    delta: (text: string, deltaText?: string): Frame => ({ ...base(), state: 'delta', message: message(text), ...(deltaText === undefined ? {} : { deltaText }) }),
    /** A v4 increment without the snapshot. */
    increment: (deltaText: string): Frame => ({ ...base(), state: 'delta', deltaText }),
    final: (text?: string, extra: Frame = {}): Frame => ({ ...base(), state: 'final', ...(text === undefined ? {} : { message: message(text) }), ...extra }),
    status: (phase: string): Frame => ({ ...base(), state: 'status', phase }),
    agent: (stream: string, data: Frame): Frame => ({ ...base(), stream, data, ts: Date.now(), isHeartbeat: false }),
  };
}
