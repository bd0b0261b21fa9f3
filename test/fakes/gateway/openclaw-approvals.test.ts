// The fake OpenClaw gateways' exec approvals and the scopes behind them, on the wire (raw `ws` clients, no project
// code). Each behaviour cites openclaw-agent-events.md §1/§3 or /tmp/clawcord-requests/F-findings.md.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createTestDevice } from './device-verify.js';
import { headlessDeniedText } from './openclaw-approvals.js';
import { chatEvents, oc, ocCall, ocConnect, sleep, useCleanups, type Frame, type RawClient } from './raw-client.js';
import { wordTokens, type ReplyContext, type ReplyScript, type ScriptedToolCall } from './state.js';

useCleanups();

const FOUR = ['operator.read', 'operator.write', 'operator.admin', 'operator.approvals'];
const APPROVAL_CAPS = { caps: ['tool-events', 'exec-approvals'] };
const KEY = 'agent:main:relay:ask';

const send = async (c: RawClient, message = 'run it', sessionKey = KEY) => {
  const runId = randomUUID();
  const res = await ocCall(c, 'chat.send', { sessionKey, message, idempotencyKey: runId });
  return { res, runId };
};
const terminal = (c: RawClient, runId: string, timeoutMs = 3000) =>
  c.waitFor((f) => f.event === 'chat' && f.payload.runId === runId && ['final', 'error', 'aborted'].includes(f.payload.state), timeoutMs);
const agent = (c: RawClient, runId: string, stream: string) => c.frames.filter((f) => f.event === 'agent' && f.payload.runId === runId && f.payload.stream === stream);
const lifecycle = (c: RawClient, runId: string) => agent(c, runId, 'lifecycle').map((f) => f.payload.data.phase);
const requested = (c: RawClient) => c.frames.filter((f) => f.event === 'exec.approval.requested');
const finalText = (f: Frame) => f.payload.message?.content?.[0]?.text;

const execCall = (command: string, output: string, extra: Partial<ScriptedToolCall> = {}): ScriptedToolCall => ({
  name: 'exec',
  args: { command },
  output,
  durationMs: 20,
  ...extra,
});
const script = (call: ScriptedToolCall, reply = 'Done.'): ReplyScript => ({
  tokens: wordTokens(reply),
  tokenDelayMs: 1,
  toolCalls: [{ say: wordTokens('Checking.'), ...call }],
});

describe('scopes and caps for approvals', () => {
  it.each([3, 4] as const)('protocol %i: hello-ok auth.scopes lists operator.approvals, and the caps are kept', async (protocol) => {
    const gw = await oc({ protocol });
    const { res } = await ocConnect(gw, { scopes: FOUR, extra: APPROVAL_CAPS });
    expect(res.payload.auth.scopes).toEqual(FOUR);
    expect(gw.connections[0]!.hello?.caps).toEqual(['tool-events', 'exec-approvals']);
    // v3 exec.approval.resolve exists (its errors below); exec.approval.list is v4 only.
    expect(res.payload.features.methods.includes('exec.approval.list')).toBe(protocol === 4);
    expect(res.payload.features.events).toContain('exec.approval.requested');
  });

  it('a local paired device gets the new scope at once (F-findings: loopback upgrade auto-approved)', async () => {
    for (const protocol of [3, 4] as const) {
      const gw = await oc({ protocol });
      const device = createTestDevice();
      expect((await ocConnect(gw, { device })).res.ok).toBe(true);
      const again = await ocConnect(gw, { device, scopes: FOUR, extra: APPROVAL_CAPS });
      expect(again.res.payload.auth.scopes).toEqual(FOUR);
      // v3 records the upgrade; on v4 the paired admin scope already covered it.
      expect(gw.pairedScopes(device.deviceId)).toEqual(protocol === 3 ? FOUR : FOUR.slice(0, 3));
    }
  });

  it('v3: a remote paired device asking for operator.approvals needs a new pairing, and keeps working with its old scopes', async () => {
    const gw = await oc({ protocol: 3, remote: true });
    const device = createTestDevice();
    await ocConnect(gw, { device });
    gw.approveDevice(device.deviceId);
    expect((await ocConnect(gw, { device })).res.ok).toBe(true);

    const upgrade = await ocConnect(gw, { device, scopes: FOUR, extra: APPROVAL_CAPS });
    const request = gw.pairingRequests.at(-1)!;
    expect(request).toMatchObject({ reason: 'scope-upgrade', status: 'pending', scopes: FOUR });
    expect(upgrade.res.error).toEqual({ code: 'NOT_PAIRED', message: 'pairing required', details: { requestId: request.requestId } });
    expect(await upgrade.c.closed).toEqual({ code: 1008, reason: 'pairing required' });
    // The fallback: the old scopes still connect.
    expect((await ocConnect(gw, { device })).res.payload.auth.scopes).toEqual(['operator.read', 'operator.write', 'operator.admin']);
    gw.approveDevice(device.deviceId);
    expect((await ocConnect(gw, { device, scopes: FOUR })).res.payload.auth.scopes).toEqual(FOUR);
  });

  it('v4: admin already covers operator.approvals; a remote device paired without admin gets a scope-upgrade refusal', async () => {
    const gw = await oc({ remote: true });
    const admin = createTestDevice();
    await ocConnect(gw, { device: admin });
    gw.approveDevice(admin.deviceId);
    expect((await ocConnect(gw, { device: admin, scopes: FOUR })).res.payload.auth.scopes).toEqual(FOUR);

    const writer = createTestDevice();
    const rw = ['operator.read', 'operator.write'];
    await ocConnect(gw, { device: writer, scopes: rw });
    gw.approveDevice(writer.deviceId);
    const upgrade = await ocConnect(gw, { device: writer, scopes: [...rw, 'operator.approvals'] });
    const request = gw.pairingRequests.at(-1)!;
    expect(upgrade.res.error).toEqual({
      code: 'NOT_PAIRED',
      message: 'pairing required: device is asking for more scopes than currently approved',
      details: {
        code: 'PAIRING_REQUIRED',
        reason: 'scope-upgrade',
        requestId: request.requestId,
        remediationHint: 'Review the requested scopes, then approve the pending upgrade.',
        deviceId: writer.deviceId,
        requestedRole: 'operator',
        requestedScopes: [...rw, 'operator.approvals'],
        approvedRoles: ['operator'],
        approvedScopes: rw,
      },
    });
    expect((await upgrade.c.closed).reason).toBe(`pairing required: device is asking for more scopes than currently approved (requestId: ${request.requestId})`.slice(0, 123));
    // The same request comes back until it is decided; approving with fewer scopes keeps refusing the rest.
    await ocConnect(gw, { device: writer, scopes: [...rw, 'operator.approvals'] });
    expect(gw.pairingRequests.filter((r) => r.deviceId === writer.deviceId && r.reason === 'scope-upgrade')).toHaveLength(1);
    gw.approveDevice(writer.deviceId, rw);
    expect((await ocConnect(gw, { device: writer, scopes: [...rw, 'operator.approvals'] })).res.error.details.reason).toBe('scope-upgrade');
  });
});

describe('v4 exec approvals: the run waits inside the tool call', () => {
  it('allow-once: request with runId/toolCallId/decisions, waiting-approval, resolved by display name, the tool runs, same turn', async () => {
    const gw = await oc({ execApprovals: 'ask', deltaPacingMs: 1 });
    gw.setReplyScript(() => script(execCall('echo approved-run', 'approved-run'), 'Tool results: exec=approved-run'));
    const main = await ocConnect(gw, { scopes: FOUR, extra: APPROVAL_CAPS, client: { displayName: 'relay-main' } });
    const obs = await ocConnect(gw, { scopes: ['operator.read', 'operator.write'] });
    const { runId } = await send(main.c);
    const req = await main.c.waitFor((f) => f.event === 'exec.approval.requested');
    expect(req.payload).toMatchObject({
      approvalKind: 'exec',
      id: expect.any(String),
      request: {
        command: 'echo approved-run',
        host: 'gateway',
        security: 'allowlist',
        ask: 'on-miss',
        allowedDecisions: ['allow-once', 'deny'],
        unavailableDecisions: ['allow-always'],
        sessionKey: KEY,
        runId,
        toolCallId: 'call_1_0',
        agentId: 'main',
        turnSourceChannel: 'webchat',
      },
    });
    expect(req.payload.expiresAtMs - req.payload.createdAtMs).toBe(1_800_000);
    const id = req.payload.id as string;
    await obs.c.waitFor((f) => f.payload?.runId === runId && f.payload.data?.phase === 'waiting-approval');
    await sleep(60);
    expect(chatEvents(obs.c, runId).some((f) => f.payload.state === 'final')).toBe(false);
    expect(requested(obs.c)).toEqual([]);

    const res = await ocCall(main.c, 'exec.approval.resolve', { id, decision: 'allow-once' });
    expect(res.payload).toEqual({ ok: true });
    const resolvedAt = main.c.frames.findIndex((f) => f.event === 'exec.approval.resolved');
    expect(main.c.frames[resolvedAt]!.payload).toMatchObject({ id, decision: 'allow-once', resolvedBy: 'relay-main', request: { runId } });
    expect(resolvedAt).toBeLessThan(main.c.frames.indexOf(res));
    const final = await terminal(main.c, runId);
    expect(finalText(final)).toBe('Checking.\n\nTool results: exec=approved-run');
    const phases = lifecycle(obs.c, runId);
    expect(phases.indexOf('waiting-approval')).toBeLessThan(phases.indexOf('approval-resolved'));
    expect(agent(main.c, runId, 'tool').find((f) => f.payload.data.phase === 'result')!.payload.data.result.content[0].text).toBe('approved-run');
    expect(gw.pendingApprovals()).toEqual([]);
  });

  it('with nobody to ask (no exec-approvals cap) the command is denied at once: "Headless runs cannot wait…"', async () => {
    const gw = await oc({ execApprovals: 'ask' });
    gw.setReplyScript(() => script(execCall('echo hi', 'hi'), 'Denied, sorry.'));
    const main = await ocConnect(gw, { scopes: FOUR, extra: { caps: ['tool-events'] } });
    const { runId } = await send(main.c);
    const final = await terminal(main.c, runId);
    expect(finalText(final)).toBe('Checking.\n\nDenied, sorry.');
    expect(requested(main.c)).toEqual([]);
    expect(lifecycle(main.c, runId)).not.toContain('waiting-approval');
    const end = agent(main.c, runId, 'item').find((f) => f.payload.data.kind === 'tool' && f.payload.data.phase === 'end')!;
    expect(end.payload.data).toMatchObject({ status: 'failed', error: 'exec denied: Headless runs cannot wait for interactive exec approval.' });
    const result = agent(main.c, runId, 'tool').find((f) => f.payload.data.phase === 'result')!;
    expect(result.payload.data).toMatchObject({ isError: true, result: { content: [{ text: headlessDeniedText() }] } });
  });

  it('deny: an approval stream event, the tool fails with the denial text, the turn goes on', async () => {
    const gw = await oc({ execApprovals: 'ask' });
    gw.setReplyScript(() => script(execCall('echo denied-run', 'denied-run'), 'It was denied.'));
    const main = await ocConnect(gw, { scopes: FOUR, extra: APPROVAL_CAPS });
    const { runId } = await send(main.c);
    const id = (await main.c.waitFor((f) => f.event === 'exec.approval.requested')).payload.id as string;
    await ocCall(main.c, 'exec.approval.resolve', { id, decision: 'deny' });
    expect(finalText(await terminal(main.c, runId))).toBe('Checking.\n\nIt was denied.');
    expect(agent(main.c, runId, 'approval').map((f) => f.payload.data)).toEqual([
      { phase: 'resolved', kind: 'exec', status: 'denied', title: 'Command approval resolved', itemId: 'command:call_1_0', toolCallId: 'call_1_0', message: 'echo denied-run' },
    ]);
    const text = `Exec denied (gateway id=${id}, user-denied): echo denied-run`;
    expect(agent(main.c, runId, 'tool').find((f) => f.payload.data.phase === 'result')!.payload.data).toMatchObject({ isError: true, result: { content: [{ text }] } });
    expect(agent(main.c, runId, 'item').at(-1)!.payload.data).toMatchObject({ kind: 'tool', status: 'failed' });
  });

  it('refuses allow-always unless offered (the approval stays pending), and answers the version errors', async () => {
    const gw = await oc({ execApprovals: 'ask' });
    let offer = false;
    gw.setReplyScript(() => script(execCall('echo x', 'x', offer ? { approval: { allowAlways: true } } : {})));
    const main = await ocConnect(gw, { scopes: FOUR, extra: APPROVAL_CAPS });
    const { runId } = await send(main.c);
    const id = (await main.c.waitFor((f) => f.event === 'exec.approval.requested')).payload.id as string;
    expect((await ocCall(main.c, 'exec.approval.resolve', { id, decision: 'allow-always' })).error).toEqual({
      code: 'INVALID_REQUEST',
      message: 'allow-always is unavailable for this command',
      details: { reason: 'APPROVAL_ALLOW_ALWAYS_UNAVAILABLE' },
    });
    expect(gw.pendingApprovals().map((a) => a.id)).toEqual([id]);
    expect((await ocCall(main.c, 'exec.approval.resolve', { id, decision: 'maybe' })).error).toEqual({ code: 'INVALID_REQUEST', message: 'invalid decision' });
    expect((await ocCall(main.c, 'exec.approval.resolve', { id: 'nope', decision: 'deny' })).error).toMatchObject({
      code: 'INVALID_REQUEST',
      message: 'unknown or expired approval id',
      details: { reason: 'APPROVAL_NOT_FOUND' },
    });
    expect((await ocCall(main.c, 'exec.approval.resolve', { id, decision: 'allow-once', extra: 1 })).error.message).toBe(
      "invalid exec.approval.resolve params: at root: unexpected property 'extra'",
    );
    const reader = await ocConnect(gw, { scopes: ['operator.read', 'operator.write'] });
    expect((await ocCall(reader.c, 'exec.approval.resolve', { id, decision: 'deny' })).error).toEqual({
      code: 'FORBIDDEN',
      message: 'missing scope: operator.approvals',
      details: { code: 'MISSING_SCOPE', missingScope: 'operator.approvals', requiredScopes: ['operator.approvals'] },
    });
    expect((await ocCall(main.c, 'exec.approval.get', { id })).payload).toMatchObject({ id, commandText: 'echo x', allowedDecisions: ['allow-once', 'deny'], host: 'gateway' });
    await ocCall(main.c, 'exec.approval.resolve', { id, decision: 'allow-once' });
    // Resolved once: the same decision again is fine, another one is refused.
    expect((await ocCall(main.c, 'exec.approval.resolve', { id, decision: 'allow-once' })).payload).toEqual({ ok: true });
    expect((await ocCall(main.c, 'exec.approval.resolve', { id, decision: 'deny' })).error).toMatchObject({ message: 'approval already resolved' });
    await terminal(main.c, runId);

    offer = true;
    const second = await send(main.c, 'again');
    const req = await main.c.waitFor((f) => f.event === 'exec.approval.requested' && f.payload.request.runId === second.runId);
    expect(req.payload.request.allowedDecisions).toEqual(['allow-once', 'allow-always', 'deny']);
    expect(req.payload.request.unavailableDecisions).toBeUndefined();
    expect((await ocCall(main.c, 'exec.approval.resolve', { id: req.payload.id, decision: 'allow-always' })).payload).toEqual({ ok: true });
  });

  it('the audience: approvals-only sockets see their own device only, admin+cap sees all, caps matter', async () => {
    const gw = await oc({ execApprovals: 'ask' });
    gw.setReplyScript(() => script(execCall('echo x', 'x')));
    const main = await ocConnect(gw, { scopes: FOUR, extra: { caps: ['tool-events'] } });
    const own = await ocConnect(gw, { scopes: ['operator.approvals'], extra: APPROVAL_CAPS });
    const admin = await ocConnect(gw, { scopes: ['operator.admin', 'operator.approvals'], extra: { caps: ['approvals'] } });
    const noCap = await ocConnect(gw, { scopes: ['operator.admin', 'operator.approvals'] });
    const { runId } = await send(main.c);
    const req = await admin.c.waitFor((f) => f.event === 'exec.approval.requested');
    await sleep(30);
    expect(requested(own.c)).toEqual([]);
    expect(requested(noCap.c)).toEqual([]);
    expect(requested(main.c)).toEqual([]);
    expect((await ocCall(own.c, 'exec.approval.list', {})).payload).toEqual([]);
    expect((await ocCall(own.c, 'exec.approval.resolve', { id: req.payload.id, decision: 'deny' })).error.message).toBe('unknown or expired approval id');
    await ocCall(admin.c, 'exec.approval.resolve', { id: req.payload.id, decision: 'allow-once' });
    expect(admin.c.frames.find((f) => f.event === 'exec.approval.resolved')!.payload.resolvedBy).toBe('raw-test');
    await terminal(main.c, runId);
  });

  it('a pending approval survives a reconnect: a new socket of the same device lists it, resolves it, the run finishes', async () => {
    const gw = await oc({ execApprovals: 'ask' });
    gw.setReplyScript(() => script(execCall('echo back', 'back'), 'Back.'));
    const device = createTestDevice();
    const first = await ocConnect(gw, { device, scopes: ['operator.read', 'operator.write', 'operator.approvals'], extra: APPROVAL_CAPS });
    const { runId } = await send(first.c);
    const req = await first.c.waitFor((f) => f.event === 'exec.approval.requested');
    first.c.close();
    await sleep(20);
    const again = await ocConnect(gw, { device, scopes: ['operator.read', 'operator.write', 'operator.approvals'], extra: APPROVAL_CAPS });
    const list = (await ocCall(again.c, 'exec.approval.list', {})).payload;
    expect(list).toEqual([{ id: req.payload.id, request: req.payload.request, createdAtMs: req.payload.createdAtMs, expiresAtMs: req.payload.expiresAtMs, approvalKind: 'exec' }]);
    await ocCall(again.c, 'exec.approval.resolve', { id: req.payload.id, decision: 'allow-once' });
    expect(finalText(await terminal(again.c, runId))).toBe('Checking.\n\nBack.');
  });

  it('chat.abort while waiting: aborted, the tool item fails "Aborted", then approval-resolved; the approval is gone', async () => {
    const gw = await oc({ execApprovals: 'ask' });
    gw.setReplyScript(() => script(execCall('echo x', 'x')));
    const main = await ocConnect(gw, { scopes: FOUR, extra: APPROVAL_CAPS });
    const { runId } = await send(main.c);
    const req = await main.c.waitFor((f) => f.event === 'exec.approval.requested');
    expect((await ocCall(main.c, 'chat.abort', { sessionKey: KEY, runId })).payload).toEqual({ ok: true, aborted: true, runIds: [runId] });
    await main.c.waitFor((f) => f.payload?.runId === runId && f.payload.data?.phase === 'error');
    expect(lifecycle(main.c, runId).slice(-5)).toEqual(['waiting-approval', 'end', 'approval-resolved', 'model', 'error']);
    expect(agent(main.c, runId, 'item').at(-1)!.payload.data).toMatchObject({ toolCallId: 'call_1_0', status: 'failed', error: 'Aborted' });
    expect(gw.pendingApprovals()).toEqual([]);
    expect((await ocCall(main.c, 'exec.approval.resolve', { id: req.payload.id, decision: 'allow-once' })).error.message).toBe('unknown or expired approval id');
  });

  it('no decision before expiresAtMs: a resolved deny with no resolver, the tool fails with approval-timeout', async () => {
    const gw = await oc({ execApprovals: 'ask', approvalTimeoutMs: 80 });
    gw.setReplyScript(() => script(execCall('echo late', 'late'), 'Timed out.'));
    const main = await ocConnect(gw, { scopes: FOUR, extra: APPROVAL_CAPS });
    const { runId } = await send(main.c);
    const req = await main.c.waitFor((f) => f.event === 'exec.approval.requested');
    expect(req.payload.expiresAtMs - req.payload.createdAtMs).toBe(80);
    expect(finalText(await terminal(main.c, runId))).toBe('Checking.\n\nTimed out.');
    expect(main.c.frames.find((f) => f.event === 'exec.approval.resolved')!.payload).toMatchObject({ id: req.payload.id, decision: 'deny', resolvedBy: null });
    const result = agent(main.c, runId, 'tool').find((f) => f.payload.data.phase === 'result')!;
    expect(result.payload.data.result.content[0].text).toBe(`Exec denied (gateway id=${req.payload.id}, approval-timeout): echo late`);
  });

  it('safe bins and approval:false never ask', async () => {
    const gw = await oc({ execApprovals: 'ask' });
    gw.setReplyScript(({ message }) => script(message === 'wc' ? execCall('wc -l f', '3') : execCall('echo ok', 'ok', { approval: false })));
    const main = await ocConnect(gw, { scopes: FOUR, extra: APPROVAL_CAPS });
    for (const message of ['wc', 'allowlisted']) {
      const { runId } = await send(main.c, message, `${KEY}-${message}`);
      await terminal(main.c, runId);
    }
    expect(requested(main.c)).toEqual([]);
  });
});

describe('v3 exec approvals: the turn does not wait', () => {
  it('"Approval required" at once; after approval the outcome opens the next user turn as a System line', async () => {
    const gw = await oc({ protocol: 3, execApprovals: 'ask' });
    const seen: ReplyContext[] = [];
    let effect = 0;
    gw.setReplyScript((ctx) => {
      seen.push(ctx);
      return seen.length === 1 ? script(execCall('echo approved-run', 'approved-run', { effect: () => effect++ }), 'I asked for approval.') : { tokens: ['ok'] };
    });
    // Caps are ignored on v3: a plain approvals-scope socket gets the request.
    const main = await ocConnect(gw, { scopes: FOUR, client: { displayName: 'relay-main' } });
    const reader = await ocConnect(gw, { scopes: ['operator.read'] });
    const { runId } = await send(main.c, 'please run');
    const req = await main.c.waitFor((f) => f.event === 'exec.approval.requested');
    expect(req.payload).toEqual({
      id: expect.any(String),
      request: { command: 'echo approved-run', cwd: expect.any(String), host: 'gateway', security: 'allowlist', ask: 'on-miss', agentId: 'main', resolvedPath: '/usr/bin/echo', sessionKey: KEY },
      createdAtMs: expect.any(Number),
      expiresAtMs: req.payload.createdAtMs + 120_000,
    });
    const id = req.payload.id as string;
    const final = await terminal(main.c, runId);
    expect(finalText(final)).toBe('I asked for approval.');
    const history = (await ocCall(main.c, 'chat.history', { sessionKey: KEY })).payload.messages;
    expect(history.find((m: Frame) => m.role === 'toolResult').content[0].text).toBe(`Approval required (id ${id.slice(0, 8)}). Approve to run; updates will arrive after completion.`);
    expect(requested(reader.c)).toEqual([]);
    expect((await ocCall(main.c, 'exec.approval.list', {})).error.message).toBe('unknown method: exec.approval.list');

    expect((await ocCall(main.c, 'exec.approval.resolve', { id, decision: 'allow-once' })).payload).toEqual({ ok: true });
    expect(main.c.frames.find((f) => f.event === 'exec.approval.resolved')!.payload).toEqual({ id, decision: 'allow-once', resolvedBy: 'relay-main', ts: expect.any(Number) });
    await sleep(80);
    expect(effect).toBe(1);
    const process = gw.processes.at(-1)!;
    expect(process).toMatchObject({ command: 'echo approved-run', status: 'exited', backgrounded: true });
    const next = await send(main.c, 'any news?');
    await terminal(main.c, next.runId);
    expect(seen[1]!.message).toMatch(
      new RegExp(`^System: \\[\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\\] Exec finished \\(gateway id=${id}, session=${process.session}, code 0\\)\\napproved-run\\n\\nany news\\?$`),
    );
    expect((await ocCall(main.c, 'exec.approval.resolve', { id, decision: 'deny' })).error).toEqual({ code: 'INVALID_REQUEST', message: 'unknown approval id' });
  });

  it('deny and the 120 s timeout (shortened) reach the next turn; the timeout broadcasts no resolved event', async () => {
    const gw = await oc({ protocol: 3, execApprovals: 'ask', approvalTimeoutMs: 60 });
    const seen: string[] = [];
    let effect = 0;
    gw.setReplyScript(({ message }) => (seen.push(message), script(execCall(`echo ${seen.length}`, 'x', { effect: () => effect++ }))));
    const main = await ocConnect(gw, { scopes: FOUR });
    const first = await send(main.c, 'one');
    const denied = (await main.c.waitFor((f) => f.event === 'exec.approval.requested')).payload.id as string;
    await ocCall(main.c, 'exec.approval.resolve', { id: denied, decision: 'deny' });
    await terminal(main.c, first.runId);
    const second = await send(main.c, 'two');
    await terminal(main.c, second.runId);
    expect(seen[1]).toMatch(new RegExp(`^System: \\[[^\\]]+\\] Exec denied \\(gateway id=${denied}, user-denied\\): echo 1\\n\\ntwo$`));
    const timedOut = main.c.frames.filter((f) => f.event === 'exec.approval.requested')[1]!.payload.id as string;
    await sleep(100);
    const third = await send(main.c, 'three');
    await terminal(main.c, third.runId);
    expect(seen[2]).toMatch(new RegExp(`^System: \\[[^\\]]+\\] Exec denied \\(gateway id=${timedOut}, approval-timeout\\): echo 2\\n\\nthree$`));
    expect(main.c.frames.filter((f) => f.event === 'exec.approval.resolved').map((f) => f.payload.id)).toEqual([denied]);
    expect(effect).toBe(0);
  });
});
