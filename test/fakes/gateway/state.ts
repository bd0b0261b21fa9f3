// In-memory gateway model shared by the card and OpenClaw fakes: agents, models, sessions and a scripted run engine.
import { randomUUID } from 'node:crypto';
import { posix } from 'node:path';
import { ExecProcesses } from './exec-processes.js';
import type { MediaFact, ModelAttachment } from './openclaw-attachments.js';
import { RunPlayer, type PlayerHost } from './run-player.js';
import { wordTokens } from './words.js';

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
  /** What the model takes (models.providers.*.models[].input); without `image` it never sees pixels. Default text only. */
  input?: ReadonlyArray<'text' | 'image'>;
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
  /** The further calls of the same model message (parallel tool calls). */
  parallelCalls?: ToolCallRecord[];
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
  /** v4 user rows: the `idempotencyKey` when it is not `<runId>:user` (a collected follow-up: `followup`). */
  idempotencyKey?: string;
  /** v3 user rows: the image blocks the prompt carried (chat.history shows them `omitted`). */
  inputImages?: Array<{ mimeType: string; data: string }>;
  /** v4 user rows: the attached files (`__openclaw.media`). */
  inputMedia?: MediaFact[];
  /** v4 assistant rows naming media: the content once the gateway managed the files (text, `image`/`attachment` blocks). */
  display?: Array<Record<string, unknown>>;
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
  /** `/queue <mode>` stored on the session (v3 decides a busy session's second message by it; default collect). */
  queueMode?: string;
  /** A sub-agent session: the session whose turn spawned it. */
  spawnedBy?: string;
  /** Sub-agent sessions this session spawned (v4 sessions.list `childSessions`). */
  childSessions?: string[];
  /** Token counts the session row reports (sessions.list `inputTokens`/`outputTokens`/`totalTokens`). */
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
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
  /**
   * Messages steered into this turn while it ran, in order (v4 `chat.send {queueMode:"steer"}`). The array grows as
   * steers arrive; a model step sees those that came before it started (`ReplyScript.lateTokens`).
   */
  steered: string[];
  /**
   * What came with the prompt besides its text, as the model got it: images as `image_url` parts (only for a model
   * whose `input` has `image`), and on v4 the files read into `message` (their `<file …>` blocks are in it too).
   */
  attachments: ModelAttachment[];
}

/** A tool call's exec-approval needs (the gateway option `execApprovals: 'ask'` turns approvals on). */
export interface ScriptedApproval {
  /** Offer `allow-always` (v4 `allowedDecisions`); real 2026.9 left it out for `echo …` (default false). */
  allowAlways?: boolean;
}

/** One tool call of a tool-using run: the assistant says `say`, calls the tool, the tool answers `output`. */
export interface ScriptedToolCall {
  /** Tokens of the assistant text before the call (may be empty: a call with no text). Ignored on a `parallel` call. */
  say?: string[];
  /** Tool name, e.g. `exec` or `read` (the v4 direct tool set: docs openclaw-agent-events.md §2.2). */
  name: string;
  args: Record<string, unknown>;
  output: string;
  isError?: boolean;
  /** How long the tool runs, with no text streamed meanwhile (default 50). */
  durationMs?: number;
  /** Default `call_<step>_<index in its model message>`. */
  toolCallId?: string;
  /**
   * Made in the same model message as the call before it. v4 runs such calls concurrently, so their events interleave
   * and results arrive in the order they finish; v3 runs them one after the other (openclaw-agent-events.md §2.2).
   */
  parallel?: boolean;
  /**
   * Exec approval, when the gateway asks (`execApprovals: 'ask'`): every `exec` asks unless it is `false` here (an
   * allowlist hit) or its command starts with a safe bin (§3.1). Other tools never ask.
   */
  approval?: ScriptedApproval | false;
  /**
   * `exec` only: a subprocess side effect, run `effectAfterMs` (default: when the process ends) after the process
   * starts, unless the process was killed first. The process lives max(durationMs, effectAfterMs).
   */
  effect?: () => void;
  effectAfterMs?: number;
}

/** A plan step of the v4 `progress_card` tool (ProgressCardStepSchema). */
export interface PlanStep {
  step: string;
  status: 'pending' | 'in_progress' | 'completed';
}

export interface ReplyScript {
  /** Concatenated, the tokens are the reply text (for a tool-using run: the text after the last tool call). */
  tokens: string[];
  /**
   * The last model step's tokens, computed when that step starts (instead of `tokens`): it sees what was steered in
   * so far (`ctx.steered`).
   */
  lateTokens?: (ctx: ReplyContext) => string[];
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
  yieldTo?: YieldScript;
  /**
   * The tokens of the extra model call a run makes for a message steered in during its last step (v4 always, v3 in
   * steer mode: F-findings STEER). Default `Echo: <the steered text>`.
   */
  onSteer?: (ctx: ReplyContext, message: string) => string[];
  /**
   * The first model call is refused with HTTP 429 this many times before it answers; v4 shows each retry
   * (`run_status` retrying, `chat` status with `retry`, §6.2), v3 retries silently. `delayMs`: the Retry-After (1000).
   */
  rateLimited?: { times: number; delayMs?: number };
  /**
   * Token usage per model call (index = model step: one per tool-call message, then the last). `output` is v4's
   * live `usage {outputTokens}` for that call (default: the step's text length); both add to the session row's
   * counts. Defaults: input = the message length, output as above.
   */
  usage?: Array<{ input?: number; output?: number }>;
  /**
   * Files the agent writes into its workspace during the turn (as the reference's `exec … > out.png`), by path
   * (`./out.png`, `out.png`, `/tmp/x.pdf`) or by an https URL it could fetch. A reply line `MEDIA:<path>` hands one
   * over: v4 makes it a managed artifact; a path with no file becomes an `attachment_error` block.
   */
  files?: Record<string, Buffer | string>;
}

/** A v4 yield: the turn hands over to sub-agents and a successor turn answers once they settled. */
export interface YieldScript {
  successor: ReplyScript;
  /** Delay from the last sub-agent's final (or the yield, with none) to the successor (default 200; live ~0.6 s). */
  afterMs?: number;
  /**
   * Sub-agents spawned as the turn yields: each runs `script` (default: `Echo: <task>`, 100 ms a word) on its own
   * `agent:<id>:subagent:<uuid>` session, reported by `task` events and the parent row's `childSessions`.
   */
  subagents?: Array<{ task: string; script?: ReplyScript }>;
  /** The `sessions_yield` acknowledgment (its tool result; not in the final). */
  acknowledgment?: string;
}

export type ReplyScriptFn = (ctx: ReplyContext) => ReplyScript;

export type RunStatus = 'running' | 'done' | 'error' | 'aborted';

export interface ToolCallEvent {
  call: ScriptedToolCall;
  toolCallId: string;
  startedAt: number;
  /** What the tool answered: the script's output, or what the gateway made of the call (approval, denial, abort). */
  output: string;
  isError: boolean;
  /** v4 `item` end `error` of a failed call. */
  error?: string;
  /** Its exec process, once one runs. */
  process?: ExecProcess;
}

/**
 * How a run was stopped: `rpc` (chat.abort, sessions.abort), `stop` (`/stop` or a stop word in chat.send), `interrupt`
 * (v4 a `chat.send {queueMode:"interrupt"}` or `sessions.steer` on the busy session).
 */
export type AbortReason = 'rpc' | 'stop' | 'interrupt';

/**
 * `text` is the current assistant segment's text (segments are the texts between tool calls); `segments` holds
 * every segment so far, the current one last.
 */
export type RunEvent =
  | { type: 'start'; retry?: boolean }
  /** A model call after the first one starts (v4 lifecycle `model` before each call). */
  | { type: 'modelCall' }
  | { type: 'token'; token: string; text: string; segment: number }
  | { type: 'toolStart'; tool: ToolCallEvent; segment: number }
  | { type: 'toolUpdate'; tool: ToolCallEvent }
  | { type: 'toolEnd'; tool: ToolCallEvent; endedAt: number }
  /** A model call finished; `outputTokens` counts the run's calls so far (v4 usage is cumulative, F-findings USAGE). */
  | { type: 'usage'; step: number; outputTokens: number }
  /** A model call was refused with 429 and is retried after `delayMs`. */
  | { type: 'retry'; attempt: number; maxAttempts: number; delayMs: number }
  /** A tool waits for an exec approval (v4), or stopped waiting. */
  | { type: 'approvalWait'; tool: ToolCallEvent; approvalId: string }
  | { type: 'approvalResolved'; tool: ToolCallEvent; approvalId: string; denied?: boolean }
  | { type: 'plan'; steps: PlanStep[]; revision: number }
  /** The turn hands over to sub-agents: they are spawned now, before its sessions_yield call and yielded final. */
  | { type: 'yielding'; yieldTo: YieldScript }
  | { type: 'done'; text: string; segments: string[]; yieldTo?: ReplyScript['yieldTo'] }
  | { type: 'error'; error: string; text: string }
  /** `interrupted`: the tools that were running (their processes killed); `waiting`: approvals they waited for. */
  | { type: 'aborted'; text: string; reason: AbortReason; interrupted: ToolCallEvent[]; waiting: Array<{ tool: ToolCallEvent; approvalId: string }> };

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
  /** The context the reply script got (its `steered` grows while the run goes on). */
  ctx: ReplyContext;
}

/** An `exec` tool's subprocess, as the gateway host runs it. */
export interface ExecProcess {
  /** The exec session's name (`Command still running (session <name>, pid <pid>)`, v3 `Exec finished (… session=<name>)`). */
  session: string;
  pid: number;
  command: string;
  runId: string;
  sessionKey: string;
  toolCallId: string;
  status: 'running' | 'exited' | 'killed';
  /** Moved to the background (past `yieldMs`/`backgroundMs`, or `background: true`): a stop no longer kills it. */
  backgrounded: boolean;
  startedAt: number;
  endedAt?: number;
  /** The scripted `effect` ran. */
  effectDone: boolean;
}

/**
 * Decides what happens to a tool call as it starts (exec approvals): run it as scripted, or answer something else.
 * It may wait (v4 approvals) and emit run events meanwhile.
 */
export type ToolGate = (tool: ToolCallEvent, run: RunInfo, ctl: ToolGateControl) => void;

export interface ToolGateControl {
  /** Runs the tool as scripted. */
  proceed(): void;
  /** The tool answers this at once instead of running. */
  answer(output: string, opts: { isError: boolean; error?: string }): void;
  emit(ev: RunEvent): void;
  /** Marks the tool as waiting for this approval (an abort then reports it). */
  waiting(approvalId: string | undefined): void;
  /** Called when the run is aborted before `proceed` or `answer`. */
  onAbort(fn: () => void): void;
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
  /** Calls of one model message run concurrently (v4) instead of one after the other (v3). */
  parallelTools?: boolean;
  /** An exec still running after this many ms goes to the background (`tools.exec.backgroundMs`); default never. */
  execBackgroundMs?: number;
  /** false: no exec goes to the background, `yieldMs`/`background` included (`tools.deny:["process"]`, F-findings). */
  allowBackground?: boolean;
  /** `yieldTo` hands the turn over (v4); without it a yielding script ends with a plain final (v3). */
  yields?: boolean;
  /** An exec process went to the background (v4 makes it a task). */
  onBackground?: (process: ExecProcess, tool: ToolCallEvent) => void;
  toolGate?: ToolGate;
  /** What came with the prompt (ReplyContext.attachments). */
  attachments?: ModelAttachment[];
  /** The user row's v3 image blocks / v4 media facts. */
  rowImages?: Array<{ mimeType: string; data: string }>;
  rowMedia?: MediaFact[];
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
  { provider: 'ollama', id: 'kimi-k2.5:cloud', name: 'kimi-k2.5', contextWindow: 131072, reasoning: false, input: ['text', 'image'] },
  { provider: 'ollama', id: 'glm-5:cloud', name: 'glm-5', contextWindow: 131072, reasoning: true, input: ['text'] },
  { provider: 'github-copilot', id: 'gpt-5.2-codex', name: 'GPT-5.2 Codex', contextWindow: 200000, reasoning: true, input: ['text', 'image'] },
];

export const FAIL_MESSAGE = 'LLM request failed: provider rejected the request schema or tool payload.';

export { wordTokens } from './words.js';

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

export class GatewayState implements PlayerHost {
  readonly version: string;
  readonly startedAt = Date.now();
  readonly agents: AgentInfo[];
  readonly defaultAgentId: string;
  readonly models: ModelInfo[];
  readonly sessions = new Map<string, SessionState>();
  /** Every exec subprocess a scripted run started, in order (`status`, `effectDone`, `backgrounded`). */
  readonly processes = new ExecProcesses();
  private readonly runs = new Map<string, RunPlayer>();
  private readonly planRevisions = new Map<string, number>();
  private readonly systemEvents = new Map<string, Array<{ text: string; ts: number }>>();
  /** Agent workspaces: `<agentId>\0<path>` → bytes (what `MEDIA:` lines name). */
  private readonly workspace = new Map<string, Buffer>();
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

  /** Whether a model sees images (`input` includes `image`; pi-embedded-runner/run/images.ts modelSupportsImages). */
  modelSupportsImages(ref: string): boolean {
    return this.model(ref)?.input?.includes('image') ?? false;
  }

  writeWorkspaceFile(agentId: string, ref: string, content: Buffer | string): void {
    this.workspace.set(`${agentId}\0${workspacePath(ref)}`, Buffer.isBuffer(content) ? content : Buffer.from(content));
  }

  readWorkspaceFile(agentId: string, ref: string): Buffer | undefined {
    return this.workspace.get(`${agentId}\0${workspacePath(ref)}`);
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
    patch: Partial<Pick<SessionState, 'model' | 'thinkingLevel' | 'verboseLevel' | 'reasoningLevel' | 'label' | 'queueMode'>>,
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
      if (opts.rowImages?.length) row.inputImages = opts.rowImages;
      if (opts.rowMedia?.length) row.inputMedia = opts.rowMedia;
      session.messages.push(row);
    }
    session.updatedAt = now;
    const model = opts.model ?? this.effectiveModel(session);
    const ctx: ReplyContext = { sessionKey: opts.sessionKey, message: opts.message, model, runId: opts.runId, steered: [], attachments: opts.attachments ?? [] };
    if (opts.thinkingLevel !== undefined) ctx.thinkingLevel = opts.thinkingLevel;
    if (opts.exec !== undefined) ctx.exec = opts.exec;
    const script = opts.script ?? this.replyScript(ctx);
    for (const [ref, content] of Object.entries(script.files ?? {})) this.writeWorkspaceFile(session.agentId, ref, content);
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
      ctx,
    };
    const userRow = opts.userRow === null ? null : (opts.userRow ?? opts.message);
    const player = new RunPlayer(info, opts, this, userRow);
    this.runs.set(info.runId, player);
    player.play(script);
    return info;
  }

  /** Appends a row a gateway writes by itself (a directive acknowledgement). */
  appendInjected(sessionKey: string, text: string, runId: string): void {
    const session = this.sessions.get(sessionKey);
    if (!session) return;
    const now = Date.now();
    session.messages.push({ role: 'assistant', content: text, timestamp: now, runId, injected: true });
    session.updatedAt = now;
  }

  appendRow(info: RunInfo, row: Omit<ChatMessage, 'timestamp' | 'runId'>): void {
    const session = this.sessions.get(info.sessionKey);
    if (!session) return;
    const now = Date.now();
    session.messages.push({ ...row, timestamp: now, runId: info.runId, ...(row.role === 'assistant' ? { model: info.model } : {}) });
    session.updatedAt = now;
  }

  nextPlanRevision(sessionKey: string): number {
    const revision = (this.planRevisions.get(sessionKey) ?? 0) + 1;
    this.planRevisions.set(sessionKey, revision);
    return revision;
  }

  /** Queues a system event for the session's next user turn (v3 approval outcomes: emitExecSystemEvent). */
  queueSystemEvent(sessionKey: string, text: string): void {
    const queue = this.systemEvents.get(sessionKey) ?? [];
    queue.push({ text, ts: Date.now() });
    this.systemEvents.set(sessionKey, queue);
  }

  drainSystemEvents(sessionKey: string): Array<{ text: string; ts: number }> {
    const queue = this.systemEvents.get(sessionKey) ?? [];
    this.systemEvents.delete(sessionKey);
    return queue;
  }

  /**
   * A finished run's counts on its session row (F-findings USAGE, both versions): input and output summed over the
   * run's model calls, total = the last call's prompt size (the context fill). The next run replaces them.
   */
  setRunUsage(sessionKey: string, usage: { input: number; output: number; lastInput: number }): void {
    const session = this.sessions.get(sessionKey);
    if (!session) return;
    session.inputTokens = usage.input;
    session.outputTokens = usage.output;
    session.totalTokens = usage.lastInput;
  }

  /** Puts a message into a running turn at its next model call; `onInjected` runs then. False once the run ended. */
  steerRun(runId: string, message: string, onInjected: () => void = () => undefined): boolean {
    return this.runs.get(runId)?.steer(message, onInjected) ?? false;
  }

  /** Stops a running run, keeps its partial text in history and emits `aborted` synchronously. */
  abortRun(runId: string, reason: AbortReason = 'rpc'): boolean {
    return this.runs.get(runId)?.abort(reason) ?? false;
  }

  /**
   * A run cut off by a gateway restart: stopped without any event. With `forgetTurn` (OpenClaw 2026.2) its turn is
   * gone from the history too. Returns the interrupted runs.
   */
  interruptRuns({ forgetTurn }: { forgetTurn: boolean }): RunInfo[] {
    const interrupted: RunInfo[] = [];
    for (const run of this.runs.values()) {
      if (run.info.status !== 'running') continue;
      run.interrupt();
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
    for (const run of this.runs.values()) run.close();
    this.processes.close();
  }

  appendAssistant(info: RunInfo, aborted: boolean): void {
    const session = this.sessions.get(info.sessionKey);
    if (!session || (aborted && info.text === '')) return;
    const row: ChatMessage = { role: 'assistant', content: info.text, timestamp: Date.now(), runId: info.runId, model: info.model };
    if (!aborted) row.segment = info.segments.length - 1;
    if (aborted) row.aborted = true;
    session.messages.push(row);
    session.updatedAt = row.timestamp;
  }
}

/** A workspace path as a key: `./out.png` and `out.png` are one file; URLs and absolute paths stay as they are. */
function workspacePath(ref: string): string {
  const raw = ref.trim().replace(/^file:(?:\/\/)?/i, '');
  if (/^https?:\/\//i.test(raw)) return raw;
  return posix.normalize(raw).replace(/^\.\//, '');
}

export function createGatewayState(opts?: GatewayStateOptions): GatewayState {
  return new GatewayState(opts);
}
