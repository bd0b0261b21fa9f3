// Turns one scripted run into OpenClaw `chat` + `agent` events (openclaw-protocol.md §5, real-gateway-run.md A3/A8/A9).
import type { RunEvent, RunInfo } from './state.js';

export type EmitEvent = (event: 'chat' | 'agent', payload: Record<string, unknown>) => void;

export interface StreamOptions {
  protocol: 3 | 4;
  pacingMs: number;
  /** v4 sends a pending delta at the end of its pacing window and before a terminal event; v3 drops it. */
  flushesDeltas: boolean;
  /** Delay of the second, agent-less `error` event. */
  duplicateErrorDelayMs?: number;
}

const STATUS_PHASES_BEFORE_START = ['preparing_workspace', 'preparing_context'];

export class RunStreamer {
  /** Per-run agent seq; chat events reuse the seq of the agent event they mirror, so chat seqs skip. */
  private seq = 0;
  private latestText = '';
  private sentText = '';
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
        return this.token(ev.token, ev.text);
      case 'done':
        return this.done(ev.text);
      case 'error':
        return this.error(ev.error);
      case 'aborted':
        return this.aborted(ev.text);
    }
  };

  private get v4(): boolean {
    return this.opts.protocol === 4;
  }

  private base(): Record<string, unknown> {
    return { runId: this.run.runId, sessionKey: this.run.sessionKey, agentId: this.run.agentId };
  }

  private agentEvent(stream: string, data: Record<string, unknown>): void {
    this.emit('agent', { ...this.base(), stream, data, seq: this.seq, ts: Date.now(), isHeartbeat: false });
  }

  private status(phase: string): void {
    this.seq++;
    this.emit('chat', { ...this.base(), seq: this.seq, state: 'status', phase });
    this.agentEvent('run_status', { phase });
  }

  private start(): void {
    if (this.v4) STATUS_PHASES_BEFORE_START.forEach((p) => this.status(p));
    this.seq++;
    this.agentEvent('lifecycle', { phase: 'start', startedAt: this.run.startedAt });
    if (this.v4) this.status('starting_model');
    const [provider, ...rest] = this.run.model.split('/');
    this.seq++;
    this.agentEvent('lifecycle', { phase: 'model', provider, model: rest.join('/') });
  }

  private token(token: string, text: string): void {
    this.seq++;
    this.agentEvent('assistant', { text, delta: token });
    this.latestText = text;
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

  private terminal(): void {
    this.finished = true;
    if (this.opts.flushesDeltas) this.sendDelta();
    clearTimeout(this.pending);
  }

  private done(text: string): void {
    this.seq++;
    this.agentEvent('lifecycle', { phase: 'end', stopReason: 'stop', aborted: false, endedAt: Date.now() });
    this.terminal();
    const payload: Record<string, unknown> = { ...this.base(), seq: this.seq, state: 'final', stopReason: 'stop' };
    // A silent (empty) reply has no message.
    if (text !== '') payload.message = this.message(text);
    this.emit('chat', payload);
  }

  private error(errorMessage: string): void {
    this.seq++;
    this.agentEvent('lifecycle', { phase: 'error', error: errorMessage, endedAt: Date.now() });
    this.terminal();
    const payload: Record<string, unknown> = { ...this.base(), seq: this.seq, state: 'error', errorMessage };
    if (this.v4) {
      const [provider, ...rest] = this.run.model.split('/');
      payload.errorDetail = { provider, model: rest.join('/'), failoverReason: 'format' };
    }
    this.emit('chat', payload);
    // The real gateway reports a failed run a second time from another layer: no agentId, its own seq 1.
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
    this.seq++;
    this.terminal();
    const payload: Record<string, unknown> = { ...this.base(), seq: this.seq, state: 'aborted', stopReason: 'rpc' };
    if (text !== '') payload.message = this.message(text);
    this.emit('chat', payload);
    this.agentEvent('lifecycle', { phase: 'end', status: 'cancelled', aborted: true, stopReason: 'rpc', endedAt: Date.now() });
  }
}
