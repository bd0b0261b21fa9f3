import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { silentLogger, type Logger } from '../log.js';
import { loadOrCreateDeviceIdentity, type DeviceIdentity } from './device.js';
import { nextFrame, type Dialect, type Frame, type RunUpdate } from './dialect.js';
import { CardDialect } from './dialects/card.js';
import { OpenClawDialect } from './dialects/openclaw.js';
import {
  AuthError,
  DisconnectedError,
  FrameTooLargeError,
  GatewayError,
  RequestTimeoutError,
  UnavailableError,
} from './errors.js';
import { asNumber, asObject } from './normalize.js';
import { findRunReply, RunStream } from './run.js';
import { FrameSocket, UpgradeRefusedError } from './socket.js';
import type {
  AbortResult,
  AgentList,
  ChatSendInput,
  DialectName,
  GatewayInfo,
  GatewayStatus,
  HistoryMessage,
  ModelInfo,
  PatchResult,
  ProtocolSetting,
  RunOutcome,
  SessionListInput,
  SessionPatch,
  SessionRow,
} from './types.js';

export interface GatewayClientOptions {
  url: string;
  token?: string | undefined;
  protocol?: ProtocolSetting;
  logger?: Logger;
  /** A device identity, or the file that keeps one (created on first use). Only OpenClaw needs it. */
  device?: DeviceIdentity | { path: string };
  clientVersion?: string;
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  detectTimeoutMs?: number;
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /** Card keepalive: a WebSocket ping this often; no answer by the next one means the socket is dead. */
  pingIntervalMs?: number;
  /** OpenClaw: silence longer than this many tick intervals means the socket is dead. */
  tickTolerance?: number;
  maxFrameBytes?: number;
  /** How often a run that lost events (or went quiet) is looked up in the history. */
  recoveryIntervalMs?: number;
  /** A run with no event and no reply in the history for this long is ended with an error. */
  runIdleTimeoutMs?: number;
  /** The same, for a run whose connection dropped: a restarted gateway may have lost it. */
  lostRunGraceMs?: number;
}

interface ClientEvents {
  ready: [info: GatewayInfo];
  disconnected: [detail: { code: number; reason: string }];
  reconnecting: [detail: { attempt: number; delayMs: number; error: GatewayError }];
  fatal: [error: GatewayError];
  gap: [detail: { expected: number; received: number }];
  /** Every push from the gateway, for tools that want more than chat runs. */
  event: [event: string, payload: unknown];
}

interface Pending {
  method: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

interface Connection {
  socket: FrameSocket;
  dialect: Dialect;
  info: GatewayInfo;
  pending: Map<string, Pending>;
  lastSeq: number | undefined;
  lastFrameAt: number;
  keepalive: NodeJS.Timeout | undefined;
}

const DIALECTS: Record<DialectName, Dialect> = { card: new CardDialect(), openclaw: new OpenClawDialect() };
const ORPHAN_TTL_MS = 30_000;
const RESTART_GRACE_MS = 15_000;
const MAX_ORPHAN_RUNS = 64;
const MAX_ORPHAN_UPDATES = 2_000;

function asGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  return new GatewayError(error instanceof Error ? error.message : String(error));
}

/**
 * A client for an OpenClaw gateway, in the card dialect or OpenClaw's own protocol (v3 and v4), with one
 * typed API over both. It reconnects by itself; runs in flight survive a reconnect. It knows nothing of Discord.
 */
export class GatewayClient extends EventEmitter<ClientEvents> {
  private readonly options: Required<Omit<GatewayClientOptions, 'token' | 'device' | 'logger' | 'reconnect'>> & {
    token: string | undefined;
    reconnect: { initialDelayMs: number; maxDelayMs: number };
  };
  private readonly logger: Logger;
  private readonly deviceSource: GatewayClientOptions['device'];
  private device: DeviceIdentity | undefined;
  private detected: DialectName | undefined;
  private connection: Connection | undefined;
  private lastInfo: GatewayInfo | undefined;
  private closing = false;
  private loop: Promise<void> | undefined;
  private wakeLoop: (() => void) | undefined;
  private readyWaiters: Array<{ resolve: (info: GatewayInfo) => void; reject: (error: GatewayError) => void }> = [];
  private fatalError: GatewayError | undefined;
  private lastError: GatewayError | undefined;
  private readonly runs = new Map<string, RunStream>();
  private readonly orphans = new Map<string, { updates: RunUpdate[]; at: number }>();
  private recoveryTimer: NodeJS.Timeout | undefined;

  constructor(options: GatewayClientOptions) {
    super();
    this.logger = options.logger ?? silentLogger;
    this.deviceSource = options.device;
    this.options = {
      url: options.url,
      token: options.token,
      protocol: options.protocol ?? 'auto',
      clientVersion: options.clientVersion ?? '0.1.0',
      requestTimeoutMs: options.requestTimeoutMs ?? 15_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 15_000,
      detectTimeoutMs: options.detectTimeoutMs ?? 1_500,
      reconnect: { initialDelayMs: options.reconnect?.initialDelayMs ?? 500, maxDelayMs: options.reconnect?.maxDelayMs ?? 30_000 },
      pingIntervalMs: options.pingIntervalMs ?? 15_000,
      tickTolerance: options.tickTolerance ?? 2,
      maxFrameBytes: options.maxFrameBytes ?? 25 * 1024 * 1024,
      recoveryIntervalMs: options.recoveryIntervalMs ?? 2_000,
      runIdleTimeoutMs: options.runIdleTimeoutMs ?? 10 * 60_000,
      lostRunGraceMs: options.lostRunGraceMs ?? 60_000,
    };
  }

  /** What the last handshake told us; undefined before the first one. */
  get info(): GatewayInfo | undefined {
    return this.lastInfo;
  }

  get connected(): boolean {
    return this.connection !== undefined;
  }

  /** Why the last connection attempt failed, while not connected. */
  get lastConnectError(): GatewayError | undefined {
    return this.connection ? undefined : this.lastError;
  }

  get activeRuns(): RunStream[] {
    return [...this.runs.values()];
  }

  /**
   * Starts connecting (and reconnecting, until `close`) in the background. The promise resolves at the first
   * handshake and rejects on a fatal error (token refused, protocol mismatch, device not paired).
   */
  start(): Promise<GatewayInfo> {
    this.loop ??= this.connectLoop();
    return this.ready();
  }

  /** Resolves when connected (at once if already), rejects on a fatal error. */
  ready(): Promise<GatewayInfo> {
    if (this.fatalError) return Promise.reject(this.fatalError);
    if (this.connection) return Promise.resolve(this.connection.info);
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.recoveryTimer);
    this.wakeLoop?.();
    this.connection?.socket.close(1000, 'client closing');
    for (const run of this.runs.values()) run.fail('the gateway client was closed');
    for (const waiter of this.readyWaiters.splice(0)) waiter.reject(new DisconnectedError('the gateway client was closed'));
    await this.loop?.catch(() => {});
  }

  /** A session key in clawcord's namespace, in the connected gateway's convention. */
  sessionKey(agentId: string, scope: string): string {
    const dialect = this.detected ?? (this.options.protocol === 'auto' ? undefined : this.options.protocol);
    if (!dialect) throw new DisconnectedError('the gateway dialect is not known yet (not connected)');
    return DIALECTS[dialect].sessionKey(agentId, scope);
  }

  // ---- the nine methods of the card, normalised ----

  async chatSend(input: ChatSendInput): Promise<RunStream> {
    const connection = this.requireConnection();
    const { params, runId } = connection.dialect.prepareChatSend(input, connection.info);
    let run = runId ? this.trackRun(runId, input) : undefined;
    let result: unknown;
    try {
      result = await this.rpc('chat.send', params);
    } catch (error) {
      if (run) this.forgetRun(run);
      throw error;
    }
    const id = connection.dialect.chatSendRunId(result) ?? runId;
    if (!id) throw new GatewayError('chat.send was answered without a runId', 'BAD_RESPONSE', result);
    if (run && run.runId !== id) {
      this.forgetRun(run);
      run = undefined;
    }
    return run ?? this.trackRun(id, input);
  }

  /**
   * Follows a run this client did not start (one from before a restart): its events if the gateway still sends
   * them, else its reply from the history. Without either within `idleTimeoutMs` it ends with an error.
   */
  attachRun(input: { runId: string; sessionKey: string; prompt: string; idleTimeoutMs?: number }): RunStream {
    const existing = this.runs.get(input.runId);
    if (existing) return existing;
    const run = this.trackRun(input.runId, { sessionKey: input.sessionKey, message: input.prompt });
    run.gapped = true;
    run.idleTimeoutMs = input.idleTimeoutMs;
    return run;
  }

  async chatAbort(sessionKey: string, runId?: string): Promise<AbortResult> {
    return this.requireConnection().dialect.chatAbort(this.rpcFn, sessionKey, runId);
  }

  async chatHistory(sessionKey: string, limit = 50): Promise<HistoryMessage[]> {
    return this.requireConnection().dialect.chatHistory(this.rpcFn, sessionKey, limit);
  }

  async modelsList(): Promise<ModelInfo[]> {
    const connection = this.requireConnection();
    return connection.dialect.modelsList(this.rpcFn, connection.info);
  }

  async agentsList(): Promise<AgentList> {
    return this.requireConnection().dialect.agentsList(this.rpcFn);
  }

  async sessionsList(input: SessionListInput = {}): Promise<SessionRow[]> {
    return this.requireConnection().dialect.sessionsList(this.rpcFn, input);
  }

  async sessionsPatch(key: string, patch: SessionPatch): Promise<PatchResult> {
    return this.requireConnection().dialect.sessionsPatch(this.rpcFn, key, patch);
  }

  async sessionsReset(key: string, reason?: string): Promise<void> {
    return this.requireConnection().dialect.sessionsReset(this.rpcFn, key, reason);
  }

  async status(): Promise<GatewayStatus> {
    const connection = this.requireConnection();
    return connection.dialect.status(this.rpcFn, connection.info);
  }

  /** A raw request in the connected dialect's frame format, for methods beyond the nine. */
  request(method: string, params: Frame = {}, timeoutMs?: number): Promise<unknown> {
    return this.rpc(method, params, timeoutMs);
  }

  // ---- requests ----

  private readonly rpcFn = (method: string, params: Frame) => this.rpc(method, params);

  private requireConnection(): Connection {
    if (this.connection) return this.connection;
    const why = this.lastError ? `: ${this.lastError.message}` : '';
    throw new DisconnectedError(`not connected to the gateway (reconnecting${why})`);
  }

  private rpc(method: string, params: Frame, timeoutMs = this.options.requestTimeoutMs): Promise<unknown> {
    const connection = this.requireConnection();
    const id = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        connection.pending.delete(id);
        reject(new RequestTimeoutError(method, timeoutMs));
      }, timeoutMs);
      connection.pending.set(id, { method, resolve, reject, timer });
      try {
        connection.socket.send(connection.dialect.encode(connection.dialect.requestFrame(id, method, params)));
      } catch (error) {
        clearTimeout(timer);
        connection.pending.delete(id);
        reject(asGatewayError(error));
      }
    });
  }

  // ---- connecting ----

  private async connectLoop(): Promise<void> {
    let attempt = 0;
    while (!this.closing) {
      let retryAfterMs: number | undefined;
      try {
        const connection = await this.connectOnce();
        if (this.closing) {
          connection.socket.close(1000, 'client closing');
          break;
        }
        attempt = 0;
        const closed = this.adopt(connection);
        const { code } = await closed;
        if (this.closing) break;
        // A gateway restart (1012) is expected to come back soon: start from the shortest delay.
        if (code === 1012) attempt = 0;
      } catch (error) {
        const failure = asGatewayError(error);
        this.lastError = failure;
        if (failure.fatal) {
          this.fatalError = failure;
          this.logger.error({ err: failure }, `gateway: ${failure.message}`);
          this.emit('fatal', failure);
          for (const waiter of this.readyWaiters.splice(0)) waiter.reject(failure);
          for (const run of this.runs.values()) run.fail(failure.message);
          return;
        }
        if (failure instanceof UnavailableError) retryAfterMs = failure.retryAfterMs;
      }
      if (this.closing) break;
      const delayMs = retryAfterMs ?? this.backoff(attempt);
      attempt += 1;
      const error = this.lastError ?? new DisconnectedError('connection lost');
      this.logger.warn({ attempt, delayMs, reason: error.message }, 'gateway unreachable, retrying');
      this.emit('reconnecting', { attempt, delayMs, error });
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delayMs);
        this.wakeLoop = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeLoop = undefined;
    }
  }

  /** Exponential backoff with jitter (between half and all of the step), capped. */
  private backoff(attempt: number): number {
    const { initialDelayMs, maxDelayMs } = this.options.reconnect;
    const step = Math.min(maxDelayMs, initialDelayMs * 2 ** attempt);
    return Math.round(step / 2 + Math.random() * (step / 2));
  }

  private loadDevice(): DeviceIdentity {
    if (!this.device) {
      const source = this.deviceSource;
      if (!source) throw new GatewayError('an OpenClaw gateway needs a device identity (device option)');
      this.device = 'path' in source ? loadOrCreateDeviceIdentity(source.path) : source;
    }
    return this.device;
  }

  private async open(url: string): Promise<FrameSocket> {
    return FrameSocket.open(url, { logger: this.logger, openTimeoutMs: this.options.connectTimeoutMs, maxFrameBytes: this.options.maxFrameBytes });
  }

  private async connectOnce(): Promise<Connection> {
    const { url, token } = this.options;
    const setting = this.detected ?? this.options.protocol;
    let dialect: Dialect;
    let socket: FrameSocket;
    let firstFrame: Frame | undefined;

    if (setting === 'auto') {
      // OpenClaw speaks first (connect.challenge); a card gateway waits for our hello and wants the token
      // in the URL. So listen on a token-less socket first: the token only goes into a URL for the card.
      const probe = await this.open(url).catch((error: unknown) => {
        if (error instanceof UpgradeRefusedError && error.status === 401) return undefined;
        throw error;
      });
      const first = probe ? await nextFrame(probe, this.options.detectTimeoutMs, 'a first frame').catch(() => undefined) : undefined;
      if (probe && first?.type === 'event' && first.event === 'connect.challenge') {
        dialect = DIALECTS.openclaw;
        socket = probe;
        firstFrame = first;
      } else {
        probe?.close(1000, 'detected the card dialect');
        dialect = DIALECTS.card;
        socket = await this.openCard(dialect, url, token);
      }
    } else {
      dialect = DIALECTS[setting];
      socket = setting === 'card' ? await this.openCard(dialect, url, token) : await this.open(dialect.connectUrl(url, token));
    }

    try {
      const info = await dialect.handshake({
        socket,
        token,
        firstFrame,
        timeoutMs: this.options.connectTimeoutMs,
        clientVersion: this.options.clientVersion,
        device: () => this.loadDevice(),
        logger: this.logger,
      });
      this.detected = dialect.name;
      return { socket, dialect, info, pending: new Map(), lastSeq: undefined, lastFrameAt: Date.now(), keepalive: undefined };
    } catch (error) {
      socket.terminate();
      throw error;
    }
  }

  private async openCard(dialect: Dialect, url: string, token: string | undefined): Promise<FrameSocket> {
    try {
      return await this.open(dialect.connectUrl(url, token));
    } catch (error) {
      if (error instanceof UpgradeRefusedError && error.status === 401) {
        throw new AuthError('401 Unauthorized: the gateway refused the token (check GATEWAY_TOKEN)');
      }
      throw error;
    }
  }

  /** Makes a handshaken connection the live one. Resolves when it closes. */
  private adopt(connection: Connection): Promise<{ code: number; reason: string }> {
    const { socket, info } = connection;
    this.connection = connection;
    this.lastInfo = info;
    this.lastError = undefined;
    socket.onFrames((frame) => this.onFrame(connection, frame));
    socket.on('oversized', (bytes, id) => {
      const pending = id ? connection.pending.get(id) : undefined;
      if (!pending || !id) return;
      clearTimeout(pending.timer);
      connection.pending.delete(id);
      pending.reject(new FrameTooLargeError(bytes, this.options.maxFrameBytes));
    });
    this.startKeepalive(connection);
    this.logger.info(
      { dialect: info.dialect, protocol: info.protocol, serverVersion: info.serverVersion },
      'connected to the gateway',
    );
    this.emit('ready', info);
    for (const waiter of this.readyWaiters.splice(0)) waiter.resolve(info);
    // Events sent while we were away are lost: in-flight runs look their reply up in the history, and the grace for
    // runs the gateway may have lost counts from now.
    for (const run of this.runs.values()) {
      run.gapped = true;
      if (run.connectionLost) run.lastActivityAt = Date.now();
    }
    this.ensureRecoveryTimer();

    return socket.closed().then(({ code, reason }) => {
      clearInterval(connection.keepalive);
      if (this.connection === connection) this.connection = undefined;
      const error = new DisconnectedError(`the gateway connection closed (${code}${reason ? ` ${reason}` : ''})`);
      for (const pending of connection.pending.values()) {
        clearTimeout(pending.timer);
        pending.reject(error);
      }
      connection.pending.clear();
      for (const run of this.runs.values()) {
        run.gapped = true;
        run.connectionLost = true;
        // After a restart (1012) the gateway no longer has the run: once the history says it is not there, give up.
        const grace = code === 1012 ? Math.min(this.options.lostRunGraceMs, RESTART_GRACE_MS) : this.options.lostRunGraceMs;
        run.idleTimeoutMs = Math.min(run.idleTimeoutMs ?? Number.POSITIVE_INFINITY, grace);
      }
      this.lastError = error;
      if (!this.closing) this.logger.warn({ code, reason }, 'gateway connection closed');
      this.emit('disconnected', { code, reason });
      return { code, reason };
    });
  }

  private startKeepalive(connection: Connection): void {
    const { socket, dialect, info } = connection;
    if (dialect.liveness === 'tick') {
      const tickMs = info.tickIntervalMs ?? 30_000;
      const limit = tickMs * this.options.tickTolerance + 1_000;
      connection.keepalive = setInterval(() => {
        if (Date.now() - connection.lastFrameAt > limit) {
          this.logger.warn({ silentMs: Date.now() - connection.lastFrameAt }, 'gateway went silent (no tick); reconnecting');
          socket.terminate();
        }
      }, Math.max(50, Math.min(tickMs, 5_000)));
    } else {
      let answered = true;
      socket.onPong(() => (answered = true));
      connection.keepalive = setInterval(() => {
        if (!answered && Date.now() - connection.lastFrameAt > this.options.pingIntervalMs) {
          this.logger.warn('gateway stopped answering pings; reconnecting');
          socket.terminate();
          return;
        }
        answered = false;
        socket.ping();
      }, this.options.pingIntervalMs);
    }
    connection.keepalive.unref();
  }

  // ---- inbound frames ----

  private onFrame(connection: Connection, frame: Frame): void {
    connection.lastFrameAt = Date.now();
    const inbound = connection.dialect.classify(frame);
    if (!inbound) {
      this.logger.warn({ keys: Object.keys(frame).slice(0, 8) }, 'dropped a gateway frame of unknown shape');
      return;
    }
    if (inbound.kind === 'response') {
      const pending = connection.pending.get(inbound.id);
      if (!pending) {
        this.logger.debug({ id: inbound.id }, 'answer to an unknown or timed-out request');
        return;
      }
      clearTimeout(pending.timer);
      connection.pending.delete(inbound.id);
      if (inbound.ok) pending.resolve(inbound.result);
      else pending.reject(inbound.error);
      return;
    }

    if (inbound.seq !== undefined) {
      const last = connection.lastSeq;
      if (last !== undefined && inbound.seq <= last) {
        this.logger.debug({ seq: inbound.seq, last }, 'dropped a repeated gateway event');
        return;
      }
      if (last !== undefined && inbound.seq > last + 1) {
        this.logger.warn({ expected: last + 1, received: inbound.seq }, 'gateway events were missed');
        for (const run of this.runs.values()) run.gapped = true;
        this.emit('gap', { expected: last + 1, received: inbound.seq });
      }
      connection.lastSeq = inbound.seq;
    }

    if (inbound.event === 'shutdown') {
      const payload = asObject(inbound.payload);
      this.logger.info({ reason: payload.reason, restartExpectedMs: asNumber(payload.restartExpectedMs) }, 'the gateway is shutting down');
    }
    this.emit('event', inbound.event, inbound.payload);
    const update = connection.dialect.runUpdate(inbound.event, inbound.payload);
    if (update) this.routeRunUpdate(update);
  }

  // ---- runs ----

  private trackRun(runId: string, input: ChatSendInput): RunStream {
    const run = new RunStream(runId, input.sessionKey, input.message, {
      abort: (r) => this.chatAbort(r.sessionKey, r.runId),
      recover: (r) => this.recoverRun(r),
      finished: (r) => this.forgetRun(r),
    });
    this.runs.set(runId, run);
    const buffered = this.orphans.get(runId);
    if (buffered) {
      this.orphans.delete(runId);
      for (const update of buffered.updates) run.apply(update);
    }
    this.ensureRecoveryTimer();
    return run;
  }

  private forgetRun(run: RunStream): void {
    if (this.runs.get(run.runId) === run) this.runs.delete(run.runId);
  }

  private routeRunUpdate(update: RunUpdate): void {
    const run = this.runs.get(update.runId) ?? this.resumedRun(update);
    if (run) {
      run.apply(update);
      return;
    }
    // Card pushes can arrive before the chat.send answer names the run; keep them briefly.
    const now = Date.now();
    for (const [id, orphan] of this.orphans) if (now - orphan.at > ORPHAN_TTL_MS) this.orphans.delete(id);
    let orphan = this.orphans.get(update.runId);
    if (!orphan) {
      if (this.orphans.size >= MAX_ORPHAN_RUNS) this.orphans.delete(this.orphans.keys().next().value!);
      orphan = { updates: [], at: now };
      this.orphans.set(update.runId, orphan);
    }
    if (orphan.updates.length < MAX_ORPHAN_UPDATES) orphan.updates.push(update);
  }

  /** A run the connection lost whose session now streams under a new run id: the gateway resumed that turn. */
  private resumedRun(update: RunUpdate): RunStream | undefined {
    if (!update.sessionKey || update.kind !== 'delta') return undefined;
    const key = update.sessionKey.toLowerCase();
    for (const run of this.runs.values()) {
      if (run.connectionLost && !run.done && run.sessionKey.toLowerCase() === key) {
        this.logger.info({ run: run.runId, resumedAs: update.runId }, 'the gateway resumed an interrupted run');
        this.runs.delete(run.runId);
        run.continueAs(update.runId);
        this.runs.set(update.runId, run);
        return run;
      }
    }
    return undefined;
  }

  private async recoverRun(run: RunStream): Promise<RunOutcome | undefined> {
    const history = await this.chatHistory(run.sessionKey, 20);
    return findRunReply(history, run);
  }

  /** Runs that lost events, or went quiet, are looked up in the history until they end. */
  private ensureRecoveryTimer(): void {
    if (this.recoveryTimer || this.runs.size === 0) return;
    this.recoveryTimer = setInterval(() => {
      if (this.runs.size === 0) {
        clearInterval(this.recoveryTimer);
        this.recoveryTimer = undefined;
        return;
      }
      if (!this.connection) return;
      const now = Date.now();
      for (const run of this.runs.values()) {
        const idleTimeoutMs = run.idleTimeoutMs ?? this.options.runIdleTimeoutMs;
        const quietMs = now - run.lastActivityAt;
        if (!run.gapped && quietMs < idleTimeoutMs / 4) continue;
        void run.tryRecover().then((settled) => {
          if (!settled && Date.now() - run.lastActivityAt > idleTimeoutMs) {
            if (run.connectionLost) run.fail('the gateway restarted or the connection dropped during this answer, and its end never arrived', true);
            else run.fail(`no answer from the gateway for ${Math.round(idleTimeoutMs / 1000)} s`);
          }
        });
      }
    }, this.options.recoveryIntervalMs);
    this.recoveryTimer.unref();
  }
}
