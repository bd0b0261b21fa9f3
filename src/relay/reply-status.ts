import type { RunActivity, SessionRow } from '../gateway/types.js';
import type { RelayConfig } from '../config/schema.js';
import type { LiveReply } from './live-reply.js';
import type { ReplyExtras, ReplyFooter } from './phase.js';
import { RunProgress } from './progress.js';

/** While a tool runs (or an approval waits), the elapsed time on the status line moves this often. */
export const PROGRESS_TICK_MS = 5_000;

/** Who answered, as far as clawcord knows once the run is over. */
export interface AnswerFacts {
  agent: string | undefined;
  model: string | undefined;
  tokens: number | undefined;
}

/**
 * The tokens the run just ended cost, from the session's row: both OpenClaw versions keep there the input and output
 * tokens of the session's last run (`totalTokens` is the last prompt's size, not a sum).
 */
export function lastRunTokens(row: SessionRow | undefined): number | undefined {
  const tokens = row?.tokens;
  if (!tokens || (tokens.input === undefined && tokens.output === undefined)) return undefined;
  const sum = (tokens.input ?? 0) + (tokens.output ?? 0);
  return sum > 0 ? sum : undefined;
}

/**
 * The status line and footer of one reply: what the run does besides writing text (config `relay.progress`), notes
 * about the reply (a follow-up steered into it), and who answered (config `relay.footer`). Writes go through the
 * reply, so they are paced like every other edit; the only timer moves the elapsed time while something is at work.
 */
export class ReplyStatus {
  readonly progress: RunProgress;
  private readonly notes: string[] = [];
  private footer: ReplyFooter | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private ended = false;

  constructor(
    private readonly reply: LiveReply,
    private readonly config: Pick<RelayConfig, 'progress' | 'footer'>,
    readonly startedAt: number,
    private readonly now: () => number = Date.now,
  ) {
    this.progress = new RunProgress(startedAt, now);
  }

  activity(activity: RunActivity): void {
    if (this.progress.apply(activity)) this.show();
  }

  text(): void {
    if (this.progress.textArrived()) this.show();
  }

  /** A line about the reply itself, shown until it ends and kept after. */
  note(text: string): void {
    this.notes.push(text);
    this.show();
  }

  /** The run answered: the status line gives way to the footer. */
  finish(facts: AnswerFacts): void {
    this.end();
    const tools = this.config.progress === 'summary' ? this.progress.tools : undefined;
    const durationMs = Math.max(0, this.now() - this.startedAt);
    if (this.config.footer) {
      this.footer = { agent: facts.agent, model: facts.model, durationMs, tokens: facts.tokens ?? this.progress.reportedOutputTokens };
      if (tools) this.footer.tools = tools;
    } else if (tools) {
      this.footer = { agent: undefined, model: undefined, durationMs, tokens: undefined, tools };
    }
    this.show();
  }

  /** The run ended without an answer (stopped, failed, interrupted): no status line, no footer. */
  end(): void {
    this.ended = true;
    clearInterval(this.ticker);
    this.ticker = undefined;
    this.show();
  }

  private extras(): ReplyExtras | undefined {
    const extras: ReplyExtras = {};
    const progress = this.ended || this.config.progress === 'off' ? undefined : this.progress.view();
    if (progress) extras.progress = progress;
    if (this.footer) extras.footer = this.footer;
    if (this.notes.length > 0) extras.notes = [...this.notes];
    return extras.progress || extras.footer || extras.notes ? extras : undefined;
  }

  private show(): void {
    this.reply.setExtras(this.extras());
    if (this.ended || this.config.progress === 'off') return;
    if (this.progress.busy && !this.ticker) {
      this.ticker = setInterval(() => {
        if (!this.progress.busy || !this.reply.live) {
          clearInterval(this.ticker);
          this.ticker = undefined;
          return;
        }
        this.reply.setExtras(this.extras());
      }, PROGRESS_TICK_MS);
      this.ticker.unref();
    }
  }
}
