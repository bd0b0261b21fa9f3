import type { RunStream } from '../gateway/run.js';
import type { ChatAttachment } from '../gateway/types.js';
import type { AttachmentsConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { RunRecord } from '../store/store.js';
import type { Catalog } from './catalog.js';
import { Answers, newJobId, type FollowHooks, type Job } from './answer.js';
import { fetchRefusal, FilesRefusedError, gatewayFiles, needsModelInput, planFiles, prepareFiles, type FetchedFile, type FileFacts, type FileRefusal, type FileRules, type GatewayFiles } from './attachments.js';
import { BusyError } from './errors.js';
import { LiveReply } from './live-reply.js';
import { requireGateway, type Mappings } from './mappings.js';
import type { ReplyPhase } from './phase.js';
import { attributePrompt } from './prompt.js';
import type { RelayDeps } from './relay.js';
import { ReplyStatus } from './reply-status.js';
import type { ChannelMapping } from '../store/store.js';
import type { AskInput, AskOutcome, IncomingFile, PersistentWriter, Person, Scope } from './scope.js';
import { HeldPlaces, type QueuePlace } from './queue-places.js';
import { PRECHECK_LIMIT_MS, waitAtMost } from './wait.js';

export interface RunsDeps extends RelayDeps {
  attachments: AttachmentsConfig;
  mappings: Mappings;
  catalog: Catalog;
  /** A run's answer is over (things attached to the run, such as approvals it waits on, end with it). */
  runEnded?(runId: string, why: string): void;
}

interface Lane {
  active: Job | undefined;
  waiting: Job[];
}

/** The run a session streams now, for those who attach things to its reply (approval cards, steered prompts). */
export interface ActiveRun {
  jobId: string;
  runId: string | undefined;
  requester: Person;
  writer: PersistentWriter;
  status: ReplyStatus | undefined;
}

export type StopResult =
  | { status: 'stopped'; owner: Person }
  | { status: 'nothing' }
  | { status: 'forbidden'; owner: Person };

const SETTLE_LIMIT_MS = 5 * 60_000;
/** How long an accepted prompt with images may wait to learn whether the session's model takes them. */
const MODEL_LOOKUP_LIMIT_MS = 5_000;
/**
 * How long a place a precheck held waits for its ask. The ask follows the public deferral, which Discord must have
 * within 3 s of the command; a caller releases the place itself when the deferral fails, so this only bounds a
 * place whose ask never comes for a reason nobody saw.
 */
const PLACE_HOLD_MS = 10_000;

/**
 * One run per session at a time, the rest queued behind it; each answer streamed into its reply, and kept in the
 * store until it ends so that a restart can finish it.
 */
export class Runs {
  private readonly lanes = new Map<string, Lane>();
  private readonly jobs = new Map<string, Job>();
  private readonly answers: Answers;
  /** The files of prompts not sent yet, fetched when they were accepted (Discord's links expire). */
  private readonly heldFiles = new WeakMap<Job, ChatAttachment[]>();
  private readonly places = new HeldPlaces(PLACE_HOLD_MS);
  private closing = false;

  constructor(private readonly deps: RunsDeps) {
    this.answers = new Answers(deps);
  }

  /**
   * Throws what `ask` would refuse with (gateway down, queue full, files this gateway cannot take as Discord describes
   * them), before a reply is shown; never waits long. With `hold`, a prompt that passes gets a place in the queue,
   * counted against relay.maxQueue until its ask (`AskInput.place`) has queued it or the place is released, so that a
   * burst is refused here, privately, and never in `ask`. A prompt to be steered into a running answer does not
   * queue, so a full queue does not refuse it (it holds a place while there is one, in case the steer falls back to
   * queueing); a prompt with files never steers.
   */
  async precheck(scope: Scope, options: { steer?: boolean; files?: FileFacts[]; hold?: boolean } = {}): Promise<QueuePlace | undefined> {
    requireGateway(this.deps.gateway);
    const files = options.files ?? [];
    const mapping = await waitAtMost(this.deps.mappings.forScope(scope), PRECHECK_LIMIT_MS);
    if (files.length > 0) {
      const gateway = await this.filesGateway(files, mapping, PRECHECK_LIMIT_MS);
      const { refusals } = planFiles(files, gateway, this.fileRules);
      if (refusals.length > 0) throw new FilesRefusedError(refusals);
    }
    // Nothing awaits from here on: the check and the hold are one step, whatever else a burst runs meanwhile.
    const lane = mapping ? this.lanes.get(mapping.sessionKey) : undefined;
    const full = this.placesTaken(scope.id, lane) >= 1 + this.deps.config.maxQueue;
    if (full) {
      if (options.steer && files.length === 0 && lane?.active?.run && this.deps.gateway.info?.features.steer) return undefined;
      throw new BusyError(this.deps.config.maxQueue);
    }
    return options.hold ? this.places.hold(scope.id) : undefined;
  }

  /** The answer running in a scope's session, those waiting, and the places prechecks hold there (but `own`). */
  private placesTaken(scopeId: string, lane: Lane | undefined, own?: QueuePlace): number {
    return (lane?.active ? 1 : 0) + (lane?.waiting.length ?? 0) + this.places.count(scopeId, own);
  }

  /**
   * Queues a prompt for the scope's session (position 0: it runs now). With `steer`, a prompt for a session whose
   * answer is streaming goes into that running turn instead, where the gateway can take it. Files are fetched now and
   * held until the prompt is sent; if any cannot go, nothing is queued (FilesRefusedError names each one). A prompt
   * with files never steers: no gateway is known to take files into a running turn, so it waits for its own.
   */
  async ask(input: AskInput): Promise<AskOutcome> {
    input.place?.take();
    try {
      return await this.queue(input);
    } finally {
      // Steered or refused: the place is not needed any more (a queued prompt gave it back as it queued).
      input.place?.release();
    }
  }

  private async queue(input: AskInput): Promise<AskOutcome> {
    requireGateway(this.deps.gateway);
    const mapping = await this.deps.mappings.forScope(input.scope);
    const attributed = attributePrompt(this.deps.config.promptTemplate, input.requester, input.prompt);
    const files = input.files ?? [];
    const prepared = files.length > 0 ? await this.fetchFiles(files, mapping, attributed) : undefined;
    let queuedByGateway: RunStream | undefined;
    const running = this.lanes.get(mapping.sessionKey)?.active;
    if (input.steer && !prepared && running?.run && !running.run.done && this.deps.gateway.info?.features.steer) {
      const steered = await this.steer(running, running.run, input);
      if (steered?.status === 'steered') return steered;
      queuedByGateway = steered?.run;
    }
    // From here on nothing awaits: the check, the position and the queueing are one step.
    // Places other prechecks hold count as taken: their asks are on their way, past their public deferrals.
    if (!queuedByGateway && this.placesTaken(input.scope.id, this.lanes.get(mapping.sessionKey), input.place) >= 1 + this.deps.config.maxQueue) {
      throw new BusyError(this.deps.config.maxQueue);
    }
    const lane = this.lane(mapping.sessionKey);
    // A prompt the gateway queued itself runs right after the answer in progress, before any clawcord queued.
    const position = lane.active ? (queuedByGateway ? 1 : lane.waiting.length + 1) : 0;
    const phase: ReplyPhase = position > 0 ? { kind: 'queued', position } : { kind: 'waiting' };
    const job: Job = {
      id: newJobId(),
      sessionKey: mapping.sessionKey,
      scopeId: input.scope.id,
      guildId: input.scope.guildId,
      requester: input.requester,
      writer: input.writer,
      reply: new LiveReply(input.writer, this.deps.render, phase, this.deps.pacer.poke),
      run: queuedByGateway,
      stoppedBy: undefined,
      startedAt: Date.now(),
      status: undefined,
      record: undefined,
      ask: { input, mapping, sentMessage: prepared ? [attributed, ...prepared.inlined].join('\n\n') : attributed },
    };
    if (prepared && prepared.attachments.length > 0) this.heldFiles.set(job, prepared.attachments);
    input.writer.bindJob(job.id);
    if (prepared && prepared.notes.length > 0) void input.writer.tellAsker?.(prepared.notes.join('\n')).catch(() => false);
    this.jobs.set(job.id, job);
    // The lane counts the prompt from now on, in the same step: its place must not count twice meanwhile.
    input.place?.release();
    if (queuedByGateway) lane.waiting.unshift(job);
    else lane.waiting.push(job);
    this.pump(lane);
    return { status: position > 0 ? 'queued' : 'started', position, jobId: job.id, reply: job.reply };
  }

  /**
   * Puts a prompt into a running turn. Undefined when nothing was sent (then it queues as usual); `run` when the turn
   * ended before the gateway could take the prompt, so that the gateway runs it as a turn of its own, followed here.
   */
  private async steer(
    active: Job,
    run: RunStream,
    input: AskInput,
  ): Promise<Extract<AskOutcome, { status: 'steered' }> | { status: 'queued by the gateway'; run: RunStream } | undefined> {
    const log = this.logFor(active).child({ run: run.runId });
    const message = attributePrompt(this.deps.config.promptTemplate, input.requester, input.prompt);
    try {
      const result = await this.deps.gateway.steer(active.sessionKey, message, run.runId);
      if (result.status === 'queued' && result.byGateway) {
        log.info({ user: input.requester.id }, 'the answer ended before a steered prompt reached it; following the turn the gateway runs for it');
        return { status: 'queued by the gateway', run: this.deps.gateway.followQueuedTurn(active.sessionKey, message) };
      }
      if (result.status !== 'steered') return undefined;
    } catch (error) {
      log.info({ err: error }, 'could not steer a prompt into the running answer; queueing it');
      return undefined;
    }
    log.info({ user: input.requester.id }, 'a prompt was steered into the running answer');
    active.status?.note(`↪️ ${input.requester.name} added to this answer while it ran.`);
    return { status: 'steered', into: { requester: active.requester, jobId: active.id } };
  }

  /** The answer streaming in a session now, if any. */
  activeRun(sessionKey: string): ActiveRun | undefined {
    const job = this.lanes.get(sessionKey)?.active;
    return job ? { jobId: job.id, runId: job.run?.runId, requester: job.requester, writer: job.writer, status: job.status } : undefined;
  }

  /** Stops a job (its Stop button) or the run streaming in a session (/abort). */
  async stop(target: { jobId: string } | { sessionKey: string }, by: Person, isAdmin: boolean): Promise<StopResult> {
    const job = 'jobId' in target ? this.jobs.get(target.jobId) : this.lanes.get(target.sessionKey)?.active;
    if (!job) return { status: 'nothing' };
    const owner = job.requester;
    if (owner.id !== by.id && !isAdmin) return { status: 'forbidden', owner };
    job.stoppedBy = by;
    const lane = this.lanes.get(job.sessionKey);
    if (lane && lane.active !== job && lane.waiting.includes(job)) {
      lane.waiting.splice(lane.waiting.indexOf(job), 1);
      this.jobs.delete(job.id);
      job.reply.setPhase({ kind: 'aborted', by: by.name });
      this.renumber(lane);
      return { status: 'stopped', owner };
    }
    if (job.run) {
      requireGateway(this.deps.gateway);
      await job.run.abort();
    }
    return { status: 'stopped', owner };
  }

  /** What runs and waits in one session. */
  session(sessionKey: string): { running: { requester: Person; startedAt: number } | undefined; queued: number } {
    const lane = this.lanes.get(sessionKey);
    const active = lane?.active;
    return { running: active ? { requester: active.requester, startedAt: active.run?.startedAt ?? active.startedAt } : undefined, queued: lane?.waiting.length ?? 0 };
  }

  /** Active and queued runs across all sessions. */
  get load(): { active: number; queued: number } {
    let active = 0;
    let queued = 0;
    for (const lane of this.lanes.values()) {
      if (lane.active) active += 1;
      queued += lane.waiting.length;
    }
    return { active, queued };
  }

  /**
   * Finishes the reply of a run that was in flight when the bot stopped: from the gateway's events if the run is
   * still going, else from the session history; otherwise the reply says it was interrupted. Until then the run
   * holds its session like any other (with a Stop button, seen by /abort and /status).
   */
  async resume(record: RunRecord, writer: PersistentWriter): Promise<void> {
    const id = newJobId();
    writer.bindJob(id);
    const shown = await writer.shownText().catch(() => '');
    const reply = new LiveReply(writer, this.deps.render, shown ? { kind: 'streaming' } : { kind: 'waiting' }, this.deps.pacer.poke);
    reply.setText(shown);
    const run = this.deps.gateway.attachRun({ runId: record.runId, sessionKey: record.sessionKey, prompt: record.prompt, idleTimeoutMs: this.deps.config.recoveryTimeoutMs });
    const log = this.deps.logger.child({ guild: record.guildId, channel: record.scopeId, job: id, run: record.runId });
    const job: Job = {
      id,
      sessionKey: record.sessionKey,
      scopeId: record.scopeId,
      guildId: record.guildId,
      requester: { id: record.requesterId, name: record.requesterName },
      writer,
      reply,
      run,
      stoppedBy: undefined,
      startedAt: record.startedAt,
      status: new ReplyStatus(reply, this.deps.config, record.startedAt),
      record,
    };
    writer.onLocationChange = () => void this.persist(job, log);
    this.jobs.set(id, job);
    const lane = this.lane(job.sessionKey);
    // A prompt asked before the gateway came back may hold the session already; then this one only finishes.
    const holdsLane = !lane.active;
    if (holdsLane) lane.active = job;
    try {
      await this.answers.follow(job, run, log, this.hooksFor(job, log), 'interrupted by a restart');
      this.ended(job, run);
      await this.settle(reply);
      log.info({ outcome: reply.currentPhase.kind }, 'finished a reply left over from before the restart');
      await this.forget(job, log);
    } finally {
      this.jobs.delete(id);
      if (holdsLane && lane.active === job) lane.active = undefined;
      this.pump(lane);
    }
  }

  /** Marks every live reply as interrupted (their runs are kept, to be finished after the restart) and waits for the writes. */
  async shutdown(timeoutMs: number): Promise<void> {
    this.closing = true;
    const replies: LiveReply[] = [];
    for (const lane of this.lanes.values()) {
      if (lane.active) {
        lane.active.reply.setPhase({ kind: 'interrupted', reason: 'clawcord is restarting; this answer will be completed when it is back' });
        replies.push(lane.active.reply);
      }
      for (const waiting of lane.waiting) {
        waiting.reply.setPhase({ kind: 'interrupted', reason: 'clawcord is restarting; please ask again' });
        replies.push(waiting.reply);
      }
    }
    await waitAtMost(Promise.all(replies.map((reply) => reply.whenSettled())), timeoutMs);
  }

  private get fileRules(): FileRules {
    return { downloadMaxBytes: this.deps.attachments.maxBytes, inlineTextMaxChars: this.deps.attachments.inlineTextMaxChars };
  }

  /** What the gateway does with files, and (for images on 2026.2) whether the session's model takes them. */
  private async filesGateway(files: readonly FileFacts[], mapping: ChannelMapping | undefined, limitMs: number): Promise<GatewayFiles> {
    const info = this.deps.gateway.info!;
    if (!mapping || !needsModelInput(files, info)) return gatewayFiles(info);
    const model = await waitAtMost(this.sessionModel(mapping), limitMs).catch(() => undefined);
    return gatewayFiles(info, model);
  }

  private async sessionModel(mapping: ChannelMapping): Promise<{ ref: string | undefined; takesImages: boolean | undefined }> {
    const ref = mapping.model ?? (await this.deps.gateway.sessionRow(mapping.sessionKey))?.model;
    if (!ref) return { ref: undefined, takesImages: undefined };
    const wanted = ref.toLowerCase();
    const models = await this.deps.catalog.listModels();
    const model = models.find((m) => m.ref.toLowerCase() === wanted) ?? models.find((m) => m.id.toLowerCase() === wanted);
    return { ref, takesImages: model?.input ? model.input.includes('image') : undefined };
  }

  /**
   * Checks the files as Discord describes them (again: the precheck may not have run, or the gateway changed), then
   * downloads them all and checks their bytes; any that cannot go refuses the prompt, naming each.
   */
  private async fetchFiles(files: readonly IncomingFile[], mapping: ChannelMapping, message: string) {
    const gateway = await this.filesGateway(files, mapping, MODEL_LOOKUP_LIMIT_MS);
    const { plans, refusals } = planFiles(files, gateway, this.fileRules);
    if (refusals.length > 0) throw new FilesRefusedError(refusals);
    const fetched: FetchedFile[] = [];
    const failed: FileRefusal[] = [];
    const downloads = await Promise.allSettled(plans.map((plan) => plan.facts.fetch(plan.cap.bytes)));
    downloads.forEach((download, i) => {
      const plan = plans[i]!;
      if (download.status === 'fulfilled') fetched.push({ facts: plan.facts, expected: plan.expected, data: download.value });
      else failed.push(fetchRefusal(plan, download.reason));
    });
    if (failed.length > 0) {
      this.deps.logger.info({ files: failed.map((f) => f.name), reasons: downloads.flatMap((d) => (d.status === 'rejected' ? [String(d.reason)] : [])) }, 'could not download the files of a prompt');
    }
    const { prepared, refusals: byBytes } = prepareFiles(fetched, gateway, this.fileRules, message);
    if (failed.length + byBytes.length > 0) throw new FilesRefusedError([...failed, ...byBytes]);
    return prepared;
  }

  private lane(sessionKey: string): Lane {
    let lane = this.lanes.get(sessionKey);
    if (!lane) {
      lane = { active: undefined, waiting: [] };
      this.lanes.set(sessionKey, lane);
    }
    return lane;
  }

  private renumber(lane: Lane): void {
    lane.waiting.forEach((waiting, i) => waiting.reply.setPhase({ kind: 'queued', position: i + 1 }));
  }

  private pump(lane: Lane): void {
    if (lane.active || this.closing) return;
    const job = lane.waiting.shift();
    if (!job) {
      for (const [key, candidate] of this.lanes) if (candidate === lane) this.lanes.delete(key);
      return;
    }
    lane.active = job;
    this.renumber(lane);
    void this.execute(job)
      .catch((error: unknown) => this.logFor(job).error({ err: error }, 'a run failed inside clawcord'))
      .finally(() => {
        this.jobs.delete(job.id);
        lane.active = undefined;
        this.pump(lane);
      });
  }

  private logFor(job: Job): Logger {
    return this.deps.logger.child({ guild: job.guildId, channel: job.scopeId, job: job.id });
  }

  private async execute(job: Job): Promise<void> {
    const { reply } = job;
    const { input, mapping, sentMessage } = job.ask!;
    const log = this.logFor(job);
    reply.setPhase({ kind: 'waiting' });
    // A prompt the gateway queued itself (a steer too late for its turn) is already on its way.
    let run = job.run;
    if (!run) {
      try {
        const attachments = this.heldFiles.get(job);
        this.heldFiles.delete(job);
        run = await this.deps.gateway.chatSend({ sessionKey: mapping.sessionKey, message: sentMessage, thinking: input.thinking, ...(attachments ? { attachments } : {}) });
      } catch (error) {
        log.warn({ err: error }, 'chat.send failed');
        reply.setPhase({ kind: 'error', message: await this.answers.sendFailure(job, error) });
        await this.settle(reply);
        return;
      }
    }
    job.run = run;
    job.status = new ReplyStatus(reply, this.deps.config, run.startedAt);
    const runLog = log.child({ run: run.runId });
    runLog.debug('run started');
    if (job.stoppedBy) void run.abort().catch((error: unknown) => runLog.warn({ err: error }, 'could not stop a run stopped before it started'));
    this.deps.mappings.applyPendingModel(mapping, runLog);

    job.record = {
      runId: run.runId,
      sessionKey: mapping.sessionKey,
      scopeId: input.scope.id,
      guildId: input.scope.guildId,
      prompt: sentMessage,
      requesterId: input.requester.id,
      requesterName: input.requester.name,
      startedAt: run.startedAt,
      location: input.writer.location(),
    };
    input.writer.onLocationChange = () => void this.persist(job, runLog);
    await this.persist(job, runLog);

    await this.answers.follow(job, run, runLog, this.hooksFor(job, runLog));
    this.ended(job, run);
    runLog.info({ outcome: reply.currentPhase.kind, chars: reply.currentText.length, ms: Date.now() - run.startedAt }, 'run finished');
    await this.settle(reply);
    await this.forget(job, runLog);
  }

  /**
   * Stores where the run's reply is and which run it follows. The run id can change under us (a gateway that resumes
   * a turn after its restart, a turn handed to sub-agents that continues in a successor run): a restart must follow
   * the new one. A store that cannot write costs the restart recovery of this run, never the run itself.
   */
  private async persist(job: Job, log: Logger): Promise<void> {
    const previous = job.record;
    if (!previous || !job.run) return;
    const record: RunRecord = { ...previous, runId: job.run.runId, location: job.writer.location() };
    job.record = record;
    try {
      if (previous.runId !== record.runId) await this.deps.store.deleteRun(previous.runId);
      await this.deps.store.saveRun(record);
    } catch (error) {
      log.warn({ err: error }, 'could not store the run record');
    }
  }

  /** The run is over: its record goes, unless clawcord is stopping (the next start finishes the reply). */
  private async forget(job: Job, log: Logger): Promise<void> {
    if (this.closing || !job.record) return;
    await this.deps.store.deleteRun(job.record.runId).catch((error: unknown) => log.warn({ err: error }, 'could not delete the run record'));
  }

  private hooksFor(job: Job, log: Logger): FollowHooks {
    return { closing: () => this.closing, runChanged: () => this.persist(job, log) };
  }

  private ended(job: Job, run: RunStream): void {
    if (this.closing) return;
    this.deps.runEnded?.(run.runId, job.stoppedBy ? `the answer was stopped by ${job.stoppedBy.name}` : 'the run ended before a decision');
  }

  private async settle(reply: LiveReply): Promise<void> {
    await waitAtMost(reply.whenSettled(), SETTLE_LIMIT_MS);
  }
}
