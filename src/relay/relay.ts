import { randomBytes } from 'node:crypto';
import type { GatewayClient } from '../gateway/client.js';
import { GatewayError, SessionNotFoundError } from '../gateway/errors.js';
import type { RunStream } from '../gateway/run.js';
import type { AgentInfo, GatewayInfo, GatewayStatus, HistoryMessage, SessionRow, ThinkingLevel } from '../gateway/types.js';
import type { Logger } from '../log.js';
import type { ChangedBy, ChannelMapping, ReplyLocation, RunRecord, Store } from '../store/store.js';
import type { RelayConfig } from '../config/schema.js';
import { Catalog, closeMatches } from './catalog.js';
import { BusyError, GatewayUnavailableError, UnknownChoiceError } from './errors.js';
import { LiveReply, type ReplyWriter } from './live-reply.js';
import type { Pacer } from './pacer.js';
import type { ReplyPhase, ReplyRenderer } from './phase.js';
import { attributePrompt, type Speaker } from './prompt.js';

/** A Discord channel, thread or DM, as far as the relay cares. */
export interface Scope {
  id: string;
  guildId: string | null;
  kind: 'channel' | 'thread' | 'dm';
  parentId: string | null;
}

export type Person = Speaker;

/** A reply writer whose messages can be found again after a restart. */
export interface PersistentWriter extends ReplyWriter {
  location(): ReplyLocation;
  /** Called when the location changed (a message was created). */
  onLocationChange: (() => void) | undefined;
  /** Tells the writer which job it writes for (its Stop button stops that job). */
  bindJob(jobId: string): void;
  /** The text its messages show now (after a restart, the relay remembers nothing else). */
  shownText(): Promise<string>;
}

export interface AskInput {
  scope: Scope;
  requester: Person;
  prompt: string;
  thinking?: ThinkingLevel;
  writer: PersistentWriter;
}

interface Job {
  id: string;
  input: AskInput;
  mapping: ChannelMapping;
  reply: LiveReply;
  run: RunStream | undefined;
  sentMessage: string;
  stoppedBy: Person | undefined;
}

interface Lane {
  active: Job | undefined;
  waiting: Job[];
}

export interface RelayDeps {
  gateway: GatewayClient;
  store: Store;
  pacer: Pacer;
  render: ReplyRenderer;
  config: RelayConfig;
  logger: Logger;
}

export type StopResult =
  | { status: 'stopped'; owner: Person }
  | { status: 'nothing' }
  | { status: 'forbidden'; owner: Person };

export interface ScopeStatus {
  gateway: (GatewayStatus & { connected: true }) | { connected: false; reason: string | undefined; info: GatewayInfo | undefined };
  mapping: ChannelMapping;
  running: { requester: Person; startedAt: number } | undefined;
  queued: number;
  activeRuns: number;
}

const SETTLE_LIMIT_MS = 5 * 60_000;

function changedBy(person: Person): ChangedBy {
  return { userId: person.id, userName: person.name, at: Date.now() };
}

/** Waits for `promise`, but no longer than `ms`: a reply Discord keeps refusing must not hold a run (or a shutdown) forever. */
async function waitAtMost(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The heart between Discord and the gateway: it maps channels and threads to sessions, runs one prompt per
 * session at a time (queueing the rest), streams each answer into its reply, and keeps what it needs to finish
 * replies after a restart. It knows nothing of Discord's API or of wire frames.
 */
export class Relay {
  readonly catalog: Catalog;
  private readonly lanes = new Map<string, Lane>();
  private readonly jobs = new Map<string, Job>();
  private readonly mappings = new Map<string, Promise<ChannelMapping>>();
  private closing = false;

  constructor(private readonly deps: RelayDeps) {
    this.catalog = new Catalog(deps.gateway);
  }

  get gateway(): GatewayClient {
    return this.deps.gateway;
  }

  // ---- sessions ----

  /** The mapping if the channel or thread has one; never creates one. */
  async findMapping(scopeId: string): Promise<ChannelMapping | undefined> {
    return (await this.mappings.get(scopeId)?.catch(() => undefined)) ?? (await this.deps.store.mapping(scopeId));
  }

  /** The channel's or thread's mapping, created (and stored) on first use. */
  async mappingFor(scope: Scope): Promise<ChannelMapping> {
    let pending = this.mappings.get(scope.id);
    if (!pending) {
      pending = this.loadOrCreateMapping(scope);
      this.mappings.set(scope.id, pending);
      pending.catch(() => this.mappings.delete(scope.id));
    }
    return pending;
  }

  private async loadOrCreateMapping(scope: Scope): Promise<ChannelMapping> {
    const stored = await this.deps.store.mapping(scope.id);
    if (stored) return stored;
    const parent = scope.kind === 'thread' && scope.parentId ? await this.deps.store.mapping(scope.parentId) : undefined;
    const agentId = parent?.agentId ?? (await this.defaultAgent());
    const mapping: ChannelMapping = {
      scopeId: scope.id,
      guildId: scope.guildId,
      kind: scope.kind,
      parentId: scope.parentId,
      agentId,
      sessionKey: this.sessionKey(agentId, scope.id),
      model: parent?.model ?? null,
      modelPending: Boolean(parent?.model),
      ownedThread: false,
      agentSetBy: null,
      modelSetBy: parent?.modelSetBy ?? null,
      createdAt: Date.now(),
    };
    await this.deps.store.saveMapping(mapping);
    return mapping;
  }

  private async saveMapping(mapping: ChannelMapping): Promise<void> {
    this.mappings.set(mapping.scopeId, Promise.resolve(mapping));
    await this.deps.store.saveMapping(mapping);
  }

  private sessionKey(agentId: string, scopeId: string): string {
    try {
      return this.deps.gateway.sessionKey(agentId, scopeId);
    } catch {
      throw new GatewayUnavailableError(this.deps.gateway.lastConnectError?.message);
    }
  }

  private async defaultAgent(): Promise<string> {
    if (this.deps.config.defaultAgent) return this.deps.config.defaultAgent;
    this.requireGateway();
    return (await this.catalog.listAgents()).defaultId;
  }

  private requireGateway(): void {
    if (!this.deps.gateway.connected) throw new GatewayUnavailableError(this.deps.gateway.lastConnectError?.message);
  }

  /** A thread the bot started on a reply: a new session with the parent's agent and model. */
  async mapOwnedThread(thread: Scope, parent: Scope): Promise<ChannelMapping> {
    const parentMapping = await this.mappingFor(parent);
    const mapping: ChannelMapping = {
      ...parentMapping,
      scopeId: thread.id,
      guildId: thread.guildId,
      kind: 'thread',
      parentId: parent.id,
      sessionKey: this.sessionKey(parentMapping.agentId, thread.id),
      modelPending: parentMapping.model !== null,
      ownedThread: true,
      createdAt: Date.now(),
    };
    if (mapping.model) await this.applyModel(mapping, mapping.model);
    await this.saveMapping(mapping);
    return mapping;
  }

  // ---- asking ----

  /** Throws what `ask` would refuse with (gateway down, queue full), before a reply is shown. */
  async precheck(scope: Scope): Promise<void> {
    this.requireGateway();
    const mapping = await this.mappingFor(scope);
    const lane = this.lanes.get(mapping.sessionKey);
    if (lane?.active && lane.waiting.length >= this.deps.config.maxQueue) throw new BusyError(this.deps.config.maxQueue);
  }

  /** Queues a prompt for the scope's session. Resolves with its queue position (0: running now). */
  async ask(input: AskInput): Promise<{ position: number; jobId: string; reply: LiveReply }> {
    this.requireGateway();
    const mapping = await this.mappingFor(input.scope);
    const lane = this.lane(mapping.sessionKey);
    const position = lane.active ? lane.waiting.length + 1 : 0;
    if (position > this.deps.config.maxQueue) throw new BusyError(this.deps.config.maxQueue);
    const phase: ReplyPhase = position > 0 ? { kind: 'queued', position } : { kind: 'waiting' };
    const id = randomBytes(6).toString('hex');
    input.writer.bindJob(id);
    const job: Job = {
      id,
      input,
      mapping,
      reply: new LiveReply(input.writer, this.deps.render, phase, this.deps.pacer.poke),
      run: undefined,
      sentMessage: attributePrompt(this.deps.config.promptTemplate, input.requester, input.prompt),
      stoppedBy: undefined,
    };
    this.jobs.set(job.id, job);
    lane.waiting.push(job);
    this.pump(lane);
    return { position, jobId: job.id, reply: job.reply };
  }

  private lane(sessionKey: string): Lane {
    let lane = this.lanes.get(sessionKey);
    if (!lane) {
      lane = { active: undefined, waiting: [] };
      this.lanes.set(sessionKey, lane);
    }
    return lane;
  }

  private pump(lane: Lane): void {
    if (lane.active || this.closing) return;
    const job = lane.waiting.shift();
    if (!job) {
      for (const [key, candidate] of this.lanes) if (candidate === lane) this.lanes.delete(key);
      return;
    }
    lane.active = job;
    lane.waiting.forEach((waiting, i) => waiting.reply.setPhase({ kind: 'queued', position: i + 1 }));
    void this.execute(job).finally(() => {
      this.jobs.delete(job.id);
      lane.active = undefined;
      this.pump(lane);
    });
  }

  private async execute(job: Job): Promise<void> {
    const { reply, mapping, input } = job;
    const log = this.deps.logger.child({ guild: input.scope.guildId, channel: input.scope.id, job: job.id });
    reply.setPhase({ kind: 'waiting' });
    let run: RunStream;
    try {
      run = await this.deps.gateway.chatSend({ sessionKey: mapping.sessionKey, message: job.sentMessage, thinking: input.thinking });
    } catch (error) {
      log.warn({ err: error }, 'chat.send failed');
      const message = error instanceof GatewayError && !error.fatal && !this.deps.gateway.connected
        ? new GatewayUnavailableError().message
        : errorText(error);
      reply.setPhase({ kind: 'error', message });
      await this.settle(reply);
      return;
    }
    job.run = run;
    // The run id can change under us (a gateway that resumes a turn after a restart); the record keeps the first.
    const recordId = run.runId;
    const runLog = log.child({ run: run.runId });
    runLog.debug('run started');
    if (job.stoppedBy) void run.abort().catch(() => {});
    if (mapping.modelPending && mapping.model) void this.applyModel(mapping, mapping.model).then(() => this.saveMapping(mapping));

    const record = (): RunRecord => ({
      runId: recordId,
      sessionKey: mapping.sessionKey,
      scopeId: input.scope.id,
      guildId: input.scope.guildId,
      prompt: job.sentMessage,
      requesterId: input.requester.id,
      requesterName: input.requester.name,
      startedAt: run.startedAt,
      location: input.writer.location(),
    });
    input.writer.onLocationChange = () => void this.deps.store.saveRun(record()).catch(() => {});
    await this.deps.store.saveRun(record());

    await this.follow(run, reply, () => job.stoppedBy);
    runLog.info({ outcome: reply.currentPhase.kind, chars: reply.currentText.length, ms: Date.now() - run.startedAt }, 'run finished');
    await this.settle(reply);
    if (!this.closing) await this.deps.store.deleteRun(recordId);
  }

  /** Drives a reply from a run's events until the run ends. */
  private async follow(run: RunStream, reply: LiveReply, stoppedBy: () => Person | undefined, interruptedReason?: string): Promise<void> {
    for await (const event of run) {
      if (this.closing) return;
      switch (event.type) {
        case 'text':
          reply.setPhase({ kind: 'streaming' }, event.text);
          break;
        case 'final':
          reply.setPhase({ kind: 'final' }, event.text);
          break;
        // A run that ends without text of its own keeps what the reply already shows (after a restart, say).
        case 'aborted':
          reply.setPhase({ kind: 'aborted', by: stoppedBy()?.name }, event.text || reply.currentText);
          break;
        case 'error': {
          const reason = interruptedReason ?? (event.lost ? 'the gateway restarted or the connection dropped before the answer was complete' : undefined);
          reply.setPhase(reason ? { kind: 'interrupted', reason } : { kind: 'error', message: event.message }, event.text || reply.currentText);
          break;
        }
      }
    }
  }

  private settle(reply: LiveReply): Promise<void> {
    return waitAtMost(reply.whenSettled(), SETTLE_LIMIT_MS);
  }

  /** Stops a job (its Stop button) or the run streaming in a scope (/abort). */
  async stop(target: { jobId: string } | { scope: Scope }, by: Person, isAdmin: boolean): Promise<StopResult> {
    let job: Job | undefined;
    if ('jobId' in target) job = this.jobs.get(target.jobId);
    else {
      const mapping = await this.mappingFor(target.scope);
      job = this.lanes.get(mapping.sessionKey)?.active;
    }
    if (!job) return { status: 'nothing' };
    const owner = job.input.requester;
    if (owner.id !== by.id && !isAdmin) return { status: 'forbidden', owner };
    job.stoppedBy = by;
    const lane = this.lanes.get(job.mapping.sessionKey);
    if (lane && lane.active !== job && lane.waiting.includes(job)) {
      lane.waiting.splice(lane.waiting.indexOf(job), 1);
      this.jobs.delete(job.id);
      job.reply.setPhase({ kind: 'aborted', by: by.name });
      lane.waiting.forEach((waiting, i) => waiting.reply.setPhase({ kind: 'queued', position: i + 1 }));
      return { status: 'stopped', owner };
    }
    if (job.run) {
      this.requireGateway();
      await job.run.abort();
    }
    return { status: 'stopped', owner };
  }

  // ---- steering ----

  async reset(scope: Scope): Promise<ChannelMapping> {
    this.requireGateway();
    const mapping = await this.mappingFor(scope);
    try {
      await this.deps.gateway.sessionsReset(mapping.sessionKey, 'reset');
    } catch (error) {
      // A session that never had a message is as clear as it gets.
      if (!(error instanceof SessionNotFoundError)) throw error;
    }
    // Some gateways (OpenClaw 2026.2) drop the session's model on reset; the channel's choice stays.
    if (mapping.model) {
      await this.applyModel(mapping, mapping.model);
      await this.saveMapping(mapping);
    }
    return mapping;
  }

  /** The model in effect: the channel's choice, else what the gateway reports for the session. */
  async currentModel(scope: Scope): Promise<{ model: string | undefined; mapping: ChannelMapping; source: 'channel' | 'session' | 'default' }> {
    const mapping = await this.mappingFor(scope);
    if (mapping.model) return { model: mapping.model, mapping, source: 'channel' };
    this.requireGateway();
    const rows = await this.deps.gateway.sessionsList({ limit: 100 });
    const row = rows.find((r) => r.key === mapping.sessionKey);
    return { model: row?.model, mapping, source: row?.model ? 'session' : 'default' };
  }

  async setModel(scope: Scope, requested: string, by: Person): Promise<ChannelMapping> {
    this.requireGateway();
    const models = await this.catalog.listModels();
    const wanted = requested.trim();
    const match =
      models.find((m) => m.ref === wanted) ??
      models.find((m) => m.ref.toLowerCase() === wanted.toLowerCase()) ??
      (() => {
        const byId = models.filter((m) => m.id.toLowerCase() === wanted.toLowerCase() || m.name.toLowerCase() === wanted.toLowerCase());
        return byId.length === 1 ? byId[0] : undefined;
      })();
    if (!match) {
      const close = closeMatches(wanted, models.map((m) => m.ref));
      const hint = close.length > 0 ? `Close matches: ${close.map((c) => `\`${c}\``).join(', ')}` : `Available: ${models.slice(0, 10).map((m) => `\`${m.ref}\``).join(', ')}`;
      throw new UnknownChoiceError(`Unknown model \`${wanted}\`. ${hint}`);
    }
    const mapping = { ...(await this.mappingFor(scope)) };
    await this.applyModel(mapping, match.ref);
    mapping.model = match.ref;
    mapping.modelSetBy = changedBy(by);
    await this.saveMapping(mapping);
    return mapping;
  }

  /** Patches the session's model; the card can only patch a session that had a message, so then it waits. */
  private async applyModel(mapping: ChannelMapping, ref: string): Promise<void> {
    try {
      await this.deps.gateway.sessionsPatch(mapping.sessionKey, { model: ref });
      mapping.modelPending = false;
    } catch (error) {
      if (!(error instanceof SessionNotFoundError)) throw error;
      mapping.modelPending = true;
    }
  }

  async setAgent(scope: Scope, requested: string, by: Person): Promise<ChannelMapping> {
    this.requireGateway();
    const { agents } = await this.catalog.listAgents();
    const wanted = requested.trim().toLowerCase();
    const match = agents.find((a) => a.id.toLowerCase() === wanted) ?? agents.find((a) => a.name.toLowerCase() === wanted);
    if (!match) throw new UnknownChoiceError(`Unknown agent \`${requested}\`. Agents: ${agents.map(describeAgent).join(', ')}`);
    const mapping: ChannelMapping = {
      ...(await this.mappingFor(scope)),
      agentId: match.id,
      sessionKey: this.sessionKey(match.id, scope.id),
      // The model choice belonged to the previous agent's session.
      model: null,
      modelPending: false,
      modelSetBy: null,
      agentSetBy: changedBy(by),
    };
    await this.saveMapping(mapping);
    return mapping;
  }

  // ---- reading ----

  async status(scope: Scope): Promise<ScopeStatus> {
    const mapping = await this.mappingFor(scope);
    const lane = this.lanes.get(mapping.sessionKey);
    const running = lane?.active ? { requester: lane.active.input.requester, startedAt: lane.active.run?.startedAt ?? Date.now() } : undefined;
    const activeRuns = [...this.lanes.values()].filter((l) => l.active).length;
    const gateway = this.deps.gateway.connected
      ? { ...(await this.deps.gateway.status()), connected: true as const }
      : { connected: false as const, reason: this.deps.gateway.lastConnectError?.message, info: this.deps.gateway.info };
    return { gateway, mapping, running, queued: lane?.waiting.length ?? 0, activeRuns };
  }

  async history(scope: Scope, limit: number): Promise<HistoryMessage[]> {
    this.requireGateway();
    const mapping = await this.mappingFor(scope);
    const messages = await this.deps.gateway.chatHistory(mapping.sessionKey, Math.max(limit * 2, 20));
    return messages.filter((m) => (m.role === 'user' || m.role === 'assistant') && m.text.trim() !== '').slice(-limit);
  }

  async sessions(limit: number): Promise<SessionRow[]> {
    this.requireGateway();
    return (await this.deps.gateway.sessionsList({ limit })).slice(0, limit);
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

  // ---- restarts ----

  /**
   * Finishes the replies of runs that were in flight when the bot stopped: from the gateway's events if the run
   * is still going, else from the session history; otherwise the reply says it was interrupted.
   */
  async recover(writerFor: (location: ReplyLocation) => PersistentWriter): Promise<number> {
    const records = await this.deps.store.runs();
    await Promise.all(
      records.map(async (record) => {
        const log = this.deps.logger.child({ guild: record.guildId, channel: record.scopeId, run: record.runId });
        // No Stop button: a recovered run only finishes what it can.
        const writer = writerFor(record.location);
        const shown = await writer.shownText().catch(() => '');
        const reply = new LiveReply(writer, this.deps.render, shown ? { kind: 'streaming' } : { kind: 'waiting' }, this.deps.pacer.poke);
        reply.setText(shown);
        const run = this.deps.gateway.attachRun({ runId: record.runId, sessionKey: record.sessionKey, prompt: record.prompt, idleTimeoutMs: this.deps.config.recoveryTimeoutMs });
        await this.follow(run, reply, () => undefined, 'interrupted by a restart');
        await this.settle(reply);
        log.info({ outcome: reply.currentPhase.kind }, 'finished a reply left over from before the restart');
        if (!this.closing) await this.deps.store.deleteRun(record.runId);
      }),
    );
    return records.length;
  }

  /** Marks every live reply as interrupted (their runs are kept, to be finished after the restart) and waits for the writes. */
  async shutdown(timeoutMs = 5_000): Promise<void> {
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
}

function describeAgent(agent: AgentInfo): string {
  return agent.name && agent.name !== agent.id ? `\`${agent.id}\` (${agent.name})` : `\`${agent.id}\``;
}

