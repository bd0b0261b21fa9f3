// A minimal gateway in the card dialect (the bot's GATEWAY_PROTOCOL=card wire: `?token=`, hello/helloOk,
// {id, method, params} → {id, result, error}, `chat.chunk` increments with a per-connection seq). It streams each
// answer at a controlled pace and records, per run, when it sent which length of text: the reference the bench
// compares Discord against.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';

export interface StreamPlan {
  /** Which stream of the scenario this is. */
  stream: number;
  text: string;
  /** Characters per gateway event. */
  tokenChars: number;
  /** Time between two events; 0 sends them as fast as the socket takes them. */
  intervalMs: number;
}

/** What the gateway sent for one run, with its own clock (the same clock as the fake Discord: one process). */
export interface RunTimeline {
  runId: string;
  stream: number;
  text: string;
  /** When chat.send arrived. */
  requestedAt: number;
  /** Send time and total text length after each text event, in order. */
  at: number[];
  length: number[];
  /** When chat.done went out; undefined while streaming. */
  doneAt: number | undefined;
  /** Text events plus the final event. */
  events: number;
}

export interface BenchGatewayOptions {
  /** The plan for a prompt (the bot sends `[user] prompt`); undefined answers with an error. */
  plan: (message: string) => StreamPlan | undefined;
  token?: string;
}

export interface BenchGateway {
  readonly url: string;
  readonly token: string;
  readonly runs: Map<string, RunTimeline>;
  /** Sockets that finished the hello. */
  connected(): number;
  /** Events (chat.chunk, chat.done) sent in all. */
  eventsSent(): number;
  close(): Promise<void>;
}

interface Conn {
  ws: WebSocket;
  hello: boolean;
  seq: number;
}

/** How many frames a burst (interval 0) writes before yielding to the event loop. */
const BURST_SLICE = 200;

export async function startBenchGateway(options: BenchGatewayOptions): Promise<BenchGateway> {
  const token = options.token ?? 'bench-token';
  const runs = new Map<string, RunTimeline>();
  const sessions = new Map<string, Array<{ role: string; content: string; runId?: string }>>();
  const conns = new Set<Conn>();
  const timers = new Set<NodeJS.Timeout>();
  let events = 0;
  let closed = false;

  const send = (conn: Conn, frame: unknown): void => {
    if (conn.ws.readyState === conn.ws.OPEN) conn.ws.send(Buffer.from(JSON.stringify(frame), 'utf8'), { binary: true });
  };
  const push = (event: string, payload: unknown): void => {
    for (const conn of conns) if (conn.hello) send(conn, { event, payload, seq: ++conn.seq });
  };
  const later = (fn: () => void, ms: number): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!closed) fn();
    }, Math.max(0, ms));
    timers.add(timer);
  };

  const stream = (run: RunTimeline, plan: StreamPlan, sessionKey: string): void => {
    const tokens = Math.ceil(plan.text.length / plan.tokenChars);
    let sent = 0;
    const emit = (): void => {
      const end = Math.min(plan.text.length, (sent + 1) * plan.tokenChars);
      push('chat.chunk', { delta: plan.text.slice(sent * plan.tokenChars, end), runId: run.runId });
      run.at.push(Date.now());
      run.length.push(end);
      run.events += 1;
      events += 1;
      sent += 1;
    };
    const finish = (): void => {
      push('chat.done', { runId: run.runId });
      run.doneAt = Date.now();
      run.events += 1;
      events += 1;
      sessions.get(sessionKey)?.push({ role: 'assistant', content: plan.text, runId: run.runId });
    };
    if (plan.intervalMs <= 0) {
      const burst = (): void => {
        for (let i = 0; i < BURST_SLICE && sent < tokens; i++) emit();
        if (sent < tokens) setImmediate(() => !closed && burst());
        else finish();
      };
      later(burst, 20);
      return;
    }
    // Each event at its slot on a fixed grid from the start, so timer lateness never accumulates.
    const start = Date.now() + plan.intervalMs;
    const tick = (): void => {
      emit();
      if (sent < tokens) later(tick, start + sent * plan.intervalMs - Date.now());
      else finish();
    };
    later(tick, start - Date.now());
  };

  const methods: Record<string, (params: Record<string, unknown>) => unknown> = {
    'chat.send': (params) => {
      const sessionKey = String(params.sessionKey);
      const message = String(params.message);
      const plan = options.plan(message);
      if (!plan) throw new Error('Params validation failed');
      const runId = `run-${randomUUID()}`;
      const run: RunTimeline = { runId, stream: plan.stream, text: plan.text, requestedAt: Date.now(), at: [], length: [], doneAt: undefined, events: 0 };
      runs.set(runId, run);
      if (!sessions.has(sessionKey)) sessions.set(sessionKey, []);
      sessions.get(sessionKey)!.push({ role: 'user', content: message });
      // The answer goes out first: the run's events follow on timers.
      setImmediate(() => stream(run, plan, sessionKey));
      return { runId };
    },
    'chat.abort': () => ({ ok: true, aborted: false }),
    'chat.history': (params) => {
      const rows = sessions.get(String(params.sessionKey));
      if (!rows) throw new Error('Session not found');
      return { messages: rows.slice(-(Number(params.limit) || rows.length)) };
    },
    'models.list': () => ({ models: [{ id: 'bench/fake', name: 'fake', provider: 'bench', contextWindow: 100000, reasoning: false }] }),
    'agents.list': () => ({ defaultId: 'main', agents: [{ id: 'main', name: 'Main' }] }),
    'sessions.list': () => ({ sessions: [] }),
    'sessions.patch': (params) => ({ ok: true, key: params.key }),
    'sessions.reset': (params) => ({ ok: true, key: params.key }),
    status: () => ({ ready: true, version: 'bench', uptime: 1, sessions: sessions.size, agents: 1 }),
  };

  const onFrame = (conn: Conn, frame: Record<string, unknown>): void => {
    if (frame.event === 'hello') {
      conn.hello = true;
      send(conn, { event: 'helloOk', payload: { ready: true, version: 'bench' } });
      return;
    }
    const id = frame.id ?? null;
    const handler = typeof frame.method === 'string' ? methods[frame.method] : undefined;
    if (!conn.hello || !handler) {
      send(conn, { id, result: null, error: conn.hello ? '404 Method not found' : 'Hello required' });
      return;
    }
    try {
      send(conn, { id, result: handler((frame.params ?? {}) as Record<string, unknown>), error: null });
    } catch (error) {
      send(conn, { id, result: null, error: (error as Error).message });
    }
  };

  const server = http.createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://127.0.0.1').searchParams.get('token') !== token) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const conn: Conn = { ws, hello: false, seq: 0 };
      conns.add(conn);
      ws.on('close', () => conns.delete(conn));
      ws.on('error', () => conns.delete(conn));
      ws.on('message', (data: RawData) => {
        let frame: unknown;
        try {
          frame = JSON.parse(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data as Buffer[]).toString('utf8'));
        } catch {
          return;
        }
        if (typeof frame === 'object' && frame !== null && !Array.isArray(frame)) onFrame(conn, frame as Record<string, unknown>);
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `ws://127.0.0.1:${port}`,
    token,
    runs,
    connected: () => [...conns].filter((c) => c.hello).length,
    eventsSent: () => events,
    close: async () => {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      for (const conn of conns) conn.ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
