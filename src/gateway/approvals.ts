import type { Logger } from '../log.js';
import type { Rpc } from './dialect.js';
import { MethodNotFoundError, ScopeError } from './errors.js';
import { asArray, asNumber, asObject, asString, isObject, type Json } from './normalize.js';
import type { ApprovalDecision, ApprovalResolution, ExecApproval } from './types.js';

/**
 * Exec approvals on OpenClaw (../shared/reference/openclaw-agent-events.md §3). Payloads are untrusted: a malformed one
 * is logged at debug and skipped, never thrown.
 */

export const APPROVAL_REQUESTED = 'exec.approval.requested';
export const APPROVAL_RESOLVED = 'exec.approval.resolved';

const DECISIONS: readonly ApprovalDecision[] = ['allow-once', 'allow-always', 'deny'];

function isDecision(value: unknown): value is ApprovalDecision {
  return typeof value === 'string' && (DECISIONS as readonly string[]).includes(value);
}

/**
 * An `exec.approval.requested` payload (or an `exec.approval.list` row, which has the same shape). 2026.9 names the run
 * and tool call that wait and the decisions it takes (`allowedDecisions`), and the run waits inside the tool call;
 * 2026.2 names neither, takes all three decisions, and its turn has already ended with "Approval required".
 */
export function parseApprovalRequest(payload: unknown, protocol: number): ExecApproval | undefined {
  if (!isObject(payload)) return undefined;
  // 2026.9 also has other kinds of approval (plugins) under their own events; only exec ones are read here.
  if (payload.approvalKind !== undefined && payload.approvalKind !== 'exec') return undefined;
  const id = asString(payload.id);
  const request = isObject(payload.request) ? payload.request : undefined;
  const command = asString(request?.command);
  const expiresAt = asNumber(payload.expiresAtMs);
  if (!id || !request || command === undefined || expiresAt === undefined) return undefined;
  const waits = protocol >= 4;
  return {
    id,
    command,
    cwd: asString(request.cwd),
    host: asString(request.host),
    sessionKey: asString(request.sessionKey),
    runId: waits ? asString(request.runId) : undefined,
    toolCallId: waits ? asString(request.toolCallId) : undefined,
    agentId: asString(request.agentId),
    decisions: decisionsOf(request),
    createdAt: asNumber(payload.createdAtMs) ?? Date.now(),
    expiresAt,
    runWaits: waits,
  };
}

function decisionsOf(request: Json): ApprovalDecision[] {
  const allowed = request.allowedDecisions;
  if (Array.isArray(allowed)) return DECISIONS.filter((d) => allowed.includes(d));
  const unavailable = asArray(request.unavailableDecisions);
  return DECISIONS.filter((d) => !unavailable.includes(d));
}

/** An `exec.approval.resolved` payload: `{id, decision, resolvedBy, ts}` (2026.9 adds the `request`). */
export function parseApprovalResolution(payload: unknown): ApprovalResolution | undefined {
  if (!isObject(payload)) return undefined;
  const id = asString(payload.id);
  const decision = payload.decision;
  if (!id || !(isDecision(decision) || decision === 'expired')) return undefined;
  return {
    id,
    decision,
    resolvedBy: asString(payload.resolvedBy),
    at: asNumber(payload.ts) ?? Date.now(),
    sessionKey: asString(asObject(payload.request).sessionKey),
  };
}

const MAX_REMEMBERED = 1_000;
/** Clocks differ a little; a resolution this close to the expiry counts as at it. */
const EXPIRY_SLACK_MS = 5_000;

/**
 * When the requests seen last expire, to tell an expiry from a decision: at expiry 2026.9 broadcasts an ordinary
 * `exec.approval.resolved` with `decision:"deny"` and `resolvedBy:null` (F-findings APPROVAL TIMEOUTS, live;
 * src/gateway/server-methods/approval-publication.ts), where a person's decision names the client that sent it.
 * 2026.2 broadcasts nothing at expiry.
 */
export class ApprovalExpiries {
  private readonly expiresAt = new Map<string, number>();

  remember(approval: ExecApproval): void {
    if (this.expiresAt.size >= MAX_REMEMBERED) this.expiresAt.delete(this.expiresAt.keys().next().value!);
    this.expiresAt.set(approval.id, approval.expiresAt);
  }

  /** The resolution as it was: `expired` when nobody decided and the request's time was up. */
  resolved(resolution: ApprovalResolution): ApprovalResolution {
    const expiresAt = this.expiresAt.get(resolution.id);
    this.expiresAt.delete(resolution.id);
    const unattended = resolution.decision === 'deny' && resolution.resolvedBy === undefined;
    return unattended && expiresAt !== undefined && resolution.at >= expiresAt - EXPIRY_SLACK_MS ? { ...resolution, decision: 'expired' } : resolution;
  }
}

/**
 * Sends a decision. The gateway's refusals arrive typed (see `openClawError`): `ApprovalGoneError` for an id it no longer
 * has (2026.2 "unknown approval id"; 2026.9 APPROVAL_NOT_FOUND, or APPROVAL_ALREADY_RESOLVED for another decision),
 * `DecisionUnavailableError` (2026.9 APPROVAL_ALLOW_ALWAYS_UNAVAILABLE; the request stays pending), `ScopeError`.
 */
export async function resolveApproval(rpc: Rpc, id: string, decision: ApprovalDecision): Promise<void> {
  await rpc('exec.approval.resolve', { id, decision });
}

/**
 * The pending exec approvals this connection may see (2026.9 `exec.approval.list`), or undefined where the gateway
 * cannot list them (2026.2 has no such method; a connection without the scope may not).
 */
export async function listApprovals(rpc: Rpc, protocol: number, logger: Logger): Promise<ExecApproval[] | undefined> {
  let result: unknown;
  try {
    result = await rpc('exec.approval.list', {});
  } catch (error) {
    if (error instanceof MethodNotFoundError || error instanceof ScopeError) return undefined;
    throw error;
  }
  const rows = Array.isArray(result) ? result : asArray(asObject(result).approvals);
  return rows.flatMap((row) => {
    const approval = parseApprovalRequest(row, protocol);
    if (!approval && !(isObject(row) && row.approvalKind !== undefined && row.approvalKind !== 'exec')) {
      logger.debug({ keys: isObject(row) ? Object.keys(row).slice(0, 8) : typeof row }, 'skipped a malformed exec.approval.list row');
    }
    return approval ? [approval] : [];
  });
}
