// The files a run produced, as the final reply gets them (src/relay/media.ts) from a client on a scripted gateway: each
// file attached or named on a line that says truly why it is not.
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { fetchProducedFiles } from '../../src/relay/media.js';
import { makeClient } from '../gateway/helpers.js';
import { startScriptedOpenClaw } from '../gateway/scripted-openclaw.js';

const KEY = 'agent:main:clawcord:media';
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const METHODS = ['chat.send', 'chat.history', 'chat.abort', 'artifacts.list', 'artifacts.download'];
const ARTIFACT = { id: 'artifact_1', type: 'image', title: 'chart.png', mimeType: 'image/png', sizeBytes: PNG.length, download: { mode: 'inline' } };

/** A 2026.9 gateway that lists the run's chart `listedAfterMs` after the first listing (never when undefined). */
async function v4(listedAfterMs: number | undefined) {
  const gateway = await startScriptedOpenClaw({ protocol: 4, methods: METHODS });
  let firstListing: number | undefined;
  gateway.handle('artifacts.list', () => {
    firstListing ??= Date.now();
    const listed = listedAfterMs !== undefined && Date.now() - firstListing >= listedAfterMs;
    return { payload: { artifacts: listed ? [ARTIFACT] : [] } };
  });
  gateway.handle('artifacts.download', () => ({ payload: { encoding: 'base64', data: PNG.toString('base64') } }));
  const client = makeClient({ url: gateway.url, token: 'tok', protocol: 'openclaw' });
  await client.start();
  return client;
}

const produced = (client: Awaited<ReturnType<typeof v4>>, mediaUrls: string[], timeoutMs: number) =>
  fetchProducedFiles(client, { sessionKey: KEY, runId: 'run-1', mediaUrls, maxBytes: 1_000_000, timeoutMs, log: silentLogger });

describe('produced files for the final reply', () => {
  it('2026.9: a file listed half a second after the final is attached', async () => {
    const client = await v4(500);
    const result = await produced(client, ['./chart.png'], 4_000);
    expect(result.fileNotes).toEqual([]);
    expect(result.files).toEqual([{ name: 'chart.png', data: PNG, contentType: 'image/png' }]);
  });

  it('2026.9: a named file never listed is said not to have arrived in time, not that 2026.9 cannot hand files over', async () => {
    const client = await v4(undefined);
    const result = await produced(client, ['./chart.png'], 1_000);
    expect(result.files).toEqual([]);
    expect(result.fileNotes).toEqual(['📎 The agent made `chart.png`; it did not arrive from the gateway in time.']);
  });

  it('2026.2: the file is named, and the line says the gateway cannot hand it over', async () => {
    const gateway = await startScriptedOpenClaw({ protocol: 3 });
    const client = makeClient({ url: gateway.url, token: 'tok', protocol: 'openclaw' });
    await client.start();
    const result = await produced(client, ['./chart.png'], 1_000);
    expect(result.fileNotes).toEqual(['📎 The agent made `chart.png`; OpenClaw 2026.2 cannot hand files over.']);
    expect(gateway.requests.some((r) => r.method.startsWith('artifacts.'))).toBe(false);
  });
});
