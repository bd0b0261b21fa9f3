// The gateway client against H-B's fake OpenClaw gateways, which model the agents-at-work behaviours of both real
// versions (tool progress, approvals, scope upgrades, steering, stops, sub-agents): the pieces working together.
import { describe, expect, it } from 'vitest';
import type { GatewayClientOptions } from '../../src/gateway/client.js';
import { generateDeviceIdentity } from '../../src/gateway/device.js';
import type { RunStream } from '../../src/gateway/run.js';
import type { ApprovalResolution, ExecApproval, RunActivity, RunEvent } from '../../src/gateway/types.js';
import { startOpenClawGateway, type OpenClawGatewayOptions } from '../fakes/gateway/openclaw-gateway.js';
import { wordTokens, type ReplyScript, type ScriptedToolCall } from '../fakes/gateway/state.js';
import { collect, makeClient, onCleanup, waitFor } from './helpers.js';

const OLD = ['operator.read', 'operator.write', 'operator.admin'];

async function fake(options: OpenClawGatewayOptions, client: Partial<GatewayClientOptions> = {}) {
  const gateway = await startOpenClawGateway({ deltaPacingMs: 5, ...options });
  onCleanup(() => gateway.close());
  const c = makeClient({ url: gateway.url, token: gateway.token, protocol: 'openclaw', ...client });
  return { gateway, client: c };
}

const exec = (command: string, output: string, extra: Partial<ScriptedToolCall> = {}): ScriptedToolCall => ({ name: 'exec', args: { command }, output, durationMs: 20, ...extra });
const script = (calls: ScriptedToolCall[], reply: string, extra: Partial<ReplyScript> = {}): ReplyScript => ({
  tokens: wordTokens(reply),
  tokenDelayMs: 1,
  toolCalls: calls.map((call) => ({ say: wordTokens('Checking.'), ...call })),
  ...extra,
});
const activities = (events: RunEvent[]): RunActivity[] => events.flatMap((e) => (e.type === 'activity' ? [e.activity] : []));
const tools = (events: RunEvent[]) => activities(events).flatMap((a) => (a.type === 'tool' ? [`${a.toolCallId}:${a.phase}:${a.status}`] : []));

describe('a remote device paired before issue 11', () => {
  it('on 2026.2, which wants the new scope approved, connects again with the old scopes and keeps working', async () => {
    const device = generateDeviceIdentity();
    const { gateway, client } = await fake({ protocol: 3, remote: true }, { device });
    gateway.approveDevice(device.id, OLD);
    const info = await client.start();
    expect(info.features).toMatchObject({ approvals: true, missingScopes: ['operator.approvals'] });
    expect(gateway.connections.map((c) => c.hello?.scopes)).toEqual([undefined, OLD]);
    expect(gateway.pairingRequests.at(-1)).toMatchObject({ deviceId: device.id, reason: 'scope-upgrade', status: 'pending' });
    const run = await client.chatSend({ sessionKey: client.sessionKey('main', 'old'), message: 'hi' });
    expect(await run.outcome).toMatchObject({ type: 'final' });
  });

  it('on 2026.9, where admin covers approvals, is accepted with every scope at once', async () => {
    const device = generateDeviceIdentity();
    const { gateway, client } = await fake({ protocol: 4, remote: true }, { device });
    gateway.approveDevice(device.id, OLD);
    expect((await client.start()).features.missingScopes).toEqual([]);
    expect(gateway.connections).toHaveLength(1);
  });
});

describe.each([3, 4] as const)('on the OpenClaw v%i fake', (protocol) => {
  it('a tool run yields its tool steps (parallel calls included) and ends with the final', async () => {
    const { gateway, client } = await fake({ protocol });
    gateway.setReplyScript(() => script([exec('echo one', 'one'), exec('echo two', 'two', { parallel: true })], 'All done.'));
    await client.start();
    const events = await collect(await client.chatSend({ sessionKey: client.sessionKey('main', `tools${protocol}`), message: 'run both' }));
    expect(events.at(-1)).toMatchObject({ type: 'final' });
    const steps = tools(events);
    expect(steps.filter((s) => s.endsWith(':start:running'))).toHaveLength(2);
    expect(steps.filter((s) => s.endsWith(':end:completed'))).toHaveLength(2);
  });
});

describe('exec approvals on the fakes', () => {
  it('on 2026.9, the run waits, the request is listed, and an allow-once lets the same turn finish', async () => {
    const { gateway, client } = await fake({ protocol: 4, execApprovals: 'ask' });
    gateway.setReplyScript(() => script([exec('echo approved-run', 'approved-run')], 'Tool results: exec=approved-run'));
    await client.start();
    const requested: ExecApproval[] = [];
    const resolved: ApprovalResolution[] = [];
    client.on('approvalRequested', (a) => requested.push(a));
    client.on('approvalResolved', (r) => resolved.push(r));
    const run = await client.chatSend({ sessionKey: client.sessionKey('main', 'ask4'), message: 'run it' });
    const events = collect(run);
    const approval = await waitFor(() => requested[0], 3_000, 'the approval request');
    expect(approval).toMatchObject({ command: 'echo approved-run', runId: run.runId, runWaits: true, decisions: ['allow-once', 'deny'] });
    expect((await client.pendingApprovals())?.map((a) => a.id)).toEqual([approval.id]);
    await client.resolveApproval(approval.id, 'allow-once');
    expect((await run.outcome).text).toContain('Tool results: exec=approved-run');
    expect(activities(await events).filter((a) => a.type === 'approval')).toEqual([
      { type: 'approval', phase: 'waiting', approvalId: approval.id, toolCallId: approval.toolCallId },
      { type: 'approval', phase: 'resolved', approvalId: approval.id, toolCallId: approval.toolCallId },
    ]);
    expect(resolved).toMatchObject([{ id: approval.id, decision: 'allow-once', resolvedBy: 'clawcord' }]);
  });

  it('on 2026.2, the turn ends at once and the request names no run', async () => {
    const { gateway, client } = await fake({ protocol: 3, execApprovals: 'ask' });
    gateway.setReplyScript(() => script([exec('echo approved-run', 'approved-run')], 'It needs approval.'));
    await client.start();
    const requested: ExecApproval[] = [];
    client.on('approvalRequested', (a) => requested.push(a));
    const run = await client.chatSend({ sessionKey: client.sessionKey('main', 'ask3'), message: 'run it' });
    expect(await run.outcome).toMatchObject({ type: 'final' });
    const approval = await waitFor(() => requested[0], 3_000, 'the approval request');
    expect(approval).toMatchObject({ command: 'echo approved-run', runId: undefined, runWaits: false });
    expect(await client.pendingApprovals()).toBeUndefined();
    await client.resolveApproval(approval.id, 'deny');
    await expect(client.resolveApproval(approval.id, 'deny')).rejects.toMatchObject({ name: 'ApprovalGoneError' });
  });
});

describe('steering and stopping on the 2026.9 fake', () => {
  it('a steer lands in the running turn, whose final answers it', async () => {
    const { gateway, client } = await fake({ protocol: 4 });
    // The last model call says what was steered into the turn by then.
    gateway.setReplyScript(() => script([exec('sleep 1', '', { durationMs: 600 })], '', { lateTokens: (ctx) => wordTokens(`Heard: ${ctx.steered.join(' ')}`) }));
    await client.start();
    const key = client.sessionKey('main', 'steer');
    const run = await client.chatSend({ sessionKey: key, message: 'long task' });
    await waitFor(() => run.currentText.length > 0, 3_000, 'the first text');
    expect(await client.steer(key, 'also say hello', run.runId)).toEqual({ status: 'steered' });
    const outcome = await run.outcome;
    expect(outcome.text).toContain('also say hello');
  });

  it('a stop kills a command the agent moved to the background', async () => {
    let effect = false;
    const { gateway, client } = await fake({ protocol: 4, execBackgroundMs: 100 });
    gateway.setReplyScript(() => script([exec('sleep 60; touch f', 'Command still running', { durationMs: 1_500, effect: () => (effect = true) })], 'Started it.'));
    await client.start();
    const run: RunStream = await client.chatSend({ sessionKey: client.sessionKey('main', 'bg'), message: 'start it' });
    await run.outcome;
    await waitFor(() => gateway.processes.some((p) => p.backgrounded), 3_000, 'the backgrounded command');
    expect(await client.chatAbort(run.sessionKey, run.runId)).toMatchObject({ aborted: true, cancelledTasks: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1_800));
    expect(effect).toBe(false);
  });

  it('a turn handed to sub-agents says how many it waits for, and ends with the successor\'s answer', async () => {
    const { gateway, client } = await fake({ protocol: 4 });
    gateway.setReplyScript(() => ({
      tokens: wordTokens('Spawning.'),
      tokenDelayMs: 1,
      yieldTo: { successor: { tokens: wordTokens('Both are back.'), tokenDelayMs: 1 }, subagents: [{ task: 'one' }, { task: 'two' }] },
    }));
    await client.start();
    const run = await client.chatSend({ sessionKey: client.sessionKey('main', 'yield'), message: 'use helpers' });
    const events = await collect(run);
    expect(events.at(-1)).toMatchObject({ type: 'final', text: 'Both are back.' });
    // Live 2026.9 reports the sub-agents (task events) before its yielded final; this fake spawns them after it.
    const handoffs = activities(events).flatMap((a) => (a.type === 'handoff' ? [a.waitingFor] : []));
    expect(handoffs).toContain(2);
    expect(handoffs.at(-1)).toBe(0);
  });
});
