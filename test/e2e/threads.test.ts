import { describe, expect, it } from 'vitest';
import { withoutExtras } from '../../src/discord/render/reply.js';
import { wordTokens } from '../fakes/gateway/state.js';
import { waitFor } from '../gateway/helpers.js';
import { isLive, startStack, waitForSettledReply } from './harness.js';

const ADMIN = { permissions: String(1n << 5n) };

describe('threads', () => {
  it('/ask thread:true starts a thread on the reply with its own session; a mention continues it there', async () => {
    const { discord, gateway, app } = await startStack({ gateway: 'openclaw-v4' });
    gateway.setReplyScript(({ message }) => ({ tokens: wordTokens(`Re: ${message}`), tokenDelayMs: 5 }));
    // The channel uses agent cody; the thread inherits it.
    await discord.sendChatInput({ name: 'agent', options: { agent: 'cody' }, member: ADMIN });
    await waitFor(() => app.store.mapping(discord.channelId('general')).then((m) => m?.agentId === 'cody'), 5_000);
    const prompt = `Plan the release of version two, with every step spelled out in detail and checked twice ${'x'.repeat(80)}`;
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt, thread: true } });
    const [reply] = await waitForSettledReply(discord, token);
    expect(withoutExtras(reply!.content)).toBe(`Re: [Tester (${discord.defaultUserId})] ${prompt}`);
    const threadId = await waitFor(() => discord.message(reply!.id)?.threadId ?? undefined, 5_000, 'a thread');
    const threadCreate = discord.requests.find((r) => r.route?.startsWith('POST /channels/:channel/messages/:message/threads'))!;
    expect((threadCreate.body as { name: string }).name).toHaveLength(100);
    expect((threadCreate.body as { name: string }).name.endsWith('…')).toBe(true);

    const threadKey = `agent:cody:clawcord:${threadId}`;
    expect(gateway.state.session(threadKey)?.messages.map((m) => m.content)).toEqual([`[Tester (${discord.defaultUserId})] ${prompt}`, `Re: [Tester (${discord.defaultUserId})] ${prompt}`]);

    // A mention in the thread continues the same session, answered in the thread as a reply.
    const question = discord.sendUserMessage({ channelId: threadId, content: 'and the rollback plan?', mentionsBot: true });
    const answer = await waitFor(() => discord.messages(threadId).find((m) => m.byBot && m.replyTo === question.id && !isLive(m) && m.content.startsWith('Re:')), 5_000, 'the answer in the thread');
    expect(withoutExtras(answer.content)).toBe(`Re: [Tester (${discord.defaultUserId})] and the rollback plan?`);
    expect(gateway.state.session(threadKey)?.messages).toHaveLength(4);

    // Without a mention nothing happens (followUpWithoutMention is off), and bots are ignored.
    discord.sendUserMessage({ channelId: threadId, content: 'just chatting' });
    discord.sendUserMessage({ channelId: threadId, content: 'beep', author: { id: '400000000000000001', username: 'otherbot', bot: true }, mentionsBot: true });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(gateway.state.session(threadKey)?.messages).toHaveLength(4);

    // A thread nobody mapped is not the bot's business, even with a mention.
    const stranger = discord.sendUserMessage({ channelId: discord.channelId('random'), content: 'hello?', mentionsBot: true });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(discord.messages(discord.channelId('random')).filter((m) => m.byBot && m.replyTo === stranger.id)).toEqual([]);
  });

  it('with threads.followUpWithoutMention, any message from a person in a bot-owned thread continues it', async () => {
    const { discord, gateway } = await startStack({ gateway: 'card', config: { relay: { minEditIntervalMs: 250 }, threads: { followUpWithoutMention: true } } });
    gateway.setReplyScript(({ message }) => ({ tokens: wordTokens(`Re: ${message}`), tokenDelayMs: 5 }));
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'start here', thread: true } });
    const [reply] = await waitForSettledReply(discord, token);
    const threadId = await waitFor(() => discord.message(reply!.id)?.threadId ?? undefined, 5_000, 'a thread');
    const message = discord.sendUserMessage({ channelId: threadId, content: 'no mention needed' });
    const answer = await waitFor(() => discord.messages(threadId).find((m) => m.byBot && m.replyTo === message.id && m.content.startsWith('Re:') && !isLive(m)), 5_000, 'the answer');
    expect(withoutExtras(answer.content)).toBe(`Re: [Tester (${discord.defaultUserId})] no mention needed`);
    expect(gateway.state.session(`main:clawcord:${threadId}`)).toBeDefined();
  });
});

describe('access', () => {
  it('refuses with an ephemeral reply that names what is missing', async () => {
    const { discord } = await startStack({
      gateway: 'openclaw-v4',
      config: { relay: { minEditIntervalMs: 250 }, access: { roles: ['500000000000000001'] } },
    });
    const refused = discord.sendChatInput({ name: 'ask', options: { prompt: 'hi' } });
    await waitFor(() => discord.interaction(refused.token)?.callbacks.length, 5_000);
    const data = discord.interaction(refused.token)!.callbacks[0]!.data as { content: string; flags: number };
    expect(data.content).toBe('🚫 You need one of these roles: <@&500000000000000001> to use clawcord.');
    expect(data.flags & 64).toBe(64);
    const allowed = discord.sendChatInput({ name: 'ask', options: { prompt: 'hi' }, member: { roles: ['500000000000000001'] } });
    await waitForSettledReply(discord, allowed.token);
    const dm = discord.sendChatInput({ name: 'status', dm: true });
    await waitFor(() => discord.interaction(dm.token)?.callbacks.length, 5_000);
    expect((discord.interaction(dm.token)!.callbacks[0]!.data as { content: string }).content).toContain('DMs');
  });
});
