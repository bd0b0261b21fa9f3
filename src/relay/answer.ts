import { randomBytes } from 'node:crypto';
import type { RelayConfig } from '../config/schema.js';
import type { GatewayClient } from '../gateway/client.js';
import { GatewayError } from '../gateway/errors.js';
import type { RunStream } from '../gateway/run.js';
import { scrubSecrets, type Logger } from '../log.js';
import type { ChannelMapping, RunRecord } from '../store/store.js';
import type { Catalog } from './catalog.js';
import { GatewayUnavailableError, UserFacingError } from './errors.js';
import type { LiveReply } from './live-reply.js';
import type { Mappings } from './mappings.js';
import { fetchProducedFiles, mediaName, RunMedia } from './media.js';
import { lastRunTokens, type AnswerFacts, type ReplyStatus } from './reply-status.js';
import type { AskInput, PersistentWriter, Person } from './scope.js';
import { waitAtMost } from './wait.js';

/** One answer being written: a prompt asked now, or a run followed again after a restart. */
export interface Job {
  id: string;
  sessionKey: string;
  scopeId: string;
  guildId: string | null;
  requester: Person;
  writer: PersistentWriter;
  reply: LiveReply;
  run: RunStream | undefined;
  stoppedBy: Person | undefined;
  startedAt: number;
  /** The reply's status line and footer, once the run started. */
  status: ReplyStatus | undefined;
  /** What the store keeps of it, for a restart to finish it. */
  record: RunRecord | undefined;
  /** Set for a prompt asked in this process. */
  ask?: { input: AskInput; mapping: ChannelMapping; sentMessage: string };
}


export function newJobId(): string {
  return randomBytes(6).toString('hex');
}

/** How long a final answer may wait for who answered and what it cost (its footer). */
const FACTS_LIMIT_MS = 1_000;
/** How long a private note about a failure may hold the public reply. */
const TELL_LIMIT_MS = 3_000;
const MAX_DETAIL_CHARS = 1_500;
/** How long a final may wait for the files the agent produced; its text is out already. */
export const PRODUCED_FILES_LIMIT_MS = 30_000;
/** Discord's upload limit for a file when the writer does not say (an unboosted guild's). */
const DEFAULT_UPLOAD_LIMIT_BYTES = 10 * 1024 * 1024;
const LOST = 'the gateway restarted or the connection dropped before the answer was complete';

/** What everyone may read about a failure: its kind, never the provider's own words (they can carry account hints). */
function failureSummary(detail: string): string {
  const status = /^(\d{3})\b/.exec(detail.trim())?.[1];
  return status ? `The agent's run failed: the model provider answered ${status}` : "The agent's run failed";
}

/** What the scheduler tells a reply being driven: whether clawcord is stopping, and that the run's id changed. */
export interface FollowHooks {
  closing(): boolean;
  runChanged(): Promise<void>;
}

export interface AnswersDeps {
  gateway: GatewayClient;
  mappings: Mappings;
  catalog: Catalog;
  config: Pick<RelayConfig, 'notifyAfterMs'>;
}

/**
 * Writes one answer: drives its reply from the run's events (text, activity, the end), adds who answered once it is
 * final, and turns failures into a public line with the details told privately to the asker.
 */
export class Answers {
  constructor(private readonly deps: AnswersDeps) {}

  /** Drives a reply from a run's events until the run ends. */
  async follow(job: Job, run: RunStream, log: Logger, hooks: FollowHooks, interruptedReason?: string): Promise<void> {
    const { reply } = job;
    const status = job.status;
    const media = new RunMedia();
    for await (const event of run) {
      if (hooks.closing()) return;
      if (job.record && job.record.runId !== run.runId) await hooks.runChanged();
      if (event.type === 'aborted' && status?.progress.used('exec') && !this.deps.gateway.info?.features.stopsBackgroundCommands) {
        status.note('⚠️ This gateway cannot stop a command the agent moved to the background: one may still be running.');
      }
      if (event.type !== 'text' && event.type !== 'activity' && event.type !== 'final') status?.end();
      switch (event.type) {
        case 'activity':
          media.add(event.activity);
          status?.activity(event.activity);
          break;
        case 'text':
          status?.text();
          reply.setPhase({ kind: 'streaming' }, event.text);
          break;
        case 'final': {
          this.notifyIfLong(job);
          const facts = await waitAtMost(this.answerFacts(job, run), FACTS_LIMIT_MS);
          status?.finish(facts ?? { agent: undefined, model: undefined, tokens: undefined });
          // The text goes out at once, the files follow in the next write. A final of files only (2026.9 takes a
          // reply that is only a media line out of the text) has nothing to show before them.
          if (media.urls.length > 0) reply.setAttachments({ filesPending: media.urls.map(mediaName) });
          const filesOnly = event.text.trim() === '' && this.deps.gateway.info?.features.producedFiles === true;
          if (!filesOnly) reply.setPhase({ kind: 'final' }, event.text);
          await this.attachProduced(job, run, media, log);
          if (filesOnly) reply.setPhase({ kind: 'final' }, event.text);
          break;
        }
        // A run that ends without text of its own keeps what the reply already shows (after a restart, say).
        case 'aborted':
          reply.setPhase({ kind: 'aborted', by: job.stoppedBy?.name }, event.text || reply.currentText);
          break;
        case 'error': {
          const reason = interruptedReason ?? (event.lost ? LOST : undefined);
          const text = event.text || reply.currentText;
          if (reason) reply.setPhase({ kind: 'interrupted', reason }, text);
          else {
            log.warn({ reason: event.message }, 'the run ended with an error');
            reply.setPhase({ kind: 'error', message: event.fromGateway ? await this.failureNote(job, event.message) : event.message }, text);
          }
          break;
        }
      }
    }
  }

  /**
   * The files the agent produced follow the final's text in the next write of its message: fetched within the
   * reply's upload limit and PRODUCED_FILES_LIMIT_MS, each one that cannot come named on a line. Where the gateway
   * keeps a run's files (2026.9 artifacts) it is asked at every final, `media` activities or not: a reply followed
   * again after a restart missed the earlier ones. Elsewhere only the names the activities gave can be shown.
   */
  private async attachProduced(job: Job, run: RunStream, media: RunMedia, log: Logger): Promise<void> {
    const { gateway } = this.deps;
    if (media.urls.length === 0 && gateway.info?.features.producedFiles !== true) return;
    const result = await fetchProducedFiles(gateway, {
      sessionKey: run.sessionKey,
      runId: run.runId,
      mediaUrls: media.urls,
      maxBytes: job.writer.uploadLimitBytes?.() ?? DEFAULT_UPLOAD_LIMIT_BYTES,
      timeoutMs: PRODUCED_FILES_LIMIT_MS,
      log,
    });
    const any = result.files.length > 0 || result.fileNotes.length > 0;
    if (any) log.info({ files: result.files.length, notes: result.fileNotes.length }, 'attaching the files the agent produced');
    job.reply.setAttachments(any ? result : undefined);
  }

  /**
   * An answer that took longer than relay.notifyAfterMs goes below as a new message notifying the asker: an edit
   * notifies no one, and after a long wait they have gone elsewhere. Counted from the question (a queued one waited too).
   */
  private notifyIfLong(job: Job): void {
    const after = this.deps.config.notifyAfterMs;
    if (after === 'off' || Date.now() - job.startedAt < after) return;
    job.reply.notifyOnFinal({ askerId: job.requester.id, guildId: job.guildId });
  }

  /** Who answered and what it cost: the agent's name, the model, and the tokens the session's row gives its last run. */
  private async answerFacts(job: Job, run: RunStream): Promise<AnswerFacts> {
    const mapping = job.ask?.mapping ?? (await this.deps.mappings.find(job.scopeId));
    const [agents, row] = await Promise.all([
      this.deps.catalog.listAgents().catch(() => undefined),
      this.deps.gateway.sessionRow(run.sessionKey).catch(() => undefined),
    ]);
    const agentId = mapping?.agentId;
    const agent = agentId ? (agents?.agents.find((a) => a.id === agentId)?.name ?? agentId) : undefined;
    const model = job.status?.progress.model ?? row?.model ?? mapping?.model ?? undefined;
    return { agent, model, tokens: lastRunTokens(row) };
  }

  /** What a failed chat.send shows: clawcord's own reasons as they are, the gateway's refusal by kind. */
  async sendFailure(job: Job, error: unknown): Promise<string> {
    if (error instanceof UserFacingError) return error.message;
    if (error instanceof GatewayError && !error.fatal && !this.deps.gateway.connected) return new GatewayUnavailableError().message;
    if (error instanceof GatewayError && (error.code === 'TIMEOUT' || error.code === 'DISCONNECTED')) return error.message;
    return this.failureNote(job, error instanceof Error ? error.message : String(error));
  }

  /** The public line for a failure; its details go privately to the asker where Discord allows it. */
  private async failureNote(job: Job, detail: string): Promise<string> {
    const summary = failureSummary(detail);
    const clean = scrubSecrets(detail);
    const note = `❌ Your question failed. The gateway said: ${clean.length > MAX_DETAIL_CHARS ? `${clean.slice(0, MAX_DETAIL_CHARS - 1)}…` : clean}`;
    const told = job.writer.tellAsker ? await waitAtMost(job.writer.tellAsker(note).catch(() => false), TELL_LIMIT_MS) : false;
    return told ? `${summary}; the details went to ${job.requester.name} privately.` : `${summary}; the details are in clawcord's log.`;
  }

}
