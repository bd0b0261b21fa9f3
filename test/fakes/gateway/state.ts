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

export type MessageRole = 'user' | 'assistant' | 'system';

export interface ChatMessage {
  role: MessageRole;
  content: string;
  timestamp: number;
  /** Run that produced an assistant row. */
  runId?: string;
  /** Assistant row holding the partial text of an aborted run. */
  aborted?: boolean;
  /** System marker row written by an OpenClaw-style reset. */
  kind?: 'reset';
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
  message: string;
  /** Effective `provider/id` ref. */
  model: string;
}

export interface ReplyScript {
  /** Concatenated, the tokens are the reply text. */
  tokens: string[];
  /** Delay before each token (default 5). */
  tokenDelayMs?: number;
  /** Fail with this error message after the tokens. */
  fail?: string;
}

export type ReplyScriptFn = (ctx: ReplyContext) => ReplyScript;

export type RunStatus = 'running' | 'done' | 'error' | 'aborted';

export type RunEvent =
  | { type: 'start' }
  | { type: 'token'; token: string; text: string }
  | { type: 'done'; text: string }
  | { type: 'error'; error: string; text: string }
  | { type: 'aborted'; text: string };

export interface RunInfo {
  runId: string;
  sessionKey: string;
  agentId: string;
  message: string;
  model: string;
  status: RunStatus;
  text: string;
  startedAt: number;
}

export interface StartRunOptions {
  runId: string;
  sessionKey: string;
  message: string;
  onEvent: (event: RunEvent) => void;
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

/** Last message of any role, shortened. */
export function sessionPreview(session: SessionState): string | undefined {
  const last = session.messages.at(-1);
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
    return session.model ?? this.agent(session.agentId)?.model ?? modelRef(this.models[0]!);
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

  /** Aborts the session's runs and clears its history; overrides survive. `marker` leaves one system row. */
  resetSession(key: string, marker?: string): SessionState {
    const session = this.sessions.get(key);
    if (!session) throw new Error(`no session ${key}`);
    for (const run of this.activeRuns(key)) this.abortRun(run.runId);
    const now = Date.now();
    session.messages = marker === undefined ? [] : [{ role: 'system', content: marker, timestamp: now, kind: 'reset' }];
    session.updatedAt = now;
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
    session.messages.push({ role: 'user', content: opts.message, timestamp: now });
    session.updatedAt = now;
    const model = this.effectiveModel(session);
    const script = this.replyScript({ sessionKey: opts.sessionKey, message: opts.message, model });
    const info: RunInfo = {
      runId: opts.runId,
      sessionKey: opts.sessionKey,
      agentId: session.agentId,
      message: opts.message,
      model,
      status: 'running',
      text: '',
      startedAt: now,
    };
    const run: ActiveRun = { info, timer: undefined, onEvent: opts.onEvent };
    this.runs.set(info.runId, run);

    const delay = script.tokenDelayMs ?? 5;
    const step = (i: number): void => {
      if (info.status !== 'running') return;
      const token = script.tokens[i];
      if (token !== undefined) {
        info.text += token;
        run.onEvent({ type: 'token', token, text: info.text });
        run.timer = setTimeout(() => step(i + 1), delay);
        return;
      }
      run.timer = undefined;
      if (script.fail !== undefined) {
        info.status = 'error';
        run.onEvent({ type: 'error', error: script.fail, text: info.text });
        return;
      }
      info.status = 'done';
      this.appendAssistant(info, false);
      run.onEvent({ type: 'done', text: info.text });
    };
    run.timer = setTimeout(() => {
      if (info.status !== 'running') return;
      run.onEvent({ type: 'start' });
      run.timer = setTimeout(() => step(0), delay);
    }, 0);
    return info;
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
        const at = session.messages.findLastIndex((m) => m.role === 'user' && m.content === run.info.message);
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
    const row: ChatMessage = { role: 'assistant', content: info.text, timestamp: Date.now(), runId: info.runId };
    if (aborted) row.aborted = true;
    session.messages.push(row);
    session.updatedAt = row.timestamp;
  }
}

export function createGatewayState(opts?: GatewayStateOptions): GatewayState {
  return new GatewayState(opts);
}
