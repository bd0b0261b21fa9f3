import type { GatewayClient } from '../gateway/client.js';
import { ApprovalGoneError, DecisionUnavailableError } from '../gateway/errors.js';
import type { ApprovalDecision, ApprovalResolution, ExecApproval } from '../gateway/types.js';
import { scrubSecrets, type Logger } from '../log.js';
import type { ApprovalRecord, Store } from '../store/store.js';
import type { ApprovalBoard, ApprovalCardView, ApprovalState } from './approval-card.js';
import { requireGateway, type Mappings } from './mappings.js';
import type { ActiveRun } from './runs.js';
import type { Person } from './scope.js';

export interface ApprovalsDeps {
  gateway: GatewayClient;
  store: Store;
  mappings: Mappings;
  logger: Logger;
  /** The answer streaming in a session now, to put the card next to it. */
  activeRun(sessionKey: string): ActiveRun | undefined;
}

export type DecideResult =
  | { status: 'decided' }
  /** Decided already, expired, or unknown to the gateway. */
  | { status: 'gone' }
  | { status: 'unavailable'; message: string };

/** What the Discord side needs to decide who may press a card's buttons. */
export interface ApprovalCardInfo {
  approvalId: string;
  scopeId: string;
  guildId: string | null;
  askerId: string | undefined;
  askerName: string | undefined;
  state: ApprovalState;
}

/** A card's expiry is checked a little after the gateway's own deadline. */
const EXPIRY_SLACK_MS = 2_000;
const AWAY = 'decided or expired while clawcord was away';

/**
 * Exec approvals of the sessions clawcord owns, as cards with buttons in Discord: posted when the gateway asks,
 * updated when anyone decides (or the request expires), kept in the store so that a restart finds them again.
 * Requests for sessions clawcord does not map are never shown.
 */
export class Approvals {
  private board: ApprovalBoard | undefined;
  /** Decisions clawcord sent and the gateway has not confirmed yet: who pressed the button. */
  private readonly deciding = new Map<string, { decision: ApprovalDecision; by: Person }>();
  private readonly expiryTimers = new Map<string, NodeJS.Timeout>();
  /** One card operation per request at a time, in order (a request and its resolution can arrive together). */
  private readonly queues = new Map<string, Promise<void>>();
  private started = false;

  constructor(private readonly deps: ApprovalsDeps) {}

  /** Where cards go; until it is set (the Discord side is not up), requests wait to be reconciled. */
  setBoard(board: ApprovalBoard): void {
    this.board = board;
    if (this.started) return;
    this.started = true;
    const { gateway } = this.deps;
    gateway.on('approvalRequested', (approval) => this.serially(approval.id, () => this.requested(approval)));
    gateway.on('approvalResolved', (resolution) => this.serially(resolution.id, () => this.resolved(resolution)));
    gateway.on('ready', () => void this.reconcile());
    if (gateway.connected) void this.reconcile();
  }

  async card(approvalId: string): Promise<ApprovalCardInfo | undefined> {
    // A card can be pressed the moment Discord shows it, before its record is stored.
    await this.queues.get(approvalId);
    const record = await this.deps.store.approval(approvalId);
    return record && { approvalId, scopeId: record.scopeId, guildId: record.guildId, askerId: record.askerId, askerName: record.view.askerName, state: record.view.state };
  }

  /** Sends a person's decision to the gateway; the card shows it once the gateway took it. */
  async decide(approvalId: string, decision: ApprovalDecision, by: Person): Promise<DecideResult> {
    await this.queues.get(approvalId);
    const record = await this.deps.store.approval(approvalId);
    if (!record || record.view.state.kind !== 'pending') return { status: 'gone' };
    requireGateway(this.deps.gateway);
    this.deciding.set(approvalId, { decision, by });
    try {
      await this.deps.gateway.resolveApproval(approvalId, decision);
    } catch (error) {
      this.deciding.delete(approvalId);
      if (error instanceof DecisionUnavailableError) return { status: 'unavailable', message: error.message };
      if (error instanceof ApprovalGoneError) {
        await this.serially(approvalId, () => this.close(approvalId, { kind: 'closed', reason: 'it was already decided, or it expired' }));
        return { status: 'gone' };
      }
      throw error;
    }
    // 2026.2 confirms with an event, as does 2026.9; the answer alone is enough to show it.
    await this.serially(approvalId, () => this.close(approvalId, { kind: 'decided', decision, by: by.name, outside: false }));
    return { status: 'decided' };
  }

  /** A run ended: requests it waited on inside its tool call (2026.9) can no longer be decided. */
  runEnded(runId: string, why: string): void {
    void this.deps.store.approvals().then((records) => {
      for (const record of records) {
        if (record.runId === runId && record.view.state.kind === 'pending' && !record.view.nextTurn) {
          void this.serially(record.approvalId, () => this.close(record.approvalId, { kind: 'closed', reason: why }));
        }
      }
    }, (error: unknown) => this.deps.logger.warn({ err: error, run: runId }, 'could not read the approval cards'));
  }

  stop(): void {
    for (const timer of this.expiryTimers.values()) clearTimeout(timer);
    this.expiryTimers.clear();
  }

  private async requested(approval: ExecApproval): Promise<void> {
    const board = this.board;
    if (!board || !approval.sessionKey || (await this.deps.store.approval(approval.id))) return;
    const mapping = await this.deps.mappings.findBySession(approval.sessionKey);
    if (!mapping) return;
    const log = this.deps.logger.child({ guild: mapping.guildId, channel: mapping.scopeId, approval: approval.id, run: approval.runId });
    const active = this.deps.activeRun(mapping.sessionKey);
    // 2026.9 names the run; 2026.2 does not, and its run is the one streaming in the session (or just finished).
    const run = active && (approval.runId === undefined || approval.runId === active.runId) ? active : undefined;
    const view: ApprovalCardView = {
      approvalId: approval.id,
      // The card is public: clawcord's own secrets (the gateway token, say) never show, even in an agent's command.
      command: scrubSecrets(approval.command),
      cwd: approval.cwd === undefined ? undefined : scrubSecrets(approval.cwd),
      expiresAt: approval.expiresAt,
      decisions: approval.decisions,
      state: { kind: 'pending' },
      askerName: run?.requester.name,
      nextTurn: !approval.runWaits,
    };
    const card = await board.post({ reply: run?.writer.location(), fallbackChannelId: mapping.scopeId }, view);
    const record: ApprovalRecord = {
      approvalId: approval.id,
      sessionKey: mapping.sessionKey,
      scopeId: mapping.scopeId,
      guildId: mapping.guildId,
      askerId: run?.requester.id,
      runId: approval.runId ?? run?.runId,
      card,
      view,
    };
    await this.deps.store.saveApproval(record);
    if (view.nextTurn) run?.status?.note('⏸️ A command waits for approval below; the agent gets its result with the next message.');
    this.armExpiry(record);
    log.info({ expiresAt: approval.expiresAt }, 'an exec approval waits for a decision');
  }

  private async resolved(resolution: ApprovalResolution): Promise<void> {
    const mine = this.deciding.get(resolution.id);
    const state: ApprovalState =
      resolution.decision === 'expired'
        ? { kind: 'expired' }
        : mine && mine.decision === resolution.decision
          ? { kind: 'decided', decision: resolution.decision, by: mine.by.name, outside: false }
          : { kind: 'decided', decision: resolution.decision, by: resolution.resolvedBy ?? 'someone', outside: true };
    await this.close(resolution.id, state);
  }

  /** Shows the request's end on its card and forgets it. */
  private async close(approvalId: string, state: ApprovalState): Promise<void> {
    const record = await this.deps.store.approval(approvalId);
    if (!record || record.view.state.kind !== 'pending') return;
    clearTimeout(this.expiryTimers.get(approvalId));
    this.expiryTimers.delete(approvalId);
    this.deciding.delete(approvalId);
    const view = { ...record.view, state };
    const log = this.deps.logger.child({ guild: record.guildId, channel: record.scopeId, approval: approvalId, run: record.runId });
    try {
      await this.board?.update(record.card, view);
    } catch (error) {
      log.warn({ err: error }, 'could not update an approval card');
    }
    await this.deps.store.deleteApproval(approvalId);
    log.info({ outcome: state.kind === 'decided' ? state.decision : state.kind }, 'an exec approval was closed');
  }

  /** The gateway does not say when a request expires (2026.2 broadcasts nothing): the card tells time itself. */
  private armExpiry(record: ApprovalRecord): void {
    clearTimeout(this.expiryTimers.get(record.approvalId));
    const delay = Math.max(0, record.view.expiresAt - Date.now()) + EXPIRY_SLACK_MS;
    const timer = setTimeout(() => {
      this.expiryTimers.delete(record.approvalId);
      void this.serially(record.approvalId, () => this.close(record.approvalId, { kind: 'expired' }));
    }, delay);
    timer.unref();
    this.expiryTimers.set(record.approvalId, timer);
  }

  /**
   * After a (re)connect or a restart: cards of requests the gateway no longer has are closed, requests that arrived
   * while clawcord was away get their cards, and every pending card's expiry is armed again.
   */
  private async reconcile(): Promise<void> {
    try {
      const [records, pending] = await Promise.all([this.deps.store.approvals(), this.deps.gateway.pendingApprovals()]);
      const pendingIds = pending ? new Set(pending.map((a) => a.id)) : undefined;
      for (const record of records) {
        if (record.view.state.kind !== 'pending') continue;
        if (pendingIds && !pendingIds.has(record.approvalId)) {
          await this.serially(record.approvalId, () => this.close(record.approvalId, { kind: 'closed', reason: AWAY }));
        } else this.armExpiry(record);
      }
      for (const approval of pending ?? []) await this.serially(approval.id, () => this.requested(approval));
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'could not reconcile the pending exec approvals');
    }
  }

  private serially(approvalId: string, work: () => Promise<void>): Promise<void> {
    const run = (this.queues.get(approvalId) ?? Promise.resolve()).then(work).catch((error: unknown) =>
      this.deps.logger.warn({ err: error, approval: approvalId }, 'an approval card could not be handled'),
    );
    this.queues.set(approvalId, run);
    void run.then(() => {
      if (this.queues.get(approvalId) === run) this.queues.delete(approvalId);
    });
    return run;
  }
}
