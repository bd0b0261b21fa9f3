import type { RunUpdate, SessionHistory } from './dialect.js';
import { restoreCommands } from './directives.js';
import { splitMediaLines, withoutPartialMediaLine } from './media-lines.js';
import { ActivityTracker } from './progress.js';
import type { AbortResult, HistoryMessage, RunEvent, RunOutcome } from './types.js';

/**
 * What the gateway's history says of a run: it ended (with this outcome), it is at work (`certain`: the gateway says
 * the run is in flight; else its turn is there without an end, as during a quiet tool step), or nothing.
 */
export type RunLookup = { state: 'ended'; outcome: RunOutcome } | { state: 'working'; certain: boolean } | { state: 'unknown' };

export interface RunHooks {
  abort(run: RunStream): Promise<AbortResult>;
  /** Looks the run up in the session history. */
  recover(run: RunStream): Promise<RunLookup>;
  finished(run: RunStream): void;
  /** How many sub-agents the run's session waits for, when the gateway said. */
  subAgents(run: RunStream): number | undefined;
  /**
   * The gateway's final may lack the reply's `MEDIA:` lines (2026.2 stops streaming, `mediaUrls` included, when such a
   * line was split across chunks): the files and the text are taken from the run's row in the history.
   */
  mediaInHistory(): boolean;
}

/** How long a final waits for the history that names its files: its text is on screen meanwhile. */
const HISTORY_MEDIA_WAIT_MS = 1_500;

/**
 * One chat run. Yields normalised events: `text` (always the full text so far) and `activity` (tool steps, plans,
 * retries, usage, …; see progress.ts), then exactly one of `final`, `error` or `aborted`. Later duplicates of a terminal
 * event are ignored. A slow reader gets the newest text in place of texts it did not read yet; activities all come.
 */
export class RunStream implements AsyncIterable<RunEvent> {
  readonly startedAt = Date.now();
  /** Events were missed (a sequence gap, a reconnect) and none arrived since: the history is checked until one does. */
  gapped = false;
  lastActivityAt = Date.now();
  /** The connection dropped while this run was in flight, and nothing was heard from the run since. */
  connectionLost = false;
  /**
   * The connection dropped and no event of this run arrived since: a gateway that restarted may resume its turn under
   * a new run id. Unlike `connectionLost`, a history that shows the run at work does not clear it; only its own events do.
   */
  mayResume = false;
  /** chat.send went unanswered: nothing says the gateway has the run until it is heard from. */
  unconfirmed = false;
  /**
   * The gateway runs this prompt as a turn of its own, under an id it makes (a steer that came after the turn it was
   * for had ended): the session's next unknown run is this one.
   */
  awaitsGatewayRun = false;
  /** Overrides the client's idle timeout until the run is heard from (a run re-attached after a restart gives up sooner). */
  idleTimeoutMs: number | undefined;
  private lostGraceMs: number | undefined;
  /** Increments may have been missed: a final without the whole text takes it from the history. */
  private textIncomplete = false;
  private handedOffTurn = false;
  /** The ids this turn went under before the current one (a yielded turn's successor, a resumed run). */
  private readonly earlierRunIds: string[] = [];
  /** The next increment starts the text afresh (a successor run's answer replaces what was shown). */
  private freshText = false;
  private text = '';
  /**
   * Text of the assistant segments before the current one, with their separator. 2026.2 starts its text afresh
   * after each tool call and its final holds only the last segment; the reply keeps the earlier ones above it, as
   * 2026.9's own text does (segments joined by a blank line).
   */
  private earlierSegments = '';
  /** The current segment's text, as the gateway last sent it. */
  private segment = '';
  /** A tool ran since the last text: a snapshot that does not go on from the segment starts a new one. */
  private toolSinceText = false;
  private lastRunSeq = -1;
  private settled = false;
  private recovering = false;
  private readonly queue: RunEvent[] = [];
  private readonly progress = new ActivityTracker();
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

  /** Every run id this turn went under, the current one last. */
  get runIds(): string[] {
    return [...this.earlierRunIds, this.runId];
  }

  /** The full text received so far. */
  get currentText(): string {
    return this.text;
  }

  /**
   * The agent handed its turn to sub-agents (an OpenClaw 2026.9 yielded final): the run stays open, showing the interim
   * text, until the session's next run (the successor turn) ends.
   */
  get handedOff(): boolean {
    return this.handedOffTurn;
  }

  /** How long this run may stay silent before it is ended, given the client's default. */
  idleLimit(defaultMs: number): number {
    return Math.min(this.idleTimeoutMs ?? defaultMs, this.lostGraceMs ?? Number.POSITIVE_INFINITY);
  }

  abort(): Promise<AbortResult> {
    return this.hooks.abort(this);
  }

  /** Events were lost on the way (a sequence gap, a reconnect, a run attached after a restart). */
  missedEvents(): void {
    this.gapped = true;
    this.textIncomplete = true;
  }

  /** The connection dropped: the gateway may have lost the run, so only `graceMs` more of silence is allowed. */
  connectionDropped(graceMs: number): void {
    this.missedEvents();
    this.connectionLost = true;
    this.mayResume = true;
    this.lostGraceMs = Math.min(this.lostGraceMs ?? Number.POSITIVE_INFINITY, graceMs);
  }

  /** chat.send timed out, but the gateway may be running it: followed for `graceMs` until it is heard from. */
  sendUnanswered(graceMs: number): void {
    this.missedEvents();
    this.unconfirmed = true;
    this.lostGraceMs = Math.min(this.lostGraceMs ?? Number.POSITIVE_INFINITY, graceMs);
    this.lastActivityAt = Date.now();
  }

  apply(update: RunUpdate): void {
    if (this.settled || this.recovering) return;
    this.heard();
    this.mayResume = false;
    if (update.kind === 'activity') {
      if (update.activity?.type === 'tool') this.toolSinceText = true;
      const activity = this.progress.accept(update);
      if (activity) this.push({ type: 'activity', activity });
      const media = update.mediaUrls ? this.progress.accept({ activity: { type: 'media', urls: update.mediaUrls } }) : undefined;
      if (media) this.push({ type: 'activity', activity: media });
      return;
    }
    if (update.kind === 'delta') {
      // Snapshot deltas can arrive late or twice; an older one must not roll the text back.
      if (update.runSeq !== undefined) {
        if (update.runSeq <= this.lastRunSeq) return;
        this.lastRunSeq = update.runSeq;
      }
      let next = this.text;
      if (update.text !== undefined) {
        next = this.segmentedText(update.text);
        this.textIncomplete = false;
      } else if (update.deltaText !== undefined) {
        const restart = update.replace || this.freshText;
        if (restart) this.earlierSegments = '';
        this.segment = restart ? update.deltaText : this.segment + update.deltaText;
        next = restart ? update.deltaText : this.text + update.deltaText;
      }
      this.freshText = false;
      this.toolSinceText = false;
      this.showText(next);
      const activity = update.activity && this.progress.accept(update);
      if (activity) this.push({ type: 'activity', activity });
      return;
    }
    if (update.kind === 'error') {
      this.settle({ type: 'error', message: update.errorMessage ?? 'the run failed', text: update.text ?? this.text, fromGateway: true });
      return;
    }
    if (update.kind === 'final' && update.yielded) {
      this.handedOffTurn = true;
      if (update.text !== undefined) this.showText(update.text);
      // 2026.9 says neither in the final nor in the lifecycle end how many sub-agents the turn waits for: its `task`
      // events do (see subagents.ts).
      this.push({ type: 'activity', activity: { type: 'handoff', waitingFor: this.hooks.subAgents(this) } });
      return;
    }
    const text = update.text === undefined ? this.text : this.withEarlierSegments(update.text);
    const outcome: RunOutcome = update.kind === 'final' ? { type: 'final', text } : { type: 'aborted', text };
    if (outcome.type === 'final' && this.hooks.mediaInHistory()) void this.settleWithHistoryMedia(outcome);
    // After a gap the accumulated increments are incomplete; a snapshot final is still the whole text.
    else if (this.textIncomplete && update.text === undefined) void this.settleFromHistory(outcome);
    else this.settle(outcome);
  }

  /**
   * A sub-agent of the session reported (2026.9 `task` event): a handed-off turn is alive while they work, and says how
   * many it waits for when that changed.
   */
  subAgentsUpdate(count: number | undefined, changed: boolean): void {
    if (this.settled || !this.handedOffTurn) return;
    this.lastActivityAt = Date.now();
    if (changed) this.push({ type: 'activity', activity: { type: 'handoff', waitingFor: count } });
  }

  /**
   * Follows another run from now on: a restarted OpenClaw 2026.9 resumes an interrupted turn under a new run id, and
   * a yielded turn continues in a successor run. Its text replaces what was shown, as that turn's answer starts afresh.
   */
  continueAs(runId: string): void {
    this.earlierRunIds.push(this.runId);
    this.runId = runId;
    this.progress.nextRun();
    this.lastRunSeq = -1;
    this.handedOffTurn = false;
    this.mayResume = false;
    this.freshText = true;
    this.earlierSegments = '';
    this.segment = '';
    this.textIncomplete = false;
    this.heard();
  }

  /**
   * Settles the run from the history if its reply is there, and counts a history that shows it at work as a sign of
   * life (a tool step may be silent for minutes). Returns whether the run is settled.
   */
  async tryRecover(): Promise<boolean> {
    // A handed-off turn's own final row is the interim text: only the successor's answer may end it.
    if (this.settled || this.recovering || this.handedOffTurn) return this.settled;
    const found = await this.hooks.recover(this).catch((): RunLookup => ({ state: 'unknown' }));
    if (this.settled) return true;
    if (found.state === 'ended') {
      this.settle(found.outcome);
      return true;
    }
    if (found.state === 'working') {
      // The gateway's word ends every doubt; a turn merely there proves nothing after a dropped connection (2026.2
      // keeps the turn of a run it lost in a restart).
      if (found.certain) this.heard();
      else if (!this.connectionLost) this.lastActivityAt = Date.now();
    }
    return false;
  }

  /** Ends the run without an answer from the gateway; `lost`: the gateway lost it (a restart, a dropped connection). */
  fail(message: string, lost = false): void {
    this.settle(lost ? { type: 'error', message, text: this.text, lost } : { type: 'error', message, text: this.text });
  }

  /** The run is alive: whatever was assumed while it was out of sight no longer holds. */
  private heard(): void {
    this.lastActivityAt = Date.now();
    this.gapped = false;
    this.connectionLost = false;
    this.unconfirmed = false;
    this.lostGraceMs = undefined;
    this.idleTimeoutMs = undefined;
  }

  private showText(next: string): void {
    if (next === this.text) return;
    this.text = next;
    this.push({ type: 'text', text: next });
  }

  private async settleFromHistory(fallback: RunOutcome): Promise<void> {
    this.recovering = true;
    const found = await this.hooks.recover(this).catch((): RunLookup => ({ state: 'unknown' }));
    this.recovering = false;
    this.settle(found.state === 'ended' && found.outcome.type === fallback.type ? found.outcome : fallback);
  }

  /**
   * A final whose text may end with the start of a media line and whose files may not have been told (2026.2): the
   * streamed text without that piece goes on screen at once; the run's history row, within HISTORY_MEDIA_WAIT_MS, names
   * the files (a `media` activity before the final) and gives the text without its media lines, when it goes on from
   * what was streamed (or the stream missed events). Without the row the streamed text stands.
   */
  private async settleWithHistoryMedia(streamed: RunOutcome): Promise<void> {
    const shown = withoutPartialMediaLine(streamed.text);
    this.showText(shown);
    this.recovering = true;
    let timer: NodeJS.Timeout | undefined;
    const found = await Promise.race([
      this.hooks.recover(this).catch((): RunLookup => ({ state: 'unknown' })),
      new Promise<RunLookup>((resolve) => (timer = setTimeout(() => resolve({ state: 'unknown' }), HISTORY_MEDIA_WAIT_MS))),
    ]);
    clearTimeout(timer);
    this.recovering = false;
    let text = shown;
    if (found.state === 'ended' && found.outcome.type === 'final') {
      const split = splitMediaLines(found.outcome.text);
      const fromHistory = this.withEarlierSegments(split.text);
      if (this.textIncomplete || fromHistory.startsWith(shown.trimEnd())) text = fromHistory;
      const activity = split.urls.length > 0 ? this.progress.accept({ activity: { type: 'media', urls: split.urls } }) : undefined;
      if (activity) this.push({ type: 'activity', activity });
    }
    this.settle({ type: 'final', text });
  }

  /** The text shown for a snapshot of the current segment, which may be the start of a new one (see earlierSegments). */
  private segmentedText(snapshot: string): string {
    if (this.freshText) {
      this.earlierSegments = '';
    } else if (this.toolSinceText && this.segment.trim() !== '' && !snapshot.startsWith(this.segment)) {
      this.earlierSegments = `${this.text}\n\n`;
    } else if (snapshot !== this.segment && this.segment.startsWith(snapshot)) {
      // An older copy of the segment (2026.2's paced chat delta after its assistant event) must not roll it back.
      return this.text;
    }
    this.segment = snapshot;
    return this.earlierSegments + snapshot;
  }

  /** A final (or the history's reply) that holds only the last segment gets the earlier ones back in front of it. */
  private withEarlierSegments(text: string): string {
    const earlier = this.earlierSegments.trimEnd();
    return earlier === '' || text.startsWith(earlier) ? text : `${this.earlierSegments}${text}`;
  }

  private settle(outcome: RunOutcome): void {
    if (this.settled) return;
    this.settled = true;
    if (outcome.type !== 'error') outcome = { ...outcome, text: this.withEarlierSegments(outcome.text) };
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
        if (event.type !== 'text' && event.type !== 'activity') return;
        continue;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

/** Rows after a reply that show the run went on: it called a tool, whose result is here. */
const TOOL_RESULT_ROLES = new Set(['toolResult', 'tool', 'toolresult', 'tool_result', 'function']);

/** Text compared loosely: 2026.2 may store a prompt with its whitespace collapsed. */
function comparable(text: string): string {
  return restoreCommands(text).replace(/\s+/g, ' ').trim();
}

/**
 * A run's reply from the rows of its turn, once the turn is over: the last assistant row, if it is terminal and no tool
 * result follows it. `joined`: the run's text is all its assistant segments, as 2026.9's final holds them.
 */
function replyOf(rows: HistoryMessage[], streamed: string, joined: boolean): RunOutcome | undefined {
  const at = rows.findLastIndex((m) => m.role === 'assistant');
  const reply = rows[at];
  if (!reply?.endsRun) return undefined;
  if (rows.slice(at + 1).some((m) => TOOL_RESULT_ROLES.has(m.role))) return undefined;
  const earlier = joined ? rows.slice(0, at).filter((m) => m.role === 'assistant' && m.text !== '').map((m) => m.text) : [];
  const segments = (last: string) => [...earlier, last].filter((t) => t !== '').join('\n\n');
  let text = segments(reply.text);
  // The gateway cut a long text; what was streamed is the whole of it when it starts with what is left.
  if (reply.truncated) {
    const prefix = segments(reply.truncated.prefix);
    if (streamed !== '' && streamed.startsWith(prefix)) text = streamed;
  }
  return reply.aborted ? { type: 'aborted', text } : { type: 'final', text };
}

/** The rows of a run's turn: its own by run id when the gateway records it (2026.9), else those after its prompt. */
function turnOf(history: HistoryMessage[], run: { runId: string; prompt: string }): { rows: HistoryMessage[]; byId: boolean } | undefined {
  const own = history.filter((m) => m.runId === run.runId);
  if (own.length > 0) return { rows: own, byId: true };
  const prompt = comparable(run.prompt);
  const promptAt = history.findLastIndex((m) => m.role === 'user' && comparable(m.text).includes(prompt));
  if (promptAt < 0) return undefined;
  const nextPrompt = history.findIndex((m, i) => i > promptAt && m.role === 'user');
  return { rows: history.slice(promptAt + 1, nextPrompt < 0 ? undefined : nextPrompt), byId: false };
}

/** Looks a run up in its session's history: its reply once its turn is over, or whether it is still at work. */
export function lookUpRun(history: SessionHistory, run: { runId: string; prompt: string; currentText: string }): RunLookup {
  const turn = turnOf(history.messages, run);
  const outcome = turn ? replyOf(turn.rows, run.currentText, turn.byId) : undefined;
  if (outcome) return { state: 'ended', outcome };
  const { active } = history;
  if (active) {
    const inFlight = active.runIds ? active.runIds.includes(run.runId) : active.any;
    return inFlight ? { state: 'working', certain: true } : { state: 'unknown' };
  }
  return turn ? { state: 'working', certain: false } : { state: 'unknown' };
}
