// In-memory gateway model shared by the card and OpenClaw fakes: agents, models, sessions and a scripted run engine.
import { randomUUID } from 'node:crypto';

export interface AgentInfo {
  id: string;
  name: string;
  /** `provider/id` ref used when the session has no model override. */
  model: string;
}

export interface ModelInfo {
  provider: string;
  /** Provider-local id, e.g. `kimi-k2.5:cloud`. */
  id: string;
  name: string;
  contextWindow: number;
  reasoning: boolean;
}

export type MessageRole = 'user' | 'assistant' | 'system' | 'toolResult';

export interface ToolCallRecord {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
}

export interface ChatMessage {
  role: MessageRole;
  /** The row's text (a tool result's output for `toolResult` rows). */
  content: string;
  timestamp: number;
  /** Run that produced an assistant or tool-result row. */
  runId?: string;
  /** Assistant row holding the partial text of an aborted run. */
  aborted?: boolean;
  /** System marker row written by an OpenClaw-style reset. */
  kind?: 'reset';
  /** Assistant row that ends in a tool call (`stopReason: "toolUse"`). */
  toolCall?: ToolCallRecord;
  /** `toolResult` rows: the call they answer. */
  toolCallId?: string;
  toolName?: string;
  isError?: boolean;
  /** Written by the gateway itself, not by a model (a directive acknowledgement). */
  injected?: boolean;
  /** `provider/id` of the model that wrote an assistant row. */
  model?: string;
  /** Assistant rows: which segment of its run (0 = the text before the first tool call). */
  segment?: number;
  /** User rows written by chat.send: the sender's `connect.client.id` (v3 puts it in the row's metadata block). */
  sender?: string;
  /** An assistant row the model left unfinished (`stopReason: "aborted"`), with the provider's error text. */
  errorMessage?: string;
}

export interface SessionState {
  key: string;
  agentId: string;
  sessionId: string;
  messages: ChatMessage[];
  /** `provider/id` override. */
  model?: string;
  thinkingLevel?: string;
  verboseLevel?: string;
  reasoningLevel?: string;
  label?: string;
  displayName?: string;
  createdAt: number;
  updatedAt: number;
}

export interface ReplyContext {
  sessionKey: string;
  /** What the model receives: on OpenClaw, the text left once directives and inline shortcuts are removed. */
  message: string;
  /** Effective `provider/id` ref. */
  model: string;
  runId?: string;
  /** This turn's thinking level, when one was asked for (`thinking` param or an inline `/think` on v4). */
  thinkingLevel?: string;
  /** This turn's `/exec security=… ask=…` options (v4 inline hints). */
  exec?: Record<string, string>;
}

/** One tool call of a tool-using run: the assistant says `say`, calls the tool, the tool answers `output`. */
export interface ScriptedToolCall {
  /** Tokens of the assistant text before the call (may be empty: a call with no text). */
  say?: string[];
  /** Tool name, e.g. `exec` or `read` (the v4 direct tool set: docs openclaw-agent-events.md §2.2). */
  name: string;
  args: Record<string, unknown>;
  output: string;
  isError?: boolean;
  /** How long the tool runs, with no text streamed meanwhile (default 50). */
  durationMs?: number;
  /** Default `call_<n>_0`. */
  toolCallId?: string;
}

export interface ReplyScript {
  /** Concatenated, the tokens are the reply text (for a tool-using run: the text after the last tool call). */
  tokens: string[];
  /** Delay before each token (default 5). */
  tokenDelayMs?: number;
  /** Fail with this error message after the tokens. */
  fail?: string;
  /** A tool-using run: these calls happen, in order, before `tokens`. */
  toolCalls?: ScriptedToolCall[];
  /**
   * v4 sub-agent hand-off: `tokens` are the interim text, the turn ends with a `yielded` final, and after
   * `afterMs` (default 200) a successor turn with a new run id streams `successor` on the same session.
   */
  yieldTo?: { successor: ReplyScript; afterMs?: number };
}

export type ReplyScriptFn = (ctx: ReplyContext) => ReplyScript;

export type RunStatus = 'running' | 'done' | 'error' | 'aborted';

export interface ToolCallEvent {
  call: ScriptedToolCall;
  toolCallId: string;
  startedAt: number;
}

/**
 * `text` is the current assistant segment's text (segments are the texts between tool calls); `segments` holds
 * every segment so far, the current one last.
 */
export type RunEvent =
  | { type: 'start' }
  | { type: 'token'; token: string; text: string; segment: number }
  | { type: 'toolStart'; tool: ToolCallEvent; segment: number }
  | { type: 'toolUpdate'; tool: ToolCallEvent }
  | { type: 'toolEnd'; tool: ToolCallEvent; endedAt: number }
  | { type: 'done'; text: string; segments: string[]; yieldTo?: ReplyScript['yieldTo'] }
  | { type: 'error'; error: string; text: string }
  | { type: 'aborted'; text: string };

export interface RunInfo {
  runId: string;
  sessionKey: string;
  agentId: string;
  message: string;
  model: string;
  status: RunStatus;
  /** Text of the current assistant segment. */
  text: string;
  /** Every assistant segment's text so far (one per model call of a tool-using run). */
  segments: string[];
  startedAt: number;
  /** Names of the tools that ran. */
  toolNames: string[];
}

export interface StartRunOptions {
  runId: string;
  sessionKey: string;
  /** What the model receives. */
  message: string;
  onEvent: (event: RunEvent) => void;
  /** Text of the history's user row (default `message`); `null` writes none. */
  userRow?: string | null;
  /** This run's model, when a directive just chose one (default: the session's). */
  model?: string;
  thinkingLevel?: string;
  exec?: Record<string, string>;
  /** Plays this script instead of asking the reply script (a successor turn). */
  script?: ReplyScript;
  /** `connect.client.id` of the sender, kept on the user row. */
  sender?: string;
}

export interface GatewayStateOptions {
  version?: string;
  agents?: AgentInfo[];
  defaultAgentId?: string;
  models?: ModelInfo[];
}

export const DEFAULT_AGENTS: readonly AgentInfo[] = [
  { id: 'main', name: 'Asha', model: 'ollama/kimi-k2.5:cloud' },
  { id: 'cody', name: 'Cody (Coder)', model: 'github-copilot/gpt-5.2-codex' },
  { id: 'qa', name: 'QA (Quality)', model: 'ollama/kimi-k2.5:cloud' },
];

export const DEFAULT_MODELS: readonly ModelInfo[] = [
  { provider: 'ollama', id: 'kimi-k2.5:cloud', name: 'kimi-k2.5', contextWindow: 131072, reasoning: false },
  { provider: 'ollama', id: 'glm-5:cloud', name: 'glm-5', contextWindow: 131072, reasoning: true },
  { provider: 'github-copilot', id: 'gpt-5.2-codex', name: 'GPT-5.2 Codex', contextWindow: 200000, reasoning: true },
];

export const FAIL_MESSAGE = 'LLM request failed: provider rejected the request schema or tool payload.';

/** Splits text into word tokens that concatenate back to it: `a b c` → `a`, ` b`, ` c`. */
export function wordTokens(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}

export const defaultReplyScript: ReplyScriptFn = ({ message }) => {
  const tokens = wordTokens(`Echo: ${message}`);
  if (message.includes('FAIL')) return { tokens: tokens.slice(0, 2), tokenDelayMs: 5, fail: FAIL_MESSAGE };
  if (message.includes('SLOW')) {
    const slow = tokens.slice(0, 40);
    while (slow.length < 40) slow.push(` slow${slow.length + 1}`);
    return { tokens: slow, tokenDelayMs: 200 };
  }
  return { tokens, tokenDelayMs: 5 };
};

export function modelRef(model: ModelInfo): string {
  return `${model.provider}/${model.id}`;
}

/** First user message, shortened. */
export function sessionTitle(session: SessionState): string | undefined {
  const first = session.messages.find((m) => m.role === 'user');
  return first && shorten(first.content, 60);
}

/** Last user or assistant row with text, shortened (tool, system and empty rows are skipped, as in v4). */
export function sessionPreview(session: SessionState): string | undefined {
  const last = session.messages.findLast((m) => (m.role === 'user' || m.role === 'assistant') && m.content.trim() !== '');
  return last && shorten(last.content, 120);
}

function shorten(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

interface ActiveRun {
  info: RunInfo;
  timer: NodeJS.Timeout | undefined;
  onEvent: (event: RunEvent) => void;
  /** Text of the user row the run wrote, if any. */
  userRow: string | null;
}

export class GatewayState {
  readonly version: string;
  readonly startedAt = Date.now();
  readonly agents: AgentInfo[];
  readonly defaultAgentId: string;
  readonly models: ModelInfo[];
  readonly sessions = new Map<string, SessionState>();
  private readonly runs = new Map<string, ActiveRun>();
  private replyScript: ReplyScriptFn = defaultReplyScript;

  constructor(opts: GatewayStateOptions = {}) {
    this.version = opts.version ?? '2026.2.15';
    this.agents = (opts.agents ?? DEFAULT_AGENTS).map((a) => ({ ...a }));
    this.defaultAgentId = opts.defaultAgentId ?? this.agents[0]?.id ?? 'main';
    this.models = (opts.models ?? DEFAULT_MODELS).map((m) => ({ ...m }));
  }

  setReplyScript(fn: ReplyScriptFn): void {
    this.replyScript = fn;
  }

  resetReplyScript(): void {
    this.replyScript = defaultReplyScript;
  }

  uptimeMs(): number {
    return Date.now() - this.startedAt;
  }

  agent(id: string): AgentInfo | undefined {
    return this.agents.find((a) => a.id === id);
  }

  /** Finds a model by its `provider/id` ref. */
  model(ref: string): ModelInfo | undefined {
    return this.models.find((m) => modelRef(m) === ref);
  }

  session(key: string): SessionState | undefined {
    return this.sessions.get(key);
  }

  ensureSession(key: string, agentId: string, displayName?: string): SessionState {
    let session = this.sessions.get(key);
    if (!session) {
      const now = Date.now();
      session = { key, agentId, sessionId: randomUUID(), messages: [], createdAt: now, updatedAt: now };
      if (displayName !== undefined) session.displayName = displayName;
      this.sessions.set(key, session);
    }
    return session;
  }

  /** Effective `provider/id` of a session (override, else the agent's default). */
  effectiveModel(session: SessionState): string {
    const agent = this.agent(session.agentId) ?? this.agent(this.defaultAgentId);
    return session.model ?? agent?.model ?? modelRef(this.models[0]!);
  }

  /** Sessions, most recently updated first. */
  listSessions(): SessionState[] {
    return [...this.sessions.values()].sort((a, b) => b.updatedAt - a.updatedAt);
  }

  patchSession(
    key: string,
    patch: Partial<Pick<SessionState, 'model' | 'thinkingLevel' | 'verboseLevel' | 'reasoningLevel' | 'label'>>,
  ): SessionState {
    const session = this.sessions.get(key);
    if (!session) throw new Error(`no session ${key}`);
    for (const [k, v] of Object.entries(patch) as [keyof typeof patch, string | undefined][]) {
      if (v === undefined) delete session[k];
      else session[k] = v;
    }
    session.updatedAt = Date.now();
    return session;
  }

  /** Aborts the session's runs and clears its history; overrides survive unless `newSession`. `marker` leaves one system row. */
  resetSession(key: string, marker?: string, opts: { newSession?: boolean } = {}): SessionState {
    const session = this.sessions.get(key);
    if (!session) throw new Error(`no session ${key}`);
    for (const run of this.activeRuns(key)) this.abortRun(run.runId);
    const now = Date.now();
    session.messages = marker === undefined ? [] : [{ role: 'system', content: marker, timestamp: now, kind: 'reset' }];
    session.updatedAt = now;
    if (opts.newSession) {
      // A new session id, and the model override does not carry over (OpenClaw 2026.2).
      session.sessionId = randomUUID();
      delete session.model;
    }
    return session;
  }

  run(runId: string): RunInfo | undefined {
    return this.runs.get(runId)?.info;
  }

  activeRuns(sessionKey?: string): RunInfo[] {
    return [...this.runs.values()]
      .map((r) => r.info)
      .filter((r) => r.status === 'running' && (sessionKey === undefined || r.sessionKey === sessionKey));
  }

  /**
   * Appends the user message now and plays the reply script on timers. `onEvent` gets `start` asynchronously (so a
   * caller can answer the request first), then tokens, then exactly one terminal event. The session must exist.
   */
  startRun(opts: StartRunOptions): RunInfo {
    const session = this.sessions.get(opts.sessionKey);
    if (!session) throw new Error(`no session ${opts.sessionKey}`);
    const now = Date.now();
    if (opts.userRow !== null) {
      const row: ChatMessage = { role: 'user', content: opts.userRow ?? opts.message, timestamp: now, runId: opts.runId };
      if (opts.sender !== undefined) row.sender = opts.sender;
      session.messages.push(row);
    }
    session.updatedAt = now;
    const model = opts.model ?? this.effectiveModel(session);
    const ctx: ReplyContext = { sessionKey: opts.sessionKey, message: opts.message, model, runId: opts.runId };
    if (opts.thinkingLevel !== undefined) ctx.thinkingLevel = opts.thinkingLevel;
    if (opts.exec !== undefined) ctx.exec = opts.exec;
    const script = opts.script ?? this.replyScript(ctx);
    const info: RunInfo = {
      runId: opts.runId,
      sessionKey: opts.sessionKey,
      agentId: session.agentId,
      message: opts.message,
      model,
      status: 'running',
      text: '',
      segments: [],
      startedAt: now,
      toolNames: [],
    };
    const userRow = opts.userRow === null ? null : (opts.userRow ?? opts.message);
    const run: ActiveRun = { info, timer: undefined, onEvent: opts.onEvent, userRow };
    this.runs.set(info.runId, run);
    this.play(run, script);
    return info;
  }

  /** Plays a script on timers: segments of tokens, each but the last ending in a tool call, then the terminal. */
  private play(run: ActiveRun, script: ReplyScript): void {
    const { info } = run;
    const delay = script.tokenDelayMs ?? 5;
    // An exec that prints nothing answers "(no output)" (live on both versions, H-B).
    const calls = (script.toolCalls ?? []).map((c) => (c.name === 'exec' && c.output === '' ? { ...c, output: '(no output)' } : c));
    const segments = [...calls.map((call) => ({ tokens: call.say ?? [], call })), { tokens: script.tokens, call: undefined }];
    const later = (ms: number, fn: () => void): void => {
      run.timer = setTimeout(() => {
        if (info.status === 'running') fn();
      }, ms);
    };

    const segment = (s: number, t: number): void => {
      const seg = segments[s]!;
      if (t === 0) {
        info.segments.push('');
        info.text = '';
      }
      const token = seg.tokens[t];
      if (token !== undefined) {
        info.text += token;
        info.segments[s] = info.text;
        run.onEvent({ type: 'token', token, text: info.text, segment: s });
        return later(delay, () => segment(s, t + 1));
      }
      if (seg.call) return toolCall(s, seg.call);
      finish();
    };

    const toolCall = (s: number, call: ScriptedToolCall): void => {
      const tool: ToolCallEvent = { call, toolCallId: call.toolCallId ?? `call_${s + 1}_0`, startedAt: Date.now() };
      this.appendRow(info, {
        role: 'assistant',
        content: info.text,
        toolCall: { id: tool.toolCallId, name: call.name, arguments: call.args },
        segment: s,
      });
      run.onEvent({ type: 'toolStart', tool, segment: s });
      const duration = call.durationMs ?? 50;
      // One progress update early in the call, as the real exec tool reports its first output.
      const updateAt = Math.min(10, duration / 2);
      later(updateAt, () => {
        run.onEvent({ type: 'toolUpdate', tool });
        later(duration - updateAt, () => {
          info.toolNames.push(call.name);
          this.appendRow(info, { role: 'toolResult', content: call.output, toolCallId: tool.toolCallId, toolName: call.name, isError: call.isError === true });
          run.onEvent({ type: 'toolEnd', tool, endedAt: Date.now() });
          later(delay, () => segment(s + 1, 0));
        });
      });
    };

    const finish = (): void => {
      run.timer = undefined;
      if (script.fail !== undefined) {
        info.status = 'error';
        run.onEvent({ type: 'error', error: script.fail, text: info.text });
        return;
      }
      info.status = 'done';
      if (script.yieldTo) {
        // The yielding turn ends in a sessions_yield call and its result (openclaw-tools sessions_yield: `{status:"yielded"}`).
        const id = `call_${segments.length}_0`;
        this.appendRow(info, { role: 'assistant', content: info.text, toolCall: { id, name: 'sessions_yield', arguments: {} }, segment: segments.length - 1 });
        this.appendRow(info, { role: 'toolResult', content: JSON.stringify({ status: 'yielded' }, null, 2), toolCallId: id, toolName: 'sessions_yield', isError: false });
      } else {
        this.appendAssistant(info, false);
      }
      const done: RunEvent = { type: 'done', text: info.text, segments: [...info.segments] };
      if (script.yieldTo) done.yieldTo = script.yieldTo;
      run.onEvent(done);
    };

    run.timer = setTimeout(() => {
      if (info.status !== 'running') return;
      run.onEvent({ type: 'start' });
      later(delay, () => segment(0, 0));
    }, 0);
  }

  /** Appends a row a gateway writes by itself (a directive acknowledgement). */
  appendInjected(sessionKey: string, text: string, runId: string): void {
    const session = this.sessions.get(sessionKey);
    if (!session) return;
    const now = Date.now();
    session.messages.push({ role: 'assistant', content: text, timestamp: now, runId, injected: true });
    session.updatedAt = now;
  }

  private appendRow(info: RunInfo, row: Omit<ChatMessage, 'timestamp' | 'runId'>): void {
    const session = this.sessions.get(info.sessionKey);
    if (!session) return;
    const now = Date.now();
    session.messages.push({ ...row, timestamp: now, runId: info.runId, ...(row.role === 'assistant' ? { model: info.model } : {}) });
    session.updatedAt = now;
  }

  /** Stops a running run, keeps its partial text in history and emits `aborted` synchronously. */
  abortRun(runId: string): boolean {
    const run = this.runs.get(runId);
    if (!run || run.info.status !== 'running') return false;
    clearTimeout(run.timer);
    run.info.status = 'aborted';
    this.appendAssistant(run.info, true);
    run.onEvent({ type: 'aborted', text: run.info.text });
    return true;
  }

  /**
   * A run cut off by a gateway restart: stopped without any event. With `forgetTurn` (OpenClaw 2026.2) its turn is
   * gone from the history too. Returns the interrupted runs.
   */
  interruptRuns({ forgetTurn }: { forgetTurn: boolean }): RunInfo[] {
    const interrupted: RunInfo[] = [];
    for (const run of this.runs.values()) {
      if (run.info.status !== 'running') continue;
      clearTimeout(run.timer);
      run.info.status = 'aborted';
      interrupted.push(run.info);
      const session = this.sessions.get(run.info.sessionKey);
      if (forgetTurn && session) {
        session.messages = session.messages.filter((m) => m.runId !== run.info.runId);
        const at = session.messages.findLastIndex((m) => m.role === 'user' && m.content === run.userRow);
        if (at >= 0) session.messages.splice(at, 1);
      }
    }
    return interrupted;
  }

  /** Stops every timer without emitting anything. */
  close(): void {
    for (const run of this.runs.values()) {
      clearTimeout(run.timer);
      if (run.info.status === 'running') run.info.status = 'aborted';
    }
  }

  private appendAssistant(info: RunInfo, aborted: boolean): void {
    const session = this.sessions.get(info.sessionKey);
    if (!session || (aborted && info.text === '')) return;
    const row: ChatMessage = { role: 'assistant', content: info.text, timestamp: Date.now(), runId: info.runId, model: info.model };
    if (!aborted) row.segment = info.segments.length - 1;
    if (aborted) row.aborted = true;
    session.messages.push(row);
    session.updatedAt = row.timestamp;
  }
}

export function createGatewayState(opts?: GatewayStateOptions): GatewayState {
  return new GatewayState(opts);
}
