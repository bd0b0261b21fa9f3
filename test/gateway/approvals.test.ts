// Exec approvals (issue 11), with the payloads and errors of ../shared/reference/openclaw-agent-events.md §3.3 and the
// installed 2026.9.6 approval handlers (approval-shared, approval-record-lookup).
import { describe, expect, it } from 'vitest';
import { ApprovalGoneError, DecisionUnavailableError, MethodNotFoundError, ScopeError } from '../../src/gateway/errors.js';
import type { ApprovalResolution, ExecApproval } from '../../src/gateway/types.js';
import { startCardGateway } from '../fakes/gateway/card-gateway.js';
import { captureLogs, makeClient, onCleanup, waitFor } from './helpers.js';
import { startScriptedOpenClaw, type Answer, type Frame } from './scripted-openclaw.js';

const V4_METHODS = ['chat.send', 'chat.history', 'chat.abort', 'exec.approval.list', 'exec.approval.resolve'];

const V4_REQUEST: Frame = {
  command: 'echo approved-run',
  systemRunBinding: null,
  systemRunPlan: null,
  cwd: '<workspace-main>',
  nodeId: null,
  host: 'gateway',
  security: 'allowlist',
  ask: 'on-miss',
  warningText: null,
  scope: null,
  commandAnalysis: { commandCount: 1, nestedCommandCount: 0, riskKinds: [], warningLines: [] },
  unavailableDecisions: ['allow-always'],
  allowedDecisions: ['allow-once', 'deny'],
  agentId: 'main',
  resolvedPath: '<resolved echo binary>',
  sessionKey: 'agent:main:relay:ask2',
  sessionId: null,
  runId: 'db62f4f5-d174-479a-9ee2-4654901da38f',
  toolCallId: 'call_3_0',
  turnSourceChannel: 'webchat',
  turnSourceTo: 'agent:main:relay:ask2',
  turnSourceAccountId: null,
  turnSourceThreadId: null,
  cronExecutionSource: null,
  cronOperationBinding: null,
};
const V4_REQUESTED: Frame = { approvalKind: 'exec', id: '98f741c7-0379-4009-9f31-ec98a103ee33', request: V4_REQUEST, createdAtMs: 1796311936987, expiresAtMs: 1796313736987 };
const V3_REQUESTED: Frame = {
  id: 'ca3b4f5a-f1ba-470a-ac9e-266adf1556bd',
  request: { command: 'echo approved-run', cwd: '<workspace-main>', host: 'gateway', security: 'allowlist', ask: 'on-miss', agentId: 'main', resolvedPath: '<resolved echo binary>', sessionKey: 'agent:main:relay:ask1' },
  createdAtMs: 1796312055819,
  expiresAtMs: 1796312175819,
};

async function connected(protocol: 3 | 4, methods?: string[]) {
  const gateway = await startScriptedOpenClaw({ protocol, methods: methods ?? (protocol === 4 ? V4_METHODS : undefined) });
  const { lines, logger } = captureLogs();
  const client = makeClient({ url: gateway.url, token: 'tok', protocol: 'openclaw', logger });
  await client.start();
  const requested: ExecApproval[] = [];
  const resolved: ApprovalResolution[] = [];
  client.on('approvalRequested', (a) => requested.push(a));
  client.on('approvalResolved', (r) => resolved.push(r));
  return { gateway, client, lines, requested, resolved };
}

describe('approval requests', () => {
  it('on 2026.9, name the run and tool call that wait and the decisions the gateway takes', async () => {
    const { gateway, requested } = await connected(4);
    gateway.event('exec.approval.requested', V4_REQUESTED);
    await waitFor(() => requested.length === 1, 2_000, 'the request');
    expect(requested[0]).toEqual({
      id: '98f741c7-0379-4009-9f31-ec98a103ee33',
      command: 'echo approved-run',
      cwd: '<workspace-main>',
      host: 'gateway',
      sessionKey: 'agent:main:relay:ask2',
      runId: 'db62f4f5-d174-479a-9ee2-4654901da38f',
      toolCallId: 'call_3_0',
      agentId: 'main',
      decisions: ['allow-once', 'deny'],
      createdAt: 1796311936987,
      expiresAt: 1796313736987,
      runWaits: true,
    });
  });

  it('on 2026.2, name no run, take every decision, and do not hold the run', async () => {
    const { gateway, requested } = await connected(3);
    gateway.event('exec.approval.requested', V3_REQUESTED);
    await waitFor(() => requested.length === 1, 2_000, 'the request');
    expect(requested[0]).toMatchObject({
      id: 'ca3b4f5a-f1ba-470a-ac9e-266adf1556bd',
      command: 'echo approved-run',
      sessionKey: 'agent:main:relay:ask1',
      runId: undefined,
      toolCallId: undefined,
      decisions: ['allow-once', 'allow-always', 'deny'],
      expiresAt: 1796312175819,
      runWaits: false,
    });
  });

  it('skip malformed payloads and other kinds of approval with a debug line, and go on', async () => {
    const { gateway, requested, resolved, lines } = await connected(4);
    gateway.event('exec.approval.requested', { id: 'no-request', createdAtMs: 1, expiresAtMs: 2 });
    gateway.event('exec.approval.requested', { ...V4_REQUESTED, id: 7 });
    gateway.event('exec.approval.requested', { ...V4_REQUESTED, approvalKind: 'plugin' });
    gateway.event('exec.approval.resolved', { id: 'x', decision: 'maybe' });
    gateway.event('exec.approval.requested', V4_REQUESTED);
    await waitFor(() => requested.length === 1, 2_000, 'the good request');
    expect(resolved).toEqual([]);
    expect(lines.filter((l) => l.msg === 'skipped a malformed approval event' && l.level === 20)).toHaveLength(4);
  });
});

describe('approval resolutions', () => {
  it('on 2026.9, carry the request\'s session', async () => {
    const { gateway, resolved } = await connected(4);
    gateway.event('exec.approval.resolved', { id: '98f741c7-0379-4009-9f31-ec98a103ee33', decision: 'allow-once', resolvedBy: 'relay-main', ts: 1796311940015, request: V4_REQUEST });
    await waitFor(() => resolved.length === 1, 2_000, 'the resolution');
    expect(resolved[0]).toEqual({ id: '98f741c7-0379-4009-9f31-ec98a103ee33', decision: 'allow-once', resolvedBy: 'relay-main', at: 1796311940015, sessionKey: 'agent:main:relay:ask2' });
  });

  it('on 2026.9, tell an expiry (a deny nobody sent, at the request\'s expiry) from a person\'s deny', async () => {
    const { gateway, resolved } = await connected(4);
    const now = Date.now();
    gateway.event('exec.approval.requested', { ...V4_REQUESTED, id: 'short', createdAtMs: now - 4_000, expiresAtMs: now });
    gateway.event('exec.approval.requested', { ...V4_REQUESTED, id: 'long', createdAtMs: now, expiresAtMs: now + 1_800_000 });
    gateway.event('exec.approval.resolved', { id: 'short', decision: 'deny', resolvedBy: null, ts: now + 3, request: V4_REQUEST });
    gateway.event('exec.approval.resolved', { id: 'long', decision: 'deny', resolvedBy: 'Control UI', ts: now + 5, request: V4_REQUEST });
    await waitFor(() => resolved.length === 2, 2_000, 'the resolutions');
    expect(resolved.map((r) => [r.id, r.decision, r.resolvedBy])).toEqual([
      ['short', 'expired', undefined],
      ['long', 'deny', 'Control UI'],
    ]);
  });

  it('on 2026.2, carry no session', async () => {
    const { gateway, resolved } = await connected(3);
    gateway.event('exec.approval.resolved', { id: 'ca3b4f5a', decision: 'deny', resolvedBy: 'relay-main', ts: 1796312057827 });
    await waitFor(() => resolved.length === 1, 2_000, 'the resolution');
    expect(resolved[0]).toEqual({ id: 'ca3b4f5a', decision: 'deny', resolvedBy: 'relay-main', at: 1796312057827, sessionKey: undefined });
  });
});

describe('resolveApproval', () => {
  it('sends exec.approval.resolve {id, decision}', async () => {
    const { gateway, client } = await connected(4);
    gateway.handle('exec.approval.resolve', () => ({ payload: { ok: true } }));
    await client.resolveApproval('98f741c7', 'allow-once');
    expect(gateway.requests.at(-1)).toMatchObject({ method: 'exec.approval.resolve', params: { id: '98f741c7', decision: 'allow-once' } });
  });

  const refusals: Array<[string, 3 | 4, Answer, new (...args: never[]) => Error]> = [
    ['2026.2 unknown id', 3, { error: { code: 'INVALID_REQUEST', message: 'unknown approval id' } }, ApprovalGoneError],
    [
      '2026.9 unknown or expired id',
      4,
      { error: { code: 'INVALID_REQUEST', message: 'unknown or expired approval id', details: { reason: 'APPROVAL_NOT_FOUND', remediation: 'Re-request the action' } } },
      ApprovalGoneError,
    ],
    ['2026.9 decided already', 4, { error: { code: 'INVALID_REQUEST', message: 'approval already resolved', details: { reason: 'APPROVAL_ALREADY_RESOLVED' } } }, ApprovalGoneError],
    [
      '2026.9 allow-always unavailable',
      4,
      { error: { code: 'INVALID_REQUEST', message: 'allow-always is unavailable for this command', details: { reason: 'APPROVAL_ALLOW_ALWAYS_UNAVAILABLE' } } },
      DecisionUnavailableError,
    ],
    ['2026.2 without the scope', 3, { error: { code: 'INVALID_REQUEST', message: 'missing scope: operator.approvals' } }, ScopeError],
    ['2026.9 without the scope', 4, { error: { code: 'FORBIDDEN', message: 'missing scope: operator.approvals', details: { code: 'MISSING_SCOPE' } } }, ScopeError],
  ];
  it.each(refusals)('types the refusal: %s', async (_name, protocol, answer, type) => {
    const { gateway, client } = await connected(protocol);
    gateway.handle('exec.approval.resolve', () => answer);
    await expect(client.resolveApproval('some-id', 'allow-always')).rejects.toBeInstanceOf(type);
  });

  it('on the card, says there are no approvals', async () => {
    const gateway = await startCardGateway();
    onCleanup(() => gateway.close());
    const client = makeClient({ url: gateway.url, token: gateway.token, protocol: 'card' });
    await client.start();
    await expect(client.resolveApproval('x', 'deny')).rejects.toBeInstanceOf(MethodNotFoundError);
    expect(await client.pendingApprovals()).toBeUndefined();
  });
});

describe('pendingApprovals', () => {
  it('on 2026.9, lists them with exec.approval.list, skipping rows it cannot read', async () => {
    const { gateway, client } = await connected(4);
    gateway.handle('exec.approval.list', () => ({ payload: [V4_REQUESTED, { id: 'broken' }, { ...V4_REQUESTED, id: 'second', request: { ...V4_REQUEST, allowedDecisions: ['deny'] } }] }));
    const pending = await client.pendingApprovals();
    expect(gateway.requests.at(-1)).toEqual(expect.objectContaining({ method: 'exec.approval.list', params: {} }));
    expect(pending?.map((a) => [a.id, a.decisions, a.runWaits])).toEqual([
      ['98f741c7-0379-4009-9f31-ec98a103ee33', ['allow-once', 'deny'], true],
      ['second', ['deny'], true],
    ]);
  });

  it('on 2026.2, which cannot list them, is undefined without asking', async () => {
    const { gateway, client } = await connected(3);
    expect(await client.pendingApprovals()).toBeUndefined();
    expect(gateway.requests).toEqual([]);
  });

  it('is undefined when the gateway refuses the method after all', async () => {
    const { gateway, client } = await connected(4);
    gateway.handle('exec.approval.list', () => ({ error: { code: 'INVALID_REQUEST', message: 'unknown method: exec.approval.list' } }));
    expect(await client.pendingApprovals()).toBeUndefined();
  });
});
