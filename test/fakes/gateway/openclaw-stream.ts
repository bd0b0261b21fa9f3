// Turns one scripted run into OpenClaw `chat` + `agent` events (openclaw-protocol.md §5, real-gateway-run.md A3/A8/A9,
// openclaw-agent-events.md §2), per protocol: v3 = 2026.2.17 src/gateway/server-chat.ts, v4 = 2026.9.6 server-chat.ts.
import type { RunEvent, RunInfo, ReplyScript, ToolCallEvent } from './state.js';

export interface EmitOptions {
  /** A `tool` stream event: only for the connections that asked for tool events and started the run. */
  toolEvent?: boolean;
}

export type EmitEvent = (event: 'chat' | 'agent', payload: Record<string, unknown>, opts?: EmitOptions) => void;

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
  /** v4: a yielded final hands over to a successor turn the gateway starts later. */
  onYield?: (yieldTo: NonNullable<ReplyScript['yieldTo']>) => void;
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

  constructor(
    private readonly run: RunInfo,
    private readonly emit: EmitEvent,
    private readonly opts: StreamOptions,
  ) {}

  readonly handle = (ev: RunEvent): void => {
    if (this.finished) return;
    switch (ev.type) {
      case 'start':
        return this.start();
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
        return this.aborted(ev.text);
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

  private modelData(): Record<string, unknown> {
    const [provider, ...rest] = this.run.model.split('/');
    return { phase: 'model', provider, model: rest.join('/') };
  }

  private start(): void {
    if (this.v4) STATUS_PHASES_BEFORE_START.forEach((p) => this.status(p));
    this.agentEvent('lifecycle', { phase: 'start', startedAt: this.run.startedAt });
    if (!this.v4) return;
    this.status('starting_model');
    this.agentEvent('lifecycle', this.modelData());
  }

  private token(token: string, text: string, segment: number): void {
    this.segments[segment] = text;
    this.lastAssistantText = text;
    this.agentEvent('assistant', { text, delta: token });
    this.latestText = this.v4 ? this.segments.filter((s) => s !== '').join('\n\n') : text;
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
      status: phase === 'start' ? 'running' : tool.call.isError ? 'failed' : 'completed',
      meta,
      commandBearing: tool.call.name === 'exec',
      startedAt: tool.startedAt,
    };
    if (endedAt !== undefined) data.endedAt = endedAt;
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
      output: tool.call.output,
      status: phase === 'delta' ? 'running' : tool.call.isError ? 'failed' : 'completed',
    };
    if (endedAt !== undefined) Object.assign(data, { exitCode: tool.call.isError ? 1 : 0, durationMs: endedAt - tool.startedAt });
    this.agentEvent('command_output', data);
  }

  private keepsToolResults(): boolean {
    return this.v4 || this.opts.verboseLevel?.() === 'full';
  }

  private toolStart(tool: ToolCallEvent, segment: number): void {
    if (this.v4) {
      this.agentEvent('usage', { outputTokens: this.lastAssistantText.length });
      // Text said before a call is also a `preamble` item (live, H-B §1).
      const said = this.segments[segment] ?? '';
      if (said !== '') {
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
      data.partialResult = { content: [{ type: 'text', text: tool.call.output }], details: { status: 'running' } };
    this.agentEvent('tool', data, { toolEvent: true });
    this.commandOutput(tool, 'delta');
  }

  private toolEnd(tool: ToolCallEvent, endedAt: number): void {
    const { meta } = describe(tool);
    const isError = tool.call.isError === true;
    const data: Record<string, unknown> = { phase: 'result', name: tool.call.name, toolCallId: tool.toolCallId, meta, isError };
    if (this.keepsToolResults()) {
      const status = isError ? 'failed' : 'completed';
      const details = { status, exitCode: isError ? 1 : 0, durationMs: endedAt - tool.startedAt, aggregated: tool.call.output };
      data.result = { content: [{ type: 'text', text: tool.call.output }], details };
    }
    if (this.v4) data.commandBearing = tool.call.name === 'exec';
    this.agentEvent('tool', data, { toolEvent: true });
    if (!this.v4) return;
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
    const yielded = this.v4 && yieldTo !== undefined;
    const stopReason = yielded ? 'end_turn' : 'stop';
    if (this.v4) {
      // terminalReply holds only the last segment (live, H-B §1), unlike the chat final.
      const text = this.lastAssistantText;
      this.agentEvent('usage', { outputTokens: this.lastAssistantText.length });
      const end: Record<string, unknown> = {
        phase: 'end',
        stopReason,
        aborted: false,
        livenessState: yielded ? 'paused' : 'working',
        startedAt: this.run.startedAt,
        endedAt: Date.now(),
        terminalReply: { disposition: 'visible', text },
        terminalReceipt: { runId: this.run.runId, successfulToolNames: [...this.run.toolNames] },
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
    // A silent (empty) reply has no message.
    if (text !== '') payload.message = this.message(text);
    this.emit('chat', payload);
    if (yielded) this.opts.onYield?.(yieldTo!);
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

  private aborted(text: string): void {
    this.terminal();
    const payload: Record<string, unknown> = { ...this.base(), seq: this.seq + 1, state: 'aborted', stopReason: 'rpc' };
    const partial = this.v4 ? this.latestText : text;
    if (partial !== '') payload.message = this.message(partial);
    this.emit('chat', payload);
    const end = this.v4
      ? { phase: 'end', status: 'cancelled', aborted: true, stopReason: 'rpc', endedAt: Date.now() }
      : { phase: 'end', endedAt: Date.now() };
    this.agentEvent('lifecycle', end);
  }
}
