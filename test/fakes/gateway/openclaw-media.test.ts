// Media the agent produces (`MEDIA:<path>` in its reply) on the fake gateways, per version (openclaw-agent-events.md
// §5, live on 2026.2.17 and 2026.9.6): the live events, the chat text, chat.history, and on v4 the artifacts methods
// and the HTTP download with its media ticket. Raw `ws` clients and fetch on loopback, no project code.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { oc, ocCall, ocConnect, sleep, useCleanups, type RawClient } from './raw-client.js';
import { wordTokens, type ReplyScript } from './state.js';

useCleanups();

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const KEY = 'agent:main:relay:media1';
const chart = (extra: Partial<ReplyScript> = {}): ReplyScript => ({
  tokens: wordTokens('Here is the chart\nMEDIA:./out.png'),
  tokenDelayMs: 1,
  files: { './out.png': PNG },
  ...extra,
});

/** The media are managed right after the final unless a test says otherwise (real: ~0.5 s later, tested below). */
async function run(protocol: 3 | 4, script: ReplyScript, opts: Parameters<typeof oc>[0] = {}) {
  const gw = await oc({ protocol, managedMediaDelayMs: 0, ...opts });
  gw.setReplyScript(() => script);
  const { c } = await ocConnect(gw);
  const runId = randomUUID();
  await ocCall(c, 'chat.send', { sessionKey: KEY, message: 'draw it', idempotencyKey: runId });
  const final = await c.waitFor((f) => f.event === 'chat' && f.payload.runId === runId && f.payload.state === 'final');
  return { gw, c, runId, final };
}

const assistant = (c: RawClient, runId: string) =>
  c.frames.filter((f) => f.event === 'agent' && f.payload.runId === runId && f.payload.stream === 'assistant').map((f) => f.payload.data);
const lastAssistantRow = async (c: RawClient) =>
  ((await ocCall(c, 'chat.history', { sessionKey: KEY })).payload.messages as Array<Record<string, any>>).findLast((m) => m.role === 'assistant')!;
const download = async (c: RawClient, artifactId: string) => (await ocCall(c, 'artifacts.download', { sessionKey: KEY, artifactId })).payload;

describe.each([3, 4] as const)('protocol %i: a MEDIA line in the reply', (protocol) => {
  it('the assistant event carries mediaUrls (delta ""), and no client text holds the MEDIA line', async () => {
    const { c, runId, final } = await run(protocol, chart());
    const events = assistant(c, runId);
    expect(events.filter((d) => d.mediaUrls)).toEqual([{ text: 'Here is the chart', delta: '', mediaUrls: ['./out.png'] }]);
    expect(events.every((d) => !String(d.text).includes('MEDIA:'))).toBe(true);
    expect(final.payload.message.content).toEqual([{ type: 'text', text: 'Here is the chart' }]);
    const deltas = c.frames.filter((f) => f.event === 'chat' && f.payload.runId === runId && f.payload.state === 'delta');
    expect(deltas.every((f) => !JSON.stringify(f.payload).includes('MEDIA:'))).toBe(true);
  });
});

describe('v3 (2026.2.17): a MEDIA line split across tokens (handleMessageUpdate, F-to-lead-files §1)', () => {
  const split = (tokens: string[]): ReplyScript => ({ tokens, tokenDelayMs: 1, files: { './chart.png': PNG } });

  it('the stream stops at "…\nMEDIA": no event once the cleaned text shrinks, no mediaUrls ever, a stale final, raw history', async () => {
    const { c, runId, final } = await run(3, split([...wordTokens('Here is the chart'), '\nMED', 'IA', ':./chart.png']));
    const events = assistant(c, runId);
    expect(events.slice(-2)).toEqual([
      { text: 'Here is the chart\nMED', delta: '\nMED' },
      { text: 'Here is the chart\nMEDIA', delta: 'IA' },
    ]);
    expect(events.some((d) => d.mediaUrls)).toBe(false);
    expect(final.payload.message.content).toEqual([{ type: 'text', text: 'Here is the chart\nMEDIA' }]);
    expect((await lastAssistantRow(c)).content).toEqual([{ type: 'text', text: 'Here is the chart\nMEDIA:./chart.png' }]);
  });

  it('text after the media line extends the cleaned text again, so it streams on (still no mediaUrls)', async () => {
    const { c, runId, final } = await run(3, split([...wordTokens('Here is the chart'), '\nMEDIA', ':./chart.png', '\nEnjoy']));
    const events = assistant(c, runId);
    expect(events.at(-1)).toEqual({ text: 'Here is the chart\nEnjoy', delta: '\nEnjoy' });
    expect(events.some((d) => d.mediaUrls)).toBe(false);
    expect(final.payload.message.content).toEqual([{ type: 'text', text: 'Here is the chart\nEnjoy' }]);
  });

  it('a token holding "MEDIA:" and part of the path hands on that part (each delta is parsed by itself)', async () => {
    const { c, runId, final } = await run(3, split([...wordTokens('Here is the chart'), '\nMEDIA:./ch', 'art.png']));
    expect(assistant(c, runId).filter((d) => d.mediaUrls)).toEqual([{ text: 'Here is the chart', delta: '', mediaUrls: ['./ch'] }]);
    expect(final.payload.message.content).toEqual([{ type: 'text', text: 'Here is the chart' }]);
  });

  it('v4 takes the same tokens cleanly: the whole URL once the reply ends, a final without the line', async () => {
    const { c, runId, final } = await run(4, split([...wordTokens('Here is the chart'), '\nMED', 'IA', ':./chart.png']));
    expect(assistant(c, runId).filter((d) => d.mediaUrls)).toEqual([{ text: 'Here is the chart', delta: '', mediaUrls: ['./chart.png'] }]);
    expect(final.payload.message.content).toEqual([{ type: 'text', text: 'Here is the chart' }]);
  });
});

describe('v3 (2026.2.17): the path only, no way to fetch the file', () => {
  it('chat.history keeps the raw text; artifacts methods are unknown; no HTTP route serves media', async () => {
    const { gw, c } = await run(3, chart());
    expect((await lastAssistantRow(c)).content).toEqual([{ type: 'text', text: 'Here is the chart\nMEDIA:./out.png' }]);
    expect((await ocCall(c, 'artifacts.list', { sessionKey: KEY })).error).toEqual({ code: 'INVALID_REQUEST', message: 'unknown method: artifacts.list' });
    expect((await ocCall(c, 'artifacts.download', { sessionKey: KEY, artifactId: 'x' })).error.message).toBe('unknown method: artifacts.download');
    const res = await fetch(`${gw.httpUrl}/api/chat/media/outgoing/${encodeURIComponent(KEY)}/${randomUUID()}/full`, {
      headers: { authorization: `Bearer ${gw.token}` },
    });
    expect(res.status).toBe(404);
  });
});

describe('v4 (2026.9.6): managed media, artifacts and the HTTP download', () => {
  it('the media are managed some time after the final (default 500 ms; live ~0.5 s): until then no artifact, no image block', async () => {
    const { c, runId } = await run(4, chart(), { managedMediaDelayMs: undefined });
    const finalAt = Date.now();
    const list = async () => (await ocCall(c, 'artifacts.list', { sessionKey: KEY, runId, messageRole: 'assistant' })).payload.artifacts as unknown[];
    expect(await list()).toEqual([]);
    expect((await lastAssistantRow(c)).content.map((b: Record<string, unknown>) => b.type)).toEqual(['text']);
    while ((await list()).length === 0) await sleep(25);
    expect(Date.now() - finalAt).toBeGreaterThanOrEqual(400);
    expect((await lastAssistantRow(c)).content.map((b: Record<string, unknown>) => b.type)).toEqual(['text', 'image']);
  });

  it('chat.history shows the text and an image block with its artifact id and URL', async () => {
    const { c } = await run(4, chart());
    const row = await lastAssistantRow(c);
    expect(row.content).toEqual([
      { type: 'text', text: 'Here is the chart' },
      {
        type: 'image',
        artifactId: expect.stringMatching(/^artifact_managed_image_[0-9a-f-]{36}$/),
        url: expect.stringMatching(/^\/api\/chat\/media\/outgoing\/agent%3Amain%3Arelay%3Amedia1\/[0-9a-f-]{36}\/full$/),
        openUrl: row.content[1].url,
        alt: 'out.png',
        mimeType: 'image/png',
        width: 1,
        height: 1,
        sizeBytes: 70,
      },
    ]);
    expect(row.content[1].artifactId.slice('artifact_managed_image_'.length)).toBe(row.content[1].url.split('/')[6]);
  });

  it('artifacts.list finds it by session (and by run and role); artifacts.download gives a ticketed URL that serves the bytes', async () => {
    const { gw, c, runId } = await run(4, chart());
    const listed = (await ocCall(c, 'artifacts.list', { sessionKey: KEY })).payload.artifacts;
    expect(listed).toEqual([
      {
        id: expect.stringMatching(/^artifact_managed_image_/),
        type: 'image',
        title: 'out.png',
        mimeType: 'image/png',
        sizeBytes: 70,
        sessionKey: KEY,
        runId,
        messageSeq: 2,
        source: 'session-transcript',
        download: { mode: 'url' },
      },
    ]);
    expect((await ocCall(c, 'artifacts.list', { sessionKey: KEY, runId, messageRole: 'assistant' })).payload.artifacts).toEqual(listed);
    expect((await ocCall(c, 'artifacts.list', { sessionKey: KEY, runId: 'other' })).payload.artifacts).toEqual([]);

    const before = Date.now();
    const dl = await download(c, listed[0].id);
    expect(dl.artifact).toEqual({ id: listed[0].id, type: 'image', title: 'out.png', mimeType: 'image/png', sizeBytes: 70, sessionKey: KEY, source: 'session-transcript', download: { mode: 'url' } });
    expect(dl.url).toMatch(/^\/api\/chat\/media\/outgoing\/agent%3Amain%3Arelay%3Amedia1\/[0-9a-f-]{36}\/full\?mediaTicket=v1\.[\w-]+\.[\w-]+$/);
    expect(Date.parse(dl.expiresAt) - before).toBeGreaterThanOrEqual(299_000);
    expect(Date.parse(dl.expiresAt) - before).toBeLessThanOrEqual(301_000);

    const ok = await fetch(`${gw.httpUrl}${dl.url}`);
    expect([ok.status, ok.headers.get('content-type')]).toEqual([200, 'image/png']);
    expect(Buffer.from(await ok.arrayBuffer()).equals(PNG)).toBe(true);
    const bare = `${gw.httpUrl}${dl.url.split('?')[0]}`;
    const refused = await fetch(bare);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ error: { message: 'Unauthorized', type: 'unauthorized' } });
    expect((await fetch(bare, { headers: { authorization: `Bearer ${gw.token}` } })).status).toBe(200);
    expect((await fetch(bare, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(`${gw.httpUrl}${dl.url.replace(/\/full\?/, '/full?x=1&')}`)).status).toBe(200);

    const byRun = (await ocCall(c, 'artifacts.download', { sessionKey: KEY, runId, artifactId: listed[0].id })).payload.artifact;
    expect(byRun).toMatchObject({ runId, messageSeq: 2 });
  });

  it('a media ticket expires (real: 5 min); the file is gone once its row is (sessions.reset)', async () => {
    const { gw, c } = await run(4, chart(), { mediaTicketTtlMs: 100 });
    const id = (await ocCall(c, 'artifacts.list', { sessionKey: KEY })).payload.artifacts[0].id;
    const dl = await download(c, id);
    expect((await fetch(`${gw.httpUrl}${dl.url}`)).status).toBe(200);
    await sleep(150);
    expect((await fetch(`${gw.httpUrl}${dl.url}`)).status).toBe(401);

    const fresh = await download(c, id);
    await ocCall(c, 'sessions.reset', { key: KEY });
    expect((await fetch(`${gw.httpUrl}${fresh.url}`)).status).toBe(404);
    expect((await ocCall(c, 'artifacts.download', { sessionKey: KEY, artifactId: id })).error).toEqual({
      code: 'INVALID_REQUEST',
      message: 'artifact not found',
      details: { type: 'artifact_not_found', artifactId: id },
    });
  });

  it('a reply that is only a media line has a final with no message, and history only the image', async () => {
    const { c, final } = await run(4, chart({ tokens: ['MEDIA:./out.png'] }));
    expect(final.payload.message).toBeUndefined();
    expect((await lastAssistantRow(c)).content).toEqual([expect.objectContaining({ type: 'image', alt: 'out.png' })]);
  });

  it('a text file comes as an attachment block, listed as a file and served as an attachment', async () => {
    const { gw, c } = await run(4, { tokens: wordTokens('report attached\nMEDIA:./report.txt'), tokenDelayMs: 1, files: { 'report.txt': 'hello report' } });
    expect((await lastAssistantRow(c)).content).toEqual([
      { type: 'text', text: 'report attached' },
      {
        type: 'attachment',
        attachment: {
          artifactId: expect.stringMatching(/^artifact_managed_media_[0-9a-f-]{36}$/),
          url: expect.stringMatching(/^\/api\/chat\/media\/outgoing\/.+\/full$/),
          kind: 'document',
          label: 'report.txt',
          mimeType: 'text/plain',
          sizeBytes: 12,
        },
      },
    ]);
    const [artifact] = (await ocCall(c, 'artifacts.list', { sessionKey: KEY })).payload.artifacts;
    expect(artifact).toMatchObject({ type: 'file', title: 'report.txt', mimeType: 'text/plain', sizeBytes: 12 });
    const res = await fetch(`${gw.httpUrl}${(await download(c, artifact.id)).url}`);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="report.txt"; filename*=UTF-8''report.txt`);
    expect(await res.text()).toBe('hello report');
  });

  it('a path with no file becomes an attachment_error block and no artifact', async () => {
    const { c } = await run(4, chart({ files: {} }));
    expect((await lastAssistantRow(c)).content[1]).toEqual({
      type: 'attachment_error',
      attachment: { code: 'delivery-failed', kind: 'image', label: 'out.png', mimeType: 'image/png' },
    });
    expect((await ocCall(c, 'artifacts.list', { sessionKey: KEY })).payload.artifacts).toEqual([]);
  });

  it('refuses a query with no owner: no scope at all, or a run id alone while several agents are configured', async () => {
    const { c, runId } = await run(4, chart());
    expect((await ocCall(c, 'artifacts.list', {})).error).toEqual({
      code: 'INVALID_REQUEST',
      message: 'artifacts require one of sessionKey, runId, or taskId',
      details: { type: 'artifact_query_unsupported' },
    });
    expect((await ocCall(c, 'artifacts.list', { runId })).error.message).toMatch(/^Multiple agents are configured, but this operation has no explicit owner\. /);
    expect((await ocCall(c, 'artifacts.list', { runId, agentId: 'main' })).error).toEqual({
      code: 'INVALID_REQUEST',
      message: 'no session found for artifact query',
      details: { type: 'artifact_scope_not_found' },
    });
    expect((await ocCall(c, 'artifacts.list', { sessionKey: KEY, limit: 2 })).error.message).toBe('limit and cursor require type image');
    expect((await ocCall(c, 'artifacts.list', { sessionKey: KEY, messageRole: 'user' })).error.message).toBe(
      'invalid artifacts.list params: at /messageRole: must be equal to one of the allowed values',
    );
  });
});
