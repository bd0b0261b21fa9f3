import type { RunUpdate } from './dialect.js';
import type { AbortResult, HistoryMessage, RunEvent, RunOutcome } from './types.js';

export interface RunHooks {
  abort(run: RunStream): Promise<AbortResult>;
  /** Looks the run's reply up in the session history; undefined while it is not there yet. */
  recover(run: RunStream): Promise<RunOutcome | undefined>;
  finished(run: RunStream): void;
}

/**
 * One chat run. Yields normalised events: `text` (always the full text so far), then exactly one of
 * `final`, `error` or `aborted`. Later duplicates of a terminal event are ignored.
 */
export class RunStream implements AsyncIterable<RunEvent> {
  readonly startedAt = Date.now();
  /** Events were missed (a sequence gap or a reconnect): the final text must come from the history. */
  gapped = false;
  lastActivityAt = Date.now();
  /** The connection dropped while this run was in flight. */
  connectionLost = false;
  /** Overrides the client's idle timeout for this run (a run re-attached after a restart gives up sooner). */
  idleTimeoutMs: number | undefined;
  private text = '';
  private lastRunSeq = -1;
  private settled = false;
  private recovering = false;
  private readonly queue: RunEvent[] = [];
  private wake: (() => void) | undefined;
  private resolveOutcome!: (outcome: RunOutcome) => void;
  readonly outcome: Promise<RunOutcome>;

  constructor(
    public runId: string,
    readonly sessionKey: string,
    readonly prompt: string,
    private readonly hooks: RunHooks,
  ) {
    this.outcome = new Promise((resolve) => (this.resolveOutcome = resolve));
  }

  get done(): boolean {
    return this.settled;
  }

  /** The full text received so far. */
  get currentText(): string {
    return this.text;
  }

  abort(): Promise<AbortResult> {
    return this.hooks.abort(this);
  }

  apply(update: RunUpdate): void {
    if (this.settled || this.recovering) return;
    this.lastActivityAt = Date.now();
    if (update.kind === 'delta') {
      // Snapshot deltas can arrive late or twice; an older one must not roll the text back.
      if (update.runSeq !== undefined) {
        if (update.runSeq <= this.lastRunSeq) return;
        this.lastRunSeq = update.runSeq;
      }
      let next = this.text;
      if (update.text !== undefined) next = update.text;
      else if (update.deltaText !== undefined) next = update.replace ? update.deltaText : this.text + update.deltaText;
      if (next !== this.text) {
        this.text = next;
        this.push({ type: 'text', text: next });
      }
      return;
    }
    if (update.kind === 'error') {
      this.settle({ type: 'error', message: update.errorMessage ?? 'the run failed', text: update.text ?? this.text });
      return;
    }
    const text = update.text ?? this.text;
    const outcome: RunOutcome = update.kind === 'final' ? { type: 'final', text } : { type: 'aborted', text };
    // After a gap the accumulated increments are incomplete; a snapshot final is still the whole text.
    if (this.gapped && update.text === undefined) void this.settleFromHistory(outcome);
    else this.settle(outcome);
  }

  /**
   * Follows another run from now on: a restarted OpenClaw 2026.9 resumes an interrupted turn under a new run id.
   * Its text replaces what was shown, as that turn's answer starts afresh.
   */
  continueAs(runId: string): void {
    this.runId = runId;
    this.lastRunSeq = -1;
    this.gapped = false;
    this.connectionLost = false;
    this.idleTimeoutMs = undefined;
    this.lastActivityAt = Date.now();
  }

  /** Settles the run from the history if its reply is there. Returns whether it did. */
  async tryRecover(): Promise<boolean> {
    if (this.settled || this.recovering) return this.settled;
    const outcome = await this.hooks.recover(this).catch(() => undefined);
    if (!outcome || this.settled) return this.settled;
    this.settle(outcome);
    return true;
  }

  /** Ends the run without an answer from the gateway; `lost`: the gateway lost it (a restart, a dropped connection). */
  fail(message: string, lost = false): void {
    this.settle(lost ? { type: 'error', message, text: this.text, lost } : { type: 'error', message, text: this.text });
  }

  private async settleFromHistory(fallback: RunOutcome): Promise<void> {
    this.recovering = true;
    const outcome = await this.hooks.recover(this).catch(() => undefined);
    this.recovering = false;
    this.settle(outcome && outcome.type === fallback.type ? outcome : fallback);
  }

  private settle(outcome: RunOutcome): void {
    if (this.settled) return;
    this.settled = true;
    if (outcome.text !== this.text && outcome.type !== 'error') this.text = outcome.text;
    this.push(outcome);
    this.resolveOutcome(outcome);
    this.hooks.finished(this);
  }

  private push(event: RunEvent): void {
    // A slow reader only needs the newest text, not every step on the way.
    const last = this.queue[this.queue.length - 1];
    if (event.type === 'text' && last?.type === 'text') this.queue[this.queue.length - 1] = event;
    else this.queue.push(event);
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<RunEvent> {
    for (;;) {
      const event = this.queue.shift();
      if (event) {
        yield event;
        if (event.type !== 'text') return;
        continue;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

/** Finds a run's reply in a session history: by run id when the gateway records it, else the reply after its prompt. */
export function findRunReply(history: HistoryMessage[], run: { runId: string; prompt: string }): RunOutcome | undefined {
  const byId = history.findLast((m) => m.role === 'assistant' && m.runId === run.runId);
  if (byId) return byId.aborted ? { type: 'aborted', text: byId.text } : { type: 'final', text: byId.text };
  let promptAt = -1;
  for (let i = history.length - 1; i >= 0; i--) {
    const message = history[i]!;
    if (message.role === 'user' && message.text.includes(run.prompt)) {
      promptAt = i;
      break;
    }
  }
  if (promptAt < 0) return undefined;
  const reply = history.slice(promptAt + 1).findLast((m) => m.role === 'assistant');
  if (!reply) return undefined;
  return reply.aborted ? { type: 'aborted', text: reply.text } : { type: 'final', text: reply.text };
}
