// Files the agent produces (issue 12, openclaw-agent-events.md §5): `MEDIA:` lines as media activity on both versions,
// and the run's files: 2026.9 artifacts fetched over the gateway's HTTP origin with a media ticket, 2026.2 and the card
// by name only. Frames on the wire and the bytes that came back are the assertions.
import { describe, expect, it } from 'vitest';
import { FileTooLargeError } from '../../src/gateway/errors.js';
import type { RunActivity, RunEvent } from '../../src/gateway/types.js';
import { startCardGateway } from '../fakes/gateway/card-gateway.js';
import { startOpenClawGateway, type OpenClawGateway } from '../fakes/gateway/openclaw-gateway.js';
import { wordTokens } from '../fakes/gateway/words.js';
import { captureLogs, collect, makeClient, onCleanup, waitFor } from './helpers.js';
import { runFrames, startScriptedOpenClaw } from './scripted-openclaw.js';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const REPORT = Buffer.from('quarterly numbers\n');
const KEY = 'agent:main:clawcord:files-out';

async function openClaw(protocol: 3 | 4, options: { mediaTicketTtlMs?: number } = {}) {
  const gateway = await startOpenClawGateway({ protocol, ...options });
  onCleanup(() => gateway.close());
  const { lines, logger } = captureLogs();
  const client = makeClient({ url: gateway.url, token: gateway.token, protocol: 'openclaw', logger });
  await client.start();
  return { gateway, client, lines };
}

type MediaActivity = Extract<RunActivity, { type: 'media' }>;
const media = (events: RunEvent[]): MediaActivity[] =>
  events.flatMap((e) => (e.type === 'activity' && e.activity.type === 'media' ? [e.activity] : []));

/** The requests of `method` the gateway received, by their params. */
const requests = (gateway: OpenClawGateway, method: string) =>
  gateway.received.map((r) => r.frame as { method?: string; params: Record<string, unknown> }).filter((f) => f.method === method).map((f) => f.params);

describe.each([3, 4] as const)('MEDIA: lines on v%i', (protocol) => {
  it('come as one media activity per url, not in the text', async () => {
    const { gateway, client } = await openClaw(protocol);
    gateway.setReplyScript(() => ({
      tokens: wordTokens('Here is the chart\nMEDIA:./out.png\nand the report\nMEDIA:./report.txt\n'),
      files: { './out.png': PNG, './report.txt': REPORT },
      tokenDelayMs: 1,
    }));
    const events = await collect(await client.chatSend({ sessionKey: KEY, message: 'chart please' }));
    expect(media(events)).toEqual([
      { type: 'media', urls: ['./out.png'] },
      { type: 'media', urls: ['./report.txt'] },
    ]);
    const final = events.at(-1)!;
    expect(final.type).toBe('final');
    expect((final as { text: string }).text).not.toContain('MEDIA:');
    expect((final as { text: string }).text).toContain('Here is the chart');
  });
});

describe('produced files on 2026.9', () => {
  it('are the run\'s artifacts, fetched with artifacts.download and an HTTP GET on the gateway\'s origin: the same bytes', async () => {
    const { gateway, client, lines } = await openClaw(4);
    gateway.setReplyScript(() => ({
      tokens: wordTokens('Here is the chart\nMEDIA:./out.png\nMEDIA:./report.txt'),
      files: { './out.png': PNG, './report.txt': REPORT },
      tokenDelayMs: 1,
    }));
    const run = await client.chatSend({ sessionKey: KEY, message: 'chart please' });
    const events = await collect(run);
    const mediaUrls = media(events).flatMap((m) => m.urls);
    const files = await client.producedFiles({ sessionKey: KEY, runId: run.runId, mediaUrls, waitMs: 5_000 });

    // 2026.9 lists them about 500 ms after the final: the list is read until both are on it, always the same way.
    const listings = requests(gateway, 'artifacts.list');
    expect(listings.length).toBeGreaterThanOrEqual(2);
    for (const params of listings) expect(params).toEqual({ sessionKey: KEY, runId: run.runId, messageRole: 'assistant' });
    expect(files.map(({ fetch, ...rest }) => ({ ...rest, fetchable: typeof fetch === 'function' }))).toEqual([
      { name: 'out.png', mimeType: 'image/png', sizeBytes: PNG.length, fetchable: true },
      { name: 'report.txt', mimeType: 'text/plain', sizeBytes: REPORT.length, fetchable: true },
    ]);
    expect(await files[0]!.fetch!(1_000_000)).toEqual(PNG);
    expect(await files[1]!.fetch!(1_000_000)).toEqual(REPORT);
    const downloads = requests(gateway, 'artifacts.download');
    expect(downloads).toHaveLength(2);
    for (const params of downloads) expect(Object.keys(params).sort()).toEqual(['artifactId', 'sessionKey']);
    // Neither the ticket nor the token reach a log line.
    expect(JSON.stringify(lines)).not.toMatch(/mediaTicket|v1\./);
    expect(JSON.stringify(lines)).not.toContain(gateway.token);
  });

  it('name a file the agent named that the gateway could not keep, without fetch', async () => {
    const { gateway, client } = await openClaw(4);
    gateway.setReplyScript(() => ({ tokens: wordTokens('two\nMEDIA:./out.png\nMEDIA:./missing.pdf'), files: { './out.png': PNG }, tokenDelayMs: 1 }));
    const run = await client.chatSend({ sessionKey: KEY, message: 'chart' });
    const events = await collect(run);
    const files = await client.producedFiles({ sessionKey: KEY, runId: run.runId, mediaUrls: media(events).flatMap((m) => m.urls), waitMs: 1_500 });
    expect(files.map((f) => [f.name, typeof f.fetch, f.late])).toEqual([
      ['out.png', 'function', undefined],
      ['missing.pdf', 'undefined', true],
    ]);
  });

  it('refuse more than maxBytes, naming the file and both sizes, without downloading it', async () => {
    const { gateway, client } = await openClaw(4);
    gateway.setReplyScript(() => ({ tokens: wordTokens('done\nMEDIA:./out.png'), files: { './out.png': PNG }, tokenDelayMs: 1 }));
    const run = await client.chatSend({ sessionKey: KEY, message: 'chart' });
    await collect(run);
    const [file] = await client.producedFiles({ sessionKey: KEY, runId: run.runId, mediaUrls: ['./out.png'], waitMs: 5_000 });
    const error = await file!.fetch!(10).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileTooLargeError);
    expect((error as Error).message).toBe('out.png is 70 bytes, over the 10 bytes allowed');
    expect(requests(gateway, 'artifacts.download')).toEqual([]);
  });

  it('say an expired ticket\'s refusal without the ticket or the token', async () => {
    const { gateway, client } = await openClaw(4, { mediaTicketTtlMs: 1 });
    gateway.setReplyScript(() => ({ tokens: wordTokens('done\nMEDIA:./out.png'), files: { './out.png': PNG }, tokenDelayMs: 1 }));
    const run = await client.chatSend({ sessionKey: KEY, message: 'chart' });
    await collect(run);
    const [file] = await client.producedFiles({ sessionKey: KEY, runId: run.runId, mediaUrls: ['./out.png'], waitMs: 5_000 });
    // The ticket lives 1 ms: the GET comes after it expired.
    const originalFetch = globalThis.fetch;
    globalThis.fetch = async (...args: Parameters<typeof fetch>) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return originalFetch(...args);
    };
    onCleanup(async () => void (globalThis.fetch = originalFetch));
    const error = await file!.fetch!(1_000_000).catch((e: unknown) => e);
    expect((error as Error).message).toBe('out.png: the gateway answered the download with HTTP 401');
    expect(JSON.stringify({ ...(error as object), message: (error as Error).message, stack: (error as Error).stack })).not.toMatch(/mediaTicket|v1\.|oc-token/);
  });

  it('of a turn handed to sub-agents include those of the successor run that answered', async () => {
    const { gateway, client } = await openClaw(4);
    gateway.setReplyScript(() => ({
      tokens: wordTokens('Working on it\nMEDIA:./plan.txt'),
      files: { './plan.txt': 'the plan', './out.png': PNG },
      tokenDelayMs: 1,
      yieldTo: { afterMs: 50, successor: { tokens: wordTokens('Here it is\nMEDIA:./out.png'), tokenDelayMs: 1 } },
    }));
    const run = await client.chatSend({ sessionKey: KEY, message: 'delegate' });
    const firstRunId = run.runId;
    const events = await collect(run);
    expect(events.at(-1)).toMatchObject({ type: 'final' });
    expect(run.runId).not.toBe(firstRunId);
    expect(run.runIds).toEqual([firstRunId, run.runId]);

    const files = await client.producedFiles({ sessionKey: KEY, runId: run.runId, mediaUrls: media(events).flatMap((m) => m.urls), waitMs: 5_000 });
    expect(files.map((f) => f.name)).toEqual(['plan.txt', 'out.png']);
    expect([...new Set(requests(gateway, 'artifacts.list').map((p) => p.runId))]).toEqual([firstRunId, run.runId]);
    expect(await files[1]!.fetch!(1_000)).toEqual(PNG);
  });
});

describe('produced files where the gateway cannot hand them over', () => {
  it('2026.2: named after each media url, without fetch; no artifacts request, no HTTP', async () => {
    const { gateway, client } = await openClaw(3);
    gateway.setReplyScript(() => ({ tokens: wordTokens('Here\nMEDIA:./charts/out.png'), files: { './charts/out.png': PNG }, tokenDelayMs: 1 }));
    const run = await client.chatSend({ sessionKey: KEY, message: 'chart' });
    const events = await collect(run);
    const mediaUrls = media(events).flatMap((m) => m.urls);
    expect(mediaUrls).toEqual(['./charts/out.png']);
    const files = await client.producedFiles({ sessionKey: KEY, runId: run.runId, mediaUrls: [...mediaUrls, 'https://example.com/img/b%20c.jpg?sig=1'] });
    expect(files).toEqual([
      { name: 'out.png', mimeType: undefined, sizeBytes: undefined, fetch: undefined },
      { name: 'b c.jpg', mimeType: undefined, sizeBytes: undefined, fetch: undefined },
    ]);
    expect(gateway.received.some((r) => String((r.frame as { method?: string }).method).startsWith('artifacts.'))).toBe(false);
  });

  it('the card: named only', async () => {
    const gateway = await startCardGateway();
    onCleanup(() => gateway.close());
    const client = makeClient({ url: gateway.url, token: gateway.token, protocol: 'card' });
    await client.start();
    expect(await client.producedFiles({ sessionKey: 'clawcord:main:card', runId: 'r1', mediaUrls: ['/tmp/a.pdf', '/tmp/a.pdf'] })).toEqual([
      { name: 'a.pdf', mimeType: undefined, sizeBytes: undefined, fetch: undefined },
    ]);
  });
});

describe('media activity from the assistant stream', () => {
  it.each([3, 4] as const)('v%i: a url the stream repeats is told once; 2026.2\'s text on the same event still shows', async (protocol) => {
    const gateway = await startScriptedOpenClaw({ protocol });
    const client = makeClient({ url: gateway.url, token: 'tok', protocol: 'openclaw' });
    await client.start();
    const run = await client.chatSend({ sessionKey: KEY, message: 'files' });
    const f = runFrames(run.runId, KEY);
    const events = collect(run);
    gateway.event('agent', f.agent('assistant', { text: 'Here', delta: 'Here', mediaUrls: ['./a.png'] }));
    gateway.event('agent', f.agent('assistant', { text: 'Here', delta: '', mediaUrls: ['./a.png', './b.pdf'] }));
    gateway.event('agent', f.agent('assistant', { text: 'Here', delta: '', mediaUrls: [] }));
    gateway.event('chat', f.final('Here'));
    const got = await events;
    expect(media(got)).toEqual([
      { type: 'media', urls: ['./a.png'] },
      { type: 'media', urls: ['./b.pdf'] },
    ]);
    if (protocol === 3) expect(got[0]).toEqual({ type: 'text', text: 'Here' });
    expect(got.at(-1)).toEqual({ type: 'final', text: 'Here' });
  });
});

describe('produced files of a turn the gateway ran under its own id', () => {
  it('are listed under the ids the gateway gave, never under the id clawcord followed it by before', async () => {
    const gateway = await startScriptedOpenClaw({ protocol: 4, methods: ['chat.send', 'chat.abort', 'artifacts.list', 'artifacts.download'] });
    gateway.handle('artifacts.list', () => ({ payload: { artifacts: [] } }));
    const client = makeClient({ url: gateway.url, token: 'tok', protocol: 'openclaw' });
    await client.start();
    const run = client.followQueuedTurn(KEY, 'a late steer');
    const f = runFrames('gw-run-1', KEY);
    const events = collect(run);
    gateway.event('chat', f.delta('On it'));
    gateway.event('chat', f.final('On it'));
    await events;
    expect(run.runId).toBe('gw-run-1');
    expect(await client.producedFiles({ sessionKey: KEY, runId: 'gw-run-1', mediaUrls: ['./x.png'] })).toEqual([
      { name: 'x.png', mimeType: undefined, sizeBytes: undefined, fetch: undefined, late: true },
    ]);
    expect(gateway.requests.filter((r) => r.method === 'artifacts.list').map((r) => r.params)).toEqual([
      { sessionKey: KEY, runId: 'gw-run-1', messageRole: 'assistant' },
    ]);
  });
});

describe('2026.2: a MEDIA: line split across stream chunks', () => {
  // As live 2026.2.17 streams "Here is the chart\nMEDIA:./chart.png" in chunks "…\nMED","IA",":./",…: its assistant
  // events stop once the line names its file, no mediaUrls come, and the final is the stale text (F-to-lead-files §1).
  const streamed = (gateway: Awaited<ReturnType<typeof startScriptedOpenClaw>>, runId: string) => {
    const f = runFrames(runId, KEY);
    gateway.event('agent', f.agent('assistant', { text: 'Here is the chart', delta: 'Here is the chart' }));
    gateway.event('agent', f.agent('assistant', { text: 'Here is the chart\nMED', delta: '\nMED' }));
    gateway.event('agent', f.agent('assistant', { text: 'Here is the chart\nMEDIA', delta: 'IA' }));
    gateway.event('agent', f.agent('lifecycle', { phase: 'end' }));
    gateway.event('chat', f.final('Here is the chart\nMEDIA'));
  };
  const rows = (reply: string) => [
    { role: 'user', content: [{ type: 'text', text: '[Fri 2026-12-04 19:20 UTC] chart please' }], timestamp: 1 },
    { role: 'assistant', content: [{ type: 'text', text: reply }], stopReason: 'stop', timestamp: 2 },
  ];
  const v3 = async () => {
    const gateway = await startScriptedOpenClaw({ protocol: 3 });
    const client = makeClient({ url: gateway.url, token: 'tok', protocol: 'openclaw' });
    await client.start();
    return { gateway, client };
  };
  const texts = (events: RunEvent[]) => events.flatMap((e) => (e.type === 'text' || e.type === 'final' ? [e.text] : []));

  it('names the file from the history row, before the final, whose text has no MEDIA word', async () => {
    const { gateway, client } = await v3();
    gateway.history.set(KEY, rows('Here is the chart\nMEDIA:./chart.png'));
    const run = await client.chatSend({ sessionKey: KEY, message: 'chart please' });
    const events = collect(run);
    streamed(gateway, run.runId);
    const got = await events;
    expect(got.slice(-2)).toEqual([
      { type: 'activity', activity: { type: 'media', urls: ['./chart.png'] } },
      { type: 'final', text: 'Here is the chart' },
    ]);
    expect(texts(got).at(-2)).toBe('Here is the chart');
    expect(await client.producedFiles({ sessionKey: KEY, runId: run.runId, mediaUrls: media(got).flatMap((m) => m.urls) })).toEqual([
      { name: 'chart.png', mimeType: undefined, sizeBytes: undefined, fetch: undefined },
    ]);
  });

  it('gets back the text after the media line, which the stream never sent', async () => {
    const { gateway, client } = await v3();
    gateway.history.set(KEY, rows('Here is the chart\nMEDIA:./chart.png\n\nIt shows the last quarter.'));
    const run = await client.chatSend({ sessionKey: KEY, message: 'chart please' });
    const events = collect(run);
    streamed(gateway, run.runId);
    expect((await events).at(-1)).toEqual({ type: 'final', text: 'Here is the chart\n\nIt shows the last quarter.' });
  });

  it('without a history row: the streamed text without the piece of the media line, and no file', async () => {
    const { gateway, client } = await v3();
    gateway.handle('chat.history', () => ({ error: { code: 'UNAVAILABLE', message: 'busy' } }));
    const run = await client.chatSend({ sessionKey: KEY, message: 'chart please' });
    const events = collect(run);
    streamed(gateway, run.runId);
    const got = await events;
    expect(got.at(-1)).toEqual({ type: 'final', text: 'Here is the chart' });
    expect(media(got)).toEqual([]);
  });

  it('a history row that does not go on from the stream leaves the streamed text', async () => {
    const { gateway, client } = await v3();
    gateway.history.set(KEY, rows('<think>plan</think>Here is the chart\nMEDIA:./chart.png'));
    const run = await client.chatSend({ sessionKey: KEY, message: 'chart please' });
    const events = collect(run);
    streamed(gateway, run.runId);
    const got = await events;
    expect(got.at(-1)).toEqual({ type: 'final', text: 'Here is the chart' });
    expect(media(got)).toEqual([{ type: 'media', urls: ['./chart.png'] }]);
  });

  it('shows the text at once while the history is slow, and ends within the bounded wait', async () => {
    const { gateway, client } = await v3();
    gateway.handle('chat.history', () => 'no-answer');
    const run = await client.chatSend({ sessionKey: KEY, message: 'chart please' });
    const seen: Array<{ event: RunEvent; at: number }> = [];
    const done = (async () => {
      for await (const event of run) seen.push({ event, at: Date.now() });
    })();
    const finalSentAt = Date.now();
    streamed(gateway, run.runId);
    // A slow history keeps the final waiting, not the text: the stream's last text, without its piece of the media
    // line, is what the reader sees meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(seen.map((s) => s.event)).toEqual([{ type: 'text', text: 'Here is the chart' }]);
    await done;
    const final = seen.at(-1)!;
    expect(final.event).toEqual({ type: 'final', text: 'Here is the chart' });
    expect(final.at - finalSentAt).toBeLessThan(2_000);
  });

  it('on the project\'s fake 2026.2: the file named, the final clean', async () => {
    const { gateway, client } = await openClaw(3);
    gateway.setReplyScript(() => ({ tokens: ['He', 're', ' is', ' the', ' ch', 'art', '\nMED', 'IA', ':./', 'chart.png'], files: { './chart.png': PNG }, tokenDelayMs: 1 }));
    const events = await collect(await client.chatSend({ sessionKey: KEY, message: 'chart please' }));
    expect(media(events)).toEqual([{ type: 'media', urls: ['./chart.png'] }]);
    expect(events.at(-1)).toEqual({ type: 'final', text: 'Here is the chart' });
  });

  it('a line that came whole: the stream\'s mediaUrls and the history name the file once', async () => {
    const { gateway, client } = await v3();
    gateway.history.set(KEY, rows('Here is the chart\nMEDIA:./chart.png'));
    const run = await client.chatSend({ sessionKey: KEY, message: 'chart please' });
    const f = runFrames(run.runId, KEY);
    const events = collect(run);
    gateway.event('agent', f.agent('assistant', { text: 'Here is the chart', delta: 'Here is the chart' }));
    gateway.event('agent', f.agent('assistant', { text: 'Here is the chart', delta: '', mediaUrls: ['./chart.png'] }));
    gateway.event('chat', f.final('Here is the chart'));
    const got = await events;
    expect(media(got)).toEqual([{ type: 'media', urls: ['./chart.png'] }]);
    expect(got.at(-1)).toEqual({ type: 'final', text: 'Here is the chart' });
  });
});

describe('2026.9: a reply\'s files listed some hundreds of ms after the final', () => {
  const methods = ['chat.send', 'chat.history', 'chat.abort', 'artifacts.list', 'artifacts.download'];
  const artifact = { id: 'artifact_1', type: 'image', title: 'chart.png', mimeType: 'image/png', sizeBytes: PNG.length, download: { mode: 'inline' } };
  const v4 = async (listedAfterMs: number | undefined) => {
    const gateway = await startScriptedOpenClaw({ protocol: 4, methods });
    const client = makeClient({ url: gateway.url, token: 'tok', protocol: 'openclaw' });
    await client.start();
    let finalAt = Number.POSITIVE_INFINITY;
    gateway.handle('artifacts.list', () => ({
      payload: { artifacts: listedAfterMs !== undefined && Date.now() - finalAt >= listedAfterMs ? [artifact] : [] },
    }));
    gateway.handle('artifacts.download', () => ({ payload: { encoding: 'base64', data: PNG.toString('base64') } }));
    const run = await client.chatSend({ sessionKey: KEY, message: 'chart please' });
    const f = runFrames(run.runId, KEY);
    const events = collect(run);
    gateway.event('agent', f.agent('assistant', { text: 'Here is the chart', delta: 'Here is the chart', mediaUrls: ['./chart.png'] }));
    gateway.event('chat', f.final('Here is the chart'));
    finalAt = Date.now();
    const got = await events;
    const listings = () => gateway.requests.filter((r) => r.method === 'artifacts.list').length;
    return { client, run, mediaUrls: media(got).flatMap((m) => m.urls), listings };
  };

  it('are listed again until the named file is there, then fetched', async () => {
    const { client, run, mediaUrls, listings } = await v4(500);
    const files = await client.producedFiles({ sessionKey: KEY, runId: run.runId, mediaUrls, waitMs: 5_000 });
    expect(files.map((f) => [f.name, f.late])).toEqual([['chart.png', undefined]]);
    expect(await files[0]!.fetch!(1_000)).toEqual(PNG);
    expect(listings()).toBeGreaterThanOrEqual(2);
  });

  it('past the wait, the missing file is named as late', async () => {
    const { client, run, mediaUrls, listings } = await v4(undefined);
    const started = Date.now();
    const files = await client.producedFiles({ sessionKey: KEY, runId: run.runId, mediaUrls, waitMs: 600 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
    expect(files).toEqual([{ name: 'chart.png', mimeType: undefined, sizeBytes: undefined, fetch: undefined, late: true }]);
    expect(listings()).toBeGreaterThanOrEqual(3);
  });

  it('with no file named (events missed), the list is read once', async () => {
    const { client, run, listings } = await v4(undefined);
    expect(await client.producedFiles({ sessionKey: KEY, runId: run.runId, mediaUrls: [], waitMs: 5_000 })).toEqual([]);
    expect(listings()).toBe(1);
  });

  it('the lifecycle end\'s terminal reply names the files when the assistant events did not', async () => {
    const gateway = await startScriptedOpenClaw({ protocol: 4, methods });
    const client = makeClient({ url: gateway.url, token: 'tok', protocol: 'openclaw' });
    await client.start();
    const run = await client.chatSend({ sessionKey: KEY, message: 'chart please' });
    const f = runFrames(run.runId, KEY);
    const events = collect(run);
    gateway.event('agent', f.agent('lifecycle', { phase: 'end', terminalReply: { disposition: 'visible', text: 'Here is the chart\nMEDIA:./chart.png' } }));
    gateway.event('chat', f.final('Here is the chart'));
    expect(media(await events)).toEqual([{ type: 'media', urls: ['./chart.png'] }]);
  });
});
