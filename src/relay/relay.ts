import type { GatewayClient } from '../gateway/client.js';
import type { ApprovalDecision, GatewayInfo, GatewayStatus, HistoryMessage, SessionRow } from '../gateway/types.js';
import type { Logger } from '../log.js';
import type { ChannelMapping, ReplyLocation, Store } from '../store/store.js';
import { attachmentsSchema, type AttachmentsConfig, type RelayConfig } from '../config/schema.js';
import type { ApprovalBoard } from './approval-card.js';
import { Approvals, type ApprovalCardInfo, type DecideResult } from './approvals.js';
import type { FileFacts } from './attachments.js';
import { Catalog } from './catalog.js';
import { Mappings, requireGateway } from './mappings.js';
import type { Pacer } from './pacer.js';
import type { ReplyRenderer } from './phase.js';
import type { QueuePlace } from './queue-places.js';
import { Runs, type StopResult } from './runs.js';
import type { AskInput, AskOutcome, PersistentWriter, Person, Scope } from './scope.js';
import { Steering } from './steering.js';

export type { AskInput, AskOutcome, AskResult, IncomingFile, PersistentWriter, Person, Scope } from './scope.js';
export { FilesRefusedError, type FileFacts } from './attachments.js';
export type { StopResult } from './runs.js';
export type { QueuePlace } from './queue-places.js';
export type { ApprovalCardInfo, DecideResult } from './approvals.js';

export interface RelayDeps {
  gateway: GatewayClient;
  store: Store;
  pacer: Pacer;
  render: ReplyRenderer;
  config: RelayConfig;
  /** The files people attach (config `attachments`); its defaults when not given. */
  attachments?: AttachmentsConfig;
  logger: Logger;
}

export interface ScopeStatus {
  gateway: (GatewayStatus & { connected: true }) | { connected: false; reason: string | undefined; info: GatewayInfo | undefined };
  mapping: ChannelMapping;
  running: { requester: Person; startedAt: number } | undefined;
  queued: number;
  activeRuns: number;
}

/** Which sessions a member may list: those clawcord maps in their guild (null: DMs), in scopes they may see. */
export interface SessionFilter {
  guildId: string | null;
  visible(scopeId: string): boolean;
}

/** Gateway sessions read per /sessions: the gateway lists its most recent first, clawcord's among the others. */
const SESSION_SCAN_LIMIT = 200;

/**
 * The heart between Discord and the gateway: it maps channels and threads to sessions (Mappings), runs one prompt
 * per session at a time and streams each answer into its reply (Runs), steers sessions (Steering), and reads
 * what people may see. It knows nothing of Discord's API or of wire frames.
 */
export class Relay {
  readonly catalog: Catalog;
  private readonly mappings: Mappings;
  private readonly runs: Runs;
  private readonly steering: Steering;
  private readonly approvals: Approvals;

  constructor(private readonly deps: RelayDeps) {
    this.catalog = new Catalog(deps.gateway);
    this.mappings = new Mappings({ gateway: deps.gateway, store: deps.store, catalog: this.catalog, config: deps.config });
    this.runs = new Runs({
      ...deps,
      attachments: deps.attachments ?? attachmentsSchema.parse({}),
      mappings: this.mappings,
      catalog: this.catalog,
      runEnded: (runId, why) => this.approvals.runEnded(runId, why),
    });
    this.approvals = new Approvals({
      gateway: deps.gateway,
      store: deps.store,
      mappings: this.mappings,
      logger: deps.logger.child({ part: 'approvals' }),
      activeRun: (sessionKey) => this.runs.activeRun(sessionKey),
    });
    this.steering = new Steering(deps.gateway, this.catalog, this.mappings);
  }

  get gateway(): GatewayClient {
    return this.deps.gateway;
  }

  // ---- sessions ----

  findMapping(scopeId: string): Promise<ChannelMapping | undefined> {
    return this.mappings.find(scopeId);
  }

  mappingFor(scope: Scope): Promise<ChannelMapping> {
    return this.mappings.forScope(scope);
  }

  mapOwnedThread(thread: Scope, parent: Scope): Promise<ChannelMapping> {
    return this.mappings.mapOwnedThread(thread, parent);
  }

  // ---- asking ----

  /**
   * Refuses at once what `ask` would refuse, files included as Discord describes them (FilesRefusedError). With
   * `hold`, a prompt that passes holds a place in the queue for its ask (`AskInput.place`), so that a burst is refused
   * here and never in `ask`; whoever got the place releases it if the ask never comes (a deferral that failed).
   */
  precheck(scope: Scope, options: { steer?: boolean; files?: FileFacts[]; hold?: boolean } = {}): Promise<QueuePlace | undefined> {
    return this.runs.precheck(scope, options);
  }

  ask(input: AskInput): Promise<AskOutcome> {
    return this.runs.ask(input);
  }

  /** Stops a job (its Stop button) or the run streaming in a scope (/abort). */
  async stop(target: { jobId: string } | { scope: Scope }, by: Person, isAdmin: boolean): Promise<StopResult> {
    if ('jobId' in target) return this.runs.stop(target, by, isAdmin);
    const mapping = await this.mappings.find(target.scope.id);
    return mapping ? this.runs.stop({ sessionKey: mapping.sessionKey }, by, isAdmin) : { status: 'nothing' };
  }

  // ---- approvals ----

  /** Where approval cards go (the Discord side); cards are posted from then on, and pending ones reconciled. */
  setApprovalBoard(board: ApprovalBoard): void {
    this.approvals.setBoard(board);
  }

  approvalCard(approvalId: string): Promise<ApprovalCardInfo | undefined> {
    return this.approvals.card(approvalId);
  }

  decideApproval(approvalId: string, decision: ApprovalDecision, by: Person): Promise<DecideResult> {
    return this.approvals.decide(approvalId, decision, by);
  }

  // ---- steering ----

  reset(scope: Scope): Promise<ChannelMapping> {
    return this.steering.reset(scope);
  }

  currentModel(scope: Scope) {
    return this.steering.currentModel(scope);
  }

  /** Throws for an unknown model or agent, at once, so that a typo is refused privately before any public answer. */
  precheckChoice(kind: 'model' | 'agent', requested: string): Promise<void> {
    return this.steering.precheckChoice(kind, requested);
  }

  setModel(scope: Scope, requested: string, by: Person): Promise<ChannelMapping> {
    return this.steering.setModel(scope, requested, by);
  }

  setAgent(scope: Scope, requested: string, by: Person): Promise<ChannelMapping> {
    return this.steering.setAgent(scope, requested, by);
  }

  // ---- reading ----

  async status(scope: Scope): Promise<ScopeStatus> {
    const mapping = await this.mappings.forScope(scope);
    const { running, queued } = this.runs.session(mapping.sessionKey);
    const gateway = this.deps.gateway.connected
      ? { ...(await this.deps.gateway.status()), connected: true as const }
      : { connected: false as const, reason: this.deps.gateway.lastConnectError?.message, info: this.deps.gateway.info };
    return { gateway, mapping, running, queued, activeRuns: this.runs.load.active };
  }

  async history(scope: Scope, limit: number): Promise<HistoryMessage[]> {
    requireGateway(this.deps.gateway);
    const mapping = await this.mappings.forScope(scope);
    const messages = await this.deps.gateway.chatHistory(mapping.sessionKey, Math.max(limit * 2, 20));
    return messages.filter((m) => (m.role === 'user' || m.role === 'assistant') && m.text.trim() !== '').slice(-limit);
  }

  /**
   * Recent sessions a member may see: only those clawcord maps for the guild, in scopes `where.visible` allows.
   * The gateway's other sessions (its owner's own chats, other messaging channels) are never listed.
   */
  async sessions(limit: number, where: SessionFilter): Promise<Array<SessionRow & { scopeId: string }>> {
    requireGateway(this.deps.gateway);
    const scopes = new Map<string, string>();
    for (const mapping of await this.deps.store.mappings()) {
      if (mapping.guildId === where.guildId && where.visible(mapping.scopeId)) scopes.set(mapping.sessionKey.toLowerCase(), mapping.scopeId);
    }
    if (scopes.size === 0) return [];
    const rows = await this.deps.gateway.sessionsList({ limit: SESSION_SCAN_LIMIT });
    return rows.flatMap((row) => {
      const scopeId = scopes.get(row.key.toLowerCase());
      return scopeId ? [{ ...row, scopeId }] : [];
    }).slice(0, limit);
  }

  /** Active and queued runs across all sessions. */
  get load(): { active: number; queued: number } {
    return this.runs.load;
  }

  // ---- restarts ----

  /** Finishes the replies of runs that were in flight when the bot stopped (see Runs.resume). */
  async recover(writerFor: (location: ReplyLocation) => PersistentWriter): Promise<number> {
    const records = await this.deps.store.runs();
    await Promise.all(
      records.map((record) =>
        this.runs.resume(record, writerFor(record.location)).catch((error: unknown) =>
          this.deps.logger.error({ err: error, guild: record.guildId, channel: record.scopeId, run: record.runId }, 'could not finish a reply left over from before the restart'),
        ),
      ),
    );
    return records.length;
  }

  /** Marks every live reply as interrupted (their runs are kept, to be finished after the restart) and waits for the writes. */
  shutdown(timeoutMs = 5_000): Promise<void> {
    this.approvals.stop();
    return this.runs.shutdown(timeoutMs);
  }
}
