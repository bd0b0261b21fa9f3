// chat.send attachments on the fake gateways, per version (openclaw-agent-events.md §4, live on 2026.2.17 and
// 2026.9.6): what is refused and how, what the model receives (ReplyContext), what chat.history keeps, the frame cap.
// Raw `ws` clients, no project code.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { card, cardCall, cardClient, chatEvents, oc, ocCall, ocConnect, useCleanups, type RawClient } from './raw-client.js';
import type { ReplyContext } from './state.js';

useCleanups();

/** The 1×1 PNG of the reference's send (70 bytes, 96 base64 characters). */
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n').toString('base64');
const b64 = (text: string) => Buffer.from(text).toString('base64');
const KEY = 'agent:main:relay:att';
const TEXT_ONLY = 'ollama/glm-5:cloud';

async function setup(protocol: 3 | 4, opts: Parameters<typeof oc>[0] = {}) {
  const gw = await oc({ protocol, ...opts });
  const seen: ReplyContext[] = [];
  gw.setReplyScript((ctx) => {
    seen.push(ctx);
    return { tokens: ['ok'], tokenDelayMs: 1 };
  });
  const { c, res } = await ocConnect(gw);
  return { gw, c, hello: res.payload, seen };
}

async function send(c: RawClient, attachments: unknown[], message = 'what is in this image?', sessionKey = KEY) {
  const runId = randomUUID();
  const res = await ocCall(c, 'chat.send', { sessionKey, message, idempotencyKey: runId, attachments });
  return { res, runId };
}

const final = (c: RawClient, runId: string) => c.waitFor((f) => f.event === 'chat' && f.payload.runId === runId && f.payload.state === 'final');
const history = async (c: RawClient, sessionKey = KEY) => (await ocCall(c, 'chat.history', { sessionKey })).payload.messages as Array<Record<string, any>>;

describe('attachments on v3 (2026.2.17): images only, the rest dropped with a log line', () => {
  it('a PNG reaches an image model as an image part; history keeps it omitted, with its base64 length', async () => {
    const { c, seen } = await setup(3);
    const { res, runId } = await send(c, [{ type: 'image', mimeType: 'image/png', fileName: 'dot.png', content: PNG }]);
    expect(res.payload).toEqual({ runId, status: 'started' });
    await final(c, runId);
    expect(seen[0]!.message).toBe('what is in this image?');
    expect(seen[0]!.attachments).toEqual([{ type: 'image', mimeType: 'image/png', sizeBytes: 70, data: PNG }]);
    const user = (await history(c)).find((m) => m.role === 'user')!;
    expect(user.content[1]).toEqual({ type: 'image', mimeType: 'image/png', omitted: true, bytes: 96 });
  });

  it('a text file and a PDF are dropped without a word to the client, only logged', async () => {
    const { gw, c, seen } = await setup(3);
    const { res, runId } = await send(c, [
      { type: 'file', mimeType: 'text/plain', fileName: 'note.txt', content: b64('hello from a text attachment') },
      { type: 'file', mimeType: 'application/pdf', fileName: 'doc.pdf', content: PDF },
    ], 'read these');
    expect(res.ok).toBe(true);
    await final(c, runId);
    expect(seen[0]!.attachments).toEqual([]);
    expect(seen[0]!.message).toBe('read these');
    expect(gw.gatewayLog.map((l) => l.message)).toEqual([
      'attachment note.txt: unable to detect image mime type, dropping',
      'attachment doc.pdf: detected non-image (application/pdf), dropping',
    ]);
    expect(c.frames.filter((f) => f.type === 'event' && f.event === 'chat' && f.payload.state === 'error')).toEqual([]);
    expect((await history(c)).find((m) => m.role === 'user')!.content).toHaveLength(1);
  });

  it('the MIME comes from the bytes (a wrong mimeType is logged), data URLs are read, a text-only model gets no image', async () => {
    const { gw, c, seen } = await setup(3);
    const { runId } = await send(c, [{ mimeType: 'image/jpeg', fileName: 'dot.jpg', content: `data:image/jpeg;base64,${PNG}` }]);
    await final(c, runId);
    expect(seen[0]!.attachments).toMatchObject([{ type: 'image', mimeType: 'image/png' }]);
    expect(gw.gatewayLog.map((l) => l.message)).toEqual(['attachment dot.jpg: mime mismatch (image/jpeg -> image/png), using sniffed']);

    await ocCall(c, 'sessions.patch', { key: 'agent:main:relay:blind', model: TEXT_ONLY });
    const blind = await send(c, [{ mimeType: 'image/png', content: PNG }], 'see?', 'agent:main:relay:blind');
    await final(c, blind.runId);
    expect(seen[1]!.attachments).toEqual([]);
    expect((await history(c, 'agent:main:relay:blind')).find((m) => m.role === 'user')!.content).toHaveLength(1);
  });

  it('refuses an attachment over 5,000,000 decoded bytes or with bad base64: INVALID_REQUEST, no run, no session', async () => {
    const { c } = await setup(3);
    const big = await send(c, [{ mimeType: 'text/plain', fileName: 'big.txt', content: 'AAAA'.repeat(1_666_667) }]);
    expect(big.res.error).toEqual({ code: 'INVALID_REQUEST', message: 'Error: attachment big.txt: exceeds size limit (5000001 > 5000000 bytes)' });
    const bad = await send(c, [{ type: 'image', content: 'not base64!' }]);
    expect(bad.res.error.message).toBe('Error: attachment image: invalid base64 content');
    expect(chatEvents(c, big.runId)).toEqual([]);
    expect((await ocCall(c, 'sessions.list', {})).payload.sessions).toEqual([]);
  });

  it('ignores the Anthropic-style {source} shape and content-less items', async () => {
    const { c, seen } = await setup(3);
    const source = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } };
    const { runId } = await send(c, [source, { type: 'image', mimeType: 'image/png' }]);
    await final(c, runId);
    expect(seen[0]!.attachments).toEqual([]);
    expect((await send(c, [source], '')).res.error).toEqual({ code: 'INVALID_REQUEST', message: 'message or attachment required' });
  });

  it('hello-ok has no policy.attachments; maxPayload is 25 MiB', async () => {
    const { hello } = await setup(3);
    expect(hello.policy).toEqual({ maxPayload: 26_214_400, maxBufferedBytes: 52_428_800, tickIntervalMs: 30_000 });
  });
});

describe('attachments on v4 (2026.9.6): images and files, text read into the prompt', () => {
  it('advertises policy.attachments {maxBytes: 19464192, maxImageBytes: 6291456}', async () => {
    const { hello } = await setup(4);
    expect(hello.policy).toEqual({
      maxPayload: 26_214_400,
      maxBufferedBytes: 52_428_800,
      tickIntervalMs: 30_000,
      attachments: { maxBytes: 19_464_192, maxImageBytes: 6_291_456 },
    });
  });

  it('a PNG reaches an image model as an image part under a media note; history has the plain text and __openclaw.media', async () => {
    const { c, seen } = await setup(4);
    const { runId } = await send(c, [{ type: 'image', mimeType: 'image/png', fileName: 'dot.png', content: PNG }]);
    await final(c, runId);
    expect(seen[0]!.message).toMatch(/^\[media attached: media:\/\/inbound\/[0-9a-f-]{36}\.png \(image\/png\)\]\nwhat is in this image\?$/);
    expect(seen[0]!.attachments).toEqual([{ type: 'image', mimeType: 'image/png', sizeBytes: 70, data: PNG }]);
    const user = (await history(c)).find((m) => m.role === 'user')!;
    expect(user.content).toBe('what is in this image?');
    expect(user.__openclaw.media).toEqual([{ url: expect.stringMatching(/^media:\/\/inbound\/[0-9a-f-]{36}\.png$/), contentType: 'image/png', kind: 'image', sizeBytes: 70 }]);
  });

  it('inlines a text file into the prompt as a <file> block of untrusted content; a PDF cannot be read offline', async () => {
    const { c, seen } = await setup(4);
    const { runId } = await send(c, [
      { type: 'file', mimeType: 'text/plain', fileName: 'note.txt', content: b64('hello from a text attachment\n') },
      { type: 'file', mimeType: 'application/pdf', fileName: 'doc.pdf', content: PDF },
    ], 'read these');
    await final(c, runId);
    const { message, attachments } = seen[0]!;
    const lines = message.split('\n');
    expect(lines.slice(0, 4)).toEqual([
      '[media attached: 2 files]',
      expect.stringMatching(/^\[media attached 1\/2: media:\/\/inbound\/note---[0-9a-f-]{36}\.txt \(text\/plain\)\]$/),
      expect.stringMatching(/^\[media attached 2\/2: media:\/\/inbound\/doc---[0-9a-f-]{36}\.pdf \(application\/pdf\)\]$/),
      'read these',
    ]);
    expect(message).toMatch(
      /\n\n<file name="note---[0-9a-f-]{36}\.txt" mime="text\/plain">\n<<<EXTERNAL_UNTRUSTED_CONTENT id="([0-9a-f]{16})">>>\nSource: External\n---\nhello from a text attachment\n<<<END_EXTERNAL_UNTRUSTED_CONTENT id="\1">>>\n<\/file>\n\n<file name="doc---[0-9a-f-]{36}\.pdf" mime="application\/pdf">\n\[Attachment could not be read\]\n<\/file>$/,
    );
    expect(attachments).toEqual([
      { type: 'file', fileName: 'note.txt', mimeType: 'text/plain', sizeBytes: 29, text: 'hello from a text attachment' },
      { type: 'file', fileName: 'doc.pdf', mimeType: 'application/pdf', sizeBytes: Buffer.from(PDF, 'base64').length },
    ]);
    const media = (await history(c)).find((m) => m.role === 'user')!.__openclaw.media;
    expect(media).toEqual([
      { url: expect.stringMatching(/^media:\/\/inbound\/note---/), contentType: 'text/plain', kind: 'document', fileName: 'note.txt', sizeBytes: 29, hydrationSuppressed: true },
      { url: expect.stringMatching(/^media:\/\/inbound\/doc---/), contentType: 'application/pdf', kind: 'document', fileName: 'doc.pdf', sizeBytes: expect.any(Number), hydrationSuppressed: true },
    ]);
  });

  it('a text-only model gets the image offloaded and described by another model; the offload is logged', async () => {
    const { gw, c, seen } = await setup(4, { describeImage: ({ fileName }) => `A red dot (${fileName}).` });
    await ocCall(c, 'sessions.patch', { key: KEY, model: TEXT_ONLY });
    const { runId } = await send(c, [{ mimeType: 'image/png', fileName: 'dot.png', content: PNG }], 'what?');
    await final(c, runId);
    expect(seen[0]!.attachments).toEqual([]);
    expect(seen[0]!.message).toMatch(
      /^\[media attached: media:\/\/inbound\/dot---[0-9a-f-]{36}\.png \(image\/png\)\]\n\[Image\]\nUser text:\nwhat\?\nDescription:\nA red dot \(dot\.png\)\.$/,
    );
    expect(gw.gatewayLog.map((l) => l.message)).toEqual([expect.stringMatching(/^\[Gateway\] Offloaded image for text-only model\. Saved: media:\/\/inbound\/dot---/)]);
  });

  it('takes the Anthropic-style {source} shape; an image-only message runs; an image over 2 MB is stored yet still sent', async () => {
    const { c, seen } = await setup(4);
    const source = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } };
    const { runId } = await send(c, [source], '');
    await final(c, runId);
    expect(seen[0]!.attachments).toMatchObject([{ type: 'image', mimeType: 'image/png', sizeBytes: 70 }]);

    const large = Buffer.concat([Buffer.from(PNG, 'base64'), Buffer.alloc(3_000_000 - 70)]).toString('base64');
    const big = await send(c, [{ mimeType: 'image/png', fileName: 'big.png', content: large }], 'big one');
    await final(c, big.runId);
    expect(seen[1]!.attachments).toMatchObject([{ type: 'image', mimeType: 'image/png', sizeBytes: 3_000_000 }]);
    const media = (await history(c)).filter((m) => m.role === 'user').at(-1)!.__openclaw.media;
    expect(media).toEqual([{ url: expect.stringMatching(/^media:\/\/inbound\/big---/), contentType: 'image/png', kind: 'image', fileName: 'big.png', sizeBytes: 3_000_000 }]);
  });

  it('refuses an image over 6 MiB, an empty payload and a bad origin, with the real messages; no run starts', async () => {
    const { c } = await setup(4);
    const big = await send(c, [{ mimeType: 'image/png', fileName: 'big.png', content: 'AAAA'.repeat(2_100_000) }]);
    expect(big.res.error).toEqual({ code: 'INVALID_REQUEST', message: 'Error: attachment big.png: image exceeds size limit (6300000 > 6291456 bytes)' });
    expect((await send(c, [{ fileName: 'x.txt', content: '' }])).res.error.message).toBe('UnsupportedAttachmentError: attachment x.txt: empty payload');
    expect((await send(c, [{ content: PNG, origin: 'drop' }])).res.error.message).toBe(
      'invalid chat.send params: at /attachments/0/origin: must be equal to one of the allowed values',
    );
    expect(chatEvents(c, big.runId)).toEqual([]);
    expect((await ocCall(c, 'sessions.list', {})).payload.sessions).toEqual([]);
  });
});

describe('frames over maxPayload', () => {
  it.each([3, 4] as const)('protocol %i closes the socket 1009 with no reason and no answer', async (protocol) => {
    const { c } = await setup(protocol);
    c.send({ type: 'req', id: 'huge', method: 'chat.send', params: { sessionKey: KEY, message: 'x', idempotencyKey: 'k', attachments: [{ content: 'A'.repeat(26_300_000) }] } });
    expect(await c.closed).toEqual({ code: 1009, reason: '' });
    expect(c.frames.some((f) => f.id === 'huge')).toBe(false);
  });

  it('v3 has no 64 KiB pre-auth cap (v4 closes such a connect 1009)', async () => {
    const gw = await oc({ protocol: 3 });
    const { res } = await ocConnect(gw, { extra: { pathEnv: 'x'.repeat(70_000) } });
    expect(res.ok).toBe(true);
  });
});

describe('card gateway', () => {
  it('has no attachments: a chat.send carrying them fails params validation, like any key the card does not list', async () => {
    const gw = await card();
    const c = await cardClient(gw);
    const res = await cardCall(c, 'chat.send', { sessionKey: 'main:clawcord:a', message: 'see', attachments: [{ mimeType: 'image/png', content: PNG }] });
    expect(res).toMatchObject({ result: null, error: 'Params validation failed' });
    expect((await cardCall(c, 'sessions.list', { limit: 5, search: 'x' })).error).toBe('Params validation failed');
    expect(gw.state.sessions.size).toBe(0);
  });
});
