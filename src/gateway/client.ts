import { EventEmitter } from 'node:events';
import { silentLogger, type Logger } from '../log.js';
import {
  APPROVAL_REQUESTED,
  APPROVAL_RESOLVED,
  ApprovalExpiries,
  listApprovals,
  parseApprovalRequest,
  parseApprovalResolution,
  resolveApproval,
} from './approvals.js';
import { Connector } from './connect.js';
import { downloadFromGateway, httpOrigin } from './http-download.js';
import { steerInto } from './steering.js';
import { exactBytes } from './sizes.js';
import { asGatewayError, Connection } from './connection.js';
import type { DeviceIdentity } from './device.js';
import type { Frame } from './dialect.js';
import {
  DisconnectedError,
  GatewayError,
  MethodNotFoundError,
  PayloadTooLargeError,
  RequestTimeoutError,
  SteerUnsupportedError,
  UnavailableError,
} from './errors.js';
import { asNumber, asObject } from './normalize.js';
import { RunRegistry } from './run-registry.js';
import type { RunStream } from './run.js';
import type {
  AbortResult,
  AgentList,
  ApprovalDecision,
  ApprovalResolution,
  ChatAttachment,
  ChatSendInput,
  ExecApproval,
  GatewayInfo,
  GatewayStatus,
  HistoryMessage,
  ModelInfo,
  PatchResult,
  ProducedFile,
  ProducedFilesInput,
  ProtocolSetting,
  SessionListInput,
  SessionPatch,
  SessionRow,
  SteerResult,
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
  /** How long one produced file's download from the gateway may take. */
  downloadTimeoutMs?: number;
}

interface ClientEvents {
  ready: [info: GatewayInfo];
  disconnected: [detail: { code: number; reason: string }];
  reconnecting: [detail: { attempt: number; delayMs: number; error: GatewayError }];
  fatal: [error: GatewayError];
  gap: [detail: { expected: number; received: number }];
  /** Every push from the gateway, for tools that want more than chat runs. */
  event: [event: string, payload: unknown];
  /** An exec approval was requested, for any session this connection may see (filter on `sessionKey`, `runId`). */
  approvalRequested: [approval: ExecApproval];
  /** An exec approval was decided, by anyone. 2026.2 sends nothing when one expires: none is made up. */
  approvalResolved: [resolution: ApprovalResolution];
}

/**
 * A client for an OpenClaw gateway, in the card dialect or OpenClaw's own protocol (v3 and v4), with one
 * typed API over both. It reconnects by itself; runs in flight survive a reconnect. It knows nothing of Discord.
 */
export class GatewayClient extends EventEmitter<ClientEvents> {
  private readonly options: {
    requestTimeoutMs: number;
    reconnect: { initialDelayMs: number; maxDelayMs: number };
    pingIntervalMs: number;
    tickTolerance: number;
    maxFrameBytes: number;
    downloadTimeoutMs: number;
  };
  private readonly url: string;
  private readonly logger: Logger;
  private readonly connector: Connector;
  private readonly runs: RunRegistry;
  private readonly expiries = new ApprovalExpiries();
  private connection: Connection | undefined;
  private lastInfo: GatewayInfo | undefined;
  private closing = false;
  private loop: Promise<void> | undefined;
  private wakeLoop: (() => void) | undefined;
  private readyWaiters: Array<{ resolve: (info: GatewayInfo) => void; reject: (error: GatewayError) => void }> = [];
  private fatalError: GatewayError | undefined;
  private lastError: GatewayError | undefined;

  constructor(options: GatewayClientOptions) {
    super();
    this.logger = options.logger ?? silentLogger;
    this.options = {
      requestTimeoutMs: options.requestTimeoutMs ?? 15_000,
      reconnect: { initialDelayMs: options.reconnect?.initialDelayMs ?? 500, maxDelayMs: options.reconnect?.maxDelayMs ?? 30_000 },
      pingIntervalMs: options.pingIntervalMs ?? 15_000,
      tickTolerance: options.tickTolerance ?? 2,
      maxFrameBytes: options.maxFrameBytes ?? 25 * 1024 * 1024,
      downloadTimeoutMs: options.downloadTimeoutMs ?? 60_000,
    };
    this.url = options.url;
    this.connector = new Connector({
      url: options.url,
      token: options.token,
      protocol: options.protocol ?? 'auto',
      clientVersion: options.clientVersion ?? '0.1.0',
      connectTimeoutMs: options.connectTimeoutMs ?? 15_000,
      detectTimeoutMs: options.detectTimeoutMs ?? 5_000,
      maxFrameBytes: this.options.maxFrameBytes,
      logger: this.logger,
      device: options.device,
    });
    this.runs = new RunRegistry(
      {
        recoveryIntervalMs: options.recoveryIntervalMs ?? 2_000,
        runIdleTimeoutMs: options.runIdleTimeoutMs ?? 10 * 60_000,
        lostRunGraceMs: options.lostRunGraceMs ?? 60_000,
        logger: this.logger,
      },
      {
        connected: () => this.connection !== undefined,
        abort: (sessionKey, runId, abortOptions) => this.stop(sessionKey, runId, abortOptions),
        history: (sessionKey, limit) => {
          const connection = this.requireConnection();
          return connection.dialect.chatHistory(this.rpcFn, sessionKey, limit, connection.info);
        },
        mediaInHistory: () => {
          const connection = this.connection;
          return connection?.dialect.mediaInHistory?.(connection.info) ?? false;
        },
      },
    );
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
    return this.runs.active;
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
    this.runs.stop();
    this.wakeLoop?.();
    this.connection?.socket.close(1000, 'client closing');
    this.runs.failAll('the gateway client was closed');
    for (const waiter of this.readyWaiters.splice(0)) waiter.reject(new DisconnectedError('the gateway client was closed'));
    await this.loop?.catch(() => {});
  }

  /** A session key in clawcord's namespace, in the connected gateway's convention. */
  sessionKey(agentId: string, scope: string): string {
    const dialect = this.connector.dialect;
    if (!dialect) throw new DisconnectedError('the gateway dialect is not known yet (not connected)');
    return dialect.sessionKey(agentId, scope);
  }

  // ---- the nine methods of the card, normalised ----

  async chatSend(input: ChatSendInput): Promise<RunStream> {
    const connection = this.requireConnection();
    const { params, runId } = connection.dialect.prepareChatSend(input, connection.info);
    let run = runId ? this.runs.track(runId, input) : undefined;
    let result: unknown;
    try {
      result = await this.rpc('chat.send', params);
    } catch (error) {
      // A late answer does not mean the run did not start: its id is known, so it is followed (with history checks).
      if (run && error instanceof RequestTimeoutError) {
        this.logger.warn({ run: run.runId }, 'chat.send got no answer in time; following the run in case the gateway started it');
        this.runs.sendUnanswered(run);
        return run;
      }
      if (run) this.runs.forget(run);
      if (error instanceof PayloadTooLargeError && input.attachments?.length) throw tooLargeWithFiles(error, input.attachments);
      throw error;
    }
    const id = connection.dialect.chatSendRunId(result) ?? runId;
    if (!id) throw new GatewayError('chat.send was answered without a runId', 'BAD_RESPONSE', result);
    if (run && run.runId !== id) {
      this.runs.forget(run);
      run = undefined;
    }
    return run ?? this.runs.track(id, input);
  }

  /**
   * Follows a run this client did not start (one from before a restart): its events if the gateway still sends
   * them, else its reply from the history. Without either within `idleTimeoutMs` it ends with an error.
   */
  attachRun(input: { runId: string; sessionKey: string; prompt: string; idleTimeoutMs?: number }): RunStream {
    const existing = this.runs.get(input.runId);
    if (existing) return existing;
    const run = this.runs.track(input.runId, { sessionKey: input.sessionKey, message: input.prompt });
    run.missedEvents();
    run.idleTimeoutMs = input.idleTimeoutMs;
    return run;
  }

  /**
   * Stops the run `runId`, or every run of the session, and on 2026.9 what the session still runs outside its turn:
   * commands moved to the background and sub-agents.
   */
  async chatAbort(sessionKey: string, runId?: string): Promise<AbortResult> {
    return this.stop(sessionKey, runId, {});
  }

  private async stop(sessionKey: string, runId: string | undefined, options: { handedOff?: boolean }): Promise<AbortResult> {
    const { dialect, info } = this.requireConnection();
    const result = await dialect.chatAbort(this.rpcFn, sessionKey, runId, info, options);
    if (!dialect.cancelSessionTasks) return result;
    const cancelledTasks = await dialect.cancelSessionTasks(this.rpcFn, sessionKey, info).catch((error: unknown) => {
      this.logger.warn({ err: asGatewayError(error), session: sessionKey }, 'could not cancel the session\'s background commands after a stop');
      return 0;
    });
    return cancelledTasks > 0 ? { aborted: true, cancelledTasks } : result;
  }

  /** The session's last `limit` messages; texts whole where the gateway allows it (2026.9: up to 500,000 chars). */
  async chatHistory(sessionKey: string, limit = 50): Promise<HistoryMessage[]> {
    const connection = this.requireConnection();
    return (await connection.dialect.chatHistory(this.rpcFn, sessionKey, limit, connection.info)).messages;
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

  /**
   * One session's row (its model, for instance), read without titles or previews: 2026.9 `sessions.describe` where the
   * gateway lists it, else a `sessions.list` narrowed by `search`. Undefined when the gateway has no such session.
   */
  async sessionRow(key: string): Promise<SessionRow | undefined> {
    const connection = this.requireConnection();
    return connection.dialect.sessionRow(this.rpcFn, key, connection.info);
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

  /**
   * The files the agent produced in a run (`runId`: any id its turn went under; a yielded turn's successor runs are
   * included). 2026.9 with `features.producedFiles`: its artifacts, each with a `fetch` that downloads the bytes from
   * the gateway (refusing more than its `maxBytes`), then the named files it kept none of. 2026.2 and the card: the
   * names of `input.mediaUrls`, without `fetch` (an http(s) url is not fetched: clawcord talks only to its gateway).
   */
  async producedFiles(input: ProducedFilesInput): Promise<ProducedFile[]> {
    const { dialect, info } = this.requireConnection();
    const origin = httpOrigin(this.url);
    return dialect.producedFiles(
      {
        rpc: this.rpcFn,
        info,
        runIds: this.runs.runIdsOf(input.runId),
        download: (pathAndQuery, maxBytes, what) =>
          downloadFromGateway(origin, pathAndQuery, { maxBytes, what, timeoutMs: this.options.downloadTimeoutMs }),
      },
      input,
    );
  }

  // ---- agents at work: approvals and steering ----

  /**
   * Decides an exec approval. Throws `ApprovalGoneError` (no longer pending: decided, expired, unknown),
   * `DecisionUnavailableError` (not allowed for this request; it stays pending), `ScopeError`, or `MethodNotFoundError`
   * on the card, which has no approvals.
   */
  async resolveApproval(id: string, decision: ApprovalDecision): Promise<void> {
    const connection = this.requireConnection();
    if (connection.dialect.name !== 'openclaw') throw new MethodNotFoundError('the card dialect has no exec approvals');
    await resolveApproval(this.rpcFn, id, decision);
  }

  /** The pending exec approvals (2026.9 `exec.approval.list`); undefined where the gateway cannot list them. */
  async pendingApprovals(): Promise<ExecApproval[] | undefined> {
    const { info } = this.requireConnection();
    if (!info.features.listApprovals) return undefined;
    const pending = await listApprovals(this.rpcFn, Number(info.protocol), this.logger);
    for (const approval of pending ?? []) this.expiries.remember(approval);
    return pending;
  }

  /**
   * Puts `message` into the session's running turn (`runId`, or the run this client follows in the session), with the
   * same neutralising of commands and stop words as chat.send. Resolves once the gateway says where the message went:
   * `steered` when it ends the steering send's own run (it put the text into the turn); `queued` with `byGateway` when
   * the turn ended first (the gateway then runs the message as a turn of its own, under an id nobody follows: a race);
   * plain `queued` when no such run is in flight (nothing was sent). Throws `SteerUnsupportedError` where
   * `features.steer` is false (2026.2 would need the session's queue mode changed, and falls back to a new turn).
   */
  async steer(sessionKey: string, message: string, runId?: string): Promise<SteerResult> {
    const connection = this.requireConnection();
    const { dialect, info } = connection;
    if (!info.features.steer || !dialect.prepareSteer) throw new SteerUnsupportedError();
    const key = sessionKey.toLowerCase();
    const target = runId
      ? this.runs.get(runId)
      : this.runs.active.find((run) => !run.done && !run.handedOff && run.sessionKey.toLowerCase() === key);
    // A turn handed to sub-agents is not running: a message sent now would start the next turn.
    if (!target || target.done || target.handedOff) return { status: 'queued' };

    const { params, runId: steerRunId } = dialect.prepareSteer({ sessionKey, message }, info);
    return steerInto(target, { params, steerRunId, rpc: this.rpcFn, runs: this.runs });
  }

  /**
   * Follows the turn the gateway runs for a steered message that came too late for the turn it was meant for (a
   * `queued` steer with `byGateway`): the session's next run this client does not know is that turn.
   */
  followQueuedTurn(sessionKey: string, message: string): RunStream {
    return this.runs.followNext({ sessionKey, message });
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
    return this.requireConnection().request(method, params, timeoutMs);
  }

  // ---- connecting ----

  private async connectLoop(): Promise<void> {
    let attempt = 0;
    while (!this.closing) {
      let retryAfterMs: number | undefined;
      try {
        const { socket, dialect, info } = await this.connector.connect();
        if (this.closing) {
          socket.close(1000, 'client closing');
          break;
        }
        attempt = 0;
        const closed = this.adopt(new Connection(socket, dialect, info, this.logger));
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
          this.runs.failAll(failure.message);
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

  /** Makes a handshaken connection the live one. Resolves when it closes. */
  private adopt(connection: Connection): Promise<{ code: number; reason: string }> {
    const { socket, info } = connection;
    this.connection = connection;
    this.lastInfo = info;
    this.lastError = undefined;
    connection.start(
      {
        event: (event, payload) => this.onEvent(connection, event, payload),
        gap: (expected, received) => {
          this.runs.markGapped();
          this.emit('gap', { expected, received });
        },
      },
      { pingIntervalMs: this.options.pingIntervalMs, tickTolerance: this.options.tickTolerance },
      this.options.maxFrameBytes,
    );
    this.logger.info(
      { dialect: info.dialect, protocol: info.protocol, serverVersion: info.serverVersion },
      'connected to the gateway',
    );
    this.emit('ready', info);
    for (const waiter of this.readyWaiters.splice(0)) waiter.resolve(info);
    this.runs.connected();

    return socket.closed().then(({ code, reason }) => {
      if (this.connection === connection) this.connection = undefined;
      const error = new DisconnectedError(`the gateway connection closed (${code}${reason ? ` ${reason}` : ''})`);
      connection.closed(error);
      this.runs.disconnected(code);
      this.lastError = error;
      if (!this.closing) this.logger.warn({ code, reason }, 'gateway connection closed');
      this.emit('disconnected', { code, reason });
      return { code, reason };
    });
  }

  // ---- inbound events ----

  private onEvent(connection: Connection, event: string, payload: unknown): void {
    if (event === 'shutdown') {
      const detail = asObject(payload);
      this.logger.info({ reason: detail.reason, restartExpectedMs: asNumber(detail.restartExpectedMs) }, 'the gateway is shutting down');
    }
    this.emit('event', event, payload);
    if (event === 'task') {
      this.runs.taskEvent(payload);
      return;
    }
    if (event === APPROVAL_REQUESTED || event === APPROVAL_RESOLVED) {
      this.onApprovalEvent(connection, event, payload);
      return;
    }
    const update = connection.dialect.runUpdate(event, payload, connection.info);
    if (update) this.runs.route(update);
  }

  private onApprovalEvent(connection: Connection, event: string, payload: unknown): void {
    if (connection.dialect.name !== 'openclaw') return;
    const parsed = event === APPROVAL_REQUESTED ? parseApprovalRequest(payload, Number(connection.info.protocol)) : parseApprovalResolution(payload);
    if (!parsed) {
      this.logger.debug({ event, keys: Object.keys(asObject(payload)).slice(0, 8) }, 'skipped a malformed approval event');
      return;
    }
    if (event === APPROVAL_REQUESTED) {
      this.expiries.remember(parsed as ExecApproval);
      this.emit('approvalRequested', parsed as ExecApproval);
    } else {
      this.emit('approvalResolved', this.expiries.resolved(parsed as ApprovalResolution));
    }
  }
}

/** A prompt whose files make one frame too large for the gateway, said with the files' names. */
function tooLargeWithFiles(error: PayloadTooLargeError, attachments: readonly ChatAttachment[]): PayloadTooLargeError {
  const names = attachments.map((file) => `${file.fileName} (${exactBytes(file.data.length)})`).join(', ');
  return new PayloadTooLargeError(
    `chat.send: the message with ${names} comes to ${exactBytes(error.bytes)} as one frame, over the gateway's limit of ` +
      `${exactBytes(error.limitBytes)} (base64 makes files a third larger); nothing was sent`,
    error.bytes,
    error.limitBytes,
  );
}
