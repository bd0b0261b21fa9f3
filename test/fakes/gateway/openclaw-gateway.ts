// Fake OpenClaw gateway (protocol v3 or v4) that checks what a real one checks: closed frames and params, the
// challenge → connect handshake, token, Ed25519 device proof, pairing, scopes. Plus fault controls for client tests.
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { validate } from './closed-schema.js';
import { verifyDevice, type DeviceProof } from './device-verify.js';
import { createHttpServer, listenLoopback, rawDataToString, stopListening } from './listen.js';
import { DEFAULT_APPROVAL_TIMEOUT_MS, ExecApprovals, type ApprovalConn, type Decision, type ExecApprovalMode } from './openclaw-approvals.js';
import { MAX_PAYLOAD_BYTES, attachmentPolicy } from './openclaw-attachments.js';
import { MANAGED_MEDIA_DELAY_MS, MEDIA_TICKET_TTL_MS, OutgoingMedia } from './openclaw-media.js';
import { OpenClawMethods, RpcError, invalid, type ChatSendRecord, type ErrorShape } from './openclaw-methods.js';
import {
  ADMIN,
  GATEWAY_EVENTS,
  GATEWAY_EVENTS_V4_ONLY,
  PROTOCOL_TABLES,
  READ,
  WRITE,
  hasScope,
  hasMethod,
  methodNames,
  type ProtocolTable,
  type ProtocolVersion,
} from './protocol-tables.js';
import { GatewayState, type ExecProcess, type ReplyScriptFn, type RunInfo } from './state.js';

/** What 2026.9 tells the model when it resumes a turn a restart interrupted. */
export const RESUME_MESSAGE = '[System] Your previous turn was interrupted by a gateway restart while OpenClaw was answering. Continue.';

export interface OpenClawGatewayOptions {
  /** Shared gateway token (default `oc-token`). */
  token?: string;
  protocol?: ProtocolVersion;
  /** Default `2026.9.6` for v4, `2026.2.17` for v3. */
  version?: string;
  /** Default 30000. */
  tickIntervalMs?: number;
  /** Treat every client as non-local: unknown devices need `approveDevice`, no device-less scope exceptions. */
  remote?: boolean;
  /** Chat delta pacing (default 75 ms for v4, 150 ms for v3). */
  deltaPacingMs?: number;
  /** Default 15 s for v4, 10 s for v3. */
  handshakeTimeoutMs?: number;
  /** Share a model with another fake; by default the gateway owns a fresh one. */
  state?: GatewayState;
  /**
   * A slow gateway: every request after the handshake is handled and answered this many ms after it arrived (its
   * effects, such as a chat.send's run, start then too). The handshake and events are not delayed. Default 0.
   */
  responseDelayMs?: number;
  /** Grant at most these scopes, whatever a client asks for (as an approval that capped them). */
  grantScopes?: string[];
  /**
   * `'ask'`: exec tool calls need approval, as v3 `tools.exec {host:"gateway", security:"allowlist", ask:"on-miss"}`
   * or v4 `tools.exec.mode:"ask"` (openclaw-agent-events.md §3.1). Default `'off'`: commands run unprompted.
   */
  execApprovals?: ExecApprovalMode;
  /** How long an approval waits for a decision: v3 120 s, then denied; v4 `expiresAtMs` 30 min, then askFallback deny. */
  approvalTimeoutMs?: number;
  /** An exec still running after this long goes to the background (`tools.exec.backgroundMs`, stock 10 s). */
  execBackgroundMs?: number;
  /** `tools.deny:["process"]`: exec cannot background at all, so every stop kills the command (F-findings STOP). */
  denyProcessTool?: boolean;
  /** v4: how long an `artifacts.download` URL's `mediaTicket` is good for (real: 5 min). */
  mediaTicketTtlMs?: number;
  /**
   * v4: how long after a run's chat final its reply's media are managed (history row blocks, artifacts.list);
   * real ~0.5 s (F-to-lead-files §3). Default 500; 0: right after the final.
   */
  managedMediaDelayMs?: number;
  /** v4: what the image model says of an image sent to a text-only model (its description goes into the prompt). */
  describeImage?: (image: { fileName: string; mimeType: string; sizeBytes: number }) => string;
}

/** A line the gateway logs (v3 logs a dropped attachment and says nothing else). */
export interface GatewayLogEntry {
  level: 'info' | 'warn';
  message: string;
  at: number;
}

export interface OpenClawReceivedFrame {
  /** Index into `connections`. */
  conn: number;
  /** Parsed JSON, or the raw text when it did not parse. */
  frame: unknown;
  binary: boolean;
  at: number;
}

export interface OpenClawConnectionRecord {
  index: number;
  /** Request path and query of the upgrade. */
  url: string;
  headers: IncomingHttpHeaders;
  /** Set once hello-ok was sent. */
  hello?: {
    connId: string;
    protocol: ProtocolVersion;
    client: Record<string, unknown>;
    role: string;
    scopes: string[];
    caps: string[];
    deviceId?: string;
  };
  received: OpenClawReceivedFrame[];
  /** How the socket ended, once it did. */
  closed?: { code: number; reason: string };
}

export interface PairingRequest {
  requestId: string;
  /** `scope-upgrade`: a paired device asked for scopes beyond its approved ones. */
  reason: 'not-paired' | 'scope-upgrade';
  deviceId: string;
  clientId: string;
  clientMode: string;
  role: string;
  scopes: string[];
  at: number;
  status: 'pending' | 'approved';
}

export interface OpenClawGateway {
  readonly url: string;
  readonly port: number;
  readonly token: string;
  readonly protocol: ProtocolVersion;
  readonly version: string;
  readonly state: GatewayState;
  /** Every frame received, all connections, in order. */
  readonly received: OpenClawReceivedFrame[];
  readonly connections: OpenClawConnectionRecord[];
  readonly pairingRequests: PairingRequest[];
  /** Every valid chat.send (including deduplicated re-sends). */
  readonly chatSends: ChatSendRecord[];
  readonly deliverTrueSeen: boolean;
  /** Open sockets right now. */
  openConnections(): number;
  setReplyScript(fn: ReplyScriptFn): void;
  /** Approves the device's pending pairing requests; `scopes`: pair it with exactly these instead of what it asked. */
  approveDevice(deviceId: string, scopes?: readonly string[]): void;
  /** Broadcasts `shutdown`, closes every socket with 1012 and stops listening until `restart()`. */
  shutdown(restartExpectedMs?: number): Promise<void>;
  /** Listens again on the same port. */
  restart(): Promise<void>;
  /** Stops reading (so no pongs, no replies), sending and ticking; new upgrades hang until `unfreeze()`. */
  freeze(): void;
  unfreeze(): void;
  /** Destroys every TCP connection without a close frame. */
  dropSocket(): void;
  /** Sends raw data to every open socket (string → text frame, Buffer → binary frame). */
  sendRaw(data: string | Buffer): void;
  /** Makes the next event on every connection skip one frame seq. */
  skipNextEventSeq(): void;
  /** The next `n` connects get UNAVAILABLE "gateway starting; retry shortly" and close 1013. */
  unavailableOnConnect(n: number, retryAfterMs?: number): void;
  /** The next `n` requests of `method` are handled (a chat.send's run starts) but never answered. */
  withholdAnswers(method: string, n: number): void;
  /** Every exec subprocess scripted runs started (`status`, `effectDone`, `backgrounded`). */
  readonly processes: readonly ExecProcess[];
  /** The approvals waiting for a decision: `{id, request, createdAtMs, expiresAtMs}`. */
  pendingApprovals(): Array<{ id: string; request: Record<string, unknown>; createdAtMs: number; expiresAtMs: number }>;
  /** Decides an approval as another operator client would (a Control UI): the same events as `exec.approval.resolve`. */
  resolveApproval(id: string, decision: Decision, resolvedBy?: string): void;
  /** Scopes a device is paired with (undefined: not paired). */
  pairedScopes(deviceId: string): readonly string[] | undefined;
  /** What the gateway logged (attachments dropped, offloaded, a MIME mismatch). */
  readonly gatewayLog: readonly GatewayLogEntry[];
  /** The HTTP origin of the gateway (same host and port as the WebSocket), for media URLs. */
  readonly httpUrl: string;
  close(): Promise<void>;
}

interface Conn {
  ws: WebSocket;
  record: OpenClawConnectionRecord;
  nonce: string;
  ready: boolean;
  scopes: string[];
  /** `connect.caps` (both versions accept them; `tool-events` is the one that matters here). */
  caps: string[];
  displayName?: string;
  deviceId?: string;
  eventSeq: number;
  handshakeTimer: NodeJS.Timeout | undefined;
}

interface ConnectParams {
  minProtocol: number;
  maxProtocol: number;
  client: { id: string; version: string; platform: string; mode: string; displayName?: string; deviceFamily?: string };
  role?: string;
  scopes?: string[];
  caps?: string[];
  auth?: { token?: string };
  device?: DeviceProof;
}

interface RequestFrame {
  type: 'req';
  id: string;
  method: string;
  params?: unknown;
}

class ConnectRefused extends Error {
  constructor(
    readonly shape: ErrorShape,
    readonly closeCode: number,
    /** The close reason when it is not the error message. */
    readonly closeReason?: string,
  ) {
    super(shape.message);
  }
}

/** v4 MAX_PREAUTH_PAYLOAD_BYTES; v3 has no pre-auth cap (its `ws` maxPayload is 25 MiB from the start). */
const MAX_PREAUTH_BYTES = 64 * 1024;
/** Both versions' MAX_PAYLOAD_BYTES: a larger frame closes the socket 1009 with no reason and no answer (§4.2, live). */
const MAX_PAYLOAD = MAX_PAYLOAD_BYTES;
const MAX_BUFFERED = 52_428_800;
const FORWARD_HEADERS = ['x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-real-ip'];

export async function startOpenClawGateway(opts: OpenClawGatewayOptions = {}): Promise<OpenClawGateway> {
  const protocol = opts.protocol ?? 4;
  const table: ProtocolTable = PROTOCOL_TABLES[protocol];
  const token = opts.token ?? 'oc-token';
  const version = opts.version ?? table.defaultVersion;
  const tickIntervalMs = opts.tickIntervalMs ?? 30_000;
  const ownsState = opts.state === undefined;
  const state = opts.state ?? new GatewayState({ version });

  const received: OpenClawReceivedFrame[] = [];
  const connections: OpenClawConnectionRecord[] = [];
  const pairingRequests: PairingRequest[] = [];
  /** Paired device → the scopes its pairing approved. */
  const pairedDevices = new Map<string, string[]>();
  const deviceTokens = new Map<string, string>();
  const conns = new Set<Conn>();
  const heldUpgrades: Array<{ req: IncomingMessage; socket: Duplex; head: Buffer }> = [];
  let frozen = false;
  let closed = false;
  let unavailable = { remaining: 0, retryAfterMs: 500 };
  const withheld = new Map<string, number>();
  const toResume: RunInfo[] = [];
  const delayed = new Set<NodeJS.Timeout>();
  const resumeDelayMs = 100;
  const bootId = randomUUID();

  const gatewayLog: GatewayLogEntry[] = [];
  const log = (level: GatewayLogEntry['level'], message: string): void => void gatewayLog.push({ level, message, at: Date.now() });
  // v4 only: v3 has no way to hand produced files to a client (openclaw-agent-events.md §5).
  const mediaOpts = {
    ticketTtlMs: opts.mediaTicketTtlMs ?? MEDIA_TICKET_TTL_MS,
    token: () => token,
    managedDelayMs: opts.managedMediaDelayMs ?? MANAGED_MEDIA_DELAY_MS,
  };
  const media = protocol === 4 ? new OutgoingMedia(state, mediaOpts) : undefined;
  const server = createHttpServer(media ? (req, res) => media.handleHttp(req, res) : undefined);
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_PAYLOAD, perMessageDeflate: false });

  const send = (conn: Conn, frame: unknown): void => {
    if (frozen || conn.ws.readyState !== conn.ws.OPEN) return;
    conn.ws.send(JSON.stringify(frame));
  };

  const sendEvent = (conn: Conn, event: string, payload: unknown): void => {
    conn.eventSeq++;
    send(conn, { type: 'event', event, payload, seq: conn.eventSeq });
  };

  // Chat and agent events go to every operator connection that can read.
  const broadcast = (event: string, payload: unknown, needsRead: boolean): void => {
    if (closed) return;
    for (const conn of conns) {
      if (conn.ready && (!needsRead || hasScope(conn.scopes, READ))) sendEvent(conn, event, payload);
    }
  };

  // `tool` events go only to the run's registered connections (server-chat.ts); v3 sends those outside the
  // broadcaster, so without a frame seq (server-broadcast.ts).
  const sendToolEvent = (payload: Record<string, unknown>): void => {
    if (closed) return;
    const recipients = methods.toolRecipientsOf(String(payload.runId));
    for (const conn of conns) {
      const connId = conn.record.hello?.connId;
      if (!conn.ready || connId === undefined || !recipients.has(connId) || !hasScope(conn.scopes, READ)) continue;
      if (protocol === 4) sendEvent(conn, 'agent', payload);
      else send(conn, { type: 'event', event: 'agent', payload });
    }
  };

  const approvalConn = (conn: Conn): ApprovalConn => ({
    connId: conn.record.hello?.connId ?? '',
    scopes: conn.scopes,
    caps: conn.caps,
    clientId: typeof conn.record.hello?.client.id === 'string' ? conn.record.hello.client.id : undefined,
    displayName: conn.displayName,
    deviceId: conn.deviceId,
  });

  const approvals = new ExecApprovals(
    protocol,
    { mode: opts.execApprovals ?? 'off', timeoutMs: opts.approvalTimeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS[protocol] },
    {
      conns: () => [...conns].filter((c) => c.ready && c.record.hello !== undefined).map(approvalConn),
      sendTo: (connIds, event, payload) => {
        if (closed) return;
        for (const conn of conns) if (conn.ready && connIds.has(conn.record.hello?.connId ?? '')) sendEvent(conn, event, payload);
      },
      processes: state.processes,
      queueSystemEvent: (sessionKey, text) => state.queueSystemEvent(sessionKey, text),
    },
  );

  const methods: OpenClawMethods = new OpenClawMethods(
    state,
    table,
    version,
    (event, payload, emitOpts) => (emitOpts?.toolEvent ? sendToolEvent(payload) : broadcast(event, payload, true)),
    opts.deltaPacingMs ?? table.deltaPacingMs,
    {
      approvals,
      execBackgroundMs: opts.execBackgroundMs ?? 10_000,
      allowBackground: opts.denyProcessTool !== true,
      log,
      ...(media ? { media } : {}),
      ...(opts.describeImage ? { describeImage: opts.describeImage } : {}),
    },
  );

  const closeConn = (conn: Conn, code: number, reason: string): void => {
    // A close reason is at most 123 bytes.
    conn.ws.close(code, Buffer.from(reason).subarray(0, 123).toString());
  };

  const reply = (conn: Conn, id: string, result: { payload: unknown } | { error: ErrorShape }): void => {
    if ('error' in result) send(conn, { type: 'res', id, ok: false, error: result.error });
    else send(conn, { type: 'res', id, ok: true, payload: result.payload });
  };

  const isLocal = (headers: IncomingHttpHeaders): boolean =>
    !opts.remote && headers.origin === undefined && !FORWARD_HEADERS.some((h) => headers[h] !== undefined);

  // ---- handshake --------------------------------------------------------------------------------------------------

  const refuse = (
    code: string,
    message: string,
    closeCode: number,
    detailCode?: string,
    extra?: Record<string, unknown>,
  ): ConnectRefused => {
    const details = protocol === 4 && detailCode !== undefined ? { code: detailCode, ...extra } : extra;
    return new ConnectRefused(details === undefined ? { code, message } : { code, message, details }, closeCode);
  };

  const authError = (kind: 'missing' | 'mismatch', withDevice: boolean): ConnectRefused => {
    const hint = withDevice ? "use this gateway's gateway.auth.token or pair the device" : 'provide gateway auth token';
    const message = `unauthorized: gateway token ${kind} (${hint})`;
    const details =
      kind === 'missing'
        ? { code: 'AUTH_TOKEN_MISSING', authReason: 'token_missing', recommendedNextStep: 'update_auth_configuration' }
        : {
            code: 'AUTH_TOKEN_MISMATCH',
            authReason: 'token_mismatch',
            canRetryWithDeviceToken: withDevice,
            recommendedNextStep: withDevice ? 'retry_with_device_token' : 'update_auth_configuration',
          };
    return refuse('INVALID_REQUEST', message, 1008, details.code, protocol === 4 ? details : undefined);
  };

  const pairingRequestFor = (
    deviceId: string,
    p: ConnectParams,
    role: string,
    scopes: string[],
    reason: PairingRequest['reason'] = 'not-paired',
  ): PairingRequest => {
    const existing = pairingRequests.find((r) => r.deviceId === deviceId && r.status === 'pending' && r.reason === reason);
    if (existing) return existing;
    const request: PairingRequest = {
      requestId: randomUUID(),
      reason,
      deviceId,
      clientId: p.client.id,
      clientMode: p.client.mode,
      role,
      scopes,
      at: Date.now(),
      status: 'pending',
    };
    pairingRequests.push(request);
    return request;
  };

  /**
   * Whether a device's paired scopes cover a request. v3 (gateway-cli message handler) wants each scope listed; v4
   * (operator-scope-compat.ts operatorScopeSatisfied) lets admin cover every operator scope and write cover read.
   */
  const scopesCovered = (requested: readonly string[], paired: readonly string[]): boolean =>
    requested.every((s) =>
      protocol === 3 ? paired.includes(s) : paired.includes(s) || paired.includes(ADMIN) || (s === READ && paired.includes(WRITE)),
    );

  /**
   * A remote paired device asking for more scopes gets a new pairing request (docs/gateway/clients.md "Scope or role
   * upgrades create a new pending pairing request"). v3: `NOT_PAIRED "pairing required"` with the request id; v4
   * connect-error-details.ts: the reason, the requested and the approved scopes.
   */
  const scopeUpgradeRefused = (request: PairingRequest, role: string, approved: readonly string[]): ConnectRefused => {
    if (protocol === 3) return refuse('NOT_PAIRED', 'pairing required', 1008, undefined, { requestId: request.requestId });
    const message = 'pairing required: device is asking for more scopes than currently approved';
    const details = {
      code: 'PAIRING_REQUIRED',
      reason: 'scope-upgrade',
      requestId: request.requestId,
      remediationHint: 'Review the requested scopes, then approve the pending upgrade.',
      deviceId: request.deviceId,
      requestedRole: role,
      requestedScopes: request.scopes,
      approvedRoles: [role],
      approvedScopes: [...approved],
    };
    return new ConnectRefused({ code: 'NOT_PAIRED', message, details }, 1008, `${message} (requestId: ${request.requestId})`);
  };

  /** Runs every connect check and returns the hello-ok payload, or throws ConnectRefused. */
  const admit = (conn: Conn, p: ConnectParams): Record<string, unknown> => {
    if (p.minProtocol > protocol || p.maxProtocol < protocol)
      throw refuse('INVALID_REQUEST', 'protocol mismatch', 1002, 'PROTOCOL_MISMATCH');

    const withDevice = p.device !== undefined;
    if (p.auth?.token === undefined || p.auth.token === '') throw authError('missing', withDevice);
    if (p.auth.token !== token) throw authError('mismatch', withDevice);

    const role = p.role ?? 'operator';
    const requested = p.scopes ?? [];
    const local = isLocal(conn.record.headers);
    const client = p.client;
    let scopes: string[];
    let deviceToken: string | undefined;

    if (p.device) {
      const check = verifyDevice({
        device: p.device,
        clientId: client.id,
        clientMode: client.mode,
        platform: client.platform,
        deviceFamily: client.deviceFamily,
        role,
        scopes: requested,
        token: p.auth.token,
        challengeNonce: conn.nonce,
        skewMs: table.signedAtSkewMs,
        acceptV3Payload: table.acceptsV3DevicePayload,
        nonceRequired: protocol === 4,
      });
      if (!check.ok) throw refuse('INVALID_REQUEST', check.message, 1008, check.detailCode);
      const localBackend = protocol === 4 && local && client.id === 'gateway-client' && client.mode === 'backend';
      if (!localBackend) {
        // A local device is paired (and upgraded) silently; a remote one waits for `approveDevice`.
        const paired = pairedDevices.get(check.deviceId);
        if (!paired && local) pairedDevices.set(check.deviceId, [...requested]);
        if (!pairedDevices.has(check.deviceId)) {
          const request = pairingRequestFor(check.deviceId, p, role, requested);
          const message = protocol === 4 ? 'device pairing required' : 'pairing required';
          throw refuse('NOT_PAIRED', message, 1008, 'PAIRING_REQUIRED', { requestId: request.requestId });
        }
        if (paired && !scopesCovered(requested, paired)) {
          if (local) pairedDevices.set(check.deviceId, [...new Set([...paired, ...requested])]);
          else throw scopeUpgradeRefused(pairingRequestFor(check.deviceId, p, role, requested, 'scope-upgrade'), role, paired);
        }
        deviceToken = deviceTokens.get(check.deviceId) ?? randomUUID().replaceAll('-', '');
        deviceTokens.set(check.deviceId, deviceToken);
      }
      scopes = [...requested];
    } else {
      // Without a device, v4 keeps scopes only for local gateway-client/backend and cli/cli; v3 never.
      const keeps =
        protocol === 4 &&
        local &&
        ((client.id === 'gateway-client' && client.mode === 'backend') || (client.id === 'cli' && client.mode === 'cli'));
      scopes = keeps ? [...requested] : [];
    }
    if (opts.grantScopes) scopes = scopes.filter((scope) => opts.grantScopes!.includes(scope));

    const connId = randomUUID();
    conn.scopes = scopes;
    conn.caps = p.caps ?? [];
    conn.displayName = client.displayName;
    if (p.device) conn.deviceId = p.device.id;
    conn.record.hello = { connId, protocol, client: { ...client }, role, scopes, caps: [...conn.caps] };
    if (p.device) conn.record.hello.deviceId = p.device.id;

    const now = Date.now();
    const auth: Record<string, unknown> = { role, scopes };
    if (protocol === 4) auth.method = 'token';
    if (deviceToken !== undefined) Object.assign(auth, { deviceToken, issuedAtMs: now });
    const hello: Record<string, unknown> = {
      type: 'hello-ok',
      protocol,
      server: protocol === 4 ? { version, connId, bootId } : { version, connId, host: 'fake-openclaw' },
      features: {
        methods: methodNames(table),
        events: protocol === 4 ? [...GATEWAY_EVENTS, ...GATEWAY_EVENTS_V4_ONLY] : [...GATEWAY_EVENTS],
        ...(protocol === 4 ? { capabilities: ['model-catalog-snapshot'] } : {}),
      },
      snapshot: {
        presence: [],
        health: { ok: true, ts: now },
        stateVersion: { presence: 1, health: 1 },
        uptimeMs: state.uptimeMs(),
        sessionDefaults: {
          defaultAgentId: state.defaultAgentId,
          mainKey: 'main',
          mainSessionKey: `agent:${state.defaultAgentId}:main`,
          scope: 'per-sender',
        },
        authMode: 'token',
      },
      // v4 also says what attachments it takes (§4.2, live); v3 has no `policy.attachments`.
      policy: { maxPayload: MAX_PAYLOAD, maxBufferedBytes: MAX_BUFFERED, tickIntervalMs, ...(protocol === 4 ? { attachments: attachmentPolicy() } : {}) },
    };
    if (protocol === 4 || deviceToken !== undefined) hello.auth = auth;
    return hello;
  };

  const handleConnect = (conn: Conn, frame: unknown, parsed: boolean): void => {
    if (!parsed || validate(table.requestFrame, frame) !== undefined) return closeConn(conn, 1008, 'invalid request frame');
    const req = frame as RequestFrame;
    const fail = (shape: ErrorShape, closeCode: number): void => {
      reply(conn, req.id, { error: shape });
      closeConn(conn, closeCode, shape.message);
    };
    if (req.method !== 'connect')
      return fail({ code: 'INVALID_REQUEST', message: 'invalid handshake: first request must be connect' }, 1008);
    if (unavailable.remaining > 0) {
      unavailable.remaining--;
      const shape: ErrorShape = {
        code: 'UNAVAILABLE',
        message: 'gateway starting; retry shortly',
        retryable: true,
        retryAfterMs: unavailable.retryAfterMs,
      };
      if (protocol === 4) shape.details = { reason: 'startup-sidecars' };
      return fail(shape, 1013);
    }
    const paramsError = validate(table.connectParams, req.params ?? {});
    if (paramsError !== undefined)
      return fail({ code: 'INVALID_REQUEST', message: `invalid connect params: ${paramsError}` }, 1008);
    try {
      const hello = admit(conn, req.params as ConnectParams);
      clearTimeout(conn.handshakeTimer);
      conn.ready = true;
      reply(conn, req.id, { payload: hello });
    } catch (err) {
      if (!(err instanceof ConnectRefused)) throw err;
      reply(conn, req.id, { error: err.shape });
      closeConn(conn, err.closeCode, err.closeReason ?? err.shape.message);
    }
  };

  // ---- requests after hello ---------------------------------------------------------------------------------------

  const handleRequest = (conn: Conn, frame: unknown, parsed: boolean): void => {
    if (!parsed) return;
    const frameError = validate(table.requestFrame, frame);
    if (frameError !== undefined) {
      const id = (frame as { id?: unknown } | null)?.id;
      if (typeof id === 'string' && id !== '')
        reply(conn, id, { error: { code: 'INVALID_REQUEST', message: `invalid request frame: ${frameError}` } });
      return;
    }
    const req = frame as RequestFrame;
    const left = withheld.get(req.method) ?? 0;
    const answer = left > 0 ? () => undefined : (result: Parameters<typeof reply>[2]) => reply(conn, req.id, result);
    if (left > 0) withheld.set(req.method, left - 1);
    try {
      answer({ payload: dispatch(conn, req) });
    } catch (err) {
      if (!(err instanceof RpcError)) throw err;
      answer({ error: err.shape });
    }
  };

  const dispatch = (conn: Conn, req: RequestFrame): unknown => {
    const params = req.params ?? {};
    if (req.method === 'connect') throw invalid('connect already completed');
    const scopeParams = typeof params === 'object' && params !== null ? (params as Record<string, unknown>) : {};
    const needed = table.requiredScope(req.method, scopeParams);
    if (!hasScope(conn.scopes, needed)) {
      const message = `missing scope: ${needed}`;
      throw new RpcError(
        table.missingScopeCode === 'FORBIDDEN'
          ? { code: 'FORBIDDEN', message, details: { code: 'MISSING_SCOPE', missingScope: needed, requiredScopes: [needed] } }
          : { code: 'INVALID_REQUEST', message },
      );
    }
    if (!hasMethod(table, req.method)) throw invalid(`unknown method: ${req.method}`);
    const paramsError = validate(table.methodParams[req.method]!, params);
    if (paramsError !== undefined) throw invalid(`invalid ${req.method} params: ${paramsError}`);
    return methods.call(req.method, params as Record<string, unknown>, {
      displayName: conn.displayName,
      connId: conn.record.hello?.connId,
      scopes: conn.scopes,
      caps: conn.caps,
      clientId: typeof conn.record.hello?.client.id === 'string' ? conn.record.hello.client.id : undefined,
      ...(conn.deviceId !== undefined ? { deviceId: conn.deviceId } : {}),
    });
  };

  // ---- sockets ----------------------------------------------------------------------------------------------------

  const onMessage = (conn: Conn, data: RawData, isBinary: boolean): void => {
    const text = rawDataToString(data);
    if (protocol === 4 && !conn.ready && Buffer.byteLength(text) > MAX_PREAUTH_BYTES) return closeConn(conn, 1009, 'payload too large');
    let frame: unknown = text;
    let parsed = true;
    try {
      frame = JSON.parse(text) as unknown;
    } catch {
      parsed = false;
    }
    const entry = { conn: conn.record.index, frame, binary: isBinary, at: Date.now() };
    received.push(entry);
    conn.record.received.push(entry);
    if (!conn.ready) handleConnect(conn, frame, parsed);
    else if (!opts.responseDelayMs) handleRequest(conn, frame, parsed);
    else {
      const timer = setTimeout(() => {
        delayed.delete(timer);
        if (!closed) handleRequest(conn, frame, parsed);
      }, opts.responseDelayMs);
      delayed.add(timer);
    }
  };

  const onConnection = (ws: WebSocket, req: IncomingMessage): void => {
    const record: OpenClawConnectionRecord = {
      index: connections.length,
      url: req.url ?? '/',
      headers: req.headers,
      received: [],
    };
    connections.push(record);
    const conn: Conn = { ws, record, nonce: randomUUID(), ready: false, scopes: [], caps: [], eventSeq: 0, handshakeTimer: undefined };
    conns.add(conn);
    conn.handshakeTimer = setTimeout(() => closeConn(conn, 1008, 'handshake timeout'), opts.handshakeTimeoutMs ?? table.handshakeTimeoutMs);
    ws.on('message', (data, isBinary) => onMessage(conn, data, isBinary));
    ws.on('close', (code, reason) => {
      record.closed = { code, reason: reason.toString() };
      clearTimeout(conn.handshakeTimer);
      conns.delete(conn);
    });
    ws.on('error', () => undefined);
    const challenge: Record<string, unknown> = { nonce: conn.nonce, ts: Date.now() };
    if (protocol === 4) challenge.capabilities = ['model-catalog-snapshot'];
    // The challenge goes out before the broadcaster knows the socket, so it has no seq.
    send(conn, { type: 'event', event: 'connect.challenge', payload: challenge });
  };

  const accept = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, req));
  };

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (frozen) heldUpgrades.push({ req, socket, head });
    else accept(req, socket, head);
  });

  const port = await listenLoopback(server, 0);

  const tick = setInterval(() => {
    if (!frozen) broadcast('tick', { ts: Date.now() }, false);
  }, tickIntervalMs);
  tick.unref();

  const waitClosed = (timeoutMs: number): Promise<void> =>
    new Promise((resolve) => {
      const pending = [...conns];
      if (pending.length === 0) return resolve();
      const timer = setTimeout(() => {
        pending.forEach((c) => c.ws.terminate());
        resolve();
      }, timeoutMs);
      let left = pending.length;
      for (const c of pending) {
        c.ws.once('close', () => {
          if (--left === 0) {
            clearTimeout(timer);
            resolve();
          }
        });
      }
    });

  return {
    url: `ws://127.0.0.1:${port}`,
    httpUrl: `http://127.0.0.1:${port}`,
    gatewayLog,
    port,
    token,
    protocol,
    version,
    state,
    received,
    connections,
    pairingRequests,
    chatSends: methods.chatSends,
    get deliverTrueSeen() {
      return methods.deliverTrueSeen;
    },
    openConnections: () => conns.size,
    setReplyScript: (fn) => state.setReplyScript(fn),
    approveDevice: (deviceId, only) => {
      const scopes = new Set(pairedDevices.get(deviceId) ?? []);
      for (const r of pairingRequests) {
        if (r.deviceId !== deviceId || r.status !== 'pending') continue;
        r.status = 'approved';
        r.scopes.forEach((s) => scopes.add(s));
      }
      pairedDevices.set(deviceId, only ? [...only] : [...scopes]);
    },
    pairedScopes: (deviceId) => pairedDevices.get(deviceId),
    get processes() {
      return state.processes.all;
    },
    pendingApprovals: () => approvals.pending().map(({ id, request, createdAtMs, expiresAtMs }) => ({ id, request, createdAtMs, expiresAtMs })),
    resolveApproval: (id, decision, resolvedBy = 'openclaw-control-ui') => {
      approvals.resolve({ id, decision }, { connId: '', scopes: [ADMIN], caps: ['exec-approvals'], clientId: 'openclaw-control-ui', displayName: resolvedBy, deviceId: undefined });
    },
    shutdown: async (restartExpectedMs) => {
      // Like the real ones: 2026.2 loses the runs in flight and their turns; 2026.9 resumes them after the restart.
      toResume.push(...state.interruptRuns({ forgetTurn: protocol === 3 }).filter(() => protocol === 4));
      const payload: Record<string, unknown> = { reason: 'gateway restarting' };
      if (restartExpectedMs !== undefined) payload.restartExpectedMs = restartExpectedMs;
      broadcast('shutdown', payload, false);
      void stopListening(server);
      heldUpgrades.splice(0).forEach((h) => h.socket.destroy());
      const done = waitClosed(2000);
      for (const conn of conns) closeConn(conn, 1012, 'service restart');
      await done;
    },
    restart: async () => {
      if (!server.listening) await listenLoopback(server, port);
      for (const run of toResume.splice(0)) {
        setTimeout(() => methods.resumeRun(run.sessionKey, RESUME_MESSAGE), resumeDelayMs);
      }
    },
    freeze: () => {
      frozen = true;
      for (const conn of conns) conn.ws.pause();
    },
    unfreeze: () => {
      frozen = false;
      for (const conn of conns) conn.ws.resume();
      for (const h of heldUpgrades.splice(0)) if (!h.socket.destroyed) accept(h.req, h.socket, h.head);
    },
    dropSocket: () => {
      for (const conn of conns) conn.ws.terminate();
    },
    sendRaw: (data) => {
      for (const conn of conns) if (conn.ws.readyState === conn.ws.OPEN) conn.ws.send(data, { binary: typeof data !== 'string' });
    },
    skipNextEventSeq: () => {
      for (const conn of conns) conn.eventSeq++;
    },
    unavailableOnConnect: (n, retryAfterMs = 500) => {
      unavailable = { remaining: n, retryAfterMs };
    },
    withholdAnswers: (method, n) => {
      withheld.set(method, n);
    },
    close: async () => {
      closed = true;
      clearInterval(tick);
      delayed.forEach((t) => clearTimeout(t));
      approvals.close();
      media?.close();
      if (ownsState) state.close();
      for (const conn of conns) {
        clearTimeout(conn.handshakeTimer);
        conn.ws.terminate();
      }
      heldUpgrades.splice(0).forEach((h) => h.socket.destroy());
      wss.close();
      await stopListening(server);
    },
  };
}
