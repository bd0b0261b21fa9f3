import { describe, expect, it } from 'vitest';
import { PUBLIC_FAILURE_NOTE } from '../../src/discord/errors.js';
import { FILES_NEVER_STEER } from '../../src/discord/asking.js';
import { withoutExtras } from '../../src/discord/render/reply.js';
import type { ReplyContext } from '../fakes/gateway/state.js';
import { wordTokens } from '../fakes/gateway/state.js';
import { waitFor } from '../gateway/helpers.js';
import { answer } from './answers.js';
import { isLive, startStack, waitForSettledReply, type GatewayKind } from './harness.js';

/** A 1×1 PNG (openclaw-agent-events.md §4.1). */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const NOTES = 'Line one of the notes.\nA ``` fence inside.\n';
const flat = (text: string) => text.replace(/\s+/g, ' ');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Stack = Awaited<ReturnType<typeof startStack>>;

/** A stack whose agent answers "ok" and keeps what each turn's model got. */
async function filesStack(kind: GatewayKind, config?: Record<string, unknown>) {
  const stack = await startStack({ gateway: kind, ...(config ? { config } : {}) });
  const turns: ReplyContext[] = [];
  stack.gateway.setReplyScript((ctx) => {
    turns.push(ctx);
    return { tokens: wordTokens('ok, read them'), tokenDelayMs: 5 };
  });
  return { ...stack, turns };
}

/** The chat.send frames the gateway received. */
function chatSends(stack: Stack): Array<Record<string, unknown>> {
  return stack.gateway.received.flatMap((r) => {
    const frame = r.frame as { method?: string; params?: Record<string, unknown> };
    return frame.method === 'chat.send' ? [frame.params ?? {}] : [];
  });
}

function prompted(stack: Stack, prompt: string): string {
  return `[Tester (${stack.discord.defaultUserId})] ${prompt}`;
}

const INLINED_NOTES = 'Attached file `notes.txt`:\n````\nLine one of the notes.\nA ``` fence inside.\n````';

describe('files into /ask', () => {
  it('the card: a text file is inlined as a fenced block with its name; an image is refused privately with the prompt, and nothing is sent', async () => {
    const stack = await filesStack('card');
    const { discord } = stack;
    const notes = discord.addAttachment({ filename: 'notes.txt', data: NOTES, contentType: 'text/plain; charset=utf-8' });
    const cat = discord.addAttachment({ filename: 'cat.png', data: PNG });

    const refused = discord.sendChatInput({ name: 'ask', options: { prompt: 'what do you see?', file: cat.id, file2: notes.id } });
    const said = await answer(discord, refused.token);
    expect(said.ephemeral).toBe(true);
    expect(said.content).toBe('❌ Nothing was sent: `cat.png`: the card gateway takes no images (clawcord inlines text files only).\n\nYour prompt, to ask again:\n```\nwhat do you see?\n```');
    await sleep(200);
    expect(chatSends(stack)).toEqual([]);
    // Nothing was downloaded for a prompt refused on Discord's word.
    expect(discord.cdnRequests).toEqual([]);

    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'summarise', file: notes.id } });
    const [reply] = await waitForSettledReply(discord, token);
    expect(withoutExtras(reply!.content)).toBe('ok, read them');
    expect(stack.turns.map((t) => t.message)).toEqual([`${prompted(stack, 'summarise')}\n\n${INLINED_NOTES}`]);
    expect(chatSends(stack).map((p) => 'attachments' in p)).toEqual([false]);
    expect(discord.cdnRequests.every((r) => !r.authorization)).toBe(true);
  });

  it('OpenClaw 2026.2: the image goes as a chat.send attachment, the text file is inlined', async () => {
    const stack = await filesStack('openclaw-v3');
    const { discord } = stack;
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'what do you see?', file: { filename: 'cat.png', data: PNG }, file2: { filename: 'notes.txt', data: NOTES } } });
    const [reply] = await waitForSettledReply(discord, token);
    expect(withoutExtras(reply!.content)).toBe('ok, read them');
    expect(stack.turns).toHaveLength(1);
    expect(chatSends(stack).map((p) => p.message)).toEqual([`${prompted(stack, 'what do you see?')}\n\n${INLINED_NOTES}`]);
    // 2026.2 collapses every whitespace run of a message before the model reads it (stripInlineStatus), line breaks too.
    expect(stack.turns[0]!.message).toBe(flat(`${prompted(stack, 'what do you see?')}\n\n${INLINED_NOTES}`));
    expect(stack.turns[0]!.attachments).toEqual([{ type: 'image', mimeType: 'image/png', sizeBytes: PNG.length, data: PNG.toString('base64') }]);
    expect(discord.cdnRequests.length).toBe(2);
    expect(discord.cdnRequests.every((r) => !r.authorization)).toBe(true);
  });

  it('OpenClaw 2026.9: the image and the text file both go as attachments', async () => {
    const stack = await filesStack('openclaw-v4');
    const { discord } = stack;
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'what do you see?', file: { filename: 'cat.png', data: PNG }, file2: { filename: 'notes.txt', data: NOTES } } });
    await waitForSettledReply(discord, token);
    expect(stack.turns).toHaveLength(1);
    expect(stack.turns[0]!.message).not.toContain('Attached file');
    expect(stack.turns[0]!.attachments).toEqual([
      { type: 'image', mimeType: 'image/png', sizeBytes: PNG.length, data: PNG.toString('base64') },
      expect.objectContaining({ type: 'file', mimeType: 'text/plain', sizeBytes: Buffer.byteLength(NOTES), text: expect.stringContaining('Line one of the notes.') }),
    ]);
  });

  it.each(['openclaw-v3', 'openclaw-v4'] as const)('%s: a too-large file and an unsupported type get one private reply naming both; nothing is sent or downloaded', async (kind) => {
    const stack = await filesStack(kind, { attachments: { maxBytes: 16 * 1024 * 1024 } });
    const { discord } = stack;
    const big = discord.addAttachment({ filename: 'big.png', contentType: 'image/png', size: 7_100_000 });
    const tar = discord.addAttachment({ filename: 'huge.tar', contentType: 'application/x-tar', size: 30_000_000 });
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'look at these', file: big.id, file2: tar.id } });
    const said = await answer(discord, token);
    expect(said.ephemeral).toBe(true);
    const lines =
      kind === 'openclaw-v3'
        ? ["• `big.png` (7.1 MB): over this gateway's 5 MB limit for images", '• `huge.tar`: OpenClaw 2026.2 takes only images (and clawcord inlines text files)']
        : ["• `big.png` (7.1 MB): over this gateway's 6 MiB limit for images", "• `huge.tar` (30.0 MB): over clawcord's 16 MiB limit for one file (attachments.maxBytes)"];
    expect(said.content).toBe(`❌ Nothing was sent, as 2 files cannot go:\n${lines.join('\n')}\n\nYour prompt, to ask again:\n\`\`\`\nlook at these\n\`\`\``);
    await sleep(200);
    expect(chatSends(stack)).toEqual([]);
    expect(discord.cdnRequests).toEqual([]);
    expect(discord.interaction(token)!.ackType).toBe(4);
  });

  it('bytes that are not what the file claims, or a download that fails, are refused after the deferral: privately, with the prompt, and nothing is sent', async () => {
    const stack = await filesStack('openclaw-v3');
    const { discord } = stack;
    const fake = discord.addAttachment({ filename: 'cat.png', data: 'no picture here', contentType: 'image/png' });
    const gone = discord.addAttachment({ filename: 'lost.png', contentType: 'image/png', size: 100 });
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'and these?', file: fake.id, file2: gone.id } });
    const said = await answer(discord, token, { notes: 1 });
    // The public "thinking…" says only that it failed; the reason and the prompt are private.
    expect(said.content).toBe(PUBLIC_FAILURE_NOTE);
    expect(said.notes).toEqual([
      [
        '❌ Nothing was sent, as 2 files cannot go:',
        "• `lost.png`: could not be downloaded from Discord (Discord's CDN answered 404: the link expired or the file is gone); try attaching it again",
        '• `cat.png`: its bytes are not a PNG, JPEG, GIF or WEBP image, whatever its name or type says',
        '',
        'Your prompt, to ask again:',
        '```',
        'and these?',
        '```',
      ].join('\n'),
    ]);
    await sleep(200);
    expect(chatSends(stack)).toEqual([]);
  });

  it.each(['openclaw-v3', 'openclaw-v4'] as const)('%s, a session model without image input: 2026.2 refuses the image (it would drop it silently), 2026.9 sends it to be described', async (kind) => {
    const stack = await filesStack(kind);
    const { discord } = stack;
    const switched = discord.sendChatInput({ name: 'model', options: { model: 'ollama/glm-5:cloud' }, member: { permissions: String(1n << 5n) } });
    await answer(discord, switched.token);
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'what is it?', file: { filename: 'cat.png', data: PNG } } });
    if (kind === 'openclaw-v3') {
      const said = await answer(discord, token);
      expect(said.ephemeral).toBe(true);
      expect(said.content).toBe(
        "❌ Nothing was sent: `cat.png`: the session's model `ollama/glm-5:cloud` takes no images, and OpenClaw 2026.2 would drop the picture without a word.\n\nYour prompt, to ask again:\n```\nwhat is it?\n```",
      );
      await sleep(200);
      expect(chatSends(stack)).toEqual([]);
      return;
    }
    await waitForSettledReply(discord, token);
    expect(chatSends(stack).map((p) => (p.attachments as unknown[] | undefined)?.length)).toEqual([1]);
    expect(stack.turns[0]!.message).toContain('An image.');
  });

  it('a text file past attachments.inlineTextMaxChars is cut, and both the agent and the asker are told', async () => {
    const stack = await filesStack('card', { attachments: { inlineTextMaxChars: 100 } });
    const { discord } = stack;
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'read it', file: { filename: 'long.txt', data: 'x'.repeat(150) } } });
    const said = await answer(discord, token, { notes: 1 });
    expect(said.notes).toEqual(['✂️ `long.txt` went into the prompt as text (the card gateway takes no text files), cut to its first 100 of 150 characters.']);
    await waitForSettledReply(discord, token);
    expect(stack.turns[0]!.message).toBe(`${prompted(stack, 'read it')}\n\nAttached file \`long.txt\`:\n\`\`\`\n${'x'.repeat(100)}\n\`\`\`\n(clawcord kept the first 100 of its 150 characters; 50 were cut.)`);
  });

  it('hands back a long prompt in full when the refusal cannot hold it', async () => {
    const stack = await filesStack('card');
    const prompt = Array.from({ length: 60 }, (_, i) => `Line ${i}: ${'words '.repeat(12)}end`).join('\n');
    const { token } = stack.discord.sendChatInput({ name: 'ask', options: { prompt, file: { filename: 'cat.png', data: PNG } } });
    const said = await answer(stack.discord, token, { notes: 3 });
    expect(said.content).toBe('❌ Nothing was sent: `cat.png`: the card gateway takes no images (clawcord inlines text files only).\n\nYour prompt follows, to ask again.');
    // Cut at line breaks: each private message holds whole lines.
    const back = said.notes.map((note) => note.replace(/^```\n/, '').replace(/\n```$/, '')).join('\n');
    expect(back).toBe(prompt);
  });

  it('a prompt with files and steer:true never steers: it waits for its own turn, and the asker is told', async () => {
    const stack = await startStack({ gateway: 'openclaw-v4' });
    const { discord, gateway } = stack;
    const turns: ReplyContext[] = [];
    gateway.setReplyScript((ctx) => {
      turns.push(ctx);
      return { tokens: wordTokens(turns.length === 1 ? 'a long answer that takes its time to stream out word by word' : 'second'), tokenDelayMs: turns.length === 1 ? 80 : 5 };
    });
    const first = discord.sendChatInput({ name: 'ask', options: { prompt: 'first' } });
    await waitFor(() => discord.interaction(first.token)?.original?.content.includes('long'), 5_000, 'the first answer streaming');
    const second = discord.sendChatInput({ name: 'ask', options: { prompt: 'and this file', steer: true, file: { filename: 'notes.txt', data: NOTES } } });
    const said = await answer(discord, second.token, { notes: 1 });
    expect(said.notes).toEqual([FILES_NEVER_STEER]);
    // Fetched when it was accepted, while the first answer still streams, and held until its turn.
    expect(discord.cdnRequests).toHaveLength(1);
    expect(turns).toHaveLength(1);
    await waitForSettledReply(discord, second.token);
    expect(turns.map((t) => t.steered)).toEqual([[], []]);
    expect(chatSends(stack).map((p) => [p.message, p.queueMode])).toEqual([
      [prompted(stack, 'first'), undefined],
      [prompted(stack, 'and this file'), undefined],
    ]);
    expect(turns[1]!.attachments).toEqual([expect.objectContaining({ type: 'file', text: expect.stringContaining('Line one of the notes.') })]);
  });
});

describe('files in a thread', () => {
  it('a mention carries its files; a file that cannot go is answered on the message, naming it, without pings', async () => {
    const stack = await filesStack('openclaw-v3');
    const { discord } = stack;
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'start here', thread: true } });
    const [reply] = await waitForSettledReply(discord, token);
    const threadId = await waitFor(() => discord.message(reply!.id)?.threadId ?? undefined, 5_000, 'a thread');

    const withNotes = discord.sendUserMessage({ channelId: threadId, content: 'summarise', mentionsBot: true, attachments: [{ filename: 'notes.txt', data: NOTES }] });
    await waitFor(() => discord.messages(threadId).find((m) => m.byBot && m.replyTo === withNotes.id && !isLive(m) && m.content.startsWith('ok')), 5_000, 'the answer');
    expect(chatSends(stack).at(-1)!.message).toBe(`${prompted(stack, 'summarise')}\n\n${INLINED_NOTES}`);
    expect(stack.turns.at(-1)!.message).toBe(flat(`${prompted(stack, 'summarise')}\n\n${INLINED_NOTES}`));

    const sent = chatSends(stack).length;
    const withPdf = discord.sendUserMessage({ channelId: threadId, content: 'and this', mentionsBot: true, attachments: [{ filename: 'report.pdf', data: '%PDF-1.7\n', contentType: 'application/pdf' }] });
    const refusal = await waitFor(() => discord.messages(threadId).find((m) => m.byBot && m.replyTo === withPdf.id), 5_000, 'the refusal');
    expect(refusal.content).toBe('❌ Nothing was sent: `report.pdf`: OpenClaw 2026.2 takes only images (and clawcord inlines text files).');
    expect(JSON.stringify(refusal.versions.at(-1)!.allowedMentions)).toBe(JSON.stringify({ parse: [], replied_user: false }));
    await sleep(200);
    expect(chatSends(stack)).toHaveLength(sent);
  });
});
