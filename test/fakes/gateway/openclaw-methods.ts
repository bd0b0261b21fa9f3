import { randomUUID } from 'node:crypto';
// OpenClaw RPC methods over the shared state, with the real result shapes (openclaw-protocol.md §4).
import type { ProtocolTable, MethodName } from './protocol-tables.js';
import { RunStreamer, type EmitEvent } from './openclaw-stream.js';
import { modelRef, sessionPreview, sessionTitle, type ChatMessage, type GatewayState, type SessionState } from './state.js';

export interface ErrorShape {
  code: string;
  message: string;
  details?: unknown;
  retryable?: boolean;
  retryAfterMs?: number;
}

export class RpcError extends Error {
  constructor(readonly shape: ErrorShape) {
    super(shape.message);
  }
}

export const invalid = (message: string, details?: unknown): RpcError =>
  new RpcError(details === undefined ? { code: 'INVALID_REQUEST', message } : { code: 'INVALID_REQUEST', message, details });

export interface ChatSendRecord {
  params: Record<string, unknown>;
  sessionKey: string;
  at: number;
}

export interface CallerInfo {
  displayName?: string;
}

type Params = Record<string, unknown>;

const DEDUPE_TTL_MS = 5 * 60_000;
const AGENT_ID = /^[a-z0-9_-]{1,64}$/;

function splitRef(ref: string): { provider: string; model: string } {
  const slash = ref.indexOf('/');
  return { provider: ref.slice(0, slash), model: ref.slice(slash + 1) };
}

export class OpenClawMethods {
  readonly chatSends: ChatSendRecord[] = [];
  private readonly dedupe = new Map<string, number>();

  constructor(
    private readonly state: GatewayState,
    private readonly table: ProtocolTable,
    private readonly version: string,
    private readonly emit: EmitEvent,
    private readonly deltaPacingMs: number,
  ) {}

  get deliverTrueSeen(): boolean {
    return this.chatSends.some((s) => s.params.deliver === true);
  }

  call(method: MethodName, p: Params, caller: CallerInfo): unknown {
    switch (method) {
      case 'chat.send':
        return this.chatSend(p, caller);
      case 'chat.abort':
        return this.chatAbort(p);
      case 'chat.history':
        return this.chatHistory(p);
      case 'models.list':
        return this.modelsList(p);
      case 'agents.list':
        return this.agentsList();
      case 'sessions.list':
        return this.sessionsList(p);
      case 'sessions.patch':
        return this.sessionsPatch(p, caller);
      case 'sessions.reset':
        return this.sessionsReset(p, caller);
      case 'status':
        return this.status();
      case 'health':
        return this.health();
    }
  }

  /** Canonical `agent:<id>:<rest>` key; bare keys get the (explicit or default) agent prepended. */
  resolveKey(rawKey: string, agentIdParam: unknown): { key: string; agentId: string } {
    const explicit = typeof agentIdParam === 'string' ? agentIdParam.toLowerCase() : undefined;
    if (explicit !== undefined && !this.state.agent(explicit)) throw invalid(`Unknown agent id "${explicit}"`);
    const key = rawKey.trim().toLowerCase();
    if (!key.startsWith('agent:')) {
      const agentId = explicit ?? this.state.defaultAgentId;
      return { key: `agent:${agentId}:${key}`, agentId };
    }
    const [, agentId = '', ...rest] = key.split(':');
    if (!AGENT_ID.test(agentId) || rest.join(':') === '') throw invalid(`malformed session key "${rawKey}"`);
    if (!this.state.agent(agentId)) throw invalid(`Agent "${agentId}" no longer exists in configuration`);
    if (explicit !== undefined && explicit !== agentId)
      throw invalid(`agent "${explicit}" does not match session key agent "${agentId}"`);
    return { key, agentId };
  }

  /** A turn the gateway starts by itself (2026.9 resuming one a restart interrupted): a new run id, streamed to all. */
  resumeRun(sessionKey: string, message: string): string {
    const runId = randomUUID();
    const session = this.state.session(sessionKey);
    if (!session) return runId;
    let streamer: RunStreamer | undefined;
    const info = this.state.startRun({ runId, sessionKey, message, onEvent: (ev) => streamer?.handle(ev) });
    streamer = new RunStreamer(info, this.emit, { protocol: this.table.protocol, pacingMs: this.deltaPacingMs, flushesDeltas: this.table.flushesDeltas });
    return runId;
  }

  private chatSend(p: Params, caller: CallerInfo): unknown {
    const { key, agentId } = this.resolveKey(p.sessionKey as string, p.agentId);
    const runId = p.idempotencyKey as string;
    this.chatSends.push({ params: p, sessionKey: key, at: Date.now() });
    const seenAt = this.dedupe.get(runId);
    if (seenAt !== undefined && Date.now() - seenAt < DEDUPE_TTL_MS) {
      return { runId, status: this.state.run(runId)?.status === 'running' ? 'in_flight' : 'ok' };
    }
    this.dedupe.set(runId, Date.now());
    this.state.ensureSession(key, agentId, caller.displayName);
    let streamer: RunStreamer | undefined;
    const info = this.state.startRun({ runId, sessionKey: key, message: p.message as string, onEvent: (ev) => streamer?.handle(ev) });
    streamer = new RunStreamer(info, this.emit, {
      protocol: this.table.protocol,
      pacingMs: this.deltaPacingMs,
      flushesDeltas: this.table.flushesDeltas,
    });
    return { runId, status: 'started' };
  }

  private chatAbort(p: Params): unknown {
    const { key } = this.resolveKey(p.sessionKey as string, p.agentId);
    if (typeof p.runId === 'string') {
      const run = this.state.run(p.runId);
      if (run && run.sessionKey !== key) throw invalid('runId does not match sessionKey');
      const aborted = this.state.abortRun(p.runId);
      return { ok: true, aborted, runIds: aborted ? [p.runId] : [] };
    }
    const runIds = this.state.activeRuns(key).map((r) => r.runId).filter((id) => this.state.abortRun(id));
    return { ok: true, aborted: runIds.length > 0, runIds };
  }

  private chatHistory(p: Params): unknown {
    const { key, agentId } = this.resolveKey(p.sessionKey as string, p.agentId);
    const session = this.state.session(key);
    const all = session?.messages ?? [];
    const limit = typeof p.limit === 'number' ? p.limit : 200;
    const messages = all.slice(-limit).map((m) => this.historyRow(m, session));
    const result: Record<string, unknown> = {
      sessionKey: key,
      sessionId: session?.sessionId,
      messages,
      thinkingLevel: session?.thinkingLevel,
      verboseLevel: session?.verboseLevel,
    };
    if (this.table.protocol === 4) {
      const active = this.state.activeRuns(key).map((r) => r.runId);
      Object.assign(result, {
        hasMore: all.length > limit,
        totalMessages: all.length,
        pendingInputs: { items: [], total: 0 },
        defaults: this.defaults(agentId),
        sessionInfo: { key, agentId, hasActiveRun: active.length > 0, activeRunIds: active },
      });
    }
    return result;
  }

  private historyRow(m: ChatMessage, session: SessionState | undefined): Record<string, unknown> {
    if (m.role === 'user') return { role: 'user', content: m.content, timestamp: m.timestamp };
    const row: Record<string, unknown> = { role: m.role, content: [{ type: 'text', text: m.content }], timestamp: m.timestamp };
    if (m.kind === 'reset') row.__openclaw = { kind: 'reset' };
    if (m.role === 'assistant') {
      row.stopReason = 'stop';
      if (session) Object.assign(row, splitRef(this.state.effectiveModel(session)));
      if (m.aborted) row.openclawAbort = { aborted: true, origin: 'rpc', runId: m.runId };
    }
    return row;
  }

  private modelsList(p: Params): unknown {
    let owner = typeof p.agentId === 'string' ? p.agentId : undefined;
    if (owner === undefined && typeof p.sessionKey === 'string') owner = this.resolveKey(p.sessionKey, undefined).agentId;
    if (this.table.protocol === 4) {
      if (owner !== undefined && !this.state.agent(owner)) throw invalid(`Unknown agent id "${owner}"`);
      if (owner === undefined && this.state.agents.length > 1)
        throw invalid(
          'Multiple agents are configured, but this Gateway request has no explicit owner. Set agentId to one of the configured agents.',
        );
    }
    const defaultRef = this.state.agent(owner ?? this.state.defaultAgentId)?.model;
    return {
      models: this.state.models
        .filter((m) => p.provider === undefined || m.provider === p.provider)
        .map((m) => {
          const row: Record<string, unknown> = {
            id: m.id,
            name: m.name,
            provider: m.provider,
            contextWindow: m.contextWindow,
            reasoning: m.reasoning,
          };
          if (this.table.protocol === 4) {
            row.available = true;
            if (modelRef(m) === defaultRef) row.tags = ['default'];
          }
          return row;
        }),
    };
  }

  private agentsList(): unknown {
    const result: Record<string, unknown> = {
      defaultId: this.state.defaultAgentId,
      mainKey: 'main',
      scope: 'per-sender',
      agents: this.state.agents.map((a) => {
        const row: Record<string, unknown> = { id: a.id, name: a.name, identity: { name: a.name } };
        if (this.table.protocol === 4) row.model = { primary: a.model };
        return row;
      }),
    };
    if (this.table.protocol === 4) Object.assign(result, { ownership: 'explicit', selectionRequired: false });
    return result;
  }

  private sessionsList(p: Params): unknown {
    const minUpdated = typeof p.activeMinutes === 'number' ? Date.now() - p.activeMinutes * 60_000 : -Infinity;
    const search = typeof p.search === 'string' ? p.search.toLowerCase() : undefined;
    const all = this.state.listSessions().filter(
      (s) =>
        s.updatedAt >= minUpdated &&
        (p.agentId === undefined || s.agentId === p.agentId) &&
        (p.label === undefined || s.label === p.label) &&
        (search === undefined || `${s.key} ${s.label ?? ''} ${sessionTitle(s) ?? ''}`.toLowerCase().includes(search)),
    );
    const limit = typeof p.limit === 'number' ? p.limit : 100;
    const offset = typeof p.offset === 'number' ? p.offset : 0;
    const page = all.slice(offset, offset + limit);
    const sessions = page.map((s) => this.sessionRow(s, p.includeDerivedTitles === true, p.includeLastMessage === true));
    const result: Record<string, unknown> = {
      ts: Date.now(),
      path: '(multiple)',
      count: sessions.length,
      defaults: this.defaults(this.state.defaultAgentId),
      sessions,
    };
    if (this.table.protocol === 4) {
      const hasMore = offset + limit < all.length;
      Object.assign(result, { totalCount: all.length, limitApplied: limit, hasMore, nextOffset: hasMore ? offset + limit : null });
    }
    return result;
  }

  private sessionRow(s: SessionState, withTitle: boolean, withPreview: boolean): Record<string, unknown> {
    const active = this.state.activeRuns(s.key);
    const row: Record<string, unknown> = {
      key: s.key,
      kind: 'direct',
      agentId: s.agentId,
      sessionId: s.sessionId,
      displayName: s.displayName,
      label: s.label,
      updatedAt: s.updatedAt,
      modelProvider: splitRef(this.state.effectiveModel(s)).provider,
      model: splitRef(this.state.effectiveModel(s)).model,
      thinkingLevel: s.thinkingLevel,
      status: active.length > 0 ? 'running' : 'done',
      hasActiveRun: active.length > 0,
      activeRunIds: active.map((r) => r.runId),
    };
    if (withTitle) row.derivedTitle = sessionTitle(s);
    if (withPreview) row.lastMessagePreview = sessionPreview(s);
    return row;
  }

  private sessionsPatch(p: Params, caller: CallerInfo): unknown {
    const { key, agentId } = this.resolveKey(p.key as string, p.agentId);
    if (typeof p.model === 'string' && !this.state.model(p.model)) throw invalid(`model not allowed: ${p.model}`);
    this.state.ensureSession(key, agentId, caller.displayName);
    const patch: Parameters<GatewayState['patchSession']>[1] = {};
    for (const k of ['label', 'thinkingLevel', 'verboseLevel', 'reasoningLevel', 'model'] as const) {
      // null clears an override; an absent key leaves it alone.
      if (k in p) patch[k] = typeof p[k] === 'string' ? p[k] : undefined;
    }
    const session = this.state.patchSession(key, patch);
    return { ok: true, path: '(memory)', key, entry: this.entry(session), resolved: this.resolved(session) };
  }

  private sessionsReset(p: Params, caller: CallerInfo): unknown {
    const { key, agentId } = this.resolveKey(p.key as string, p.agentId);
    this.state.ensureSession(key, agentId, caller.displayName);
    const session = this.state.resetSession(key, 'Reset');
    return { ok: true, key, entry: this.entry(session), resolved: this.resolved(session) };
  }

  private entry(s: SessionState): Record<string, unknown> {
    const entry: Record<string, unknown> = {
      sessionId: s.sessionId,
      updatedAt: s.updatedAt,
      createdAt: s.createdAt,
      label: s.label,
      thinkingLevel: s.thinkingLevel,
      verboseLevel: s.verboseLevel,
      reasoningLevel: s.reasoningLevel,
    };
    if (s.model !== undefined) {
      const { provider, model } = splitRef(s.model);
      Object.assign(entry, { providerOverride: provider, modelOverride: model, modelOverrideSource: 'user' });
    }
    return entry;
  }

  private resolved(s: SessionState): Record<string, unknown> {
    const { provider, model } = splitRef(this.state.effectiveModel(s));
    return { modelProvider: provider, model, thinkingLevel: s.thinkingLevel };
  }

  private defaults(agentId: string): Record<string, unknown> {
    const ref = this.state.agent(agentId)?.model ?? modelRef(this.state.models[0]!);
    const { provider, model } = splitRef(ref);
    return { modelProvider: provider, model, contextTokens: this.state.model(ref)?.contextWindow };
  }

  private status(): unknown {
    const sessions = this.state.listSessions();
    return {
      runtimeVersion: this.version,
      heartbeat: {
        defaultAgentId: this.state.defaultAgentId,
        agents: this.state.agents.map((a) => ({ agentId: a.id, enabled: false, every: 'disabled', everyMs: null })),
      },
      channelSummary: [],
      queuedSystemEvents: [],
      tasks: { total: 0, active: 0, terminal: 0, failures: 0 },
      sessions: {
        count: sessions.length,
        defaults: this.defaults(this.state.defaultAgentId),
        recent: sessions.slice(0, 5).map((s) => ({ key: s.key, agentId: s.agentId, updatedAt: s.updatedAt })),
        byAgent: this.state.agents.map((a) => ({ agentId: a.id, count: sessions.filter((s) => s.agentId === a.id).length })),
        paths: [],
      },
      pid: process.pid,
    };
  }

  private health(): unknown {
    const sessions = this.state.listSessions();
    return {
      ok: true,
      ts: Date.now(),
      durationMs: 0,
      channels: {},
      channelOrder: [],
      channelLabels: {},
      heartbeatSeconds: 0,
      defaultAgentId: this.state.defaultAgentId,
      agents: this.state.agents.map((a) => ({
        agentId: a.id,
        name: a.name,
        isDefault: a.id === this.state.defaultAgentId,
        sessions: { count: sessions.filter((s) => s.agentId === a.id).length, recent: [] },
      })),
    };
  }
}
