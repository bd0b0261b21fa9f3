// The doctor against real OpenClaw gateways: every item of the checklist must pass, in auto and in openclaw mode,
// and the gateway must send nothing off the machine.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlm, type FakeLlm } from './harness/fake-llm.js';
import { startOpenClawGateway, type OpenClawVersion, type RunningGateway } from './harness/openclaw.js';
import { deviceKeySecrets, findSecrets } from './harness/secrets.js';

const run = promisify(execFile);
const VERSIONS: OpenClawVersion[] = ['2026.2.17', '2026.9.6'];

describe.each(VERSIONS)('npm run doctor against openclaw@%s', (version) => {
  let llm: FakeLlm;
  let gateway: RunningGateway;

  beforeAll(async () => {
    // The doctor's abort check needs an answer long enough to stop.
    llm = await startFakeLlm({ slowWhen: /SLOW|abort check/, slowTokenDelayMs: 300 });
    gateway = await startOpenClawGateway({ version, llmBaseUrl: llm.baseUrl });
  });

  afterAll(async () => {
    await gateway?.stop();
    await llm?.close();
  });

  it.each(['auto', 'openclaw'] as const)('passes every item with GATEWAY_PROTOCOL=%s', async (protocol) => {
    const cwd = mkdtempSync(join(tmpdir(), 'clawcord-interop-doctor-'));
    const { stdout, stderr } = await run(process.execPath, [join(process.cwd(), 'dist/src/doctor/main.js')], {
      env: { PATH: process.env.PATH, GATEWAY_URL: gateway.url, GATEWAY_TOKEN: gateway.token, GATEWAY_PROTOCOL: protocol },
      cwd,
      timeout: 240_000,
    }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(`doctor failed:\n${error.stdout ?? ''}${error.stderr ?? ''}${error.message}`);
    });
    console.log(`openclaw@${version}, GATEWAY_PROTOCOL=${protocol}:\n${stdout}`);
    const lines = stdout.trim().split('\n');
    expect(lines.at(-1)).toMatch(/^\d+ passed, 0 failed$/);
    expect(lines.some((line) => line.startsWith('✓ features') && line.includes('exec approvals: on'))).toBe(true);
    // What files go in and come back, from the real hello-ok (2026.9 policy.attachments: maxBytes 19,464,192).
    const files = version === '2026.2.17' ? 'files: images ≤ 5 MB in, produced files named only' : 'files: images ≤ 6 MiB and files ≤ 18.6 MiB in, produced files attached';
    expect(lines.find((line) => line.startsWith('✓ features'))).toContain(files);
    expect(lines.slice(1, -1).every((line) => line.startsWith('✓'))).toBe(true);
    expect(lines[1]).toContain(`openclaw protocol v${gateway.expectedProtocol}`);
    // the doctor keeps its device where the config default puts it, under its working directory
    const secrets = [{ name: 'the gateway token', value: gateway.token }, ...deviceKeySecrets(join(cwd, 'data/device-identity.json'))];
    expect(secrets.length).toBeGreaterThan(1);
    expect(findSecrets(`${stdout}\n${stderr}`.split('\n'), secrets)).toEqual([]);
    // The abort reached the model: the fake LLM saw its request closed.
    expect(llm.requests.some((request) => request.closedByClient)).toBe(true);
  });

  it('sent nothing off the machine (every non-loopback attempt was refused)', () => {
    const records = gateway.netguardRecords();
    console.log(`openclaw@${version}: ${records.length} non-loopback attempt(s), all refused: ${records.map((r) => `${r.kind} ${r.target}`).join(', ') || 'none'}`);
    expect(records.filter((record) => !record.blocked)).toEqual([]);
  });
});
