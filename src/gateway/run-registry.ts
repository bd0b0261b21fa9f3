import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.js';
import type { RunUpdate } from './dialect.js';
import type { SessionHistory } from './dialect.js';
import { lookUpRun, RunStream } from './run.js';
import { SubagentTasks } from './subagents.js';
import type { AbortResult, ChatSendInput } from './types.js';

export interface RunRegistryOptions {
  /** How often a run that lost events (or went quiet) is looked up in the history. */
  recoveryIntervalMs: number;
  /** A run with no event and no reply in the history for this long is ended with an error. */
  runIdleTimeoutMs: number;
  /** The same, for a run whose connection dropped: a restarted gateway may have lost it. */
  lostRunGraceMs: number;
  logger: Logger;
}

/** What the registry needs from the client: the gateway, as long as it is connected. */
export interface RunGateway {
  connected(): boolean;
  abort(sessionKey: string, runId: string, options: { handedOff: boolean }): Promise<AbortResult>;
  history(sessionKey: string, limit: number): Promise<SessionHistory>;
  /** A run's final may lack its `MEDIA:` lines, which its history row keeps (2026.2). */
  mediaInHistory(): boolean;
}

const ORPHAN_TTL_MS = 30_000;
const RESTART_GRACE_MS = 15_000;
const MAX_ORPHAN_RUNS = 64;
const MAX_ORPHAN_UPDATES = 2_000;
const MAX_LINEAGES = 256;
/** The id of a run followed before the gateway named it (a prompt it queued as a turn of its own). */
const PLACEHOLDER_PREFIX = 'next:';

/**
 * The runs in flight: routes the gateway's run events to them, keeps events of runs not named yet, and looks
 * runs that missed events (or went quiet) up in the history until they end.
 */
export class RunRegistry {
  private readonly runs = new Map<string, RunStream>();
  private readonly orphans = new Map<string, { updates: RunUpdate[]; at: number }>();
  private readonly subagents = new SubagentTasks();
  /** Run ids of chat.sends that steer another run, and who waits for their end: their events are never an answer. */
  private readonly steers = new Map<string, (update: RunUpdate) => void>();
  private readonly steered = new Set<string>();
  private recoveryTimer: NodeJS.Timeout | undefined;
  /** For turns that went under more than one run id: each of those ids → all of them, kept after the turn ends. */
  private readonly lineages = new Map<string, string[]>();

  constructor(
    private readonly options: RunRegistryOptions,
    private readonly gateway: RunGateway,
  ) {}

  get active(): RunStream[] {
    return [...this.runs.values()];
  }

  get(runId: string): RunStream | undefined {
    return this.runs.get(runId);
  }

  track(runId: string, input: ChatSendInput): RunStream {
    const run = new RunStream(runId, input.sessionKey, input.message, {
      abort: (r) => this.gateway.abort(r.sessionKey, r.runId, { handedOff: r.handedOff }),
      recover: async (r) => lookUpRun(await this.gateway.history(r.sessionKey, 50), r),
      finished: (r) => this.forget(r),
      subAgents: (r) => this.subagents.count(r.sessionKey),
      mediaInHistory: () => this.gateway.mediaInHistory(),
    });
    this.runs.set(runId, run);
    const buffered = this.orphans.get(runId);
    if (buffered) {
      this.orphans.delete(runId);
      for (const update of buffered.updates) run.apply(update);
    }
    this.ensureRecoveryTimer();
    return run;
  }

  /** Every run id the turn of `runId` went under (a yielded turn's successor, a resumed run), in order. */
  runIdsOf(runId: string): string[] {
    const ids = this.runs.get(runId)?.runIds ?? this.lineages.get(runId) ?? [runId];
    return ids.filter((id) => !id.startsWith(PLACEHOLDER_PREFIX));
  }

  forget(run: RunStream): void {
    if (this.runs.get(run.runId) === run) this.runs.delete(run.runId);
  }

  route(update: RunUpdate): void {
    const steer = this.steers.get(update.runId);
    if (steer) {
      steer(update);
      return;
    }
    if (this.steered.has(update.runId)) return;
    const run = this.runs.get(update.runId) ?? this.successorRun(update) ?? this.resumedRun(update) ?? this.gatewayRun(update);
    if (run) {
      run.apply(update);
      return;
    }
    // Only text is worth keeping for a run not named yet; other clients' runs are busy too.
    if (update.kind === 'activity') return;
    // Card pushes can arrive before the chat.send answer names the run; keep them briefly.
    const now = Date.now();
    for (const [id, orphan] of this.orphans) if (now - orphan.at > ORPHAN_TTL_MS) this.orphans.delete(id);
    let orphan = this.orphans.get(update.runId);
    if (!orphan) {
      if (this.orphans.size >= MAX_ORPHAN_RUNS) this.orphans.delete(this.orphans.keys().next().value!);
      orphan = { updates: [], at: now };
      this.orphans.set(update.runId, orphan);
    }
    if (orphan.updates.length < MAX_ORPHAN_UPDATES) orphan.updates.push(update);
  }

  /**
   * Watches the run a steering chat.send makes (its idempotency key): the gateway ends it, with an empty final, when it
   * put the text into the running turn. Its events go to `onUpdate` until the returned function is called, and are
   * dropped after that.
   */
  watchSteer(runId: string, onUpdate: (update: RunUpdate) => void): () => void {
    this.steers.set(runId, onUpdate);
    return () => {
      this.steers.delete(runId);
      if (this.steered.size >= MAX_ORPHAN_RUNS) this.steered.delete(this.steered.values().next().value!);
      this.steered.add(runId);
    };
  }

  /** A 2026.9 `task` event: a handed-off turn hears from its sub-agents, and how many it waits for. */
  taskEvent(payload: unknown): void {
    const update = this.subagents.update(payload);
    if (!update) return;
    const count = this.subagents.count(update.sessionKey);
    for (const run of this.runs.values()) {
      if (run.sessionKey.toLowerCase() === update.sessionKey) run.subAgentsUpdate(count, update.changed);
    }
  }

  /** Events were lost on the way: every run's final text must come from the history. */
  markGapped(): void {
    for (const run of this.runs.values()) run.missedEvents();
  }

  /** chat.send timed out, though the gateway may run it (its run id is the idempotency key): keep following it. */
  sendUnanswered(run: RunStream): void {
    run.sendUnanswered(this.options.lostRunGraceMs);
    this.ensureRecoveryTimer();
  }

  /**
   * A new connection is up. Events sent while we were away are lost: in-flight runs look their reply up in the
   * history, and the grace for runs the gateway may have lost counts from now.
   */
  connected(): void {
    for (const run of this.runs.values()) {
      run.missedEvents();
      if (run.connectionLost) run.lastActivityAt = Date.now();
    }
    this.ensureRecoveryTimer();
  }

  /** The connection closed with `code`: every run may have been lost with it. */
  disconnected(code: number): void {
    // After a restart (1012) the gateway no longer has the run: once the history says it is not there, give up.
    const grace = code === 1012 ? Math.min(this.options.lostRunGraceMs, RESTART_GRACE_MS) : this.options.lostRunGraceMs;
    for (const run of this.runs.values()) run.connectionDropped(grace);
  }

  failAll(message: string): void {
    for (const run of this.runs.values()) run.fail(message);
  }

  stop(): void {
    clearInterval(this.recoveryTimer);
    this.recoveryTimer = undefined;
  }

  /** Follows the run the gateway will start for a message it queued itself; its id is known when it shows up. */
  followNext(input: ChatSendInput): RunStream {
    const run = this.track(`${PLACEHOLDER_PREFIX}${randomUUID()}`, input);
    run.awaitsGatewayRun = true;
    return run;
  }

  /** The session's next unknown run, for a prompt the gateway queued as a turn of its own. */
  private gatewayRun(update: RunUpdate): RunStream | undefined {
    const run = this.inSession(update, (r) => r.awaitsGatewayRun);
    if (!run) return undefined;
    run.awaitsGatewayRun = false;
    this.continueUnder(run, update.runId, 'the gateway runs a queued prompt as a turn of its own');
    return run;
  }

  /** A run whose turn was handed to sub-agents: the session's next run is the successor turn that answers. */
  private successorRun(update: RunUpdate): RunStream | undefined {
    const run = this.inSession(update, (r) => r.handedOff);
    if (run) this.continueUnder(run, update.runId, 'a handed-off turn continues in a successor run');
    return run;
  }

  /** A run the connection lost whose session now streams under a new run id: the gateway resumed that turn. */
  private resumedRun(update: RunUpdate): RunStream | undefined {
    if (update.kind !== 'delta') return undefined;
    const run = this.inSession(update, (r) => r.mayResume);
    if (run) this.continueUnder(run, update.runId, 'the gateway resumed an interrupted run');
    return run;
  }

  private inSession(update: RunUpdate, waiting: (run: RunStream) => boolean): RunStream | undefined {
    const key = update.sessionKey?.toLowerCase();
    if (!key) return undefined;
    for (const run of this.runs.values()) if (waiting(run) && !run.done && run.sessionKey.toLowerCase() === key) return run;
    return undefined;
  }

  private continueUnder(run: RunStream, runId: string, why: string): void {
    this.options.logger.info({ run: run.runId, continuesAs: runId }, why);
    this.runs.delete(run.runId);
    run.continueAs(runId);
    this.runs.set(runId, run);
    const ids = run.runIds;
    for (const id of ids) {
      this.lineages.delete(id);
      this.lineages.set(id, ids);
    }
    for (const oldest of this.lineages.keys()) {
      if (this.lineages.size <= MAX_LINEAGES) break;
      this.lineages.delete(oldest);
    }
  }

  private giveUp(run: RunStream, idleTimeoutMs: number): void {
    const s = idleTimeoutMs / 1000;
    const seconds = s >= 10 || Number.isInteger(s) ? String(Math.round(s)) : s.toFixed(1);
    if (run.connectionLost) run.fail('the gateway restarted or the connection dropped during this answer, and its end never arrived', true);
    else if (run.unconfirmed) run.fail(`chat.send: the gateway did not answer, and the run did not show up within ${seconds} s`);
    else if (run.handedOff) run.fail(`the agent handed the work to sub-agents, and no answer came from them for ${seconds} s`);
    else run.fail(`no answer from the gateway for ${seconds} s`);
  }

  /** Runs that lost events, or went quiet, are looked up in the history until they end. */
  private ensureRecoveryTimer(): void {
    if (this.recoveryTimer || this.runs.size === 0) return;
    this.recoveryTimer = setInterval(() => {
      if (this.runs.size === 0) {
        this.stop();
        return;
      }
      if (!this.gateway.connected()) return;
      const now = Date.now();
      for (const run of this.runs.values()) {
        const idleTimeoutMs = run.idleLimit(this.options.runIdleTimeoutMs);
        const quietMs = now - run.lastActivityAt;
        if (!run.gapped && quietMs < idleTimeoutMs / 4) continue;
        void run.tryRecover().then((settled) => {
          if (!settled && Date.now() - run.lastActivityAt > idleTimeoutMs) this.giveUp(run, idleTimeoutMs);
        });
      }
    }, this.options.recoveryIntervalMs);
    this.recoveryTimer.unref();
  }
}
