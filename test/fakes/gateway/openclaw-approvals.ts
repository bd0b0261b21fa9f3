// Exec approvals on a fake OpenClaw gateway, per version (openclaw-agent-events.md §3; F-findings).
// v3 = 2026.2.17 src/gateway/server-methods/exec-approval.ts, src/agents/bash-tools.exec.ts: the request goes to every
// socket with operator.approvals or admin (caps ignored), the tool answers "Approval required" at once, the command
// runs after approval and its outcome reaches the model as a `System:` line of the next user turn; no decision →
// denied after 120 s with no resolved event.
// v4 = 2026.9.6 approval-shared.ts, approval-record-lookup.ts, bash-tools.exec-host-gateway.ts: only approval clients
// (scope and cap) that may see the record get it; the run waits inside the tool call; nobody to ask → denied at once.
import { randomUUID } from 'node:crypto';
import type { ExecProcesses } from './exec-processes.js';
import { RpcError, invalid } from './openclaw-methods.js';
import { ADMIN, hasScope, type ProtocolVersion } from './protocol-tables.js';
import type { RunInfo, ToolCallEvent, ToolGateControl } from './state.js';

export const APPROVALS = 'operator.approvals';
export type ExecApprovalMode = 'off' | 'ask';
export type Decision = 'allow-once' | 'allow-always' | 'deny';
const DECISIONS: readonly string[] = ['allow-once', 'allow-always', 'deny'];

/** DEFAULT_APPROVAL_TIMEOUT_MS = 12e4 (v3, live) and DEFAULT_EXEC_APPROVAL_TIMEOUT_MS = 30 min (v4, code). */
export const DEFAULT_APPROVAL_TIMEOUT_MS: Record<ProtocolVersion, number> = { 3: 120_000, 4: 1_800_000 };

/** Commands that never ask (§3.1: src/infra/exec-approvals.ts; exec-safe-bin-policy-profiles.ts). */
const SAFE_BINS: Record<ProtocolVersion, readonly string[]> = {
  3: ['jq', 'grep', 'cut', 'sort', 'uniq', 'head', 'tail', 'tr', 'wc'],
  4: ['cut', 'uniq', 'head', 'tail', 'tr', 'wc'],
};

/** v4 canDeliverApprovals: these clients count as approval clients without the cap. */
const APPROVAL_CLIENT_IDS = ['openclaw-control-ui', 'openclaw-macos', 'openclaw-ios', 'openclaw-android'];

export const WORKSPACE_DIR = '/home/openclaw/.openclaw/workspace';

export interface ApprovalConn {
  connId: string;
  scopes: readonly string[];
  caps: readonly string[];
  clientId: string | undefined;
  displayName: string | undefined;
  deviceId: string | undefined;
}

export interface ApprovalsIo {
  /** The open, ready operator connections. */
  conns(): ApprovalConn[];
  sendTo(connIds: ReadonlySet<string>, event: string, payload: Record<string, unknown>): void;
  processes: ExecProcesses;
  /** v3: queues a system event the session's next user turn starts with. */
  queueSystemEvent(sessionKey: string, text: string): void;
}

export interface ApprovalsOptions {
  mode: ExecApprovalMode;
  /** How long a request waits for a decision (v3 120 s; v4 `expiresAtMs`, 30 min). */
  timeoutMs: number;
}

/** Who asked: the device (and connection) of the chat.send that started the run. */
export interface Requester {
  deviceId?: string;
  connId?: string;
}

interface PendingApproval {
  id: string;
  request: Record<string, unknown>;
  createdAtMs: number;
  expiresAtMs: number;
  requester: Requester;
  allowedDecisions: Decision[];
  decision?: Decision;
  timer: NodeJS.Timeout | undefined;
  onDecision: (decision: Decision | 'expired') => void;
}

/** The denial text the v4 model gets when no approval client can see the request (live, §3.2). */
export function headlessDeniedText(): string {
  return [
    'exec denied: Headless runs cannot wait for interactive exec approval.',
    'Effective host exec policy: security=allowlist ask=on-miss askFallback=deny',
    'Stricter values from tools.exec and $OPENCLAW_STATE_DIR/state/openclaw.sqlite#exec_approvals_config both apply.',
    'Fix one of these:',
    '- align both files to security="full" and ask="off" for trusted local automation',
    '- keep allowlist mode and add an explicit allowlist entry for this command',
    '- rerun interactively and approve when prompted (Control UI, TUI, or a chat channel with exec approvals)',
    'Tip: run "openclaw doctor" and "openclaw approvals get --gateway" to inspect the effective policy.',
  ].join('\n');
}

const firstLine = (text: string): string => text.split('\n', 1)[0]!;

export class ExecApprovals {
  private readonly records = new Map<string, PendingApproval>();

  constructor(
    private readonly protocol: ProtocolVersion,
    private readonly opts: ApprovalsOptions,
    private readonly io: ApprovalsIo,
  ) {}

  /** Pending (undecided) approvals, oldest first. */
  pending(): PendingApproval[] {
    return [...this.records.values()].filter((r) => r.decision === undefined);
  }

  /** Whether a call asks at all: approvals on, an `exec`, not an allowlist hit or a safe bin. */
  asks(tool: ToolCallEvent): boolean {
    const { call } = tool;
    if (this.opts.mode !== 'ask' || call.name !== 'exec' || call.approval === false) return false;
    const bin = commandOf(tool).trim().split(/\s+/, 1)[0] ?? '';
    return !SAFE_BINS[this.protocol].includes(bin);
  }

  /** The run's tool gate: decides whether and when a started tool call runs. */
  gate(tool: ToolCallEvent, run: RunInfo, ctl: ToolGateControl, requester: Requester): void {
    if (!this.asks(tool)) return ctl.proceed();
    if (this.protocol === 3) return this.gateV3(tool, run, ctl);
    const record = this.create(tool, run, requester);
    const audience = this.audience(record);
    if (audience.size === 0) {
      // No visible approval client: expired at once as `no-approval-route`, askFallback deny (§3.2).
      this.records.delete(record.id);
      const text = headlessDeniedText();
      return ctl.answer(text, { isError: true, error: firstLine(text) });
    }
    this.io.sendTo(audience, 'exec.approval.requested', this.requestedEvent(record));
    ctl.waiting(record.id);
    ctl.emit({ type: 'approvalWait', tool, approvalId: record.id });
    const command = commandOf(tool);
    record.onDecision = (decision) => {
      ctl.waiting(undefined);
      const allowed = decision === 'allow-once' || decision === 'allow-always';
      ctl.emit({ type: 'approvalResolved', tool, approvalId: record.id, denied: !allowed });
      if (allowed) return ctl.proceed();
      const reason = decision === 'deny' ? 'user-denied' : 'approval-timeout';
      const text = `Exec denied (gateway id=${record.id}, ${reason}): ${command}`;
      ctl.answer(text, { isError: true, error: text });
    };
    // An abort gives the wait up; the record goes (§3.4: the run's events say approval-resolved).
    ctl.onAbort(() => this.drop(record));
  }

  /** v3: the tool answers at once; the decision later runs (or denies) the command in the background. */
  private gateV3(tool: ToolCallEvent, run: RunInfo, ctl: ToolGateControl): void {
    const record = this.create(tool, run, {});
    this.io.sendTo(this.audience(record), 'exec.approval.requested', this.requestedEvent(record));
    const command = commandOf(tool);
    const { call } = tool;
    record.onDecision = (decision) => {
      this.drop(record);
      if (decision === 'deny' || decision === 'expired') {
        const reason = decision === 'deny' ? 'user-denied' : 'approval-timeout';
        return this.io.queueSystemEvent(run.sessionKey, `Exec denied (gateway id=${record.id}, ${reason}): ${command}`);
      }
      // bash-tools.exec.ts: the approved command runs backgrounded; its outcome is a system event.
      const process = this.io.processes.spawn({
        command,
        runId: run.runId,
        sessionKey: run.sessionKey,
        toolCallId: tool.toolCallId,
        lifetimeMs: Math.max(call.durationMs ?? 50, call.effectAfterMs ?? 0),
        ...(call.effect ? { effect: call.effect } : {}),
        ...(call.effectAfterMs !== undefined ? { effectAfterMs: call.effectAfterMs } : {}),
        onExit: (p) => {
          const head = `Exec finished (gateway id=${record.id}, session=${p.session}, code ${call.isError ? 1 : 0})`;
          this.io.queueSystemEvent(run.sessionKey, call.output === '' ? head : `${head}\n${call.output}`);
        },
      });
      process.backgrounded = true;
    };
    const text = `Approval required (id ${record.id.slice(0, 8)}). Approve to run; updates will arrive after completion.`;
    ctl.answer(text, { isError: false });
  }

  private create(tool: ToolCallEvent, run: RunInfo, requester: Requester): PendingApproval {
    const id = randomUUID();
    const createdAtMs = Date.now();
    const command = commandOf(tool);
    const bin = command.trim().split(/\s+/, 1)[0] ?? '';
    const common = { command, cwd: WORKSPACE_DIR, host: 'gateway', security: 'allowlist', ask: 'on-miss' };
    const allowAlways = tool.call.approval !== false && tool.call.approval?.allowAlways === true;
    const allowedDecisions: Decision[] = allowAlways ? ['allow-once', 'allow-always', 'deny'] : ['allow-once', 'deny'];
    const request: Record<string, unknown> =
      this.protocol === 3
        ? { ...common, agentId: run.agentId, resolvedPath: `/usr/bin/${bin}`, sessionKey: run.sessionKey }
        : {
            command,
            systemRunBinding: null,
            systemRunPlan: null,
            cwd: WORKSPACE_DIR,
            nodeId: null,
            host: 'gateway',
            security: 'allowlist',
            ask: 'on-miss',
            warningText: null,
            scope: null,
            commandAnalysis: { commandCount: 1, nestedCommandCount: 0, riskKinds: [], warningLines: [] },
            ...(allowAlways ? {} : { unavailableDecisions: ['allow-always'] }),
            allowedDecisions,
            agentId: run.agentId,
            resolvedPath: `/usr/bin/${bin}`,
            sessionKey: run.sessionKey,
            sessionId: null,
            runId: run.runId,
            toolCallId: tool.toolCallId,
            turnSourceChannel: 'webchat',
            turnSourceTo: run.sessionKey,
            turnSourceAccountId: null,
            turnSourceThreadId: null,
            cronExecutionSource: null,
            cronOperationBinding: null,
          };
    const record: PendingApproval = {
      id,
      request,
      createdAtMs,
      expiresAtMs: createdAtMs + this.opts.timeoutMs,
      requester,
      allowedDecisions,
      timer: undefined,
      onDecision: () => undefined,
    };
    // No decision in time: askFallback deny. v3 says nothing (§3.4); v4 sends a resolved `deny` with no resolver
    // (F-findings APPROVALS, live with exec.approval.request timeoutMs).
    record.timer = setTimeout(() => {
      if (record.decision !== undefined) return;
      if (this.protocol === 4) {
        const event = { id, decision: 'deny', resolvedBy: null, ts: Date.now(), request: record.request };
        this.io.sendTo(this.audience(record), 'exec.approval.resolved', event);
      }
      this.records.delete(id);
      record.onDecision('expired');
    }, this.opts.timeoutMs);
    this.records.set(id, record);
    return record;
  }

  private drop(record: PendingApproval): void {
    clearTimeout(record.timer);
    this.records.delete(record.id);
  }

  private requestedEvent(record: PendingApproval): Record<string, unknown> {
    const event = { id: record.id, request: record.request, createdAtMs: record.createdAtMs, expiresAtMs: record.expiresAtMs };
    return this.protocol === 4 ? { approvalKind: 'exec', ...event } : event;
  }

  /**
   * v3: every socket with operator.approvals (or admin). v4: approval clients (that scope and cap `exec-approvals` or
   * `approvals`, or a first-party app id) that may see the record: admin all, approvals-only its own device's.
   */
  private audience(record: PendingApproval): Set<string> {
    return new Set(this.io.conns().filter((c) => hasScope(c.scopes, APPROVALS) && (this.protocol === 3 || this.isApprovalClient(c) && this.visible(record, c))).map((c) => c.connId));
  }

  private isApprovalClient(c: ApprovalConn): boolean {
    return c.caps.includes('exec-approvals') || c.caps.includes('approvals') || (c.clientId !== undefined && APPROVAL_CLIENT_IDS.includes(c.clientId));
  }

  private visible(record: PendingApproval, c: Pick<ApprovalConn, 'scopes' | 'deviceId' | 'connId'>): boolean {
    if (this.protocol === 3 || c.scopes.includes(ADMIN)) return true;
    if (record.requester.deviceId !== undefined) return record.requester.deviceId === c.deviceId;
    return record.requester.connId === undefined || record.requester.connId === c.connId;
  }

  private notFound(): RpcError {
    return this.protocol === 3
      ? invalid('unknown approval id')
      : invalid('unknown or expired approval id', {
          reason: 'APPROVAL_NOT_FOUND',
          remediation: 'Re-request the action; pending approvals are cleared after expiry or restart.',
        });
  }

  /** `exec.approval.resolve {id, decision}` (§3.3). */
  resolve(p: Record<string, unknown>, caller: ApprovalConn): unknown {
    const decision = p.decision as string;
    if (!DECISIONS.includes(decision)) throw invalid('invalid decision');
    const record = this.records.get(p.id as string);
    if (!record || !this.visible(record, caller)) throw this.notFound();
    if (record.decision !== undefined) {
      // v4 keeps a decided record a while: the same decision again is fine, another one is refused.
      if (record.decision === decision) return { ok: true };
      throw invalid('approval already resolved', { reason: 'APPROVAL_ALREADY_RESOLVED' });
    }
    if (!record.allowedDecisions.includes(decision as Decision))
      throw invalid('allow-always is unavailable for this command', { reason: 'APPROVAL_ALLOW_ALWAYS_UNAVAILABLE' });
    record.decision = decision as Decision;
    clearTimeout(record.timer);
    if (this.protocol === 3) this.records.delete(record.id);
    const resolvedBy = caller.displayName ?? caller.clientId ?? null;
    const event: Record<string, unknown> = { id: record.id, decision, resolvedBy, ts: Date.now() };
    if (this.protocol === 4) event.request = record.request;
    // v4 sends it to the approval clients that may see the record; v3 broadcasts it to approvals-scope sockets.
    this.io.sendTo(this.audience(record), 'exec.approval.resolved', event);
    record.onDecision(record.decision);
    return { ok: true };
  }

  /** v4 `exec.approval.list`: the pending records this caller may see. */
  list(caller: ApprovalConn): unknown {
    return this.pending()
      .filter((r) => this.visible(r, caller))
      .map((r) => ({ id: r.id, request: r.request, createdAtMs: r.createdAtMs, expiresAtMs: r.expiresAtMs, approvalKind: 'exec' }));
  }

  /** v4 `exec.approval.get {id}` (exec-approval.ts). */
  get(p: Record<string, unknown>, caller: ApprovalConn): unknown {
    const record = this.records.get(p.id as string);
    if (!record || record.decision !== undefined || !this.visible(record, caller)) throw this.notFound();
    const { request } = record;
    return {
      id: record.id,
      commandText: request.command,
      commandPreview: null,
      allowedDecisions: record.allowedDecisions,
      host: request.host ?? null,
      nodeId: null,
      agentId: request.agentId ?? null,
      expiresAtMs: record.expiresAtMs,
    };
  }

  close(): void {
    for (const record of this.records.values()) clearTimeout(record.timer);
    this.records.clear();
  }
}

function commandOf(tool: ToolCallEvent): string {
  return typeof tool.call.args.command === 'string' ? tool.call.args.command : '';
}
