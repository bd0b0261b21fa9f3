// A final that tells people it is there: an answer that took longer than relay.notifyAfterMs ends as a new message
// that replies to the live one and notifies the asker only, and the live message shrinks to a stub linking to it;
// a short answer keeps editing in place. The final text is there exactly once, also across a restart between the two
// writes. Fake Discord (it records replyTo, allowed_mentions and who a message actually pinged) and fake gateways.
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { withoutExtras } from '../../src/discord/render/reply.js';
import type { FakeDiscord } from '../fakes/discord/index.js';
import type { RecordedMessage } from '../fakes/discord/types.js';
import { startFakeDiscord } from '../fakes/discord/index.js';
import { wordTokens } from '../fakes/gateway/state.js';
import { onCleanup, waitFor } from '../gateway/helpers.js';
import { isLive, replyMessages, replySubtext, replyText, startGateway, startStack } from './harness.js';
import { botEnvironment, spawnBot } from './process.js';

const ASKER = '200000000000000001';
const OTHER = '200000000000000002';
const asker = { id: ASKER, username: 'ada', globalName: 'Ada' };

/** The messages of the final sent below the reply to `token`: the one replying to the original, then what followed it. */
function finalBelow(discord: FakeDiscord, token: string): RecordedMessage[] {
  const original = discord.interaction(token)?.original;
  if (!original) return [];
  const bot = discord.messages(original.channelId).filter((m) => m.byBot && !m.ephemeral && m.id !== original.id);
  const first = bot.find((m) => m.replyTo === original.id);
  return first ? bot.filter((m) => !m.deleted && m.createdAt >= first.createdAt) : [];
}

/** Waits until the original is the stub and nothing changed for a moment; returns the original and the final below. */
async function settledBelow(discord: FakeDiscord, token: string, timeoutMs = 15_000) {
  let last = '';
  let since = Date.now();
  return waitFor(
    () => {
      const original = discord.interaction(token)?.original;
      const below = finalBelow(discord, token);
      const snapshot = JSON.stringify([original?.content, below.map((m) => [m.id, m.content, m.attachments.length])]);
      const ready = original?.content.startsWith('⏬') === true && below.length > 0 && !below.some(isLive);
      if (snapshot !== last || !ready) {
        last = snapshot;
        since = Date.now();
        return undefined;
      }
      return Date.now() - since >= 300 ? { original: original!, below } : undefined;
    },
    timeoutMs,
    'the final below and the stub',
  );
}

/** Every version of every message the bot wrote in the channel. */
function botVersions(discord: FakeDiscord, channelId: string) {
  return discord.messages(channelId).filter((m) => m.byBot).flatMap((m) => m.versions.map((v) => ({ id: m.id, ...v })));
}

function expectStub(original: RecordedMessage, discord: FakeDiscord, below: RecordedMessage) {
  expect(original.content).toBe(`⏬ Answered below: https://discord.com/channels/${discord.guildId}/${below.channelId}/${below.id}`);
  expect(isLive(original)).toBe(false);
}

describe('a final that notifies', () => {
  it('ends a slow answer as a new message replying to the live one, pinging only the asker; the live one is a stub', async () => {
    const { discord, gateway } = await startStack({ gateway: 'openclaw-v4', config: { relay: { minEditIntervalMs: 250, notifyAfterMs: 600 } } });
    discord.addUser(asker);
    // Model text that names others never pings them, nor everyone.
    const answer = `Done, @everyone and <@${OTHER}> and <@&300000000000000001> may read it. ${'slowly '.repeat(12).trim()}`;
    gateway.setReplyScript(() => ({ tokens: wordTokens(answer), tokenDelayMs: 60 }));
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'take your time' }, user: asker });
    await waitFor(() => replyMessages(discord, token)[0]?.content.startsWith('Done'), 5_000, 'streaming in place');
    const { original, below } = await settledBelow(discord, token);

    expect(below).toHaveLength(1);
    const [final] = below;
    expect(final!.replyTo).toBe(original.id);
    expect(final!.content.startsWith(`<@${ASKER}>\n`)).toBe(true);
    expect(withoutExtras(final!.content)).toBe(`<@${ASKER}>\n${answer}`);
    expect(replySubtext(below)[0]).toMatch(/^🤖 /);
    expect(final!.versions[0]!.allowedMentions).toEqual({ parse: [], users: [ASKER], replied_user: false });
    expectStub(original, discord, final!);

    // The only ping of the whole reply: the asker, once, by the final's creation.
    const pings = botVersions(discord, original.channelId).filter((v) => v.pinged.users.length > 0 || v.pinged.roles.length > 0 || v.pinged.everyone);
    expect(pings.map((v) => [v.id, v.kind, v.pinged])).toEqual([[final!.id, 'create', { users: [ASKER], roles: [], everyone: false }]]);
    // The answer is there once: the stub does not repeat it.
    const showing = discord.messages(original.channelId).filter((m) => m.byBot && !m.deleted && m.content.includes('slowly slowly'));
    expect(showing.map((m) => m.id)).toEqual([final!.id]);
  });

  it('keeps editing a fast answer in place, with no new message and no ping', async () => {
    const { discord, gateway } = await startStack({ gateway: 'openclaw-v4', config: { relay: { minEditIntervalMs: 250, notifyAfterMs: 20_000 } } });
    const answer = 'quick answer here';
    gateway.setReplyScript(() => ({ tokens: wordTokens(answer), tokenDelayMs: 20 }));
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'fast' }, user: asker });
    await waitFor(() => withoutExtras(replyMessages(discord, token)[0]?.content ?? '') === answer || undefined, 10_000, 'the final in place');
    await new Promise((resolve) => setTimeout(resolve, 400));
    const original = discord.interaction(token)!.original!;
    expect(withoutExtras(original.content)).toBe(answer);
    expect(finalBelow(discord, token)).toEqual([]);
    expect(botVersions(discord, original.channelId).every((v) => v.pinged.users.length === 0)).toBe(true);
  });

  it('with notifyAfterMs "off" edits in place however long it takes; 0 always sends below', async () => {
    const { discord, gateway } = await startStack({ gateway: 'card', config: { relay: { minEditIntervalMs: 250, notifyAfterMs: 'off' } } });
    gateway.setReplyScript(() => ({ tokens: wordTokens('patient '.repeat(10).trim()), tokenDelayMs: 80 }));
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'slow' }, user: asker });
    await waitFor(() => withoutExtras(replyMessages(discord, token)[0]?.content ?? '') === 'patient '.repeat(10).trim() || undefined, 10_000, 'the final in place');
    expect(finalBelow(discord, token)).toEqual([]);

    expect(configSchema.parse({ gateway: { url: 'ws://127.0.0.1:1' }, relay: { notifyAfterMs: 0 } }).relay.notifyAfterMs).toBe(0);
    expect(configSchema.parse({ gateway: { url: 'ws://127.0.0.1:1' } }).relay.notifyAfterMs).toBe(30_000);
    const bad = configSchema.safeParse({ gateway: { url: 'ws://127.0.0.1:1' }, relay: { notifyAfterMs: 'never' } });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual(['relay.notifyAfterMs: must be a number of milliseconds (0: always) or "off"']);
  });

  it('carries a long final over several new messages and removes the streamed ones but the stub', async () => {
    const { discord, gateway } = await startStack({ gateway: 'openclaw-v4', config: { relay: { minEditIntervalMs: 250, notifyAfterMs: 0, fileAfterMessages: 50 } } });
    const answer = Array.from({ length: 60 }, (_, i) => `Line ${i}: ${'the quick brown fox jumps over the lazy dog '.repeat(2).trim()}`).join('\n');
    gateway.setReplyScript(() => ({ tokens: answer.match(/[\s\S]{1,300}/g)!, tokenDelayMs: 40 }));
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'a lot' }, user: asker });
    await waitFor(() => replyMessages(discord, token).length >= 3 || undefined, 10_000, 'the stream to take 3 messages');
    const { original, below } = await settledBelow(discord, token);
    expect(below.length).toBeGreaterThanOrEqual(3);
    expect(below[0]!.content.startsWith(`<@${ASKER}>\n`)).toBe(true);
    expect(replyText(below)).toBe(answer);
    expect(below.every((m) => m.content.length <= 2000)).toBe(true);
    expect(below.slice(1).every((m) => m.replyTo === null && m.versions.every((v) => v.pinged.users.length === 0))).toBe(true);
    expectStub(original, discord, below[0]!);
    // What the stream created past the first message is gone.
    const streamed = discord.messages(original.channelId).filter((m) => m.byBot && m.id !== original.id && m.createdAt < below[0]!.createdAt);
    expect(streamed.length).toBeGreaterThanOrEqual(2);
    expect(streamed.every((m) => m.deleted)).toBe(true);
  });

  it('puts answer.md on the new message when the final is past relay.fileAfterMessages', async () => {
    const { discord, gateway } = await startStack({ gateway: 'openclaw-v4', config: { relay: { minEditIntervalMs: 250, notifyAfterMs: 0, fileAfterMessages: 1 } } });
    const answer = Array.from({ length: 50 }, (_, i) => `Paragraph ${i}: ${'lorem ipsum dolor sit amet '.repeat(3).trim()}`).join('\n\n');
    gateway.setReplyScript(() => ({ tokens: answer.match(/[\s\S]{1,400}/g)!, tokenDelayMs: 40 }));
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'a lot' }, user: asker });
    await waitFor(() => (finalBelow(discord, token)[0]?.attachments.length ?? 0) > 0 || undefined, 15_000, 'answer.md below');
    const { original, below } = await settledBelow(discord, token);
    expect(below).toHaveLength(1);
    expect(below[0]!.attachments.map((a) => a.filename)).toEqual(['answer.md']);
    expect(discord.attachmentBytes(below[0]!.attachments[0]!.id)!.toString('utf8')).toBe(answer);
    expectStub(original, discord, below[0]!);
  });
});

describe('a final below across a restart', () => {
  async function setup() {
    const gateway = await startGateway('openclaw-v4');
    const discord = await startFakeDiscord({ rateLimits: false });
    onCleanup(() => discord.close());
    return { gateway, discord, ...botEnvironment(gateway, discord, { relay: { minEditIntervalMs: 250, notifyAfterMs: 500 } }) };
  }

  /** The final's create (the only channel create replying to a message of the bot's). */
  const isFinalCreate = (r: { method: string; route: string | null; body: unknown }) =>
    r.method === 'POST' && r.route === 'POST /channels/:channel/messages' && (r.body as { message_reference?: unknown } | undefined)?.message_reference !== undefined;
  const isStubEdit = (r: { method: string; body: unknown }) => r.method === 'PATCH' && ((r.body as { content?: string } | undefined)?.content ?? '').startsWith('⏬');

  it('a bot killed after the new message, before the stub, finishes with the final there once', async () => {
    const { gateway, discord, env, secrets } = await setup();
    const answer = 'carefully '.repeat(15).trim();
    gateway.setReplyScript(() => ({ tokens: wordTokens(answer), tokenDelayMs: 60 }));
    discord.override({ match: isStubEdit, hang: true });
    const first = spawnBot(env, { secrets });
    await first.waitForLog(/clawcord is running/);
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'slowly' }, user: asker });
    await discord.waitForRequest((r) => isStubEdit(r), 15_000);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(finalBelow(discord, token)).toHaveLength(1);

    const second = spawnBot(env, { secrets });
    await second.waitForLog(/finished a reply left over from before the restart/, 15_000);
    const { original, below } = await settledBelow(discord, token);
    expect(below).toHaveLength(1);
    expect(withoutExtras(below[0]!.content)).toBe(`<@${ASKER}>\n${answer}`);
    expectStub(original, discord, below[0]!);
    expect(discord.messages(original.channelId).filter((m) => m.byBot && m.replyTo === original.id)).toHaveLength(1);
  });

  it('a bot killed when the new message was made but its answer lost creates none again', async () => {
    const { gateway, discord, env, secrets } = await setup();
    const answer = 'steadily '.repeat(15).trim();
    gateway.setReplyScript(() => ({ tokens: wordTokens(answer), tokenDelayMs: 60 }));
    // Discord makes the message and its answer never arrives; the create discord.js sends again never returns.
    discord.override({ match: isFinalCreate, drop: 'after-handling' });
    discord.override({ match: isFinalCreate, hang: true });
    const first = spawnBot(env, { secrets });
    await first.waitForLog(/clawcord is running/);
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'slowly' }, user: asker });
    await waitFor(() => discord.requests.filter(isFinalCreate).length >= 2 || undefined, 15_000, 'the final create sent twice');
    first.child.kill('SIGKILL');
    await first.exited;
    const original = discord.interaction(token)!.original!;
    expect(original.content.startsWith('⏬')).toBe(false);
    expect(finalBelow(discord, token)).toHaveLength(1);

    const second = spawnBot(env, { secrets });
    await second.waitForLog(/finished a reply left over from before the restart/, 15_000);
    const { below } = await settledBelow(discord, token);
    expect(below).toHaveLength(1);
    expect(withoutExtras(below[0]!.content)).toBe(`<@${ASKER}>\n${answer}`);
    expectStub(discord.interaction(token)!.original!, discord, below[0]!);
    expect(discord.messages(original.channelId).filter((m) => m.byBot && m.replyTo === original.id)).toHaveLength(1);
    const pinged = botVersions(discord, original.channelId).filter((v) => v.pinged.users.length > 0);
    expect(pinged).toHaveLength(1);
  });
});
