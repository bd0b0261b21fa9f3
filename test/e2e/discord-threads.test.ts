import { describe, expect, it } from 'vitest';
import { withoutExtras } from '../../src/discord/render/reply.js';
import { attributePrompt } from '../../src/relay/prompt.js';
import { wordTokens } from '../fakes/gateway/state.js';
import { captureLogs, waitFor } from '../gateway/helpers.js';
import { formatViolation } from '../spec/validate.js';
import { isLive, replyMessages, replyText, startStack, waitForSettledReply } from './harness.js';

const MEMBER_ROLE = '500000000000000001';
const TEMPLATE = '[{user} ({userId})] {prompt}';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Stack = Awaited<ReturnType<typeof startStack>>;

/** /ask thread:true in #general; resolves with the thread, once the reply has settled. */
async function askInThread(stack: Stack, prompt: string, extra: Parameters<Stack['discord']['sendChatInput']>[0] extends infer O ? Partial<O> : never = {}) {
  const { token } = stack.discord.sendChatInput({ name: 'ask', options: { prompt, thread: true }, ...extra });
  const [reply] = await waitForSettledReply(stack.discord, token);
  const threadId = await waitFor(() => stack.discord.message(reply!.id)?.threadId ?? undefined, 5_000, 'a thread');
  return { token, reply: reply!, threadId };
}

describe('/ask thread:true on Discord as documented', () => {
  it('starts the thread on the message Discord names in response_message_id (a deferral has no resource)', async () => {
    const stack = await startStack({ gateway: 'openclaw-v4' });
    stack.gateway.setReplyScript(({ message }) => ({ tokens: wordTokens(`Re: ${message}`), tokenDelayMs: 5 }));
    const { reply, threadId } = await askInThread(stack, 'plan the release');
    // Discord gives a thread started from a message the message's id.
    expect(threadId).toBe(reply.id);
    expect(withoutExtras(reply.content)).toBe(`Re: ${attributePrompt(TEMPLATE, { id: stack.discord.defaultUserId, name: 'Tester' }, 'plan the release')}`);
    expect(stack.gateway.state.session(`agent:main:clawcord:${threadId}`)).toBeDefined();
    expect(stack.discord.specViolations().map(formatViolation)).toEqual([]);
  });

  it('refuses privately, at once, where the bot may not start threads', async () => {
    const { discord, gateway } = await startStack({ gateway: 'openclaw-v4' });
    const noThreads = ((1n << 10n) | (1n << 11n)).toString(); // View Channel and Send Messages only
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'in a thread please', thread: true }, appPermissions: noThreads });
    const view = await waitFor(() => discord.interaction(token)?.callbacks[0], 5_000, 'the refusal');
    expect(view.type).toBe(4);
    const data = view.data as { content: string; flags: number };
    expect(data.flags & 64).toBe(64);
    expect(data.content).toBe('I cannot start threads here: I need **Create Public Threads** and **Send Messages in Threads** in this channel. Ask without `thread:true`, or ask an admin to grant them.');
    expect(gateway.state.sessions.size).toBe(0);
  });
});

describe('messages in a thread the bot maps', () => {
  it('a refused person is never answered in public: silence without a mention, one 🚫 per thread with one', async () => {
    const stack = await startStack({
      gateway: 'card',
      discord: { guilds: [{ roles: [{ id: MEMBER_ROLE, name: 'members' }] }] },
      config: { access: { roles: [MEMBER_ROLE] }, threads: { followUpWithoutMention: true } },
    });
    const { discord, gateway } = stack;
    gateway.setReplyScript(({ message }) => ({ tokens: wordTokens(`Re: ${message}`), tokenDelayMs: 5 }));
    const { threadId } = await askInThread(stack, 'start here', { member: { roles: [MEMBER_ROLE] } });
    const botMessages = () => discord.messages(threadId).filter((m) => !m.deleted).length;
    const before = botMessages();
    const stranger = { id: '200000000000000009', username: 'mallory', globalName: 'Mallory' };
    const chatter = [1, 2, 3].map((n) => discord.sendUserMessage({ channelId: threadId, content: `just chatting ${n}`, author: stranger }));
    const first = discord.sendUserMessage({ channelId: threadId, content: 'answer me', author: stranger, mentionsBot: true });
    const second = discord.sendUserMessage({ channelId: threadId, content: 'answer me now', author: stranger, mentionsBot: true });
    await waitFor(() => discord.message(first.id)?.reactions['🚫'], 5_000, 'the 🚫');
    await sleep(300);
    expect(discord.message(first.id)!.reactions).toEqual({ '🚫': [discord.botUserId] });
    expect(discord.message(second.id)!.reactions).toEqual({});
    for (const message of chatter) expect(discord.message(message.id)!.reactions).toEqual({});
    expect(botMessages()).toBe(before);
    expect(gateway.state.session(`main:clawcord:${threadId}`)?.messages.map((m) => m.content).filter((c) => c.includes('Mallory'))).toEqual([]);
    expect(discord.specViolations().map(formatViolation)).toEqual([]);
  });

  it('a mention of the bot\'s managed role counts; when Discord withholds the text, the bot says how to reach it', async () => {
    const stack = await startStack({ gateway: 'openclaw-v4' });
    const { discord, gateway } = stack;
    gateway.setReplyScript(({ message }) => ({ tokens: wordTokens(`Re: ${message}`), tokenDelayMs: 5 }));
    const { threadId } = await askInThread(stack, 'start here');
    const question = discord.sendUserMessage({ channelId: threadId, content: 'what about the rollback?', mentionsBotRole: true });
    const hint = await waitFor(() => discord.messages(threadId).find((m) => m.byBot && m.replyTo === question.id), 5_000, 'the hint');
    expect(hint.content).toBe(`I could not read that message: mention me as <@${discord.botUserId}> (the bot, not its role) and I will answer.`);
    expect(hint.versions.at(-1)!.pinged).toEqual({ users: [], roles: [], everyone: false });
    expect(discord.specViolations().map(formatViolation)).toEqual([]);
  });

  it('with the Message Content intent, a role mention is answered like a mention of the bot', async () => {
    const stack = await startStack({ gateway: 'card', config: { threads: { followUpWithoutMention: true } } });
    const { discord, gateway } = stack;
    gateway.setReplyScript(({ message }) => ({ tokens: wordTokens(`Re: ${message}`), tokenDelayMs: 5 }));
    const { threadId } = await askInThread(stack, 'start here');
    const question = discord.sendUserMessage({ channelId: threadId, content: 'and the rollback?', mentionsBotRole: true });
    const answer = await waitFor(() => discord.messages(threadId).find((m) => m.byBot && m.replyTo === question.id && !isLive(m) && m.content.startsWith('Re:')), 5_000, 'the answer');
    expect(withoutExtras(answer.content)).toBe(`Re: ${attributePrompt(TEMPLATE, { id: discord.defaultUserId, name: 'Tester' }, 'and the rollback?')}`);
  });
});

describe('a reply whose thread changes under it', () => {
  // The first 2,100 characters at once (the second message starts in the thread), then a few seconds of streaming.
  const head = 'word '.repeat(420);
  const tail = 'more '.repeat(150).trim();
  const longAnswer = head + tail;

  async function streamIntoThread(stack: Stack) {
    stack.gateway.setReplyScript(() => ({ tokens: [head, ...wordTokens(tail)], tokenDelayMs: 20 }));
    const { token } = stack.discord.sendChatInput({ name: 'ask', options: { prompt: 'a long one', thread: true } });
    const original = await waitFor(() => stack.discord.interaction(token)?.original, 5_000, 'the reply');
    const threadId = await waitFor(() => stack.discord.message(original.id)?.threadId ?? undefined, 5_000, 'a thread');
    await waitFor(() => stack.discord.messages(threadId).find((m) => m.byBot && isLive(m)), 10_000, 'a live message in the thread');
    return { token, threadId };
  }

  it('reopens a thread that archived meanwhile and finishes the answer there', async () => {
    const stack = await startStack({ gateway: 'openclaw-v4' });
    const { token, threadId } = await streamIntoThread(stack);
    stack.discord.setThreadState(threadId, { archived: true });
    const messages = await waitForSettledReply(stack.discord, token, threadId, 20_000);
    expect(replyText(messages)).toBe(longAnswer);
    expect(messages.some(isLive)).toBe(false);
    const refused = stack.discord.requests.filter((r) => r.route === 'PATCH /channels/:channel/messages/:message' && r.status === 400);
    expect(refused.length).toBeGreaterThan(0);
    expect(stack.discord.requests.some((r) => r.method === 'PATCH' && r.path === `/channels/${threadId}` && r.status === 200)).toBe(true);
    expect(stack.discord.specViolations().map(formatViolation)).toEqual([]);
  });

  it('leaves a thread a moderator locked as it is; the message in the channel still ends without the cursor or the Stop button', async () => {
    const stack = await startStack({ gateway: 'openclaw-v4' });
    const { token, threadId } = await streamIntoThread(stack);
    stack.discord.setThreadState(threadId, { archived: true, locked: true });
    const original = await waitFor(() => {
      const message = replyMessages(stack.discord, token, threadId)[0];
      return message && !isLive(message) && !message.content.endsWith('▌') ? message : undefined;
    }, 20_000, 'the first message to settle');
    expect(original.components).toEqual([]);
    expect(longAnswer.startsWith(original.content.trim())).toBe(true);
    await waitFor(() => stack.gateway.state.activeRuns().length === 0, 10_000, 'the run to end');
    await sleep(500);
    expect(stack.discord.requests.some((r) => r.method === 'PATCH' && r.path === `/channels/${threadId}`)).toBe(false);
    expect(stack.discord.specViolations().map(formatViolation)).toEqual([]);
  });
});

describe('where the bot cannot see the channel', () => {
  it('answers through the interaction and tells the asker privately, after the reply has replaced "thinking…"', async () => {
    const stack = await startStack({ gateway: 'openclaw-v4', discord: { guilds: [{ channels: [{ name: 'hidden', botCanView: false }] }] } });
    const { discord, gateway } = stack;
    gateway.setReplyScript(() => ({ tokens: wordTokens('All good here.'), tokenDelayMs: 20 }));
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'hello' }, channelId: discord.channelId('hidden') });
    const [reply] = await waitForSettledReply(discord, token);
    expect(withoutExtras(reply!.content)).toBe('All good here.');
    const view = discord.interaction(token)!;
    const note = await waitFor(() => view.followUps.find((m) => m.ephemeral), 5_000, 'the private note');
    expect(note.content).toBe('⚠️ I lack **View Channel** here: an answer that runs past 15 minutes may stop updating. An admin can grant it.');
    // A note sent while the reply was Discord's "thinking…" would have become the reply itself.
    expect(reply!.versions.map((v) => v.content)).not.toContain(note.content);
    expect(note.createdAt).toBeGreaterThanOrEqual(reply!.versions[1]!.at);
    expect(discord.specViolations().map(formatViolation)).toEqual([]);
  });
});

describe('a failure while handling a message', () => {
  it('is logged once with its ids and ends nothing', async () => {
    const { lines, logger } = captureLogs();
    const stack = await startStack({ gateway: 'openclaw-v4', logger });
    const { discord, app } = stack;
    stack.gateway.setReplyScript(({ message }) => ({ tokens: wordTokens(`Re: ${message}`), tokenDelayMs: 5 }));
    const { threadId } = await askInThread(stack, 'start here');
    const findMapping = app.relay.findMapping.bind(app.relay);
    app.relay.findMapping = () => Promise.reject(new Error('SQLITE_BUSY: database is locked'));
    const message = discord.sendUserMessage({ channelId: threadId, content: 'still there?', mentionsBot: true });
    const logged = await waitFor(() => lines.find((l) => l['msg'] === 'handling a message failed'), 5_000, 'the log line');
    expect(logged).toMatchObject({ level: 50, channel: threadId, message: message.id, user: discord.defaultUserId, guild: discord.guildId });
    expect((logged['err'] as { message: string }).message).toContain('SQLITE_BUSY');
    // The bot carries on.
    app.relay.findMapping = findMapping;
    const again = discord.sendUserMessage({ channelId: threadId, content: 'and now?', mentionsBot: true });
    const answer = await waitFor(() => discord.messages(threadId).find((m) => m.byBot && m.replyTo === again.id && !isLive(m) && m.content.startsWith('Re:')), 5_000, 'the answer');
    expect(answer.content).toContain('and now?');
    expect(lines.filter((l) => l['msg'] === 'handling a message failed')).toHaveLength(1);
  });
});
