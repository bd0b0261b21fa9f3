// OpenClaw RPC methods over the shared state, with the real result shapes (openclaw-protocol.md §4).
import { randomUUID } from 'node:crypto';
import { AttachmentRefused, normalizeRpcAttachments, prepareAttachments, type PreparedAttachments } from './openclaw-attachments.js';
import { interpretChatInput, type ChatInput } from './openclaw-chat-input.js';
import { normalizeThink } from './openclaw-directives.js';
import { historyRows, v3UserText } from './openclaw-history.js';
import { ArtifactError, type OutgoingMedia } from './openclaw-media.js';
import { ADMIN, type ProtocolTable, type MethodName } from './protocol-tables.js';
import type { ApprovalConn, ExecApprovals } from './openclaw-approvals.js';
import { RunStreamer, type EmitEvent } from './openclaw-stream.js';
import { Tasks } from './openclaw-tasks.js';
import {
  modelRef,
  sessionPreview,
  sessionTitle,
  type AbortReason,
  type ExecProcess,
  type GatewayState,
  type ReplyScript,
  type RunEvent,
  type RunInfo,
  type SessionState,
  type YieldScript,
} from './state.js';
import { wordTokens } from './words.js';

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
  /** hello-ok `server.connId` of the calling connection. */
  connId?: string;
  /** Granted scopes. */
  scopes?: readonly string[];
  /** `connect.caps`. */
  caps?: readonly string[];
  /** `connect.client.id`. */
  clientId?: string;
  /** The connection's device id, when it signed one. */
  deviceId?: string;
}

export interface MethodsExtras {
  approvals?: ExecApprovals;
  /** `tools.exec.backgroundMs` (F-findings STOP). */
  execBackgroundMs?: number;
  /** false: `tools.deny:["process"]`, so no exec goes to the background. */
  allowBackground?: boolean;
  /** v4 managed outgoing media and the artifacts methods. */
  media?: OutgoingMedia;
  /** The gateway's log (what it says of a dropped or offloaded attachment). */
  log?: (level: 'info' | 'warn', message: string) => void;
  /** v4: the image model's description of an image sent to a text-only model. */
  describeImage?: (image: { fileName: string; mimeType: string; sizeBytes: number }) => string;
}

/** A message that waits for the busy session's turn to end (queue modes followup and collect). */
interface Followup {
  text: string;
  from: string;
  mode: 'followup' | 'collect';
}

/** The text a successor turn starts from after a yield (subagent-announce.requester-settle-message.ts, first line). */
export const SUBAGENT_SETTLED_MESSAGE =
  '[Subagent Context] Every subagent spawned from this session has now settled — none are still running or awaiting completion delivery.';

type Params = Record<string, unknown>;

interface InternalRunOptions {
  runId?: string;
  script?: ReplyScript;
  /** `null`: no user row (a successor's prompt is not in chat.history, live). */
  userRow?: string | null;
  /** Extra fields of the lifecycle `start` data (v4 `completionSource`). */
  startData?: Record<string, unknown>;
  /** Extra fields of the chat final (a sub-agent's `spawnedBy`). */
  finalData?: Record<string, unknown>;
  onTerminal?: (ev: RunEvent) => void;
}

const approvalConn = (caller: CallerInfo): ApprovalConn => ({
  connId: caller.connId ?? '',
  scopes: caller.scopes ?? [],
  caps: caller.caps ?? [],
  clientId: caller.clientId,
  displayName: caller.displayName,
  deviceId: caller.deviceId,
});

const DEDUPE_TTL_MS = 5 * 60_000;
const AGENT_ID = /^[a-z0-9_-]{1,64}$/;

/** Tabs, line breaks and printable characters stay; other control characters go (chat.ts stripDisallowedChatControlChars). */
function stripControlChars(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.charCodeAt(0);
    if (code === 9 || code === 10 || code === 13 || (code >= 32 && code !== 127)) out += ch;
  }
  return out;
}

function splitRef(ref: string): { provider: string; model: string } {
  const slash = ref.indexOf('/');
  return { provider: ref.slice(0, slash), model: ref.slice(slash + 1) };
}

export class OpenClawMethods {
  readonly chatSends: ChatSendRecord[] = [];
  private readonly dedupe = new Map<string, { at: number; message: string }>();
  /** Run id → connections that get its `tool` events (server-chat.ts createToolEventRecipientRegistry). */
  private readonly toolRecipients = new Map<string, Set<string>>();

  constructor(
    private readonly state: GatewayState,
    private readonly table: ProtocolTable,
    private readonly version: string,
    private readonly emit: EmitEvent,
    private readonly deltaPacingMs: number,
    private readonly extras: MethodsExtras = {},
  ) {}

  private readonly followups = new Map<string, Followup[]>();
  /** v4 only: backgrounded commands and sub-agent runs. */
  private readonly tasks = new Tasks((event, payload) => this.emit(event, payload));

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
      case 'sessions.describe':
        return this.sessionsDescribe(p);
      case 'status':
        return this.status();
      case 'health':
        return this.health();
      case 'exec.approval.resolve':
        return this.approvals().resolve(p, approvalConn(caller));
      case 'exec.approval.list':
        return this.approvals().list(approvalConn(caller));
      case 'exec.approval.get':
        return this.approvals().get(p, approvalConn(caller));
      case 'sessions.abort':
        return this.sessionsAbort(p);
      case 'sessions.send':
        return this.sessionsSend(p, caller, undefined);
      case 'sessions.steer':
        // Not a steer: a deprecated alias for chat.send queueMode "interrupt" (F-findings STEER, sessions-messaging.ts).
        return this.sessionsSend(p, caller, 'interrupt');
      case 'tasks.list':
        return this.tasks.list(p);
      case 'tasks.cancel':
        return this.tasks.cancel(p);
      case 'artifacts.list':
      case 'artifacts.get':
      case 'artifacts.download':
        return this.artifacts(method, p);
    }
  }

  private artifacts(method: 'artifacts.list' | 'artifacts.get' | 'artifacts.download', p: Params): unknown {
    const media = this.extras.media;
    if (!media) throw invalid(`unknown method: ${method}`);
    const resolveKey = (raw: string, agentId: unknown) => this.resolveKey(raw, agentId);
    try {
      if (method === 'artifacts.list') return media.list(p, resolveKey);
      if (method === 'artifacts.get') return media.get(p, resolveKey);
      return media.download(p, resolveKey);
    } catch (err) {
      if (err instanceof ArtifactError) throw invalid(err.message, err.details);
      throw err;
    }
  }

  private approvals(): ExecApprovals {
    if (!this.extras.approvals) throw invalid('unknown method: exec approvals');
    return this.extras.approvals;
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
    // v3 runs a key naming an unknown agent on the default model (and leaves it out of sessions.list).
    if (this.table.protocol === 4 && !this.state.agent(agentId)) throw invalid(`Agent "${agentId}" no longer exists in configuration`);
    if (explicit !== undefined && explicit !== agentId)
      throw invalid(`agent "${explicit}" does not match session key agent "${agentId}"`);
    return { key, agentId };
  }

  /** Connections that receive the `tool` events of a run. */
  toolRecipientsOf(runId: string): ReadonlySet<string> {
    return this.toolRecipients.get(runId) ?? new Set();
  }

  /** A turn the gateway starts by itself (2026.9 resuming one a restart interrupted): a new run id, streamed to all. */
  resumeRun(sessionKey: string, message: string): string {
    return this.startInternalRun(sessionKey, message);
  }

  private startInternalRun(sessionKey: string, message: string, opts: InternalRunOptions = {}): string {
    const runId = opts.runId ?? randomUUID();
    if (!this.state.session(sessionKey)) return runId;
    const { script, userRow, startData, finalData, onTerminal } = opts;
    this.startStreamedRun(
      { runId, sessionKey, message, ...(script ? { script } : {}), ...(userRow !== undefined ? { userRow } : {}) },
      undefined,
      { ...(startData ? { startData } : {}), ...(finalData ? { finalData } : {}), ...(onTerminal ? { onTerminal } : {}) },
    );
    return runId;
  }

  private startStreamedRun(
    opts: Omit<Parameters<GatewayState['startRun']>[0], 'onEvent'>,
    afterFinal?: () => void,
    extra: Pick<InternalRunOptions, 'startData' | 'finalData' | 'onTerminal'> & { requester?: { deviceId?: string; connId?: string } } = {},
  ): RunInfo {
    let streamer: RunStreamer | undefined;
    const onEvent = (ev: RunEvent): void => {
      // Sub-agents are spawned (their task events out) before the turn's sessions_yield call and yielded final.
      if (ev.type === 'yielding') return this.handOff(info, ev.yieldTo);
      streamer?.handle(ev);
      // v4 manages the reply's media some time after the final (history row, artifacts.list).
      if (ev.type === 'done') this.extras.media?.afterFinal(info);
      if (ev.type === 'done') afterFinal?.();
      if (ev.type === 'done' || ev.type === 'error' || ev.type === 'aborted') {
        extra.onTerminal?.(ev);
        // Messages queued while the turn ran start once it ended (F-findings STEER: R3 right after R1's final).
        setTimeout(() => this.drainFollowups(opts.sessionKey), 0);
      }
    };
    const { approvals } = this.extras;
    const info = this.state.startRun({
      ...opts,
      onEvent,
      // Parallel tool calls run concurrently on v4, one after the other on v3 (openclaw-agent-events.md §2.2).
      parallelTools: this.table.protocol === 4,
      yields: this.table.protocol === 4,
      ...(this.extras.execBackgroundMs !== undefined ? { execBackgroundMs: this.extras.execBackgroundMs } : {}),
      ...(this.extras.allowBackground === false ? { allowBackground: false } : {}),
      // v4 makes a backgrounded command a task, finished when it exits, killed by tasks.cancel (F-findings STOP).
      ...(this.table.protocol === 4 ? { onBackground: (process) => this.backgroundTask(process) } : {}),
      ...(approvals ? { toolGate: (tool, run, ctl) => approvals.gate(tool, run, ctl, extra.requester ?? {}) } : {}),
    });
    streamer = new RunStreamer(info, this.emit, {
      protocol: this.table.protocol,
      pacingMs: this.deltaPacingMs,
      flushesDeltas: this.table.flushesDeltas,
      verboseLevel: () => this.state.session(info.sessionKey)?.verboseLevel,
      sessionSnapshot: () => this.sessionSnapshot(info.sessionKey),
      ...(extra.startData ? { startData: extra.startData } : {}),
      ...(extra.finalData ? { finalData: extra.finalData } : {}),
    });
    return info;
  }

  private backgroundTask(process: ExecProcess): void {
    const agentId = this.state.session(process.sessionKey)?.agentId ?? this.state.defaultAgentId;
    const fields = { kind: 'exec', runtime: 'cli', title: process.command, agentId, sessionKey: process.sessionKey } as const;
    const task = this.tasks.add(
      { ...fields, ownerKey: process.sessionKey, runId: `exec:${process.session}`, sourceId: process.session },
      () => this.state.processes.kill(process),
    );
    this.state.processes.whenEnded(process, (how) => how === 'exited' && this.tasks.finish(task));
  }

  /**
   * A v4 yield (F-findings SUB-AGENTS, live): each sub-agent runs on its own session, reported to every reader by
   * `task` events (kind subagent, the parent's key); once all settled, a successor turn with an `announce:` run id
   * answers on the parent session. Its prompt is not a history row.
   */
  private handOff(parent: RunInfo, y: YieldScript): void {
    const parentKey = parent.sessionKey;
    const subagents = y.subagents ?? [];
    const successor = (childRunId: string): void => {
      const runId = `announce:requester-settle:${parent.agentId}:${parentKey}:${childRunId}:yield-1`;
      setTimeout(() => this.startInternalRun(parentKey, SUBAGENT_SETTLED_MESSAGE, { runId, script: y.successor, userRow: null }), y.afterMs ?? 200).unref();
    };
    if (subagents.length === 0) return successor(randomUUID());
    const parentSession = this.state.session(parentKey);
    let left = subagents.length;
    for (const sub of subagents) {
      const childKey = `agent:${parent.agentId}:subagent:${randomUUID()}`;
      const child = this.state.ensureSession(childKey, parent.agentId);
      child.spawnedBy = parentKey;
      if (parentSession) parentSession.childSessions = [...(parentSession.childSessions ?? []), childKey];
      const childRunId = randomUUID();
      const fields = { kind: 'subagent', runtime: 'subagent', title: sub.task, agentId: parent.agentId, sessionKey: parentKey } as const;
      const task = this.tasks.add({ ...fields, ownerKey: parentKey, runId: childRunId, childSessionKey: childKey }, () => this.abortRun(childRunId));
      this.startInternalRun(childKey, sub.task, {
        runId: childRunId,
        script: sub.script ?? { tokens: wordTokens(`Echo: ${sub.task}`), tokenDelayMs: 100 },
        finalData: { spawnedBy: parentKey },
        onTerminal: (ev) => {
          this.tasks.finish(task, ev.type === 'done' ? 'completed' : ev.type === 'error' ? 'failed' : 'cancelled');
          if (--left === 0) successor(childRunId);
        },
      });
    }
  }

  /** v3 prefixes a turn with the session's queued system events (reply prependSystemEvents: `System: [ts] …`). */
  private withSystemEvents(key: string, text: string): string {
    if (this.table.protocol !== 3) return text;
    const events = this.state.drainSystemEvents(key);
    if (events.length === 0) return text;
    const lines = events.map((e) => `System: [${new Date(e.ts).toISOString().slice(0, 19).replace('T', ' ')} UTC] ${e.text}`);
    return `${lines.join('\n')}\n\n${text}`;
  }

  /** The session row a v4 `tool` payload spreads at its top level (its `status` is the session's, not the tool's). */
  private sessionSnapshot(key: string): Record<string, unknown> {
    const s = this.state.session(key);
    if (!s) return {};
    const { provider, model } = splitRef(this.state.effectiveModel(s));
    const row = { key, agentId: s.agentId, sessionId: s.sessionId, status: 'running', modelProvider: provider, model, updatedAt: s.updatedAt };
    return { session: row, updatedAt: s.updatedAt, sessionId: s.sessionId, status: 'running', model };
  }

  private chatSend(p: Params, caller: CallerInfo): unknown {
    const { key, agentId } = this.resolveKey(p.sessionKey as string, p.agentId);
    const runId = p.idempotencyKey as string;
    const suppressed = p.suppressCommandInterpretation === true;
    // chat-send-request.ts: the flag is a system provenance field.
    if (suppressed && !caller.scopes?.includes(ADMIN)) throw invalid('system provenance fields require admin scope');
    const raw = (p.message as string).normalize('NFC');
    if (raw.includes('\0')) throw invalid('message must not contain null bytes');
    const message = stripControlChars(raw);
    const attachments = normalizeRpcAttachments(p.attachments, this.table.protocol);
    if (message.trim() === '' && attachments.length === 0) throw invalid('message or attachment required');
    // Read before the run is admitted: a refused attachment leaves no session, row or run behind (both versions).
    const prepared = attachments.length > 0 ? this.prepareAttachments(attachments, key, agentId) : undefined;
    this.chatSends.push({ params: p, sessionKey: key, at: Date.now() });

    const session = this.state.ensureSession(key, agentId, caller.displayName);
    const input = interpretChatInput(message, {
      protocol: this.table.protocol,
      ...(typeof p.thinking === 'string' ? { thinking: p.thinking } : {}),
      suppressed,
      resolveModel: (ref) => this.resolveModelRef(ref, agentId),
      currentModel: this.state.effectiveModel(session),
      defaultModel: this.state.agent(agentId)?.model ?? modelRef(this.state.models[0]!),
      levels: session,
      thinkingLevels: (ref) => this.thinkingLevels(ref),
      commandReply: (command) => this.commandReply(command, session, caller),
      hasMedia: prepared?.hasMedia ?? false,
    });
    // F-findings STOP: `/stop` answers like chat.abort, and the run ends with stopReason "stop".
    if (input.kind === 'stop') return this.abortSession(key, 'stop');

    const seen = this.dedupe.get(runId);
    if (seen !== undefined && Date.now() - seen.at < DEDUPE_TTL_MS) {
      // v4 refuses a reused id with other text (chat-send retry checks); v3 answers from its cache.
      if (this.table.protocol === 4 && seen.message !== message)
        throw invalid('This message ID was already used for different input. Check the conversation history and use a new message ID to send again.', {
          reason: 'chat-request-conflict',
        });
      return { runId, status: this.state.run(runId)?.status === 'running' ? 'in_flight' : 'ok' };
    }
    this.dedupe.set(runId, { at: Date.now(), message });
    if (Object.keys(input.patch).length > 0) this.state.patchSession(key, input.patch);
    if (input.kind === 'reply') {
      this.replyWithoutRun(key, runId, message, input.text);
      return { runId, status: 'started' };
    }
    if (input.kind === 'error') {
      this.failWithoutRun(key, runId, message, input.errorMessage);
      return { runId, status: 'started' };
    }
    const busy = this.state.activeRuns(key).at(-1);
    const queued = busy && this.sendToBusySession(busy, { key, agentId, runId, sent: message, agentText: input.agentText, caller, queueMode: p.queueMode });
    if (queued && queued !== 'interrupted') return queued;
    const { notice } = input;
    if (notice !== undefined) {
      // Live on 2026.9 (H-B): the acknowledgement comes as delta seq 1 before the run, and as a second final after it.
      setTimeout(() => this.emit('chat', this.noticePayload(key, runId, agentId, 'delta', notice)), 0);
    }
    const requester = { ...(caller.deviceId ? { deviceId: caller.deviceId } : {}), ...(caller.connId ? { connId: caller.connId } : {}) };
    this.startStreamedRun(
      { ...this.runOptions(key, runId, message, input, prepared), ...(caller.clientId ? { sender: caller.clientId } : {}) },
      () => {
        if (notice !== undefined) this.emit('chat', this.noticePayload(key, runId, agentId, 'final', notice));
      },
      { requester },
    );
    if (caller.connId !== undefined && caller.caps?.includes('tool-events')) this.addToolRecipient(key, runId, caller.connId);
    return queued === 'interrupted' ? { runId, status: 'started', interruptedActiveRun: true } : { runId, status: 'started' };
  }

  private noticePayload(key: string, runId: string, agentId: string, state: 'delta' | 'final', text: string): Record<string, unknown> {
    const payload: Record<string, unknown> = { runId, sessionKey: key, agentId, seq: 1, state };
    if (state === 'delta') payload.deltaText = text;
    payload.message = { role: 'assistant', content: [{ type: 'text', text }], timestamp: Date.now() };
    return payload;
  }

  /** Thinking levels of a model: a non-reasoning one has only `off` (v4 model catalog thinking profiles). */
  private thinkingLevels(ref: string): readonly string[] {
    return this.state.model(ref)?.reasoning ? ['off', 'minimal', 'low', 'medium', 'high'] : ['off'];
  }

  /** v4: the turn is refused before any model call, as one `chat` error (live, H-B). The user row stays. */
  private failWithoutRun(key: string, runId: string, sent: string, errorMessage: string): void {
    const session = this.state.session(key);
    if (!session) return;
    session.messages.push({ role: 'user', content: sent, timestamp: Date.now(), runId });
    setTimeout(() => this.emit('chat', { runId, sessionKey: key, agentId: session.agentId, seq: 1, state: 'error', errorMessage }), 0);
  }

  /** The session's model decides whether images are sent as images (v3 drops them, v4 offloads and describes). */
  private prepareAttachments(items: ReturnType<typeof normalizeRpcAttachments>, key: string, agentId: string): PreparedAttachments {
    const session = this.state.session(key);
    const model = session ? this.state.effectiveModel(session) : (this.state.agent(agentId)?.model ?? modelRef(this.state.models[0]!));
    try {
      return prepareAttachments(items, {
        protocol: this.table.protocol,
        supportsImages: this.state.modelSupportsImages(model),
        log: this.extras.log ?? (() => undefined),
        describeImage: this.extras.describeImage ?? (() => 'An image.'),
      });
    } catch (err) {
      if (err instanceof AttachmentRefused) throw invalid(err.message);
      throw err;
    }
  }

  private runOptions(key: string, runId: string, sent: string, input: Extract<ChatInput, { kind: 'run' }>, prepared?: PreparedAttachments) {
    const agentText = this.withSystemEvents(key, input.agentText);
    return {
      runId,
      sessionKey: key,
      message: prepared ? prepared.message(agentText) : agentText,
      ...(prepared ? { attachments: prepared.attachments, rowImages: prepared.rowImages, rowMedia: prepared.rowMedia } : {}),
      // v3's transcript keeps the text the model got; v4 records the text as sent (chat-user-turn-recorder.ts).
      userRow: this.table.protocol === 3 ? agentText : sent,
      ...(input.thinkingLevel !== undefined ? { thinkingLevel: input.thinkingLevel } : {}),
      ...(input.exec !== undefined ? { exec: input.exec } : {}),
    };
  }

  /** chat.send registers the sender for the run's tool events, and for the session's other active runs. */
  private addToolRecipient(key: string, runId: string, connId: string): void {
    for (const id of [runId, ...this.state.activeRuns(key).map((r) => r.runId)]) {
      const set = this.toolRecipients.get(id) ?? new Set<string>();
      set.add(connId);
      this.toolRecipients.set(id, set);
    }
  }

  /**
   * A directive-only or command-only text: no model run. v3 (chat.ts `!agentRunStarted`) appends a gateway-injected
   * assistant row and broadcasts a final with seq 1 and no agentId; v4 also keeps the user row.
   */
  private replyWithoutRun(key: string, runId: string, sent: string, text: string): void {
    const session = this.state.session(key);
    if (!session) return;
    if (this.table.protocol === 4) {
      session.messages.push({ role: 'user', content: sent, timestamp: Date.now(), runId });
    }
    setTimeout(() => {
      this.state.appendInjected(key, text, runId);
      const payload: Record<string, unknown> = { runId, sessionKey: key, seq: 1, state: 'final' };
      if (this.table.protocol === 4) payload.agentId = session.agentId;
      payload.message = {
        role: 'assistant',
        content: [{ type: 'text', text }],
        timestamp: Date.now(),
        stopReason: 'stop',
        api: 'openai-responses',
        provider: 'openclaw',
        model: 'gateway-injected',
      };
      this.emit('chat', payload);
    }, 0);
  }

  /** A model the gateway knows by `provider/id`, or by bare id under the agent's provider. */
  private resolveModelRef(raw: string, agentId: string): string | undefined {
    if (this.state.model(raw)) return raw;
    const provider = splitRef(this.state.agent(agentId)?.model ?? '').provider;
    if (this.state.model(`${provider}/${raw}`)) return `${provider}/${raw}`;
    const byId = this.state.models.find((m) => m.id === raw);
    return byId && modelRef(byId);
  }

  private commandReply(command: '/status' | '/help' | '/commands' | '/whoami', session: SessionState, caller: CallerInfo): string {
    switch (command) {
      case '/status':
        // commands-status.ts buildStatusMessage: version line, then model line, …
        return [`🦞 OpenClaw ${this.version}`, `🧠 Model: ${this.state.effectiveModel(session)}`, `🧵 Session: ${session.key}`].join('\n');
      case '/help':
        return ['ℹ️ Help', '', 'Session', '  /new  |  /reset  |  /compact [instructions]  |  /stop'].join('\n');
      case '/commands':
        return 'ℹ️ Slash commands';
      case '/whoami':
        return `🧭 Identity\nUser id: ${caller.connId ?? 'unknown'}`;
    }
  }

  private chatAbort(p: Params): unknown {
    const { key } = this.resolveKey(p.sessionKey as string, p.agentId);
    if (typeof p.runId === 'string') {
      const run = this.state.run(p.runId);
      if (run && run.sessionKey !== key) throw invalid('runId does not match sessionKey');
      const aborted = this.abortRun(p.runId);
      return { ok: true, aborted, runIds: aborted ? [p.runId] : [] };
    }
    return this.abortSession(key);
  }

  private abortSession(key: string, reason: AbortReason = 'rpc'): unknown {
    const runIds = this.state.activeRuns(key).map((r) => r.runId).filter((id) => this.abortRun(id, reason));
    return { ok: true, aborted: runIds.length > 0, runIds };
  }

  /**
   * A chat.send to a session whose turn still runs (F-findings STEER, live). v4: `queueMode` (default the session's,
   * else steer). v3: the session's `/queue` mode, else collect. steer: the text reaches the running turn at its next
   * model call, the new run id only gets an empty final (v4 then, v3 at once). followup/collect: an empty final at
   * once, and a gateway-made run answers after the turn ended. interrupt: the turn is aborted and this one runs.
   * Returns the answer, or `interrupted` when the send starts its own run now.
   */
  private sendToBusySession(
    busy: RunInfo,
    s: { key: string; agentId: string; runId: string; sent: string; agentText: string; caller: CallerInfo; queueMode: unknown },
  ): Record<string, unknown> | 'interrupted' {
    const v4 = this.table.protocol === 4;
    const session = this.state.session(s.key);
    const stored = session?.queueMode;
    const mode = (v4 && typeof s.queueMode === 'string' ? s.queueMode : undefined) ?? stored ?? (v4 ? 'steer' : 'collect');
    const emptyFinal = (): void => {
      const payload: Record<string, unknown> = { runId: s.runId, sessionKey: s.key, seq: 1, state: 'final' };
      if (v4) payload.agentId = s.agentId;
      this.emit('chat', payload);
    };
    if (mode === 'interrupt') {
      this.abortRun(busy.runId, 'interrupt');
      return 'interrupted';
    }
    if (mode === 'steer' || mode === 'steer-backlog') {
      const row = v4 ? s.sent : s.agentText;
      const steered = this.state.steerRun(busy.runId, s.agentText, () => {
        // The steered user row sits between the turn's tool result and its final row (live, v4).
        session?.messages.push({ role: 'user', content: row, timestamp: Date.now(), runId: s.runId });
        if (v4) emptyFinal();
      });
      if (steered) {
        if (!v4) setTimeout(emptyFinal, 0);
        return { runId: s.runId, status: 'started' };
      }
    }
    const queue = this.followups.get(s.key) ?? [];
    queue.push({ text: s.agentText, from: s.caller.displayName ?? s.caller.clientId ?? 'unknown', mode: mode === 'followup' ? 'followup' : 'collect' });
    this.followups.set(s.key, queue);
    setTimeout(emptyFinal, 0);
    return { runId: s.runId, status: 'started' };
  }

  /**
   * Starts the turn for messages queued while the session was busy: one per follow-up, one for all collected ones
   * (buildCollectPrompt: v3 `Queued #1`, v4 `Queued #1 (from <name>)`). Its run id is the gateway's own; v4's
   * lifecycle start says `completionSource:"reply-dispatch"` (live).
   */
  private drainFollowups(key: string): void {
    const queue = this.followups.get(key);
    if (!queue || queue.length === 0 || this.state.activeRuns(key).length > 0) return;
    const v4 = this.table.protocol === 4;
    const first = queue[0]!;
    const items = first.mode === 'collect' ? queue.splice(0, queue.length) : queue.splice(0, 1);
    if (queue.length === 0) this.followups.delete(key);
    const message =
      first.mode === 'followup'
        ? first.text
        : ['[Queued messages while agent was busy]', ...items.map((item, i) => `---\nQueued #${i + 1}${v4 ? ` (from ${item.from})` : ''}\n${item.text}`)].join('\n\n');
    const runId = randomUUID();
    this.startInternalRun(key, message, { runId, ...(v4 ? { startData: { completionSource: 'reply-dispatch' } } : {}) });
    if (v4 && first.mode === 'collect') {
      const row = this.state.session(key)?.messages.findLast((m) => m.role === 'user' && m.runId === runId);
      if (row) row.idempotencyKey = 'followup';
    }
  }

  /**
   * v4 `sessions.abort` (F-findings STOP; sessions-abort.ts): a run by id, or the session's runs (and with a key only,
   * its sub-agents'). `clearQueued` also drops the queued follow-ups. Backgrounded exec processes live on.
   */
  private sessionsAbort(p: Params): unknown {
    let key: string | undefined;
    if (typeof p.key === 'string') key = this.resolveKey(p.key, p.agentId).key;
    if (key === undefined && typeof p.runId !== 'string') throw invalid('key or runId required');
    if (key !== undefined && p.clearQueued === true) this.followups.delete(key);
    let aborted: string[];
    if (typeof p.runId === 'string') {
      const run = this.state.run(p.runId);
      if (run && key !== undefined && run.sessionKey !== key) throw invalid('runId does not match sessionKey');
      aborted = this.abortRun(p.runId) ? [p.runId] : [];
    } else {
      const keys = [key!, ...[...this.state.sessions.values()].filter((s) => s.spawnedBy === key).map((s) => s.key)];
      aborted = keys.flatMap((k) => this.state.activeRuns(k).map((r) => r.runId)).filter((id) => this.abortRun(id));
    }
    return aborted.length > 0 ? { ok: true, abortedRunId: aborted[0], status: 'aborted' } : { ok: true, abortedRunId: null, status: 'no-active-run' };
  }

  /**
   * v4 `sessions.send` (and `sessions.steer`, forced to interrupt): a chat.send into an existing session; an agent's
   * main session is created (sessions-messaging.ts). The idempotency key is optional.
   */
  private sessionsSend(p: Params, caller: CallerInfo, queueMode: 'interrupt' | undefined): unknown {
    const { key, agentId } = this.resolveKey(p.key as string, p.agentId);
    if (!this.state.session(key) && !(queueMode !== 'interrupt' && key === `agent:${agentId}:main`))
      throw invalid(`session not found: ${p.key as string}`);
    const params: Params = { sessionKey: key, message: p.message, idempotencyKey: typeof p.idempotencyKey === 'string' ? p.idempotencyKey : randomUUID() };
    for (const k of ['thinking', 'attachments', 'timeoutMs', 'mentions'] as const) if (p[k] !== undefined) params[k] = p[k];
    if (queueMode) params.queueMode = queueMode;
    return this.chatSend(params, caller);
  }

  /**
   * v3 leaves two assistant rows for an aborted run (PROTOCOL-NOTES.md v3 "history after abort"): the gateway's
   * partial-text row before the run's user row, and the model's own row with stopReason "aborted" after it.
   */
  private abortRun(runId: string, reason: AbortReason = 'rpc'): boolean {
    const info = this.state.run(runId);
    if (!info || !this.state.abortRun(runId, reason)) return false;
    const session = this.state.session(info.sessionKey);
    if (this.table.protocol !== 3 || !session) return true;
    const rows = session.messages;
    const injected = rows.at(-1)?.aborted && rows.at(-1)?.runId === runId ? rows.pop() : undefined;
    const userAt = rows.findIndex((m) => m.role === 'user' && m.runId === runId);
    if (injected && userAt >= 0) rows.splice(userAt, 0, injected);
    else if (injected) rows.push(injected);
    rows.push({ role: 'assistant', content: info.text, timestamp: Date.now(), runId, model: info.model, errorMessage: 'Request was aborted' });
    return true;
  }

  private chatHistory(p: Params): unknown {
    const { key, agentId } = this.resolveKey(p.sessionKey as string, p.agentId);
    const session = this.state.session(key);
    const all = session?.messages ?? [];
    const limit = typeof p.limit === 'number' ? p.limit : 200;
    const messages = historyRows(all.slice(-limit), {
      protocol: this.table.protocol,
      ...(typeof p.maxChars === 'number' ? { maxChars: p.maxChars } : {}),
      firstSeq: Math.max(0, all.length - limit) + 1,
    });
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
          // 2026.2's catalog rows always carry what the model takes in; 2026.9's only with includeDetails
          // (models-list-public-projection.ts buildPublicModelProjection).
          if (m.input?.length && (this.table.protocol === 3 || p.includeDetails === true)) row.input = [...m.input];
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
    const search = typeof p.search === 'string' && p.search.trim() !== '' ? p.search.trim().toLowerCase() : undefined;
    const all = this.state.listSessions().filter(
      (s) =>
        this.state.agent(s.agentId) !== undefined &&
        s.updatedAt >= minUpdated &&
        (p.agentId === undefined || s.agentId === p.agentId) &&
        (p.label === undefined || s.label === p.label) &&
        // session-utils listSessionsFromStore: search looks at displayName, label, subject, sessionId and key only.
        (search === undefined || [s.displayName, s.label, s.sessionId, s.key].some((f) => f?.toLowerCase().includes(search))),
    );
    // v3 returns every match without a limit; v4 bounds the page (default 100).
    const limit = typeof p.limit === 'number' ? p.limit : this.table.protocol === 3 ? all.length : 100;
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

  /** v4 sessions-read.ts: one session's row, or `{session: null}`; title and preview only when asked for. */
  private sessionsDescribe(p: Params): unknown {
    const { key } = this.resolveKey(p.key as string, p.agentId);
    const s = this.state.session(key);
    return { session: s ? this.sessionRow(s, p.includeDerivedTitles === true, p.includeLastMessage === true) : null };
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
    if (s.totalTokens !== undefined) {
      // The last run's counts; total = its last prompt (the context fill) (F-findings USAGE, both versions).
      const contextTokens = this.state.model(this.state.effectiveModel(s))?.contextWindow;
      Object.assign(row, { inputTokens: s.inputTokens, outputTokens: s.outputTokens, totalTokens: s.totalTokens, totalTokensFresh: true, contextTokens });
    }
    if (this.table.protocol === 4 && s.childSessions) row.childSessions = [...s.childSessions];
    if (this.table.protocol === 4 && s.spawnedBy !== undefined) {
      // A sub-agent's row (F-findings SUB-AGENTS, live).
      Object.assign(row, {
        spawnedBy: s.spawnedBy,
        controlOwnerSessionKey: s.spawnedBy,
        spawnDepth: 1,
        classification: 'subagent',
        isBackground: true,
        hasActiveSubagentRun: active.length > 0,
        ...(active.length === 0 ? { subagentRunState: 'historical' } : {}),
      });
    }
    if (this.table.protocol === 3) {
      // v3 rows have no displayName, agentId or run status; title and preview show the stored prompt, envelope
      // included (PROTOCOL-NOTES.md v3 table).
      for (const k of ['displayName', 'agentId', 'status', 'hasActiveRun', 'activeRunIds']) delete row[k];
      const stored = { ...s, messages: s.messages.map((m) => (m.role === 'user' ? { ...m, content: v3UserText(m) } : m)) };
      if (withTitle) row.derivedTitle = sessionTitle(stored);
      if (withPreview) row.lastMessagePreview = sessionPreview(stored);
      return row;
    }
    if (withTitle) row.derivedTitle = sessionTitle(s);
    if (withPreview) row.lastMessagePreview = sessionPreview(s);
    return row;
  }

  private sessionsPatch(p: Params, caller: CallerInfo): unknown {
    const { key, agentId } = this.resolveKey(p.key as string, p.agentId);
    // Both versions accept a model ref they do not know (PROTOCOL-NOTES.md: `fake/nope` → ok:true).
    const existing = this.state.ensureSession(key, agentId, caller.displayName);
    let thinkingLevel: string | undefined;
    if (typeof p.thinkingLevel === 'string') {
      // sessions-patch.ts: the level is normalized; v3 refuses one it cannot read, v4 one the model does not support.
      const ref = typeof p.model === 'string' ? p.model : this.state.effectiveModel(existing);
      thinkingLevel = normalizeThink(p.thinkingLevel);
      if (this.table.protocol === 3 && thinkingLevel === undefined) throw invalid('invalid thinkingLevel (use off|minimal|low|medium|high)');
      const levels = this.thinkingLevels(ref);
      if (this.table.protocol === 4 && thinkingLevel !== undefined && !levels.includes(thinkingLevel))
        throw invalid(`thinkingLevel "${thinkingLevel}" is not supported for ${ref} (use ${levels.join('|')})`);
    }
    const patch: Parameters<GatewayState['patchSession']>[1] = {};
    for (const k of ['label', 'thinkingLevel', 'verboseLevel', 'reasoningLevel', 'model'] as const) {
      // null clears an override; an absent key leaves it alone.
      if (k in p) patch[k] = typeof p[k] === 'string' ? p[k] : undefined;
    }
    if (typeof p.thinkingLevel === 'string') patch.thinkingLevel = thinkingLevel;
    // v3: naming the agent's default model clears the override.
    if (this.table.protocol === 3 && patch.model !== undefined && patch.model === this.state.agent(agentId)?.model) patch.model = undefined;
    const session = this.state.patchSession(key, patch);
    return { ok: true, path: '(memory)', key, entry: this.entry(session), resolved: this.resolved(session) };
  }

  private sessionsReset(p: Params, caller: CallerInfo): unknown {
    const { key, agentId } = this.resolveKey(p.key as string, p.agentId);
    this.state.ensureSession(key, agentId, caller.displayName);
    if (this.table.protocol === 3) {
      // v3: a new session id, the model override gone, an empty history and no `resolved`.
      const session = this.state.resetSession(key, undefined, { newSession: true });
      return { ok: true, key, entry: this.entry(session) };
    }
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
    // v3 status has no runtimeVersion.
    return {
      ...(this.table.protocol === 4 ? { runtimeVersion: this.version } : {}),
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
