import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ABORT_PROMPT, describeFeatures, runChecklist } from '../../src/doctor/checklist.js';
import type { GatewayFeatures, GatewayInfo } from '../../src/gateway/types.js';
import { startCardGateway } from '../fakes/gateway/card-gateway.js';
import { startOpenClawGateway } from '../fakes/gateway/openclaw-gateway.js';
import { wordTokens, type ReplyScriptFn } from '../fakes/gateway/state.js';
import { makeClient, onCleanup } from '../gateway/helpers.js';
import { CARD_ATTACHMENTS, openClawAttachmentLimits } from '../../src/gateway/attachment-limits.js';

const run = promisify(execFile);

/** Long and slow for the abort check, quick otherwise. */
const doctorReplies: ReplyScriptFn = ({ message }) =>
  message === ABORT_PROMPT
    ? { tokens: wordTokens('Once upon a time '.repeat(40)), tokenDelayMs: 50 }
    : { tokens: wordTokens('Hello from the fake gateway!'), tokenDelayMs: 5 };

const gateways = {
  card: async () => startCardGateway(),
  'openclaw v3': async () => startOpenClawGateway({ protocol: 3, deltaPacingMs: 20 }),
  'openclaw v4': async () => startOpenClawGateway({ protocol: 4, deltaPacingMs: 20 }),
};

describe.each(Object.entries(gateways))('doctor against the %s fake', (_name, start) => {
  it('passes every item of the checklist', async () => {
    const gateway = await start();
    onCleanup(() => gateway.close());
    gateway.setReplyScript(doctorReplies);
    const client = makeClient({ url: gateway.url, token: gateway.token });
    const results = await runChecklist(client, { chat: true, connectTimeoutMs: 5_000, runTimeoutMs: 10_000 });
    expect(results.map((r) => [r.name, r.status, r.status === 'pass' ? '' : r.detail])).toEqual(
      ['connect', 'features', 'models.list', 'agents.list', 'sessions.list', 'chat.send', 'chat.abort', 'sessions.patch', 'sessions.reset', 'status'].map(
        (name) => [name, 'pass', ''],
      ),
    );
    const detail = Object.fromEntries(results.map((r) => [r.name, r.detail]));
    expect(detail['models.list']).toMatch(/^3 models from 2 providers: ollama\/kimi-k2\.5:cloud/);
    expect(detail.features).toMatch(_name === 'card' ? /^tool progress, exec approvals and steering: off/ : /^tool progress: on; exec approvals: on; /);
    const files = {
      card: 'files: text only, inlined',
      'openclaw v3': 'files: images ≤ 5 MB in, produced files named only (2026.2 serves them to no client)',
      'openclaw v4': 'files: images ≤ 6 MiB and files ≤ 18.6 MiB in, produced files attached',
    }[_name];
    expect(detail.features!.endsWith(`; ${files}`)).toBe(true);
    expect(detail['agents.list']).toBe('3 agents: main (Asha), cody (Cody (Coder)), qa (QA (Quality)); default main');
    expect(detail['chat.send']).toMatch(/^streamed \d+ text updates, first text after \d+ ms; final 28 chars "Hello from the fake gateway!"$/);
    expect(detail['chat.abort']).toMatch(/^second run stopped after \d+ chars; gateway said aborted: true$/);
    expect(detail['sessions.patch']).toMatch(/^model of \S+:clawcord:doctor-[0-9a-f]{8} set to ollama\/glm-5:cloud$/);
  });
});

describe('doctor CLI', () => {
  /** Runs the built doctor in an empty folder; resolves with its exit code and output either way. */
  const cli = (args: string[], env: Record<string, string | undefined>) =>
    run(process.execPath, [join(process.cwd(), 'dist/src/doctor/main.js'), ...args], {
      env: { PATH: process.env.PATH, ...env },
      cwd: mkdtempSync(join(tmpdir(), 'clawcord-doctor-')),
      timeout: 30_000,
    }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
    );

  it('prints one line per item and exits 0 when all pass; --no-chat skips the token-spending steps', async () => {
    const gateway = await startOpenClawGateway();
    onCleanup(() => gateway.close());
    const result = await cli(['--no-chat'], { GATEWAY_URL: gateway.url, GATEWAY_TOKEN: gateway.token });
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^clawcord doctor \S+: ws:\/\/127\.0\.0\.1:\d+ \(protocol setting: auto\)$/);
    expect(lines.slice(1, -1).map((l) => l.slice(0, 17).trim())).toEqual([
      '✓ connect',
      '✓ features',
      '✓ models.list',
      '✓ agents.list',
      '✓ sessions.list',
      '– chat.send',
      '– chat.abort',
      '✓ sessions.patch',
      '✓ sessions.reset',
      '✓ status',
    ]);
    expect(lines.at(-1)).toBe('8 passed, 0 failed, 2 skipped');
    expect(result.stdout).not.toContain(gateway.token);
    expect(gateway.chatSends).toHaveLength(0);
  });

  it('--json reports the items for machines and exits 1 when an item fails', async () => {
    const gateway = await startCardGateway();
    onCleanup(() => gateway.close());
    const failure = await cli(['--json'], { GATEWAY_URL: gateway.url, GATEWAY_TOKEN: 'wrong-token', GATEWAY_PROTOCOL: 'card' });
    expect(failure.code).toBe(1);
    const report = JSON.parse(failure.stdout) as { passed: number; failed: number; items: Array<{ name: string; status: string; detail: string }> };
    expect(report).toMatchObject({ passed: 0, failed: 1 });
    expect(report.items).toEqual([{ name: 'connect', status: 'fail', ms: expect.any(Number), detail: expect.stringContaining('401 Unauthorized') }]);
    expect(JSON.stringify(report)).not.toContain('wrong-token');
  });

  it('names a missing GATEWAY_URL and exits non-zero without a stack trace', async () => {
    const result = await cli([], {});
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(
      "config: gateway.url (GATEWAY_URL): is required, e.g. ws://localhost:11112 (the card's local gateway) or ws://127.0.0.1:18789 (OpenClaw)",
    );
  });
});

/** 2026.9's hello-ok policy (live). */
const V4_POLICY = { maxPayload: 26_214_400, attachments: { maxBytes: 19_464_192, maxImageBytes: 6_291_456 } };

describe('the features item', () => {
  const info = (protocol: '3' | '4', features: Partial<GatewayFeatures>, methods: string[] = []): GatewayInfo => ({
    dialect: 'openclaw',
    protocol,
    serverVersion: undefined,
    uptimeMs: undefined,
    connectedAt: 0,
    methods,
    scopes: undefined,
    tickIntervalMs: undefined,
    defaultAgentId: undefined,
    features: {
      toolProgress: true,
      approvals: true,
      listApprovals: false,
      steer: false,
      stopsBackgroundCommands: false,
      missingScopes: [],
      attachments: openClawAttachmentLimits(Number(protocol), protocol === '4' ? V4_POLICY : { maxPayload: 26_214_400 }),
      producedFiles: false,
      ...features,
    },
  });

  it('says what is on on 2026.9 with everything granted', () => {
    const methods = ['exec.approval.list', 'tasks.list', 'tasks.cancel', 'artifacts.list', 'artifacts.download'];
    expect(describeFeatures(info('4', { listApprovals: true, steer: true, stopsBackgroundCommands: true, producedFiles: true }, methods))).toBe(
      'tool progress: on; exec approvals: on; approvals after a reconnect: listed again; steering: on; stop: also cancels commands the agent moved to the background; ' +
        'files: images ≤ 6 MiB and files ≤ 18.6 MiB in, produced files attached',
    );
  });

  it('says why on 2026.2 the list and steering are off', () => {
    expect(describeFeatures(info('3', {}))).toBe(
      'tool progress: on; exec approvals: on; approvals after a reconnect: not listed — the gateway has no exec.approval.list (2026.2); ' +
        'only new requests show; steering: off — 2026.2 cannot put a message into a running turn: a follow-up waits as the next turn; ' +
        'stop: a command the agent moved to the background (after 10 s) keeps running; the gateway config tools.deny: ["process"] keeps commands in the foreground, where stop ends them; ' +
        'files: images ≤ 5 MB in, produced files named only (2026.2 serves them to no client)',
    );
  });

  it('says why 2026.9 gives back only the names of produced files', () => {
    expect(describeFeatures(info('4', { producedFiles: false }, ['artifacts.list']))).toMatch(
      /; files: images ≤ 6 MiB and files ≤ 18\.6 MiB in, produced files named only \(the gateway lists no artifacts\.download\)$/,
    );
    expect(describeFeatures(info('4', { producedFiles: false }, ['artifacts.list', 'artifacts.download']))).toMatch(
      /produced files named only \(the gateway did not grant operator\.read\)$/,
    );
  });

  it('says on the card that files go as inlined text only', () => {
    expect(describeFeatures({ ...info('4', { attachments: CARD_ATTACHMENTS, toolProgress: false, approvals: false }), dialect: 'card', protocol: '1.0' })).toBe(
      'tool progress, exec approvals and steering: off — the card dialect has none of them; files: text only, inlined',
    );
  });

  it('names the scope the gateway did not grant and the cure', () => {
    expect(describeFeatures(info('4', { missingScopes: ['operator.approvals'], listApprovals: true }, ['exec.approval.list']))).toContain(
      'exec approvals: on (through operator.admin: operator.approvals was not granted; approve the scope upgrade to add it)',
    );
    expect(describeFeatures(info('4', { approvals: false, missingScopes: ['operator.admin', 'operator.approvals'] }))).toContain(
      "exec approvals: off — the gateway did not grant operator.approvals or operator.admin; approve the device's scope upgrade (openclaw devices list)",
    );
  });
});
