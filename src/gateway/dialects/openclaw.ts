import { randomUUID } from 'node:crypto';
import { deviceProof } from '../device.js';
import { GatewayError, MethodNotFoundError, NotPairedError, ParamsError, ProtocolMismatchError } from '../errors.js';
import {
  abortRun,
  nextFrame,
  runIdOf,
  type Dialect,
  type Frame,
  type HandshakeContext,
  type Inbound,
  type ProducedFilesContext,
  type Rpc,
  type RunUpdate,
  type SessionHistory,
} from '../dialect.js';
import { neutraliseCommands } from '../directives.js';
import { agentProgress, chatStatusProgress, mediaActivity } from '../progress.js';
import { asArray, compact, asNumber, asObject, asString, flattenContent, isObject, modelRef, toModelInfo, type Json } from '../normalize.js';
import { openClawAttachmentLimits } from '../attachment-limits.js';
import type {
  AbortResult,
  ChatSendInput,
  GatewayFeatures,
  GatewayInfo,
  ProducedFile,
  ProducedFilesInput,
  SessionListInput,
  SessionPatch,
  SessionRow,
} from '../types.js';
import { HandshakeRejectedError, openClawError } from './openclaw-errors.js';
import { historyMessage, sessionRow } from './openclaw-rows.js';
import { listArtifacts } from './openclaw-artifacts.js';
import { namedOnly } from '../produced-files.js';
import { openClawAttachments } from '../attachments.js';

export { HandshakeRejectedError, openClawError } from './openclaw-errors.js';
export { stripEnvelope } from './openclaw-rows.js';

export const MIN_PROTOCOL = 3;
export const MAX_PROTOCOL = 4;
const CLIENT_ID = 'gateway-client';
const CLIENT_MODE = 'backend';
const ROLE = 'operator';
/**
 * `sessions.patch` and `sessions.reset` need admin (always on v3); read and write cover the rest; approvals is for exec
 * approvals. Both versions also let admin resolve and receive approvals; approvals is asked for all the same, so a
 * gateway that caps admin later still sends them.
 */
export const REQUESTED_SCOPES = ['operator.read', 'operator.write', 'operator.admin', 'operator.approvals'] as const;
/**
 * What clawcord asked for before approvals: a remote device paired with these must be re-approved for the upgrade
 * (2026.2 checks the exact scope set; 2026.9 only what admin does not cover), and keeps working with them meanwhile.
 */
export const FALLBACK_SCOPES = ['operator.read', 'operator.write', 'operator.admin'] as const;
/**
 * `tool-events`: tool steps of the runs this socket starts, as `agent` events (without it a v3 tool step is silent).
 * `exec-approvals`: 2026.9 sends exec approvals only to sockets with it, and denies a command at once when none has it.
 */
export const CAPS = ['tool-events', 'exec-approvals'] as const;
/** The most `chat.history` returns of one text on 2026.9 (its `maxChars` limit); the default is 8,000. */
const HISTORY_MAX_CHARS = 500_000;

/**
 * What the granted scopes allow. Both versions let admin stand in for every operator scope, approvals included; the
 * `exec-approvals` cap that 2026.9 also wants is always sent (and no version refuses it). Tool progress: 2026.9 sends
 * it to every read socket, 2026.2 for the runs this socket starts, given the `tool-events` cap. Steering is 2026.9's
 * chat.send `queueMode` (protocol 4), which no method list names.
 */
export function openClawFeatures(protocol: number, granted: readonly string[], methods: readonly string[], policy: Json = {}): GatewayFeatures {
  const has = (scope: string) => granted.includes(scope) || granted.includes('operator.admin');
  const approvals = has('operator.approvals');
  return {
    toolProgress: has('operator.read') || has('operator.write'),
    approvals,
    listApprovals: approvals && methods.includes('exec.approval.list'),
    steer: protocol >= 4 && has('operator.write'),
    stopsBackgroundCommands: has('operator.write') && methods.includes('tasks.list') && methods.includes('tasks.cancel'),
    missingScopes: REQUESTED_SCOPES.filter((scope) => !granted.includes(scope)),
    attachments: openClawAttachmentLimits(protocol, policy),
    producedFiles: has('operator.read') && methods.includes('artifacts.list') && methods.includes('artifacts.download'),
  };
}

/**
 * A member's text as chat.send takes it. 2026.9 can be told not to read commands in it, but only by an admin socket;
 * 2026.2 has no such flag (its closed params refuse it), so there, and without admin, no slash in the text may start a
 * command and no stop word may stop the running turn.
 */
function memberText(message: string, info: GatewayInfo): { message: string; suppressCommandInterpretation?: true } {
  const suppress = Number(info.protocol) >= 4 && (info.scopes?.includes('operator.admin') ?? false);
  return suppress ? { message, suppressCommandInterpretation: true } : { message: neutraliseCommands(message) };
}

const RESET_REASONS = new Set(['new', 'reset']);

/** Real OpenClaw gateways, protocol v3 (2026.2.x) and v4 (2026.9.x). Params are closed objects: send only known keys. */
export class OpenClawDialect implements Dialect {
  readonly name = 'openclaw' as const;
  readonly liveness = 'tick' as const;

  // The main WebSocket never reads a URL token, so it never goes there.
  connectUrl(base: string): string {
    return base;
  }

  encode(frame: Frame): string {
    return JSON.stringify(frame);
  }

  async handshake(context: HandshakeContext): Promise<GatewayInfo> {
    const { socket, token, timeoutMs, clientVersion } = context;
    const deadline = Date.now() + timeoutMs;
    const remaining = () => Math.max(1, deadline - Date.now());

    let challenge = context.firstFrame;
    while (!challenge || challenge.event !== 'connect.challenge') {
      challenge = await nextFrame(socket, remaining(), 'connect.challenge');
    }
    const { nonce, ts } = asObject(challenge.payload);
    if (typeof nonce !== 'string') throw new HandshakeRejectedError('the gateway sent a connect.challenge without a nonce');

    const device = context.device();
    const client = { id: CLIENT_ID, version: clientVersion, platform: process.platform, mode: CLIENT_MODE, displayName: 'clawcord' };
    const scopes = context.reducedScopes ? FALLBACK_SCOPES : REQUESTED_SCOPES;
    const params = compact({
      minProtocol: MIN_PROTOCOL,
      maxProtocol: MAX_PROTOCOL,
      client,
      role: ROLE,
      scopes: [...scopes],
      caps: [...CAPS],
      auth: token ? { token } : undefined,
      device: deviceProof(device, {
        clientId: CLIENT_ID,
        clientMode: CLIENT_MODE,
        role: ROLE,
        scopes,
        token,
        nonce,
        // The server checks signedAt against its own clock; its challenge time avoids our clock skew.
        signedAt: asNumber(ts) ?? Date.now(),
      }),
    });
    const id = `connect-${randomUUID()}`;
    socket.send(this.encode({ type: 'req', id, method: 'connect', params }));

    for (;;) {
      const frame = await nextFrame(socket, remaining(), 'the connect answer');
      if (frame.type !== 'res' || frame.id !== id) continue;
      if (frame.ok !== true) {
        const error = openClawError(frame.error, device.id);
        // Auth, pairing, protocol and availability have errors of their own; any other refusal is final too.
        const untyped = error.constructor === GatewayError || error instanceof ParamsError || error instanceof MethodNotFoundError;
        if (untyped) throw new HandshakeRejectedError(`the gateway refused the connection: ${error.message}`, error.code, error.details);
        throw error;
      }
      return this.helloInfo(asObject(frame.payload), scopes);
    }
  }

  /**
   * Whether a refused connect may be tried again asking only for the scopes of the device's older pairing: a remote
   * device must be re-approved for the approvals scope. 2026.9 names the reason (`scope-upgrade`); 2026.2 says only
   * "pairing required", so it is tried, and a device that is not paired at all is refused again (with the same request).
   */
  retryWithFewerScopes(error: unknown): boolean {
    return error instanceof NotPairedError && (error.reason === undefined || error.reason === 'scope-upgrade');
  }

  private helloInfo(hello: Frame, requested: readonly string[]): GatewayInfo {
    const protocol = asNumber(hello.protocol);
    if (protocol === undefined || protocol < MIN_PROTOCOL || protocol > MAX_PROTOCOL) {
      throw new ProtocolMismatchError(`the gateway chose protocol ${String(hello.protocol)}; clawcord speaks ${MIN_PROTOCOL} to ${MAX_PROTOCOL}`);
    }
    const snapshot = asObject(hello.snapshot);
    const auth = isObject(hello.auth) ? hello.auth : undefined;
    const scopes = auth ? asArray(auth.scopes).filter((s): s is string => typeof s === 'string') : undefined;
    const methods = asArray(asObject(hello.features).methods).filter((m): m is string => typeof m === 'string');
    return {
      dialect: 'openclaw',
      protocol: String(protocol),
      serverVersion: asString(asObject(hello.server).version),
      uptimeMs: asNumber(snapshot.uptimeMs),
      connectedAt: Date.now(),
      methods,
      scopes,
      tickIntervalMs: asNumber(asObject(hello.policy).tickIntervalMs),
      defaultAgentId: asString(asObject(snapshot.sessionDefaults).defaultAgentId),
      // 2026.2 without a device token says nothing of scopes: a connect it accepts has what it asked for.
      features: openClawFeatures(protocol, scopes ?? [...requested], methods, asObject(hello.policy)),
    };
  }

  requestFrame(id: string, method: string, params: Frame): Frame {
    return { type: 'req', id, method, params };
  }

  classify(frame: Frame): Inbound | undefined {
    if (frame.type === 'event' && typeof frame.event === 'string') {
      return { kind: 'event', event: frame.event, payload: frame.payload, seq: asNumber(frame.seq) };
    }
    if (frame.type === 'res' && typeof frame.id === 'string') {
      if (frame.ok === true) return { kind: 'response', id: frame.id, ok: true, result: frame.payload };
      return { kind: 'response', id: frame.id, ok: false, error: openClawError(frame.error) };
    }
    return undefined;
  }

  runUpdate(event: string, payload: unknown, info: GatewayInfo): RunUpdate | undefined {
    if ((event !== 'chat' && event !== 'agent') || !isObject(payload) || typeof payload.runId !== 'string') return undefined;
    // Tool steps, lifecycle and (2026.9) progress streams: the run is alive even while its text stands still.
    if (event === 'agent') {
      // 2026.2 paces its chat deltas and drops the one pending when a tool call starts, so a segment's last words may
      // never reach chat; its `assistant` stream (each segment's whole text so far, to every read socket) has them.
      const data = asObject(payload.data);
      if (Number(info.protocol) < 4 && payload.stream === 'assistant' && typeof data.text === 'string') {
        const media = mediaActivity(data);
        return compact({ runId: payload.runId, sessionKey: asString(payload.sessionKey), kind: 'delta' as const, text: data.text, activity: media });
      }
      const progress = agentProgress(payload, Number(info.protocol));
      return compact({ runId: payload.runId, sessionKey: asString(payload.sessionKey), kind: 'activity' as const, ...progress });
    }
    const base = { runId: payload.runId, runSeq: asNumber(payload.seq), sessionKey: asString(payload.sessionKey) };
    const text = isObject(payload.message) ? flattenContent(payload.message.content) : undefined;
    switch (payload.state) {
      case 'status':
        return compact({ runId: payload.runId, sessionKey: base.sessionKey, kind: 'activity' as const, ...chatStatusProgress(payload) });
      case 'delta': {
        const deltaText = asString(payload.deltaText);
        if (text === undefined && deltaText === undefined) return undefined;
        return compact({ ...base, kind: 'delta' as const, text, deltaText, replace: payload.replace === true });
      }
      case 'final':
        return compact({ ...base, kind: 'final' as const, text, yielded: payload.yielded === true ? true : undefined });
      case 'aborted':
        return compact({ ...base, kind: 'aborted' as const, text });
      case 'error':
        return compact({ ...base, kind: 'error' as const, errorMessage: asString(payload.errorMessage) ?? 'the run failed' });
      default:
        return undefined;
    }
  }

  sessionKey(agentId: string, scope: string): string {
    return `agent:${agentId.toLowerCase()}:clawcord:${scope}`;
  }

  prepareChatSend(input: ChatSendInput, info: GatewayInfo): { params: Frame; runId: string } {
    // The gateway uses the idempotency key as the run id, so events can be matched before the answer arrives.
    const idempotencyKey = randomUUID();
    return {
      runId: idempotencyKey,
      params: compact({
        sessionKey: input.sessionKey,
        ...memberText(input.message, info),
        idempotencyKey,
        thinking: input.thinking,
        timeoutMs: input.timeoutMs,
        attachments: openClawAttachments(input.attachments, info),
      }),
    };
  }

  readonly chatSendRunId = runIdOf;

  /**
   * Stops a run. `chat.abort` ends the turn and kills the exec subprocess of its tool step on both versions (F-findings
   * STOP, live: the exec tool kills its process tree on the run's abort signal, v4 src/agents/bash-tools.exec-run.ts,
   * v3 src/agents/bash-tools.exec.ts). A turn handed to sub-agents (and `/abort` of a whole session) goes to 2026.9's
   * `sessions.abort {key}`, which with no run id also stops the sub-agent runs the session spawned.
   */
  async chatAbort(rpc: Rpc, sessionKey: string, runId: string | undefined, info: GatewayInfo, options: { handedOff?: boolean } = {}): Promise<AbortResult> {
    const cascade = runId === undefined || options.handedOff === true;
    if (cascade && info.methods?.includes('sessions.abort')) {
      const result = asObject(await rpc('sessions.abort', { key: sessionKey }));
      return { aborted: result.status === 'aborted' };
    }
    return abortRun(rpc, sessionKey, runId);
  }

  /**
   * A command the exec tool moved to the background (after `tools.exec.backgroundMs`, 10 s by default, or at the
   * model's asking) outlives chat.abort and sessions.abort on both versions (F-findings STOP, live). 2026.9 lists it as
   * a task of the session (kind `exec`, as it does sub-agents: kind `subagent`), and `tasks.cancel` kills its process
   * tree. 2026.2 has no operator way: only its config `tools.deny: ["process"]`, which keeps every command in the
   * foreground, where chat.abort kills it.
   */
  async cancelSessionTasks(rpc: Rpc, sessionKey: string, info: GatewayInfo): Promise<number> {
    if (!info.features.stopsBackgroundCommands) return 0;
    const { tasks } = asObject(await rpc('tasks.list', { sessionKey, status: ['queued', 'running'] }));
    const ids = asArray(tasks)
      .filter(isObject)
      .filter((task) => (task.kind === 'exec' || task.kind === 'subagent') && asString(task.sessionKey)?.toLowerCase() === sessionKey.toLowerCase())
      .flatMap((task) => asString(task.taskId) ?? asString(task.id) ?? []);
    const results = await Promise.all(ids.map((taskId) => rpc('tasks.cancel', { taskId, reason: 'stopped from clawcord' })));
    return results.filter((result) => asObject(result).cancelled === true).length;
  }

  /**
   * Puts a message into the session's running turn: 2026.9 `chat.send` with `queueMode:"steer"` (F-findings STEER,
   * live: the text joins the running turn at its next model call, whose final then holds the answer; the send's own run
   * id gets an empty final at that moment). Not `sessions.steer`: that is an unadvertised alias of queueMode
   * `interrupt`, which aborts the running turn.
   */
  prepareSteer(input: { sessionKey: string; message: string }, info: GatewayInfo): { params: Frame; runId: string } {
    const idempotencyKey = randomUUID();
    return {
      runId: idempotencyKey,
      params: { sessionKey: input.sessionKey, ...memberText(input.message, info), idempotencyKey, queueMode: 'steer' },
    };
  }

  async chatHistory(rpc: Rpc, sessionKey: string, limit: number, info: GatewayInfo): Promise<SessionHistory> {
    const params: Frame = { sessionKey, limit: Math.min(Math.max(limit, 1), 1000) };
    if (Number(info.protocol) >= 4) params.maxChars = HISTORY_MAX_CHARS;
    const result = asObject(await rpc('chat.history', params));
    const messages = asArray(result.messages).filter(isObject).map(historyMessage);
    // 2026.9 says which runs of the session are in flight; 2026.2 says nothing.
    const session = asObject(result.sessionInfo);
    if (typeof session.hasActiveRun !== 'boolean') return { messages };
    const runIds = Array.isArray(session.activeRunIds) ? session.activeRunIds.filter((id): id is string => typeof id === 'string') : undefined;
    return { messages, active: { runIds, any: session.hasActiveRun } };
  }

  async sessionRow(rpc: Rpc, key: string, info: GatewayInfo): Promise<SessionRow | undefined> {
    if (info.methods?.includes('sessions.describe')) {
      const { session } = asObject(await rpc('sessions.describe', { key }));
      return isObject(session) ? sessionRow(session) : undefined;
    }
    // 2026.2 matches `search` against keys (among other fields) before it applies the limit.
    const result = asObject(await rpc('sessions.list', { search: key, limit: 10 }));
    const row = asArray(result.sessions).filter(isObject).find((candidate) => candidate.key === key);
    return row ? sessionRow(row) : undefined;
  }

  async modelsList(rpc: Rpc, info: GatewayInfo) {
    // v4 with several agents insists on an owner; v3's params are an empty closed object.
    const params = Number(info.protocol) >= 4 ? { agentId: info.defaultAgentId ?? 'main' } : {};
    const [result, defaults] = await Promise.all([
      rpc('models.list', params).then(asObject),
      rpc('sessions.list', { limit: 1 }).then((list) => asObject(asObject(list).defaults), () => ({}) as Frame),
    ]);
    const models = asArray(result.models)
      .filter(isObject)
      .filter((row) => row.available !== false)
      .flatMap((row) => toModelInfo(row) ?? []);
    // 2026.2 lists its whole built-in catalog (700+ models); the provider the gateway is set up with comes first.
    const inUse = asString(defaults.modelProvider);
    return inUse ? [...models.filter((m) => m.provider === inUse), ...models.filter((m) => m.provider !== inUse)] : models;
  }

  async agentsList(rpc: Rpc) {
    const result = asObject(await rpc('agents.list', {}));
    const agents = asArray(result.agents)
      .filter(isObject)
      .flatMap((row) => {
        const id = asString(row.id);
        return id ? [{ id, name: asString(row.name) ?? asString(asObject(row.identity).name) ?? id }] : [];
      });
    return { defaultId: asString(result.defaultId) ?? agents[0]?.id ?? 'main', agents };
  }

  async sessionsList(rpc: Rpc, input: SessionListInput) {
    const result = asObject(
      await rpc(
        'sessions.list',
        compact({
          limit: input.limit,
          activeMinutes: input.activeMinutes,
          agentId: input.agentId,
          includeDerivedTitles: true,
          includeLastMessage: true,
        }),
      ),
    );
    return asArray(result.sessions)
      .filter(isObject)
      .flatMap((row) => sessionRow(row) ?? []);
  }

  async sessionsPatch(rpc: Rpc, key: string, patch: SessionPatch) {
    const result = asObject(await rpc('sessions.patch', compact({ key, ...patch })));
    const resolved = asObject(result.resolved);
    const model = asString(resolved.model);
    return { key, model: model ? modelRef(asString(resolved.modelProvider), model) : undefined };
  }

  async sessionsReset(rpc: Rpc, key: string, reason: string | undefined) {
    await rpc('sessions.reset', { key, reason: reason && RESET_REASONS.has(reason) ? reason : 'reset' });
  }

  async status(rpc: Rpc, info: GatewayInfo) {
    const result = asObject(await rpc('status', {}));
    const heartbeatAgents = asObject(result.heartbeat).agents;
    return {
      dialect: 'openclaw' as const,
      protocol: info.protocol,
      version: info.serverVersion ?? asString(result.runtimeVersion),
      uptimeMs: info.uptimeMs === undefined ? undefined : info.uptimeMs + (Date.now() - info.connectedAt),
      sessions: asNumber(asObject(result.sessions).count),
      agents: Array.isArray(heartbeatAgents) ? heartbeatAgents.length : undefined,
      ready: true,
    };
  }

  /**
   * 2026.2 stops streaming, `mediaUrls` and all, once a `MEDIA:` line split across chunks names its file (pi-embedded
   * `handleMessageUpdate` emits only text that extends what it streamed), and its final is the stale text; the
   * transcript keeps the reply whole.
   */
  mediaInHistory(info: GatewayInfo): boolean {
    return Number(info.protocol) < 4;
  }

  /**
   * 2026.9 with `features.producedFiles`: the run's artifacts, fetchable, then any named file that is none. It lists a
   * reply's files some hundreds of ms after the final (it stores them after the reply), so with `waitMs` the list is
   * read again until every named file is on it or the wait is over; the ones still missing are `late`. 2026.2 keeps
   * the agent's `MEDIA:` paths on the gateway host and serves them to no client (no RPC, no HTTP route): they can only
   * be named.
   */
  async producedFiles(context: ProducedFilesContext, input: ProducedFilesInput): Promise<ProducedFile[]> {
    if (!context.info.features.producedFiles) return namedOnly(input.mediaUrls);
    const deadline = Date.now() + (input.waitMs ?? 0);
    for (;;) {
      const files = await listArtifacts(context, input);
      const named = namedOnly(input.mediaUrls);
      const kept = new Set(files.map((file) => file.name));
      // An artifact's title is its file name; should one differ, as many artifacts as named files are all of them.
      const missing = files.length >= named.length ? [] : named.filter((file) => !kept.has(file.name));
      const left = deadline - Date.now();
      if (missing.length === 0 || left <= 0) {
        // A file the agent named that 2026.9 did not keep (missing, audio or video from a path, too large an image: an
        // `attachment_error` block), or not yet, is still named, so the reply can say it did not come.
        return [...files, ...missing.map((file) => ({ ...file, late: true as const }))];
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(ARTIFACTS_POLL_MS, left)));
    }
  }
}

/** How often a run's artifacts are listed again while a named file is missing from the list. */
const ARTIFACTS_POLL_MS = 250;
