// Turns one scripted run into OpenClaw `chat` + `agent` events (openclaw-protocol.md §5, real-gateway-run.md A3/A8/A9,
// openclaw-agent-events.md §2), per protocol: v3 = 2026.2.17 src/gateway/server-chat.ts, v4 = 2026.9.6 server-chat.ts.
import { splitMedia } from './media-directives.js';
import type { AbortReason, PlanStep, RunEvent, RunInfo, ReplyScript, ToolCallEvent } from './state.js';

export interface EmitOptions {
  /** A `tool` stream event: only for the connections that asked for tool events and started the run. */
  toolEvent?: boolean;
}

/** `chat` and `agent` go to every reader; others (`progressCard.changed`) too. */
export type EmitEvent = (event: string, payload: Record<string, unknown>, opts?: EmitOptions) => void;

export interface StreamOptions {
  protocol: 3 | 4;
  pacingMs: number;
  /** v4 sends a pending delta at the end of its pacing window and before a terminal event; v3 drops it. */
  flushesDeltas: boolean;
  /** Delay of the second, agent-less `error` event. */
  duplicateErrorDelayMs?: number;
  /** v3 keeps tool results in `tool` events only for a session whose verboseLevel is `full`. */
  verboseLevel?: () => string | undefined;
  /** v4 spreads a session row snapshot into every `tool` payload (openclaw-agent-events.md §2.2). */
  sessionSnapshot?: () => Record<string, unknown>;
  /** Extra fields of the lifecycle `start` data (v4 `completionSource` of a queued turn). */
  startData?: Record<string, unknown>;
  /** Extra fields of the chat final (a sub-agent's `spawnedBy`). */
  finalData?: Record<string, unknown>;
}

const STATUS_PHASES_BEFORE_START = ['preparing_workspace', 'preparing_context'];

/** What the `item` / `tool` events say about a call; the real ones summarize the command (`Exec print text`). */
function describe(tool: ToolCallEvent): { meta: string; title: string } {
  const { name, args } = tool.call;
  const subject = typeof args.command === 'string' ? args.command : typeof args.path === 'string' ? args.path : JSON.stringify(args);
  return { meta: subject, title: `${name.charAt(0).toUpperCase()}${name.slice(1)} ${subject}` };
}

export class RunStreamer {
  /** Per-run agent seq; chat events reuse the seq of the agent event they mirror, so chat seqs skip. */
  private seq = 0;
  /** The text chat events carry: v3 the current segment's (it restarts after a tool), v4 all segments joined. */
  private latestText = '';
  private sentText = '';
  /** v3's chat buffer: the last assistant text seen, whatever its segment. */
  private lastAssistantText = '';
  private segments: string[] = [];
  private lastDeltaAt = -Infinity;
  private pending: NodeJS.Timeout | undefined;
  private finished = false;
  /** Segments whose preamble items went out (parallel calls share one). */
  private readonly preambles = new Set<number>();
  /** Tool calls whose approval was denied (v4 reports it in an `approval` stream event). */
  private readonly denied = new Set<string>();
  /** Each segment's text as the model wrote it (the `MEDIA:` lines still in). */
  private readonly rawSegments: string[] = [];
  /** Per segment: the text the last assistant event carried, and how many media URLs went out. */
  private readonly sent = new Map<number, { text: string; media: number }>();
  /** v3 per segment: the last token's cleaned text, and whether any token made an assistant event. */
  private readonly v3Streamed = new Map<number, { cleaned: string; emitted: boolean }>();

  constructor(
    private readonly run: RunInfo,
    private readonly emit: EmitEvent,
    private readonly opts: StreamOptions,
  ) {}

  readonly handle = (ev: RunEvent): void => {
    if (this.finished) return;
    switch (ev.type) {
      case 'start':
        return ev.retry ? this.restart() : this.start();
      case 'modelCall':
        // Before each model call (F-findings USAGE: repeated for every tool step).
        if (this.v4) this.agentEvent('lifecycle', this.modelData());
        return;
      case 'retry':
        return this.retry(ev.attempt, ev.maxAttempts, ev.delayMs);
      case 'usage':
        if (this.v4) this.agentEvent('usage', { outputTokens: ev.outputTokens });
        return;
      case 'approvalWait':
        return this.approvalLifecycle('waiting-approval', ev.approvalId, ev.tool);
      case 'approvalResolved':
        if (ev.denied) this.denied.add(ev.tool.toolCallId);
        return this.approvalLifecycle('approval-resolved', ev.approvalId, ev.tool);
      case 'plan':
        return this.plan(ev.steps, ev.revision);
      case 'token':
        return this.token(ev.token, ev.text, ev.segment);
      case 'toolStart':
        return this.toolStart(ev.tool, ev.segment);
      case 'toolUpdate':
        return this.toolUpdate(ev.tool);
      case 'toolEnd':
        return this.toolEnd(ev.tool, ev.endedAt);
      case 'done':
        return this.done(ev.yieldTo);
      case 'error':
        return this.error(ev.error);
      case 'aborted':
        return this.aborted(ev);
    }
  };

  private get v4(): boolean {
    return this.opts.protocol === 4;
  }

  /** v3 chat and agent payloads carry no agentId (server-chat.ts, infra/agent-events.ts). */
  private base(): Record<string, unknown> {
    const base: Record<string, unknown> = { runId: this.run.runId, sessionKey: this.run.sessionKey };
    if (this.v4) base.agentId = this.run.agentId;
    return base;
  }

  private agentEvent(stream: string, data: Record<string, unknown>, opts?: EmitOptions): void {
    this.seq++;
    const payload: Record<string, unknown> = { ...this.base(), stream, data, seq: this.seq, ts: Date.now() };
    if (this.v4) payload.isHeartbeat = false;
    if (opts?.toolEvent && this.v4) Object.assign(payload, this.opts.sessionSnapshot?.() ?? {});
    this.emit('agent', payload, opts);
  }

  private status(phase: string): void {
    this.emit('chat', { ...this.base(), seq: this.seq + 1, state: 'status', phase });
    this.agentEvent('run_status', { phase });
  }

  /** v4: a 429 on the model call (live, openclaw-agent-events.md §6.2); v3 retries silently. */
  private retry(attempt: number, maxAttempts: number, delayMs: number): void {
    if (!this.v4) return;
    const [provider, ...rest] = this.run.model.split('/');
    const model = rest.join('/');
    const seconds = Math.round(delayMs / 1000);
    this.agentEvent('lifecycle', {
      phase: 'finishing',
      error: `⚠️ ${provider} rate limit; Retry-After: ${seconds} seconds`,
      errorObservation: { provider, model, failoverReason: 'rate_limit', providerRuntimeFailureKind: 'rate_limit' },
      aborted: false,
      livenessState: 'blocked',
    });
    const retry = { attempt, maxAttempts, reason: 'rate_limit' };
    this.emit('chat', { ...this.base(), seq: this.seq + 1, state: 'status', phase: 'starting_model', retry });
    this.agentEvent('run_status', {
      phase: 'retrying',
      message: `Retrying… ${attempt}/${maxAttempts}`,
      retryAttempt: attempt - 1,
      maxRetries: maxAttempts - 1,
      delayMs,
      attempt,
      maxAttempts,
      reason: 'rate_limit',
    });
  }

  /** After a retry the run starts again under the same run id (§6.2). */
  private restart(): void {
    if (!this.v4) return;
    this.agentEvent('lifecycle', { phase: 'start', startedAt: Date.now() });
    this.agentEvent('lifecycle', this.modelData());
  }

  private approvalLifecycle(phase: 'waiting-approval' | 'approval-resolved', approvalId: string, tool: ToolCallEvent): void {
    // bash-tools.exec-host-gateway.ts emits these lifecycle phases; v3's lifecycle has only start and end.
    if (this.v4) this.agentEvent('lifecycle', { phase, approvalId, toolCallId: tool.toolCallId });
  }

  /** v4 `progress_card`: the session's card revision, then the plan to every reader (live, §2.2). */
  private plan(steps: PlanStep[], revision: number): void {
    if (!this.v4) return;
    this.emit('progressCard.changed', { sessionKey: this.run.sessionKey, revision });
    const done = steps.filter((s) => s.status === 'completed').length;
    this.agentEvent('plan', { phase: 'update', title: 'Plan updated', source: 'openclaw', steps, explanation: `${done}/${steps.length} complete` });
  }

  private modelData(): Record<string, unknown> {
    const [provider, ...rest] = this.run.model.split('/');
    return { phase: 'model', provider, model: rest.join('/') };
  }

  private start(): void {
    if (this.v4) STATUS_PHASES_BEFORE_START.forEach((p) => this.status(p));
    this.agentEvent('lifecycle', { phase: 'start', startedAt: this.run.startedAt, ...(this.v4 ? this.opts.startData : {}) });
    if (!this.v4) return;
    this.status('starting_model');
    this.agentEvent('lifecycle', this.modelData());
  }

  /**
   * A reply's `MEDIA:` lines never reach a client as text (openclaw-agent-events.md §5, live on both): the assistant
   * event carries the text without them, and the media URLs in `mediaUrls` (with `delta:""` when no text came); an
   * event that would carry nothing is not sent. v3 and v4 differ in when (see v3Token).
   */
  private token(token: string, raw: string, segment: number): void {
    this.rawSegments[segment] = raw;
    if (!this.v4) return this.v3Token(token, raw, segment);
    const split = splitMedia(raw, this.opts.protocol);
    const previous = this.sent.get(segment) ?? { text: '', media: 0 };
    if (!split) {
      this.segments[segment] = raw;
      this.agentEvent('assistant', { text: raw, delta: token });
      this.sent.set(segment, { text: raw, media: previous.media });
    } else {
      const text = split.text;
      this.segments[segment] = text;
      // A media line counts once its line ended (the streaming directive parser holds a partial line back).
      const complete = splitMedia(raw.slice(0, raw.lastIndexOf('\n') + 1), this.opts.protocol)?.mediaUrls ?? [];
      const fresh = complete.slice(previous.media);
      const delta = text.startsWith(previous.text) ? text.slice(previous.text.length) : '';
      if (delta !== '' || fresh.length > 0) this.agentEvent('assistant', { text, delta, ...(fresh.length > 0 ? { mediaUrls: fresh } : {}) });
      this.sent.set(segment, { text, media: previous.media + fresh.length });
    }
    const text = this.segments[segment]!;
    this.lastAssistantText = text;
    this.latestText = this.segments.filter((s) => s !== '' && s !== undefined).join('\n\n');
    this.paceDelta();
  }

  /**
   * v3, as 2026.2.17 dist/pi-embedded-*.js `handleMessageUpdate` (region src/agents/pi-embedded-subscribe.handlers
   * .messages.ts): the message's text so far, trimmed and with its media lines taken out (parseReplyDirectives), is
   * the cleaned text. An assistant event goes out only when it extends the previous token's cleaned text
   * (`lastStreamedAssistantCleaned`, remembered whether sent or not); its `mediaUrls` are those of this token alone
   * (`consumePartialReplyDirectives`, src/auto-reply/reply/streaming-directives.ts, parses each delta by itself), and
   * a token that makes no event loses them. So a `MEDIA:` line split across tokens ("\nMED", "IA", ":./x.png") stops
   * the stream at "…\nMEDIA": the cleaned text shrinks, nothing more goes out, no mediaUrls ever, and the chat final
   * (server-chat.ts emitChatFinal: the buffer of the last assistant event) keeps "MEDIA" (F-to-lead-files §1, live).
   */
  private v3Token(token: string, raw: string, segment: number): void {
    const next = raw.trim();
    if (next === '') return;
    const cleaned = splitMedia(next, 3)?.text ?? next;
    const mediaUrls = splitMedia(token, 3)?.mediaUrls ?? [];
    const previous = this.v3Streamed.get(segment);
    const previousCleaned = previous?.cleaned ?? '';
    let delta = '';
    let emit = false;
    if (cleaned === '' && mediaUrls.length === 0) emit = false;
    else if (previousCleaned !== '' && !cleaned.startsWith(previousCleaned)) emit = false;
    else {
      delta = cleaned.slice(previousCleaned.length);
      emit = delta !== '' || mediaUrls.length > 0;
    }
    this.v3Streamed.set(segment, { cleaned, emitted: (previous?.emitted ?? false) || emit });
    if (emit) this.v3Assistant(segment, cleaned, delta, mediaUrls);
  }

  /** v3 `handleMessageEnd`: a message none of whose tokens made an event gets one with its whole text and media. */
  private v3MessageEnd(segment: number): void {
    const raw = this.rawSegments[segment]?.trim();
    if (!raw || this.v3Streamed.get(segment)?.emitted) return;
    const split = splitMedia(raw, 3);
    const text = split?.text ?? raw;
    const media = split?.mediaUrls ?? [];
    if (text === '' && media.length === 0) return;
    this.v3Streamed.set(segment, { cleaned: text, emitted: true });
    this.v3Assistant(segment, text, text, media);
  }

  /** v3's chat buffer is the text of the last assistant event (server-chat.ts emitChatDelta). */
  private v3Assistant(segment: number, text: string, delta: string, mediaUrls: string[]): void {
    this.agentEvent('assistant', { text, delta, ...(mediaUrls.length > 0 ? { mediaUrls } : {}) });
    this.segments[segment] = text;
    this.lastAssistantText = text;
    this.latestText = text;
    this.paceDelta();
  }

  private paceDelta(): void {
    const wait = this.lastDeltaAt + this.opts.pacingMs - Date.now();
    if (wait <= 0) this.sendDelta();
    else if (this.opts.flushesDeltas && !this.pending) this.pending = setTimeout(() => this.sendDelta(), wait);
  }

  private sendDelta(): void {
    clearTimeout(this.pending);
    this.pending = undefined;
    if (this.latestText === this.sentText) return;
    const payload: Record<string, unknown> = { ...this.base(), seq: this.seq, state: 'delta' };
    if (this.v4) {
      if (this.latestText.startsWith(this.sentText)) payload.deltaText = this.latestText.slice(this.sentText.length);
      else Object.assign(payload, { deltaText: this.latestText, replace: true });
    }
    payload.message = this.message(this.latestText);
    this.sentText = this.latestText;
    this.lastDeltaAt = Date.now();
    this.emit('chat', payload);
  }

  private message(text: string): Record<string, unknown> {
    return { role: 'assistant', content: [{ type: 'text', text }], timestamp: Date.now() };
  }

  // ---- tools: v3 sends only `tool` (cap), v4 also `item` and `command_output` to everyone ------------------------

  private itemData(tool: ToolCallEvent, phase: 'start' | 'end', endedAt?: number): Record<string, unknown> {
    const { meta, title } = describe(tool);
    const data: Record<string, unknown> = {
      itemId: `tool:${tool.toolCallId}`,
      toolCallId: tool.toolCallId,
      name: tool.call.name,
      kind: 'tool',
      phase,
      title,
      status: phase === 'start' ? 'running' : tool.isError ? 'failed' : 'completed',
      meta,
      commandBearing: tool.call.name === 'exec',
      startedAt: tool.startedAt,
    };
    if (endedAt !== undefined) data.endedAt = endedAt;
    if (phase === 'end' && tool.isError && tool.error !== undefined) data.error = tool.error;
    // Internal tools stay out of channel progress (live, §2.2).
    if (tool.call.name === 'progress_card' || tool.call.name === 'sessions_yield') data.hideFromChannelProgress = true;
    return data;
  }

  private commandOutput(tool: ToolCallEvent, phase: 'delta' | 'end', endedAt?: number): void {
    if (!this.v4 || tool.call.name !== 'exec') return;
    const data: Record<string, unknown> = {
      itemId: `command:${tool.toolCallId}`,
      phase,
      title: `command ${describe(tool).meta}`,
      toolCallId: tool.toolCallId,
      name: 'exec',
      output: tool.output,
      status: phase === 'delta' ? 'running' : tool.isError ? 'failed' : 'completed',
    };
    if (endedAt !== undefined) Object.assign(data, { exitCode: tool.isError ? 1 : 0, durationMs: endedAt - tool.startedAt });
    this.agentEvent('command_output', data);
  }

  private keepsToolResults(): boolean {
    return this.v4 || this.opts.verboseLevel?.() === 'full';
  }

  /** A segment ended (a tool call or the reply's end): v4 sends the media of a last line that had no line break. */
  private flushMedia(segment: number): void {
    if (!this.v4) return this.v3MessageEnd(segment);
    const raw = this.rawSegments[segment];
    const media = raw === undefined ? [] : (splitMedia(raw, this.opts.protocol)?.mediaUrls ?? []);
    const previous = this.sent.get(segment) ?? { text: '', media: 0 };
    const fresh = media.slice(previous.media);
    if (fresh.length === 0) return;
    this.agentEvent('assistant', { text: this.segments[segment] ?? '', delta: '', mediaUrls: fresh });
    this.sent.set(segment, { ...previous, media: media.length });
  }

  private toolStart(tool: ToolCallEvent, segment: number): void {
    if (segment >= 0) this.flushMedia(segment);
    if (this.v4) {
      // Text said before a call is also a `preamble` item (live, H-B §1); parallel calls share it.
      const said = this.segments[segment] ?? '';
      if (said !== '' && !this.preambles.has(segment)) {
        this.preambles.add(segment);
        const preamble = { itemId: `commentary-${segment}-${this.run.runId}`, kind: 'preamble', title: 'Preamble', progressText: said };
        this.agentEvent('item', { ...preamble, phase: 'update' });
        this.agentEvent('item', { ...preamble, phase: 'end' });
      }
      this.agentEvent('item', this.itemData(tool, 'start'));
    }
    const { name, args } = tool.call;
    this.agentEvent('tool', { phase: 'start', name, toolCallId: tool.toolCallId, args }, { toolEvent: true });
  }

  private toolUpdate(tool: ToolCallEvent): void {
    const data: Record<string, unknown> = { phase: 'update', name: tool.call.name, toolCallId: tool.toolCallId };
    if (this.keepsToolResults())
      data.partialResult = { content: [{ type: 'text', text: tool.output }], details: { status: 'running' } };
    this.agentEvent('tool', data, { toolEvent: true });
    this.commandOutput(tool, 'delta');
  }

  private toolEnd(tool: ToolCallEvent, endedAt: number): void {
    const { meta } = describe(tool);
    const isError = tool.isError;
    const data: Record<string, unknown> = { phase: 'result', name: tool.call.name, toolCallId: tool.toolCallId, meta, isError };
    if (this.keepsToolResults()) {
      const status = isError ? 'failed' : 'completed';
      const details = { status, exitCode: isError ? 1 : 0, durationMs: endedAt - tool.startedAt, aggregated: tool.output };
      data.result = { content: [{ type: 'text', text: tool.output }], details };
    }
    if (this.v4) data.commandBearing = tool.call.name === 'exec';
    this.agentEvent('tool', data, { toolEvent: true });
    if (!this.v4) return;
    if (this.denied.delete(tool.toolCallId)) {
      // Seen on deny, not on allow (live, §3.3).
      const message = typeof tool.call.args.command === 'string' ? tool.call.args.command : '';
      const approval = { phase: 'resolved', kind: 'exec', status: 'denied', title: 'Command approval resolved' };
      this.agentEvent('approval', { ...approval, itemId: `command:${tool.toolCallId}`, toolCallId: tool.toolCallId, message });
    }
    this.agentEvent('item', this.itemData(tool, 'end', endedAt));
    this.commandOutput(tool, 'end', endedAt);
  }

  // ---- terminals ----------------------------------------------------------------------------------------------

  private terminal(): void {
    this.finished = true;
    if (this.opts.flushesDeltas) this.sendDelta();
    clearTimeout(this.pending);
  }

  private done(yieldTo: ReplyScript['yieldTo']): void {
    this.rawSegments.forEach((_, segment) => this.flushMedia(segment));
    const yielded = this.v4 && yieldTo !== undefined;
    const stopReason = yielded ? 'end_turn' : 'stop';
    if (this.v4) {
      // terminalReply holds only the last segment (live, H-B §1), unlike the chat final.
      const text = this.lastAssistantText;
      // F-findings USAGE: `finishing`, lifecycle `model` null/null, then `end`; a yield finishes "aborted" (sic, live).
      this.agentEvent('lifecycle', { phase: 'finishing', stopReason: yielded ? 'aborted' : stopReason, aborted: false, livenessState: yielded ? 'paused' : 'working' });
      this.agentEvent('lifecycle', { phase: 'model', provider: null, model: null });
      const [provider, ...rest] = this.run.model.split('/');
      const model = rest.join('/');
      const end: Record<string, unknown> = {
        phase: 'end',
        stopReason,
        aborted: false,
        livenessState: yielded ? 'paused' : 'working',
        startedAt: this.run.startedAt,
        endedAt: Date.now(),
        terminalReply: yielded ? { disposition: 'empty' } : { disposition: 'visible', text },
        terminalReceipt: {
          runId: this.run.runId,
          requested: { provider, model },
          effective: { provider, model, responseModel: model },
          successfulToolNames: [...this.run.toolNames],
          rerouted: false,
          terminalDisposition: yielded ? 'empty' : 'visible',
        },
        executionSettled: true,
      };
      // session-event-payload.ts isAgentLifecycleYieldedWaiting: end + yielded + paused + end_turn.
      if (yielded) end.yielded = true;
      this.agentEvent('lifecycle', end);
    } else {
      this.agentEvent('lifecycle', { phase: 'end', endedAt: Date.now() });
    }
    this.terminal();
    // v3 emitChatFinal sends the trimmed buffer (the last assistant text) and no stopReason; v4 all text, stopReason.
    const text = this.v4 ? this.latestText : this.lastAssistantText.trim();
    const payload: Record<string, unknown> = { ...this.base(), seq: this.seq, state: 'final' };
    if (this.v4) payload.stopReason = stopReason;
    if (yielded) payload.yielded = true;
    if (this.v4) Object.assign(payload, this.opts.finalData);
    // A silent (empty) reply has no message.
    if (text !== '') payload.message = this.message(text);
    this.emit('chat', payload);
  }

  private error(errorMessage: string): void {
    this.agentEvent('lifecycle', { phase: 'error', error: errorMessage, endedAt: Date.now() });
    this.terminal();
    const payload: Record<string, unknown> = { ...this.base(), seq: this.seq, state: 'error', errorMessage };
    if (this.v4) {
      const [provider, ...rest] = this.run.model.split('/');
      payload.errorDetail = { provider, model: rest.join('/'), failoverReason: 'format' };
    }
    this.emit('chat', payload);
    // 2026.9 reports a failed run a second time from another layer: no agentId, its own seq 1; 2026.2 once.
    if (!this.v4) return;
    const second = {
      runId: this.run.runId,
      sessionKey: this.run.sessionKey,
      seq: 1,
      state: 'error',
      errorMessage: `⚠️ Agent failed before reply: ${errorMessage}\nTo view logs, run \`openclaw logs --follow\` in a terminal.`,
    };
    setTimeout(() => this.emit('chat', second), this.opts.duplicateErrorDelayMs ?? 15);
  }

  /**
   * F-findings STOP (live): v3 sends only the chat `aborted`. v4 sends it, then lifecycle end `cancelled`; after the
   * abort's answer come the interrupted tools' `Aborted` results (tool, item, command_output), the approvals they gave
   * up (§3.4), lifecycle `model` null/null and a late lifecycle `error`.
   */
  private aborted(ev: Extract<RunEvent, { type: 'aborted' }>): void {
    this.terminal();
    const partial = this.v4 ? this.latestText : ev.text;
    const chatAborted = (stopReason: string): void => {
      const payload: Record<string, unknown> = { ...this.base(), seq: this.seq + 1, state: 'aborted', stopReason };
      if (partial !== '') payload.message = this.message(partial);
      this.emit('chat', payload);
    };
    if (!this.v4) return chatAborted(ev.reason === 'interrupt' ? 'rpc' : ev.reason);
    if (ev.reason === 'interrupt') {
      // F-findings STEER (live): an interrupting send aborts the turn before it is answered, "aborted by user".
      this.abortedTools(ev);
      this.agentEvent('lifecycle', { phase: 'error', error: 'Reply operation aborted by user', aborted: true, stopReason: 'aborted' });
      return chatAborted('aborted');
    }
    chatAborted(ev.reason);
    const endedAt = Date.now();
    this.agentEvent('lifecycle', { phase: 'end', status: 'cancelled', aborted: true, stopReason: ev.reason, startedAt: this.run.startedAt, endedAt });
    setTimeout(() => {
      this.abortedTools(ev);
      this.agentEvent('lifecycle', { phase: 'model', provider: null, model: null });
      this.agentEvent('lifecycle', { phase: 'error', error: 'This operation was aborted', aborted: true, stopReason: 'aborted', executionSettled: true });
    }, 0);
  }

  /** The interrupted tools' `Aborted` results (tool, item, command_output) and the approvals they gave up (§3.4). */
  private abortedTools(ev: Extract<RunEvent, { type: 'aborted' }>): void {
    for (const tool of ev.interrupted) {
      const { toolCallId } = tool;
      const { name } = tool.call;
      const result = { content: [{ type: 'text', text: 'Aborted' }], details: {} };
      this.agentEvent('tool', { phase: 'result', name, toolCallId, meta: describe(tool).meta, isError: true, result, commandBearing: name === 'exec' }, { toolEvent: true });
      this.agentEvent('item', this.itemData({ ...tool, isError: true, error: 'Aborted' }, 'end', Date.now()));
      if (tool.process) {
        const title = `command ${describe(tool).meta}`;
        this.agentEvent('command_output', { itemId: `command:${toolCallId}`, phase: 'end', title, toolCallId, name, output: 'Aborted', status: 'failed' });
      }
      const waited = ev.waiting.find((w) => w.tool === tool);
      if (waited) this.agentEvent('lifecycle', { phase: 'approval-resolved', approvalId: waited.approvalId, toolCallId });
    }
  }
}
