// Files with a prompt (issue 12): chat.send attachments as each gateway takes them (openclaw-agent-events.md §4),
// asserted on the wire and in what the fake model got; the frame cap; the gateways' refusals; models' input kinds.
import { describe, expect, it } from 'vitest';
import { AttachmentUnsupportedError, PayloadTooLargeError } from '../../src/gateway/errors.js';
import type { ChatAttachment } from '../../src/gateway/types.js';
import { startCardGateway } from '../fakes/gateway/card-gateway.js';
import { startOpenClawGateway, type OpenClawGateway } from '../fakes/gateway/openclaw-gateway.js';
import type { ReplyContext } from '../fakes/gateway/state.js';
import { collect, makeClient, onCleanup } from './helpers.js';
import { startScriptedOpenClaw } from './scripted-openclaw.js';

/** The 1×1 PNG of the reference's send (70 bytes). */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const KEY = 'agent:main:clawcord:files-in';

const image = (fileName: string, data = PNG): ChatAttachment => ({ fileName, mimeType: 'image/png', kind: 'image', data });
const textFile = (fileName: string, text: string): ChatAttachment => ({ fileName, mimeType: 'text/plain', kind: 'file', data: Buffer.from(text) });
/** A PNG of `size` bytes: a real header, then padding (the gateways sniff the type from the first bytes). */
const bigPng = (size: number) => Buffer.concat([PNG, Buffer.alloc(size - PNG.length, 7)]);

async function openClaw(protocol: 3 | 4) {
  const gateway = await startOpenClawGateway({ protocol });
  onCleanup(() => gateway.close());
  const seen: ReplyContext[] = [];
  gateway.setReplyScript((ctx) => {
    seen.push(ctx);
    return { tokens: [`Saw ${ctx.attachments.length} file(s)`], tokenDelayMs: 1 };
  });
  const client = makeClient({ url: gateway.url, token: gateway.token, protocol: 'openclaw' });
  await client.start();
  return { gateway, client, seen };
}

/** The chat.send frames the gateway received. */
function chatSendFrames(gateway: OpenClawGateway): Array<{ params: Record<string, unknown> }> {
  return gateway.received.map((r) => r.frame as { method?: string; params: Record<string, unknown> }).filter((f) => f.method === 'chat.send');
}

describe('attachments on OpenClaw', () => {
  it('2026.2: an image goes as {type, mimeType, fileName, content} and reaches the image model as an image part', async () => {
    const { gateway, client, seen } = await openClaw(3);
    const run = await client.chatSend({ sessionKey: KEY, message: 'what is in this image?', attachments: [image('dot.png')] });
    const events = await collect(run);
    expect(events.at(-1)).toMatchObject({ type: 'final', text: 'Saw 1 file(s)' });
    expect(chatSendFrames(gateway)[0]!.params.attachments).toEqual([
      { type: 'image', mimeType: 'image/png', fileName: 'dot.png', content: PNG.toString('base64') },
    ]);
    expect(seen[0]!.attachments).toEqual([{ type: 'image', mimeType: 'image/png', sizeBytes: 70, data: PNG.toString('base64') }]);
  });

  it('2026.9: an image and a text file go together; the model gets the picture and reads the file', async () => {
    const { gateway, client, seen } = await openClaw(4);
    const run = await client.chatSend({
      sessionKey: KEY,
      message: 'compare',
      attachments: [image('dot.png'), textFile('note.txt', 'hello from a text attachment')],
    });
    expect((await collect(run)).at(-1)).toMatchObject({ type: 'final', text: 'Saw 2 file(s)' });
    expect(chatSendFrames(gateway)[0]!.params.attachments).toEqual([
      { type: 'image', mimeType: 'image/png', fileName: 'dot.png', content: PNG.toString('base64') },
      { type: 'file', mimeType: 'text/plain', fileName: 'note.txt', content: Buffer.from('hello from a text attachment').toString('base64') },
    ]);
    expect(seen[0]!.attachments).toEqual([
      { type: 'image', mimeType: 'image/png', sizeBytes: 70, data: PNG.toString('base64') },
      expect.objectContaining({ type: 'file', mimeType: 'text/plain', text: 'hello from a text attachment' }),
    ]);
    expect(seen[0]!.message).toContain('hello from a text attachment');
  });

  it('2026.2: a file other than an image is refused before sending, naming it (the gateway would drop it silently)', async () => {
    const { gateway, client, seen } = await openClaw(3);
    const error = await client.chatSend({ sessionKey: KEY, message: 'read this', attachments: [image('dot.png'), textFile('notes.txt', 'hi')] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AttachmentUnsupportedError);
    expect((error as Error).message).toBe('notes.txt: OpenClaw 2026.2 takes no files other than images with a prompt; it was not sent');
    expect(chatSendFrames(gateway)).toEqual([]);
    expect(seen).toEqual([]);
    expect(client.activeRuns).toEqual([]);
  });

  it('refuses a frame over the gateway\'s max payload, naming its size and the limit, and sends nothing (the socket stays up)', async () => {
    const { gateway, client } = await openClaw(4);
    // Each within its own limit (6 MiB, 18.6 MiB); together, base64, past the 25 MiB frame.
    const files = [image('photo.png', bigPng(6_000_000)), { ...textFile('log.txt', ''), data: Buffer.alloc(14_000_000, 0x61) }];
    const error = await client.chatSend({ sessionKey: KEY, message: 'both', attachments: files }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    const message = (error as Error).message;
    expect(message).toMatch(/^chat\.send: the message with photo\.png \(6,000,000 bytes\), log\.txt \(14,000,000 bytes\) comes to 26,66[0-9],[0-9]{3} bytes as one frame, over the gateway's limit of 26,214,400 bytes/);
    expect(message).toContain('nothing was sent');
    expect(chatSendFrames(gateway)).toEqual([]);
    expect(gateway.connections.every((c) => c.closed === undefined)).toBe(true);
    await expect(client.status()).resolves.toMatchObject({ ready: true });
    expect(client.activeRuns).toEqual([]);
  });

  it.each([
    [3, 5_000_001, 'Error: attachment big.png: exceeds size limit (5000001 > 5000000 bytes)'],
    [4, 6_300_000, 'Error: attachment big.png: image exceeds size limit (6300000 > 6291456 bytes)'],
  ] as const)('on v%i, the gateway\'s refusal of a too-large image surfaces naming the file', async (protocol, size, refusal) => {
    const { gateway, client, seen } = await openClaw(protocol);
    const error = await client.chatSend({ sessionKey: KEY, message: 'look', attachments: [image('big.png', bigPng(size))] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_REQUEST', message: refusal });
    expect(chatSendFrames(gateway)).toHaveLength(1);
    expect(seen).toEqual([]);
    expect(client.activeRuns).toEqual([]);
  });
});

describe('attachments on the card', () => {
  it('are refused before sending, naming the file: its gateway lists no attachments param', async () => {
    const gateway = await startCardGateway();
    onCleanup(() => gateway.close());
    const client = makeClient({ url: gateway.url, token: gateway.token, protocol: 'card' });
    await client.start();
    const error = await client.chatSend({ sessionKey: 'clawcord:main:card', message: 'look', attachments: [image('dot.png')] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AttachmentUnsupportedError);
    expect((error as Error).message).toBe('dot.png: the card gateway takes no images with a prompt; it was not sent');
    expect(gateway.received.filter((r) => (r.frame as { method?: string }).method === 'chat.send')).toEqual([]);
  });
});

describe('what models take in', () => {
  // 2026.2 passes its catalog's `input` on (model-catalog.ts, outside its closed ModelChoiceSchema); 2026.9 lists it in
  // its schema (rows with includeDetails; not asked for: it describes images to a text-only model instead of dropping them).
  it.each([3, 4] as const)('v%i models.list rows\' input is kept, so a text-only model is known', async (protocol) => {
    const gateway = await startScriptedOpenClaw({ protocol });
    gateway.handle('models.list', () => ({
      payload: {
        models: [
          { id: 'glm-5:cloud', name: 'glm-5', provider: 'ollama', contextWindow: 131072, reasoning: true, input: ['text'] },
          { id: 'kimi-k2.5:cloud', name: 'kimi-k2.5', provider: 'ollama', contextWindow: 131072, reasoning: false, input: ['text', 'image'] },
          { id: 'mystery', name: 'mystery', provider: 'ollama' },
        ],
      },
    }));
    const client = makeClient({ url: gateway.url, token: 'tok', protocol: 'openclaw' });
    await client.start();
    const models = await client.modelsList();
    expect(models.map((m) => [m.ref, m.input])).toEqual([
      ['ollama/glm-5:cloud', ['text']],
      ['ollama/kimi-k2.5:cloud', ['text', 'image']],
      ['ollama/mystery', undefined],
    ]);
    expect(gateway.requests.find((r) => r.method === 'models.list')!.params).toEqual(protocol === 4 ? { agentId: 'main' } : {});
  });

  it('the card says nothing of it', async () => {
    const gateway = await startCardGateway();
    onCleanup(() => gateway.close());
    const client = makeClient({ url: gateway.url, token: gateway.token, protocol: 'card' });
    await client.start();
    const models = await client.modelsList();
    expect(models.length).toBeGreaterThan(0);
    expect(models.every((m) => m.input === undefined)).toBe(true);
  });
});
