// The Gateway WebSocket: HELLO, IDENTIFY (token, intents), READY + GUILD_CREATE, heartbeat ACKs, RESUME with
// replay, op 7 / op 9, dispatches filtered by intents, and the MESSAGE_CONTENT rule.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { randomHex } from './snowflake.js';
import type {
  FakeGatewayControl,
  GatewaySessionInfo,
  IdentifyRecord,
  JsonObject,
  ResumeRecord,
} from './types.js';

export const Intents = {
  Guilds: 1 << 0,
  GuildMembers: 1 << 1,
  GuildPresences: 1 << 8,
  GuildMessages: 1 << 9,
  GuildMessageReactions: 1 << 10,
  GuildMessageTyping: 1 << 11,
  DirectMessages: 1 << 12,
  DirectMessageReactions: 1 << 13,
  DirectMessageTyping: 1 << 14,
  MessageContent: 1 << 15,
} as const;

const ALL_INTENTS = (1 << 26) - 1;

/** The intent an event needs, or 0 when it is always sent. */
export function requiredIntent(t: string, d: unknown): number {
  const inGuild = typeof d === 'object' && d !== null && typeof (d as JsonObject)['guild_id'] === 'string';
  if (t.startsWith('MESSAGE_REACTION_')) return inGuild ? Intents.GuildMessageReactions : Intents.DirectMessageReactions;
  if (t.startsWith('MESSAGE_')) return inGuild ? Intents.GuildMessages : Intents.DirectMessages;
  if (t === 'TYPING_START') return inGuild ? Intents.GuildMessageTyping : Intents.DirectMessageTyping;
  if (t.startsWith('GUILD_MEMBER') || t === 'THREAD_MEMBERS_UPDATE') return Intents.GuildMembers;
  if (t.startsWith('GUILD_') || t.startsWith('CHANNEL_') || t.startsWith('THREAD_') || t === 'STAGE_INSTANCE_CREATE') return Intents.Guilds;
  return 0;
}

interface Frame {
  op: 0;
  t: string;
  s: number;
  d: unknown;
}

interface Session {
  id: string;
  seq: number;
  intents: number;
  buffer: Frame[];
  conn: Conn | null;
  ready: boolean;
}

interface Conn {
  ws: WebSocket;
  path: string;
  session: Session | null;
}

export interface GatewayDeps {
  token: string;
  heartbeatIntervalMs: number;
  privileged: { messageContent: boolean; guildMembers: boolean; presences: boolean };
  /** READY `d` for a new session. */
  readyPayload: (sessionId: string) => JsonObject;
  /** GUILD_CREATE `d` for each guild. */
  guildCreates: () => JsonObject[];
}

const BUFFER_LIMIT = 5000;

export class Gateway implements FakeGatewayControl {
  readonly identifies: IdentifyRecord[] = [];
  readonly resumes: ResumeRecord[] = [];
  heartbeats = 0;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sessionsById = new Map<string, Session>();
  private readonly conns = new Set<Conn>();
  private ackHeartbeats = true;
  private readyWaiters = new Set<() => void>();

  constructor(private readonly deps: GatewayDeps) {}

  get intents(): number | null {
    const accepted = this.identifies.filter((i) => i.accepted);
    return accepted.at(-1)?.intents ?? null;
  }

  get connections(): number {
    return [...this.conns].filter((c) => c.ws.readyState === WebSocket.OPEN).length;
  }

  sessions(): GatewaySessionInfo[] {
    return [...this.sessionsById.values()].map((s) => ({
      id: s.id,
      seq: s.seq,
      intents: s.intents,
      connected: s.conn !== null && s.conn.ws.readyState === WebSocket.OPEN,
      ready: s.ready,
    }));
  }

  /** True when some session got READY and all its GUILD_CREATEs and is connected. */
  get isReady(): boolean {
    return [...this.sessionsById.values()].some((s) => s.ready && s.conn !== null);
  }

  waitForReady(timeoutMs: number): Promise<void> {
    if (this.isReady) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.readyWaiters.delete(done);
        resolve();
      };
      const timer = setTimeout(() => {
        this.readyWaiters.delete(done);
        reject(new Error(`fake-discord: no gateway session became ready within ${timeoutMs} ms`));
      }, timeoutMs);
      this.readyWaiters.add(done);
    });
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, req));
  }

  private send(conn: Conn, payload: unknown): void {
    if (conn.ws.readyState === WebSocket.OPEN) conn.ws.send(JSON.stringify(payload));
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const conn: Conn = { ws, path: req.url ?? '/', session: null };
    this.conns.add(conn);
    ws.on('message', (data: RawData) => this.onMessage(conn, data));
    ws.on('close', (code: number) => this.onClose(conn, code));
    ws.on('error', () => {
      /* the close event follows */
    });
    this.send(conn, { op: 10, d: { heartbeat_interval: this.deps.heartbeatIntervalMs, _trace: ['["fake-discord-gateway",{"micros":0}]'] }, s: null, t: null });
  }

  private onMessage(conn: Conn, data: RawData): void {
    let msg: { op?: unknown; d?: unknown };
    try {
      const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
      msg = JSON.parse(text) as { op?: unknown; d?: unknown };
    } catch {
      conn.ws.close(4002, 'Error while decoding payload.');
      return;
    }
    switch (msg.op) {
      case 1:
        this.heartbeats += 1;
        if (this.ackHeartbeats) this.send(conn, { op: 11, d: null, s: null, t: null });
        return;
      case 2:
        this.identify(conn, (msg.d ?? {}) as JsonObject);
        return;
      case 6:
        this.resume(conn, (msg.d ?? {}) as JsonObject);
        return;
      case 3:
      case 4:
      case 8:
      case 31:
      case 37:
        if (!conn.session) conn.ws.close(4003, 'Not authenticated.');
        return;
      default:
        conn.ws.close(4001, 'Unknown opcode.');
    }
  }

  private identify(conn: Conn, d: JsonObject): void {
    const record: IdentifyRecord = {
      at: Date.now(),
      intents: typeof d['intents'] === 'number' ? d['intents'] : -1,
      shard: Array.isArray(d['shard']) ? [Number(d['shard'][0]), Number(d['shard'][1])] : null,
      properties: d['properties'],
      compress: d['compress'],
      accepted: false,
      closeCode: null,
    };
    this.identifies.push(record);
    const reject = (code: number, reason: string) => {
      record.closeCode = code;
      conn.ws.close(code, reason);
    };
    if (conn.session) return reject(4005, 'Already authenticated.');
    if (d['token'] !== this.deps.token) return reject(4004, 'Authentication failed.');
    const intents = record.intents;
    if (!Number.isInteger(intents) || intents < 0 || (intents & ~ALL_INTENTS) !== 0) return reject(4013, 'Invalid intent(s).');
    const p = this.deps.privileged;
    if (
      (intents & Intents.MessageContent && !p.messageContent) ||
      (intents & Intents.GuildMembers && !p.guildMembers) ||
      (intents & Intents.GuildPresences && !p.presences)
    ) {
      return reject(4014, 'Disallowed intent(s).');
    }
    if (record.shard && (record.shard[1] !== 1 || record.shard[0] !== 0)) return reject(4010, 'Invalid shard.');
    record.accepted = true;
    const session: Session = { id: randomHex(16), seq: 0, intents, buffer: [], conn, ready: false };
    conn.session = session;
    this.sessionsById.set(session.id, session);
    this.push(session, 'READY', this.deps.readyPayload(session.id));
    for (const guild of this.deps.guildCreates()) this.push(session, 'GUILD_CREATE', guild);
    session.ready = true;
    for (const waiter of [...this.readyWaiters]) waiter();
  }

  private resume(conn: Conn, d: JsonObject): void {
    const sessionId = String(d['session_id'] ?? '');
    const seq = typeof d['seq'] === 'number' ? d['seq'] : 0;
    const record: ResumeRecord = { at: Date.now(), sessionId, seq, path: conn.path, replayed: -1 };
    this.resumes.push(record);
    if (d['token'] !== this.deps.token) {
      conn.ws.close(4004, 'Authentication failed.');
      return;
    }
    const session = this.sessionsById.get(sessionId);
    if (!session) {
      this.send(conn, { op: 9, d: false, s: null, t: null });
      return;
    }
    if (session.conn && session.conn !== conn) {
      const old = session.conn;
      old.session = null;
      if (old.ws.readyState === WebSocket.OPEN) old.ws.close(4000, 'Session resumed elsewhere.');
    }
    session.conn = conn;
    conn.session = session;
    const missed = session.buffer.filter((f) => f.s > seq);
    record.replayed = missed.length;
    for (const frame of missed) this.send(conn, frame);
    this.push(session, 'RESUMED', { _trace: ['["fake-discord-gateway",{"micros":0}]'] });
    for (const waiter of [...this.readyWaiters]) waiter();
  }

  private onClose(conn: Conn, code: number): void {
    this.conns.delete(conn);
    const session = conn.session;
    if (!session) return;
    if (session.conn === conn) session.conn = null;
    // A client closing with 1000/1001 ends its session (Discord drops it); other codes keep it resumable.
    if (code === 1000 || code === 1001) this.sessionsById.delete(session.id);
  }

  private push(session: Session, t: string, d: unknown): void {
    session.seq += 1;
    const frame: Frame = { op: 0, t, s: session.seq, d };
    session.buffer.push(frame);
    if (session.buffer.length > BUFFER_LIMIT) session.buffer.splice(0, session.buffer.length - BUFFER_LIMIT);
    if (session.conn) this.send(session.conn, frame);
  }

  /**
   * Sends an event to every live session whose intents allow it. `transform` may change the payload per session
   * (e.g. strip message content) or return undefined to skip it. Returns how many sessions got it.
   */
  dispatch(t: string, d: unknown, opts: { ignoreIntents?: boolean; transform?: (intents: number) => unknown } = {}): number {
    const need = opts.ignoreIntents ? 0 : requiredIntent(t, d);
    let delivered = 0;
    for (const session of this.sessionsById.values()) {
      if (!session.ready) continue;
      if (need !== 0 && (session.intents & need) === 0) continue;
      const payload = opts.transform ? opts.transform(session.intents) : d;
      if (payload === undefined) continue;
      this.push(session, t, payload);
      delivered += 1;
    }
    return delivered;
  }

  /** Whether any live session would get an event needing no intent (interactions). */
  get hasSession(): boolean {
    return [...this.sessionsById.values()].some((s) => s.ready);
  }

  reconnect(): void {
    for (const conn of this.conns) this.send(conn, { op: 7, d: null, s: null, t: null });
  }

  invalidateSession(resumable = false): void {
    for (const conn of this.conns) {
      this.send(conn, { op: 9, d: resumable, s: null, t: null });
      if (!resumable && conn.session) {
        this.sessionsById.delete(conn.session.id);
        conn.session = null;
      }
    }
  }

  closeConnections(code = 4000, reason = 'Fake close'): void {
    for (const conn of this.conns) {
      if (conn.ws.readyState === WebSocket.OPEN || conn.ws.readyState === WebSocket.CONNECTING) conn.ws.close(code, reason);
    }
  }

  setHeartbeatAck(enabled: boolean): void {
    this.ackHeartbeats = enabled;
  }

  async close(): Promise<void> {
    for (const conn of this.conns) conn.ws.terminate();
    this.conns.clear();
    this.sessionsById.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
