// Review finding 21: discord.js sends a POST again when its answer is lost (retries: 3), so a channel message Discord
// created but never confirmed would appear twice, the first one left with its cursor and Stop button.
import { describe, expect, it } from 'vitest';
import { withoutExtras } from '../../src/discord/render/reply.js';
import { attributePrompt } from '../../src/relay/prompt.js';
import type { RecordedMessage, RequestRecord } from '../fakes/discord/types.js';
import { wordTokens } from '../fakes/gateway/state.js';
import { waitFor } from '../gateway/helpers.js';
import { isLive, replyMessages, replyText, startStack } from './harness.js';

const CREATE = 'POST /channels/:channel/messages';
const TEMPLATE = '[{user} ({userId})] {prompt}';

type Stack = Awaited<ReturnType<typeof startStack>>;

/** The next channel message create is handled (Discord creates the message) and its answer lost, once. */
function loseTheAnswerOfTheNextCreate(stack: Stack) {
  return stack.discord.override({ match: (r) => r.route === CREATE, drop: 'after-handling' });
}

/** Waits until the run has ended and the bot has sent nothing for half a second. */
async function settle(stack: Stack): Promise<void> {
  await waitFor(() => stack.gateway.state.activeRuns().length === 0, 20_000, 'the run to end');
  let seen = -1;
  let quietSince = Date.now();
  await waitFor(() => {
    const count = stack.discord.requests.length;
    if (count !== seen) {
      seen = count;
      quietSince = Date.now();
    }
    return Date.now() - quietSince >= 500;
  }, 20_000, 'the bot to go quiet');
}

function createsIn(stack: Stack, channelId: string): RequestRecord[] {
  return stack.discord.requests.filter((r) => r.route === CREATE && r.path === `/channels/${channelId}/messages`);
}

/** What the person sees of the bot in a channel or thread: its messages that are not deleted. */
function botMessagesIn(stack: Stack, channelId: string): RecordedMessage[] {
  return stack.discord.messages(channelId).filter((m) => m.byBot && !m.deleted);
}

function expectFinal(message: RecordedMessage): void {
  expect(message.content.endsWith('▌')).toBe(false);
  expect(isLive(message)).toBe(false);
  expect(message.components).toEqual([]);
}

/** The create whose answer was lost, then discord.js's retry of the same body. */
function expectOneRetriedCreate(creates: RequestRecord[]): void {
  expect(creates.map((r) => r.status)).toEqual([0, 200]);
  expect(creates[1]!.body).toEqual(creates[0]!.body);
}

async function askInThread(stack: Stack, prompt: string) {
  const { token } = stack.discord.sendChatInput({ name: 'ask', options: { prompt, thread: true } });
  const original = await waitFor(() => stack.discord.interaction(token)?.original, 5_000, 'the reply');
  const threadId = await waitFor(() => stack.discord.message(original.id)?.threadId ?? undefined, 5_000, 'a thread');
  return { token, threadId };
}

describe('a channel message whose answer Discord never delivered', () => {
  it('a mention in the bot\'s thread is answered by exactly one message, final and exact', async () => {
    const stack = await startStack({ gateway: 'openclaw-v4' });
    const { discord, gateway } = stack;
    gateway.setReplyScript(({ message }) => ({ tokens: wordTokens(`Re: ${message}`), tokenDelayMs: 10 }));
    const { threadId } = await askInThread(stack, 'start here');
    await settle(stack);
    const before = new Set(botMessagesIn(stack, threadId).map((m) => m.id));

    const lost = loseTheAnswerOfTheNextCreate(stack);
    const question = discord.sendUserMessage({ channelId: threadId, content: 'and the rollback plan?', mentionsBot: true });
    await settle(stack);

    expect(lost.hits).toBe(1);
    expectOneRetriedCreate(createsIn(stack, threadId));
    const answers = botMessagesIn(stack, threadId).filter((m) => !before.has(m.id));
    expect(answers.map((m) => withoutExtras(m.content))).toEqual([`Re: ${attributePrompt(TEMPLATE, { id: discord.defaultUserId, name: 'Tester' }, 'and the rollback plan?')}`]);
    expect(answers[0]!.replyTo).toBe(question.id);
    expectFinal(answers[0]!);
  });

  it('a long /ask thread:true answer continues in its thread in exactly one message, and the whole text is exact', async () => {
    const stack = await startStack({ gateway: 'openclaw-v4' });
    // The first 2,100 characters at once, so the second message starts in the thread while the answer still streams.
    const head = 'word '.repeat(420);
    const tail = 'more '.repeat(60).trim();
    stack.gateway.setReplyScript(() => ({ tokens: [head, ...wordTokens(tail)], tokenDelayMs: 10 }));
    const lost = loseTheAnswerOfTheNextCreate(stack);
    const { token, threadId } = await askInThread(stack, 'a long one');
    await settle(stack);

    expect(lost.hits).toBe(1);
    expectOneRetriedCreate(createsIn(stack, threadId));
    const inThread = botMessagesIn(stack, threadId);
    expect(inThread).toHaveLength(1);
    const messages = replyMessages(stack.discord, token, threadId);
    expect(messages.map((m) => m.id)).toEqual([stack.discord.interaction(token)!.original!.id, inThread[0]!.id]);
    for (const message of messages) expectFinal(message);
    expect(replyText(messages)).toBe(head + tail);
  });
});
