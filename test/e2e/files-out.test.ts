// Files out, as a Discord member sees them: a long answer as one message and `answer.md`, a long code block as a
// file, the files the agent produced attached (2026.9) or named (2026.2), a file past the upload limit named with its
// size. Fake Discord (uploads recorded with size and sha256, every request checked against Discord's spec) and fake
// OpenClaw gateways.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { FakeDiscord } from '../fakes/discord/index.js';
import type { RecordedMessage } from '../fakes/discord/types.js';
import { wordTokens } from '../fakes/gateway/state.js';
import { replyMessages, replySubtext, startStack, waitForSettledReply } from './harness.js';
import { waitFor } from '../gateway/helpers.js';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

function prose(chars: number): string {
  const parts: string[] = [];
  for (let i = 0; parts.join('\n\n').length < chars; i++) parts.push(`Paragraph ${i}: ${'The quick brown fox jumps over the lazy dog. '.repeat(5).trim()}`);
  return parts.join('\n\n').slice(0, chars).trimEnd();
}

/** Waits until the reply's last message carries `count` files, then for it to settle. */
async function settledWithFiles(discord: FakeDiscord, token: string, count: number): Promise<RecordedMessage[]> {
  await waitFor(() => (replyMessages(discord, token).at(-1)?.attachments.length ?? 0) >= count || undefined, 15_000, `${count} file(s) on the reply`);
  return waitForSettledReply(discord, token, undefined, 15_000);
}

describe('files out', () => {
  it('ends a 20,000-character answer as one message plus answer.md holding exactly the answer', async () => {
    const { discord, gateway } = await startStack({ gateway: 'openclaw-v4' });
    const answer = prose(20_000);
    gateway.setReplyScript(() => ({ tokens: answer.match(/[\s\S]{1,400}/g)!, tokenDelayMs: 80 }));
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'write a lot' } });
    // While it streams, it is spread over messages as always.
    await waitFor(() => replyMessages(discord, token).length >= 5 || undefined, 15_000, 'the stream to take 5 messages');
    const messages = await settledWithFiles(discord, token, 1);
    expect(messages).toHaveLength(1);
    const [message] = messages;
    expect(message!.attachments.map((a) => a.filename)).toEqual(['answer.md']);
    expect(discord.attachmentBytes(message!.attachments[0]!.id)!.toString('utf8')).toBe(answer);
    expect(message!.attachments[0]!.sha256).toBe(sha256(answer));
    expect(replySubtext(messages)[0]).toBe(`📄 The whole answer (${answer.length.toLocaleString('en-US')} characters) is attached as \`answer.md\`.`);
    expect(answer.startsWith(message!.content.split('\n-# ')[0]!)).toBe(true);
    // The messages the stream created past the first are gone.
    const others = discord.messages(message!.channelId).filter((m) => m.byBot && m.id !== message!.id && m.createdAt >= message!.createdAt);
    expect(others.length).toBeGreaterThanOrEqual(4);
    expect(others.every((m) => m.deleted)).toBe(true);
  });

  it('attaches a 100-line code block as a file named by its language, and keeps it in the text', async () => {
    const { discord, gateway } = await startStack({ gateway: 'openclaw-v4' });
    const body = Array.from({ length: 100 }, (_, i) => `print(${i})`).join('\n');
    const answer = `Here is the script:\n\n\`\`\`python\n${body}\n\`\`\`\n\nRun it with python3.`;
    gateway.setReplyScript(() => ({ tokens: answer.match(/[\s\S]{1,200}/g)! }));
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'a script' } });
    const messages = await settledWithFiles(discord, token, 1);
    const last = messages.at(-1)!;
    expect(last.attachments.map((a) => a.filename)).toEqual(['snippet-1.py']);
    expect(discord.attachmentBytes(last.attachments[0]!.id)!.toString()).toBe(`${body}\n`);
    expect(messages.map((m) => m.content).join('\n')).toContain('print(99)');
  });

  it('on 2026.9 attaches a file the agent names in a MEDIA: line, with the same bytes', async () => {
    const { discord, gateway } = await startStack({ gateway: 'openclaw-v4' });
    gateway.setReplyScript(() => ({ tokens: wordTokens('Here is the chart.\nMEDIA:./out.png'), files: { './out.png': PNG } }));
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'draw a chart' } });
    const messages = await settledWithFiles(discord, token, 1);
    expect(messages).toHaveLength(1);
    const [file] = messages[0]!.attachments;
    expect(file!.filename).toBe('out.png');
    expect(file!.sha256).toBe(sha256(PNG));
    expect(messages[0]!.content.startsWith('Here is the chart.')).toBe(true);
    expect(messages[0]!.content).not.toContain('MEDIA:');
  });

  it('on 2026.9 shows a reply that is only a media line as its file, not "(no text)"', async () => {
    const { discord, gateway } = await startStack({ gateway: 'openclaw-v4' });
    gateway.setReplyScript(() => ({ tokens: ['MEDIA:./out.png'], files: { './out.png': PNG } }));
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'just the picture' } });
    const messages = await settledWithFiles(discord, token, 1);
    expect(messages[0]!.attachments[0]!.sha256).toBe(sha256(PNG));
    expect(messages[0]!.content).not.toContain('(no text)');
    expect(messages[0]!.versions.some((v) => v.content.includes('(no text)'))).toBe(false);
  });

  it('on 2026.2 names the file the agent made and says the gateway cannot hand it over', async () => {
    const { discord, gateway } = await startStack({ gateway: 'openclaw-v3' });
    gateway.setReplyScript(() => ({ tokens: wordTokens('Here is the chart.\nMEDIA:./out.png'), files: { './out.png': PNG } }));
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'draw a chart' } });
    await waitFor(() => replySubtext(replyMessages(discord, token)).some((line) => line.startsWith('📎 The agent made')) || undefined, 15_000, 'the line naming the file');
    const messages = await waitForSettledReply(discord, token);
    expect(replySubtext(messages)).toContain('📎 The agent made `out.png`; OpenClaw 2026.2 cannot hand files over.');
    expect(messages.flatMap((m) => m.attachments)).toEqual([]);
  });

  it('names a file over the upload limit with its size instead of attaching it', async () => {
    const { discord, gateway } = await startStack({ gateway: 'openclaw-v4', config: { attachments: { uploadMaxBytes: 4096 } } });
    const big = Buffer.concat([PNG, Buffer.alloc(10_000, 7)]);
    gateway.setReplyScript(() => ({ tokens: wordTokens('Here is a big one.\nMEDIA:./big.png\nMEDIA:./small.png'), files: { './big.png': big, './small.png': PNG } }));
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'two pictures' } });
    const messages = await settledWithFiles(discord, token, 1);
    expect(messages.flatMap((m) => m.attachments).map((a) => a.filename)).toEqual(['small.png']);
    expect(replySubtext(messages)).toContain(`📎 \`big.png\` (${(big.length / 1024).toFixed(1)} KB) is over Discord's 4.0 KB limit.`);
  });
});
