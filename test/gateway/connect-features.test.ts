// Connecting for issue 11 (agents at work): the scopes and caps asked for, what hello-ok grants, and a remote device
// whose pairing predates the approvals scope (../shared/reference/openclaw-agent-events.md §1, §3.2; the refusals as the
// installed 2026.2.17 and 2026.9.6 connect handlers build them).
import { createPublicKey, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateDeviceIdentity } from '../../src/gateway/device.js';
import { NotPairedError } from '../../src/gateway/errors.js';
import { startCardGateway } from '../fakes/gateway/card-gateway.js';
import { attachmentPolicy, MAX_PAYLOAD_BYTES } from '../fakes/gateway/openclaw-attachments.js';
import { startOpenClawGateway } from '../fakes/gateway/openclaw-gateway.js';
import { captureLogs, makeClient, onCleanup } from './helpers.js';
import { startScriptedOpenClaw, type Frame, type Refusal } from './scripted-openclaw.js';

const FULL = ['operator.read', 'operator.write', 'operator.admin', 'operator.approvals'];
const OLD = ['operator.read', 'operator.write', 'operator.admin'];
const V4_METHODS = ['chat.send', 'chat.history', 'chat.abort', 'sessions.list', 'status', 'exec.approval.list', 'exec.approval.resolve', 'tasks.list', 'tasks.cancel', 'artifacts.list', 'artifacts.download'];
/** What each version takes with a prompt: 2026.9 as its hello-ok policy says; 2026.2's known image limit, no files. */
const V4_ATTACHMENTS = { images: { maxBytes: 6_291_456 }, files: { maxBytes: 19_464_192 }, maxPayloadBytes: 26_214_400 };
const V3_ATTACHMENTS = { images: { maxBytes: 5_000_000 }, files: undefined, maxPayloadBytes: 26_214_400 };

/** The v2 device signature of a connect, checked against the scopes it asked for. */
function signsItsScopes(connect: Frame, nonce: string, token: string): boolean {
  const device = connect.device as { id: string; publicKey: string; signature: string; signedAt: number };
  const client = connect.client as { id: string; mode: string };
  const payload = ['v2', device.id, client.id, client.mode, connect.role, (connect.scopes as string[]).join(','), String(device.signedAt), token, nonce].join('|');
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: device.publicKey }, format: 'jwk' });
  return verify(null, Buffer.from(payload), key, Buffer.from(device.signature, 'base64url'));
}

/** A paired remote device asking for a scope beyond its pairing, refused as each version does. */
const upgradeRefusal = (protocol: 3 | 4) => (_n: number, params: Frame): Refusal | undefined => {
  if (!(params.scopes as string[]).includes('operator.approvals')) return undefined;
  return protocol === 4
    ? {
        code: 'NOT_PAIRED',
        message: 'scope upgrade pending approval',
        details: { code: 'PAIRING_REQUIRED', reason: 'scope-upgrade', requestId: 'req-upgrade-1', requestedScopes: FULL, approvedScopes: OLD },
        closeCode: 1008,
      }
    : { code: 'NOT_PAIRED', message: 'pairing required', details: { requestId: 'req-upgrade-1' }, closeCode: 1008 };
};

describe.each([3, 4] as const)('connecting to OpenClaw v%i for agents at work', (protocol) => {
  it('asks for read, write, admin and approvals with caps tool-events and exec-approvals, and signs those scopes', async () => {
    // The fake checks the device signature against the scopes of the connect, as a real gateway does.
    const gateway = await startOpenClawGateway({ protocol });
    onCleanup(() => gateway.close());
    const client = makeClient({ url: gateway.url, token: gateway.token, protocol: 'openclaw', device: generateDeviceIdentity() });
    const info = await client.start();
    const connect = (gateway.received[0]!.frame as { params: Frame }).params;
    expect(connect).toMatchObject({ scopes: FULL, caps: ['tool-events', 'exec-approvals'] });
    expect(gateway.connections[0]!.hello).toMatchObject({ scopes: FULL, caps: ['tool-events', 'exec-approvals'] });
    expect(info.features).toMatchObject({ toolProgress: true, approvals: true, missingScopes: [] });
  });

  it('keeps working with the old scopes when the gateway refuses the upgrade, and says once what is missing', async () => {
    const gateway = await startScriptedOpenClaw({ protocol, methods: V4_METHODS, refuseConnect: upgradeRefusal(protocol) });
    const { lines, logger } = captureLogs();
    const client = makeClient({ url: gateway.url, token: 'secret-token', protocol: 'openclaw', logger });
    const info = await client.start();
    expect(gateway.connects.map((c) => c.scopes)).toEqual([FULL, OLD]);
    expect(gateway.connects[1]).toMatchObject({ caps: ['tool-events', 'exec-approvals'] });
    expect(signsItsScopes(gateway.connects[1]!, 'nonce-1', 'secret-token')).toBe(true);
    // Admin stands in for approvals on both versions: approvals still work; the missing scope is named.
    expect(info.features).toMatchObject({ approvals: true, missingScopes: ['operator.approvals'] });
    expect(info.scopes).toEqual(protocol === 4 ? OLD : undefined);

    // A reconnect asks for the upgrade again (it may have been approved meanwhile) and does not warn again.
    const back = new Promise((resolve) => client.once('ready', resolve));
    gateway.dropSockets();
    await back;
    expect(gateway.connects.map((c) => c.scopes)).toEqual([FULL, OLD, FULL, OLD]);
    const warnings = lines.filter((l) => l.level === 40 && String(l.msg).includes('operator.approvals'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toContain('openclaw devices approve req-upgrade-1');
    expect(warnings[0]!.missing).toEqual(['operator.approvals']);
    expect(JSON.stringify(lines)).not.toContain('secret-token');
  });

  it('gets every feature once the upgrade is approved', async () => {
    let approved = false;
    const refuse = upgradeRefusal(protocol);
    const gateway = await startScriptedOpenClaw({ protocol, methods: V4_METHODS, refuseConnect: (n, params) => (approved ? undefined : refuse(n, params)) });
    const client = makeClient({ url: gateway.url, token: 'tok', protocol: 'openclaw' });
    expect((await client.start()).features.missingScopes).toEqual(['operator.approvals']);
    approved = true;
    const back = new Promise((resolve) => client.once('ready', resolve));
    gateway.dropSockets();
    await back;
    expect(client.info!.features).toMatchObject({ approvals: true, missingScopes: [] });
    expect(gateway.connects.at(-1)!.scopes).toEqual(FULL);
  });
});

describe('features from hello-ok', () => {
  it('on 2026.9, come from the granted scopes and the listed methods', async () => {
    const gateway = await startScriptedOpenClaw({ protocol: 4, methods: V4_METHODS });
    const client = makeClient({ url: gateway.url, token: 'tok', protocol: 'openclaw' });
    expect((await client.start()).features).toEqual({
      toolProgress: true,
      approvals: true,
      listApprovals: true,
      steer: true,
      stopsBackgroundCommands: true,
      missingScopes: [],
      attachments: V4_ATTACHMENTS,
      producedFiles: true,
    });
  });

  it('on 2026.9 without exec.approval.list or artifacts.*, can neither list approvals nor fetch produced files (steering is chat.send queueMode, in no list)', async () => {
    const gateway = await startScriptedOpenClaw({ protocol: 4, methods: ['chat.send', 'chat.abort', 'artifacts.list'] });
    const client = makeClient({ url: gateway.url, token: 'tok', protocol: 'openclaw' });
    expect((await client.start()).features).toEqual({
      toolProgress: true,
      approvals: true,
      listApprovals: false,
      steer: true,
      stopsBackgroundCommands: false,
      missingScopes: [],
      attachments: V4_ATTACHMENTS,
      producedFiles: false,
    });
  });

  it('on 2026.9, take the attachment limits of the hello-ok policy as the gateway computes them', async () => {
    // The project's fake computes them as 2026.9 does (chat-attachment-policy.ts), from its own max payload.
    const gateway = await startOpenClawGateway({ protocol: 4 });
    onCleanup(() => gateway.close());
    const client = makeClient({ url: gateway.url, token: gateway.token, protocol: 'openclaw', device: generateDeviceIdentity() });
    const info = await client.start();
    const policy = attachmentPolicy();
    expect(info.features.attachments).toEqual({
      images: { maxBytes: policy.maxImageBytes },
      files: { maxBytes: policy.maxBytes },
      maxPayloadBytes: MAX_PAYLOAD_BYTES,
    });
    expect(info.features.attachments).toEqual(V4_ATTACHMENTS);
    expect(info.features.producedFiles).toBe(true);
  });

  it('on 2026.2, whose hello-ok has no attachment policy, take images of at most 5,000,000 bytes and no other files', async () => {
    const gateway = await startOpenClawGateway({ protocol: 3 });
    onCleanup(() => gateway.close());
    const client = makeClient({ url: gateway.url, token: gateway.token, protocol: 'openclaw', device: generateDeviceIdentity() });
    const info = await client.start();
    expect(info.features.attachments).toEqual(V3_ATTACHMENTS);
    expect(info.features.producedFiles).toBe(false);
  });

  it('on 2026.9 with only read, can neither approve nor steer', async () => {
    const gateway = await startScriptedOpenClaw({ protocol: 4, methods: V4_METHODS, scopes: ['operator.read'] });
    const client = makeClient({ url: gateway.url, token: 'tok', protocol: 'openclaw' });
    expect((await client.start()).features).toMatchObject({ toolProgress: true, approvals: false, listApprovals: false, steer: false });
  });

  it('on 2026.2, whose hello may name no scopes, has approvals and tool progress but no list and no steering', async () => {
    const gateway = await startScriptedOpenClaw({ protocol: 3 });
    const client = makeClient({ url: gateway.url, token: 'tok', protocol: 'openclaw' });
    expect((await client.start()).features).toEqual({
      toolProgress: true,
      approvals: true,
      listApprovals: false,
      steer: false,
      stopsBackgroundCommands: false,
      missingScopes: [],
      attachments: V3_ATTACHMENTS,
      producedFiles: false,
    });
  });

  it('without admin and approvals granted, approvals are off and both scopes are named missing', async () => {
    const gateway = await startScriptedOpenClaw({ protocol: 4, methods: V4_METHODS, scopes: ['operator.read', 'operator.write'] });
    const { lines, logger } = captureLogs();
    const client = makeClient({ url: gateway.url, token: 'tok', protocol: 'openclaw', logger });
    expect((await client.start()).features).toEqual({
      toolProgress: true,
      approvals: false,
      listApprovals: false,
      steer: true,
      stopsBackgroundCommands: true,
      missingScopes: ['operator.admin', 'operator.approvals'],
      attachments: V4_ATTACHMENTS,
      producedFiles: true,
    });
    expect(lines.filter((l) => l.level === 40 && String(l.msg).includes('granted fewer scopes'))).toHaveLength(1);
    expect(gateway.connects).toHaveLength(1);
  });

  it('on the card, are all off', async () => {
    const gateway = await startCardGateway();
    onCleanup(() => gateway.close());
    const client = makeClient({ url: gateway.url, token: gateway.token, protocol: 'card' });
    expect((await client.start()).features).toEqual({
      toolProgress: false,
      approvals: false,
      listApprovals: false,
      steer: false,
      stopsBackgroundCommands: false,
      missingScopes: [],
      attachments: { images: undefined, files: undefined, maxPayloadBytes: undefined },
      producedFiles: false,
    });
  });
});

describe('a device the gateway has not paired at all', () => {
  it('on 2026.9 (reason not-paired), is refused without a second try', async () => {
    const gateway = await startScriptedOpenClaw({
      protocol: 4,
      refuseConnect: () => ({
        code: 'NOT_PAIRED',
        message: 'device pairing required',
        details: { code: 'PAIRING_REQUIRED', reason: 'not-paired', requestId: 'req-new' },
        closeCode: 1008,
      }),
    });
    const client = makeClient({ url: gateway.url, token: 'tok', protocol: 'openclaw' });
    const error = await client.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotPairedError);
    expect(error).toMatchObject({ requestId: 'req-new', reason: 'not-paired' });
    expect(gateway.connects.map((c) => c.scopes)).toEqual([FULL]);
  });

  it('on 2026.2 (which names no reason), fails the old scopes too and reports the pending request', async () => {
    // 2026.2 reuses a device's pending request, so the second refusal names the one that asked for every scope.
    const gateway = await startScriptedOpenClaw({
      protocol: 3,
      refuseConnect: () => ({ code: 'NOT_PAIRED', message: 'pairing required', details: { requestId: 'req-first' }, closeCode: 1008 }),
    });
    const client = makeClient({ url: gateway.url, token: 'tok', protocol: 'openclaw' });
    const error = await client.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotPairedError);
    expect((error as Error).message).toContain('openclaw devices approve req-first');
    expect(gateway.connects.map((c) => c.scopes)).toEqual([FULL, OLD]);
  });
});
