import { describe, expect, it } from 'vitest';
import { PUBLIC_FAILURE_NOTE } from '../../src/discord/errors.js';
import { withoutExtras } from '../../src/discord/render/reply.js';
import { BusyError } from '../../src/relay/errors.js';
import type { FakeDiscord } from '../fakes/discord/index.js';
import type { RecordedMessage } from '../fakes/discord/types.js';
import { wordTokens } from '../fakes/gateway/state.js';
import { waitFor } from '../gateway/helpers.js';
import { isLive, startStack, waitForSettledReply } from './harness.js';

const MAX_QUEUE = 3;
const BUSY = new BusyError(MAX_QUEUE).message;
const EPHEMERAL = 64;
const members = Array.from({ length: 20 }, (_, i) => ({ id: `2000000000000001${String(i).padStart(2, '0')}`, username: `member${i}`, globalName: `Member ${i}` }));

/** The queue positions a reply showed, in order, each once. */
function positionsShown(message: RecordedMessage): number[] {
  const shown: number[] = [];
  for (const version of message.versions) {
    const position = /^⏳ Queued: position (\d+) /.exec(version.content)?.[1];
    if (position !== undefined && Number(position) !== shown.at(-1)) shown.push(Number(position));
  }
  return shown;
}

/** The reply to an /ask once its answer is final (a short answer: one message). */
function answered(discord: FakeDiscord, token: string): Promise<RecordedMessage> {
  return waitFor(() => {
    const reply = discord.interaction(token)?.original;
    return reply && !isLive(reply) && reply.content.startsWith('answer to') ? reply : undefined;
  }, 30_000, 'the answer');
}

/** Nothing anyone can read in the channel, in any version of any message, is a refusal. */
function expectNoPublicRefusal(discord: FakeDiscord, channelId: string): void {
  for (const message of discord.messages(channelId).filter((m) => m.byBot && !m.ephemeral)) {
    for (const version of message.versions) {
      expect(version.content).not.toContain(BUSY);
      expect(version.content).not.toContain(PUBLIC_FAILURE_NOTE);
    }
  }
}

/**
 * The replies that got a place, by the order their prompts ran: the first ran at once, each of the others showed
 * its place in the queue, moving up one at a time to 1 as the answers before it ended.
 */
function expectPlacesInOrder(replies: Array<{ prompt: string; message: RecordedMessage }>, ran: string[]): void {
  const byRun = [...replies].sort((a, b) => ran.indexOf(a.prompt) - ran.indexOf(b.prompt));
  expect(byRun.map((r) => ran.indexOf(r.prompt))).toEqual([0, 1, 2, 3]);
  expect(byRun.map((r) => positionsShown(r.message))).toEqual([[], [1], [2, 1], [3, 2, 1]]);
}

describe('a burst of prompts in one channel', () => {
  it(`20 /ask at once with relay.maxQueue ${MAX_QUEUE}: 1 runs, ${MAX_QUEUE} queue and move up, 16 are refused privately`, async () => {
    const { discord, gateway } = await startStack({ gateway: 'openclaw-v4', config: { relay: { minEditIntervalMs: 250, maxQueue: MAX_QUEUE } } });
    // Each answer takes about a second, so that every place in the queue is on screen for a while.
    gateway.setReplyScript(({ message }) => ({ tokens: wordTokens(`answer to ${message}`), tokenDelayMs: 150 }));
    const channelId = discord.channelId('general');
    const sent = members.map((user, i) => ({ prompt: `question ${i}`, ...discord.sendChatInput({ name: 'ask', options: { prompt: `question ${i}` }, user }) }));
    await waitFor(() => sent.every((s) => discord.interaction(s.token)?.ackType != null), 10_000, 'every /ask to be answered or deferred');

    const refused = sent.filter((s) => discord.interaction(s.token)!.ackType === 4);
    const deferred = sent.filter((s) => discord.interaction(s.token)!.ackType === 5);
    expect(refused).toHaveLength(16);
    expect(deferred).toHaveLength(1 + MAX_QUEUE);
    for (const { token } of refused) {
      const view = discord.interaction(token)!;
      expect(view.callbacks).toHaveLength(1);
      const data = view.callbacks[0]!.data as { content: string; flags?: number };
      expect(((data.flags ?? 0) & EPHEMERAL) !== 0).toBe(true);
      expect(data.content).toBe(`❌ ${BUSY}`);
      expect(view.followUps).toEqual([]);
    }

    const replies = await Promise.all(deferred.map(async ({ token, prompt }) => ({ prompt, message: await answered(discord, token) })));
    for (const { prompt, message } of replies) {
      const member = members[Number(prompt.split(' ')[1])]!;
      expect(withoutExtras(message.content)).toBe(`answer to [${member.globalName} (${member.id})] ${prompt}`);
    }
    for (const { token } of deferred) expect(discord.interaction(token)!.followUps).toEqual([]);
    // Four public replies in the channel, one per prompt that got a place, and nothing else; the rest only their askers saw.
    const bots = discord.messages(channelId).filter((m) => m.byBot);
    expect(bots.filter((m) => !m.ephemeral).map((m) => m.id).sort()).toEqual(replies.map((r) => r.message.id).sort());
    expect(bots.filter((m) => m.ephemeral).map((m) => m.content)).toEqual(refused.map(() => `❌ ${BUSY}`));
    const ran = [...gateway.state.sessions.values()][0]!.messages.filter((m) => m.role === 'user').map((m) => m.content.replace(/^\[[^\]]*\] /, ''));
    expect(ran).toHaveLength(1 + MAX_QUEUE);
    expectPlacesInOrder(replies, ran);
    expectNoPublicRefusal(discord, channelId);
  }, 60_000);

  it(`20 mentions at once in a thread: 1 runs, ${MAX_QUEUE} queue and move up, 16 are told the thread is busy, pinging nobody`, async () => {
    // The card cannot steer, so every follow-up queues for its own turn. The four replies share the thread's
    // channel bucket (5 writes per 5 s), so each run takes seconds and every place in the queue gets on screen.
    const { discord, gateway } = await startStack({ gateway: 'card', config: { relay: { minEditIntervalMs: 250, maxQueue: MAX_QUEUE } } });
    gateway.setReplyScript(({ message }) => ({ tokens: wordTokens(`answer to ${message}`), tokenDelayMs: 50 }));
    const start = discord.sendChatInput({ name: 'ask', options: { prompt: 'start', thread: true } });
    const [first] = await waitForSettledReply(discord, start.token, undefined, 10_000);
    const threadId = await waitFor(() => discord.message(first!.id)?.threadId ?? undefined, 5_000, 'a thread');

    const sent = members.map((author, i) => ({ prompt: `question ${i}`, message: discord.sendUserMessage({ channelId: threadId, content: `question ${i}`, author, mentionsBot: true }) }));
    const answerTo = (id: string) => discord.messages(threadId).find((m) => m.byBot && m.replyTo === id);
    await waitFor(() => sent.every((s) => answerTo(s.message.id)), 10_000, 'every mention to be answered');
    const refused = sent.filter((s) => answerTo(s.message.id)!.content === `❌ ${BUSY}`);
    expect(refused).toHaveLength(16);
    for (const { message } of refused) expect(answerTo(message.id)!.versions.map((v) => v.pinged)).toEqual([{ everyone: false, users: [], roles: [] }]);

    const placed = sent.filter((s) => !refused.includes(s));
    const replies = await Promise.all(
      placed.map(async ({ prompt, message }) => ({
        prompt,
        message: await waitFor(() => {
          const reply = answerTo(message.id)!;
          return !isLive(reply) && reply.content.startsWith('answer to') ? reply : undefined;
        }, 30_000, 'the answer'),
      })),
    );
    // The thread's session: the prompt that started it, then the four that got a place.
    const ran = gateway.state.session(`main:clawcord:${threadId}`)!.messages.filter((m) => m.role === 'user').map((m) => m.content.replace(/^\[[^\]]*\] /, '')).filter((m) => m.startsWith('question'));
    expect(ran).toHaveLength(1 + MAX_QUEUE);
    expectPlacesInOrder(replies, ran);
  }, 60_000);

  it('a place whose /ask could not defer goes back at once: the next /ask gets it', async () => {
    const { discord, gateway } = await startStack({ gateway: 'openclaw-v4', config: { relay: { minEditIntervalMs: 250, maxQueue: 0 } } });
    gateway.setReplyScript(({ message }) => ({ tokens: wordTokens(`answer to ${message}`), tokenDelayMs: 20 }));
    const lost = discord.override({ match: (r) => r.method === 'POST' && r.path.includes('/callback') && (r.body as { type?: number }).type === 5, status: 404, body: { code: 10062, message: 'Unknown interaction' } });
    const first = discord.sendChatInput({ name: 'ask', options: { prompt: 'lost' }, user: members[0] });
    await waitFor(() => lost.hits > 0, 5_000, 'the deferral to fail');
    await waitFor(() => discord.interaction(first.token)?.callbacks.some((c) => c.status > 0 && c.status < 300), 5_000, 'the private error');
    // Well within the place's own time limit: only its release can let this one in.
    const second = discord.sendChatInput({ name: 'ask', options: { prompt: 'next' }, user: members[1] });
    expect(await waitFor(() => discord.interaction(second.token)?.ackType, 5_000, 'the second /ask to be answered')).toBe(5);
    const reply = await answered(discord, second.token);
    expect(withoutExtras(reply.content)).toBe(`answer to [${members[1]!.globalName} (${members[1]!.id})] next`);
    expect(discord.interaction(second.token)!.followUps).toEqual([]);
    expectNoPublicRefusal(discord, discord.channelId('general'));
  });
});
