// Fake gateway speaking the user's "API reference card" dialect exactly as written
// (the user's reference card, shared/reference/gateway-api-card.md): token in the URL, hello/helloOk, {id,method,params} → {id,result,error}.
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { createHttpServer, listenLoopback, rawDataToString, stopListening } from './listen.js';
import { GatewayState, modelRef, sessionPreview, sessionTitle, type RunEvent, type SessionState } from './state.js';

export interface CardGatewayOptions {
  /** Expected `?token=` (default `card-token`). */
  token?: string;
  /** Reported by `status` (default `2026.2.15`). */
  version?: string;
  /** How a bad token is refused: HTTP 401 on the upgrade (default), an error frame then close, or silence until `hello` is answered with that error. */
  auth?: 'http401' | 'error-frame' | 'on-hello';
  /** How errors are encoded (default `string`). */
  errorShape?: 'string' | 'object' | 'number';
  /** Frame type of server frames (default `binary`). */
  serverFrames?: 'binary' | 'text';
  /** Share a model with another fake; by default the gateway owns a fresh one. */
  state?: GatewayState;
  /**
   * A slow gateway: every method call is handled and answered this many ms after it arrived (a chat.send's run
   * starts then too). `hello` and pushes are not delayed. Default 0.
   */
  responseDelayMs?: number;
}

export interface CardReceivedFrame {
  /** Index into `connections`. */
  conn: number;
  /** Parsed JSON, or the raw text when it did not parse. */
  frame: unknown;
  binary: boolean;
  at: number;
}

export interface CardConnectionRecord {
  url: string;
  headers: IncomingHttpHeaders;
  /** False when the upgrade was refused with 401. */
  accepted: boolean;
}

export interface CardGateway {
  readonly url: string;
  readonly port: number;
  readonly token: string;
  readonly state: GatewayState;
  readonly received: CardReceivedFrame[];
  readonly connections: CardConnectionRecord[];
  /** Currently open sockets. */
  openSockets(): number;
  setReplyScript: GatewayState['setReplyScript'];
  /** Sends raw data to every open socket (string → text frame, Buffer → binary frame). */
  sendRaw(data: string | Buffer): void;
  /** Destroys every TCP connection without a close frame. */
  dropSockets(): void;
  /** Stops reading (so no pongs, no replies) and sending: a dead peer. */
  freeze(): void;
  unfreeze(): void;
  /** Makes the next push on every connection skip one seq. */
  skipNextEventSeq(): void;
  close(): Promise<void>;
}

type CardErrorKind = 'unauthorized' | 'methodNotFound' | 'invalidParams' | 'sessionNotFound' | 'helloRequired' | 'badFrame';

// `text` is the card's wording; the numeric codes for the last four are not on the card and were chosen here.
const CARD_ERRORS: Record<CardErrorKind, { code: number; message: string; text: string }> = {
  unauthorized: { code: 401, message: 'Unauthorized', text: '401 Unauthorized' },
  methodNotFound: { code: 404, message: 'Method not found', text: '404 Method not found' },
  invalidParams: { code: 400, message: 'Params validation failed', text: 'Params validation failed' },
  sessionNotFound: { code: 404, message: 'Session not found', text: 'Session not found' },
  helloRequired: { code: 400, message: 'Hello required', text: 'Hello required' },
  badFrame: { code: 400, message: 'Invalid frame', text: 'Invalid frame' },
};

class CardError extends Error {
  constructor(readonly kind: CardErrorKind) {
    super(CARD_ERRORS[kind].text);
  }
}

type ParamType = 'string' | 'number' | 'boolean';
type ParamSpec = Record<string, { type: ParamType; required?: boolean }>;

const METHOD_PARAMS: Record<string, ParamSpec> = {
  'chat.send': {
    sessionKey: { type: 'string', required: true },
    message: { type: 'string', required: true },
    thinking: { type: 'string' },
    deliver: { type: 'boolean' },
    timeoutMs: { type: 'number' },
  },
  'chat.abort': { sessionKey: { type: 'string', required: true }, runId: { type: 'string' } },
  'chat.history': { sessionKey: { type: 'string', required: true }, limit: { type: 'number' } },
  'models.list': {},
  'sessions.list': {
    limit: { type: 'number' },
    activeMinutes: { type: 'number' },
    includeGlobal: { type: 'boolean' },
    agentId: { type: 'string' },
  },
  'sessions.patch': {
    key: { type: 'string', required: true },
    model: { type: 'string' },
    thinkingLevel: { type: 'string' },
    verboseLevel: { type: 'string' },
    reasoningLevel: { type: 'string' },
  },
  'sessions.reset': { key: { type: 'string', required: true }, reason: { type: 'string' } },
  'agents.list': {},
  status: {},
};

/**
 * A key the card does not list is refused ("Params validation failed: Wrong params structure"). That is how this fake
 * holds a client to the card: the card has no attachments (no `attachments` on chat.send, no media in pushes or
 * history, no artifacts methods), so a client must not send files to a card gateway at all.
 */
function checkParams(spec: ParamSpec, raw: unknown): Record<string, unknown> {
  const params = raw ?? {};
  if (typeof params !== 'object' || Array.isArray(params)) throw new CardError('invalidParams');
  const obj = params as Record<string, unknown>;
  if (Object.keys(obj).some((key) => !(key in spec))) throw new CardError('invalidParams');
  for (const [key, { type, required }] of Object.entries(spec)) {
    const value = obj[key];
    if (value === undefined) {
      if (required) throw new CardError('invalidParams');
    } else if (typeof value !== type || (type === 'string' && required && value === '')) {
      throw new CardError('invalidParams');
    }
  }
  return obj;
}

interface CardConn {
  ws: WebSocket;
  index: number;
  helloDone: boolean;
  seq: number;
}

export async function startCardGateway(opts: CardGatewayOptions = {}): Promise<CardGateway> {
  const token = opts.token ?? 'card-token';
  const errorShape = opts.errorShape ?? 'string';
  const binaryOut = (opts.serverFrames ?? 'binary') === 'binary';
  const ownsState = opts.state === undefined;
  const state = opts.state ?? new GatewayState({ version: opts.version ?? '2026.2.15' });
  const version = opts.version ?? state.version;
  const received: CardReceivedFrame[] = [];
  const connections: CardConnectionRecord[] = [];
  const conns = new Set<CardConn>();
  const delayed = new Set<NodeJS.Timeout>();
  let closed = false;

  const server = createHttpServer();
  const wss = new WebSocketServer({ noServer: true });

  let frozen = false;
  const send = (conn: CardConn, frame: unknown): void => {
    if (frozen || conn.ws.readyState !== conn.ws.OPEN) return;
    const text = JSON.stringify(frame);
    conn.ws.send(binaryOut ? Buffer.from(text, 'utf8') : text, { binary: binaryOut });
  };

  const errorFrame = (id: unknown, kind: CardErrorKind): Record<string, unknown> => {
    const e = CARD_ERRORS[kind];
    if (errorShape === 'object') return { id, result: null, error: { code: e.code, message: e.message } };
    if (errorShape === 'number') return { id, result: null, error: e.code, message: e.message };
    return { id, result: null, error: e.text };
  };

  const push = (event: string, payload: unknown): void => {
    for (const conn of conns) {
      if (conn.helloDone) send(conn, { event, payload, seq: ++conn.seq });
    }
  };

  const onRunEvent = (runId: string) => (ev: RunEvent): void => {
    if (ev.type === 'token') push('chat.chunk', { delta: ev.token, runId });
    else if (ev.type === 'done') push('chat.done', { runId });
    else if (ev.type === 'error') push('chat.error', { error: ev.error, runId });
    else if (ev.type === 'aborted') push('chat.aborted', { runId });
  };

  const existingSession = (key: string): SessionState => {
    const session = state.session(key);
    if (!session) throw new CardError('sessionNotFound');
    return session;
  };

  // Card keys are opaque; the agent is the first `:` segment when it names a known agent.
  const agentOfKey = (key: string): string => {
    const head = key.split(':')[0] ?? '';
    return state.agent(head) ? head : state.defaultAgentId;
  };

  const methods: Record<string, (p: Record<string, unknown>) => unknown> = {
    'chat.send': (p) => {
      const sessionKey = p.sessionKey as string;
      state.ensureSession(sessionKey, agentOfKey(sessionKey));
      const runId = `run-${randomUUID()}`;
      state.startRun({ runId, sessionKey, message: p.message as string, onEvent: onRunEvent(runId) });
      return { runId };
    },
    'chat.abort': (p) => {
      const sessionKey = p.sessionKey as string;
      const runIds = typeof p.runId === 'string' ? [p.runId] : state.activeRuns(sessionKey).map((r) => r.runId);
      let aborted = false;
      for (const runId of runIds) {
        if (state.run(runId)?.sessionKey === sessionKey && state.abortRun(runId)) aborted = true;
      }
      return { ok: true, aborted };
    },
    'chat.history': (p) => {
      const session = existingSession(p.sessionKey as string);
      const limit = typeof p.limit === 'number' ? Math.max(0, Math.floor(p.limit)) : session.messages.length;
      // The card knows user, assistant and system rows only; tool results stay out.
      const visible = session.messages.filter((m) => m.role !== 'toolResult');
      const rows = limit === 0 ? [] : visible.slice(-limit);
      return { messages: rows.map((m) => ({ role: m.role, content: m.content })) };
    },
    'models.list': () => ({
      models: state.models.map((m) => ({
        id: modelRef(m),
        name: m.name,
        provider: m.provider,
        contextWindow: m.contextWindow,
        reasoning: m.reasoning,
      })),
    }),
    'sessions.list': (p) => {
      const minUpdated = typeof p.activeMinutes === 'number' ? Date.now() - p.activeMinutes * 60_000 : -Infinity;
      let rows = state
        .listSessions()
        .filter((s) => s.updatedAt >= minUpdated && (p.agentId === undefined || s.agentId === p.agentId));
      if (typeof p.limit === 'number') rows = rows.slice(0, Math.max(0, Math.floor(p.limit)));
      return {
        sessions: rows.map((s) => ({
          key: s.key,
          displayName: s.label ?? state.agent(s.agentId)?.name ?? s.agentId,
          derivedTitle: sessionTitle(s) ?? null,
          updatedAt: new Date(s.updatedAt).toISOString(),
          model: state.effectiveModel(s),
          lastMessagePreview: sessionPreview(s) ?? null,
        })),
      };
    },
    'sessions.patch': (p) => {
      const key = p.key as string;
      existingSession(key);
      const patch: Parameters<GatewayState['patchSession']>[1] = {};
      for (const k of ['model', 'thinkingLevel', 'verboseLevel', 'reasoningLevel'] as const) {
        if (typeof p[k] === 'string') patch[k] = p[k];
      }
      const s = state.patchSession(key, patch);
      return { ok: true, key, model: state.effectiveModel(s), thinkingLevel: s.thinkingLevel ?? null };
    },
    'sessions.reset': (p) => {
      const key = p.key as string;
      existingSession(key);
      state.resetSession(key);
      return { ok: true, key };
    },
    'agents.list': () => ({
      defaultId: state.defaultAgentId,
      agents: state.agents.map((a) => ({ id: a.id, name: a.name })),
    }),
    status: () => ({
      ready: true,
      version,
      uptime: Math.floor(state.uptimeMs() / 1000),
      sessions: state.sessions.size,
      agents: state.agents.length,
    }),
  };

  const handleFrame = (conn: CardConn, frame: unknown): void => {
    if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) {
      send(conn, errorFrame(null, 'badFrame'));
      return;
    }
    const f = frame as Record<string, unknown>;
    if (f.event === 'hello') {
      conn.helloDone = true;
      send(conn, { event: 'helloOk', payload: { ready: true } });
      return;
    }
    if (!opts.responseDelayMs) return handleCall(conn, f);
    const timer = setTimeout(() => {
      delayed.delete(timer);
      if (!closed) handleCall(conn, f);
    }, opts.responseDelayMs);
    delayed.add(timer);
  };

  const handleCall = (conn: CardConn, f: Record<string, unknown>): void => {
    const id = f.id ?? null;
    if (typeof f.method !== 'string') {
      send(conn, errorFrame(id, 'badFrame'));
      return;
    }
    try {
      if (!conn.helloDone) throw new CardError('helloRequired');
      const spec = METHOD_PARAMS[f.method];
      const handler = methods[f.method];
      if (!spec || !handler) throw new CardError('methodNotFound');
      const result = handler(checkParams(spec, f.params));
      send(conn, { id, result, error: null });
    } catch (err) {
      if (!(err instanceof CardError)) throw err;
      send(conn, errorFrame(id, err.kind));
    }
  };

  const onConnection = (ws: WebSocket, index: number, authorized: boolean): void => {
    const conn: CardConn = { ws, index, helloDone: false, seq: 0 };
    conns.add(conn);
    ws.on('close', () => conns.delete(conn));
    ws.on('error', () => conns.delete(conn));
    const refuse = () => {
      send(conn, errorFrame(null, 'unauthorized'));
      ws.close(1008, 'Unauthorized');
    };
    if (!authorized && opts.auth !== 'on-hello') {
      refuse();
      return;
    }
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const text = rawDataToString(data);
      let frame: unknown;
      try {
        frame = JSON.parse(text) as unknown;
      } catch {
        received.push({ conn: index, frame: text, binary: isBinary, at: Date.now() });
        send(conn, errorFrame(null, 'badFrame'));
        return;
      }
      received.push({ conn: index, frame, binary: isBinary, at: Date.now() });
      if (!authorized) refuse();
      else handleFrame(conn, frame);
    });
  };

  server.on('upgrade', (req: IncomingMessage, socket, head) => {
    const url = req.url ?? '/';
    const authorized = new URL(url, 'http://127.0.0.1').searchParams.get('token') === token;
    const refuse = !authorized && (opts.auth ?? 'http401') === 'http401';
    const index = connections.push({ url, headers: req.headers, accepted: !refuse }) - 1;
    if (refuse) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, index, authorized));
  });

  const port = await listenLoopback(server, 0);

  return {
    url: `ws://127.0.0.1:${port}`,
    port,
    token,
    state,
    received,
    connections,
    openSockets: () => conns.size,
    setReplyScript: (fn) => state.setReplyScript(fn),
    sendRaw: (data) => {
      for (const conn of conns) conn.ws.send(data, { binary: typeof data !== 'string' });
    },
    dropSockets: () => {
      for (const conn of conns) conn.ws.terminate();
    },
    freeze: () => {
      frozen = true;
      for (const conn of conns) conn.ws.pause();
    },
    unfreeze: () => {
      frozen = false;
      for (const conn of conns) conn.ws.resume();
    },
    skipNextEventSeq: () => {
      for (const conn of conns) conn.seq++;
    },
    close: async () => {
      closed = true;
      delayed.forEach((t) => clearTimeout(t));
      if (ownsState) state.close();
      for (const conn of conns) conn.ws.terminate();
      wss.close();
      await stopListening(server);
    },
  };
}
