// A final sent below: the renderer's mention line and stub, the writer's channel-only creates (a reply, a nonce a
// restart repeats, the asker the only one pinged), and the order the reply writes in.
import { REST } from 'discord.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_MESSAGE_LENGTH, renderReply, shownText } from '../../src/discord/render/reply.js';
import { DiscordReplyWriter } from '../../src/discord/writer.js';
import { silentLogger } from '../../src/log.js';
import { RateBudget } from '../../src/relay/budget.js';
import { LiveReply, WriteError, type ReplyWriter, type WriteRoute } from '../../src/relay/live-reply.js';
import { Pacer } from '../../src/relay/pacer.js';
import type { RenderedMessage } from '../../src/relay/phase.js';
import type { FinalBelow, ReplyLocation } from '../../src/store/store.js';
import { startFakeDiscord, type FakeDiscord } from '../fakes/discord/index.js';

const ASKER = '200000000000000001';

describe('renderReply: a final below', () => {
  it('mentions the asker on its first message only, within 2000 characters, and draws the stub', () => {
    const text = 'word '.repeat(900).trim();
    const messages = renderReply(text, { kind: 'final' }, { mention: ASKER });
    expect(messages.length).toBeGreaterThan(1);
    expect(messages[0]!.content.startsWith(`<@${ASKER}>\n`)).toBe(true);
    expect(messages[0]!.mention).toBe(ASKER);
    expect(messages.slice(1).every((m) => m.mention === undefined && !m.content.includes('<@'))).toBe(true);
    expect(messages.every((m) => m.content.length <= MAX_MESSAGE_LENGTH)).toBe(true);
    expect(shownText(messages.map((m) => m.content), { below: true })).toBe(text);
    // Live, or with an id that is no member's, nothing is mentioned.
    expect(renderReply('hi', { kind: 'streaming' }, { mention: ASKER })[0]!.content).toBe('hi ▌');
    expect(renderReply('hi', { kind: 'final' }, { mention: '@everyone' })).toEqual([{ content: 'hi', live: false }]);
    expect(renderReply('anything', { kind: 'final' }, { below: { link: 'https://discord.com/channels/1/2/3' } })).toEqual([
      { content: '⏬ Answered below: https://discord.com/channels/1/2/3', live: false },
    ]);
    expect(shownText(['⏬ Answered below: https://discord.com/channels/1/2/3'])).toBe('');
  });
});

describe('DiscordReplyWriter: a final below', () => {
  let fake: FakeDiscord;
  let rest: REST;
  beforeEach(async () => {
    fake = await startFakeDiscord({ rateLimits: false, warnUnmatched: false });
    rest = new REST({ api: fake.restBase, timeout: 2_000, retries: 0 }).setToken(fake.token);
  });
  afterEach(async () => {
    expect(fake.takeSpecViolations().map((v) => `${v.route} ${v.part} ${v.pointer}: ${v.message}`)).toEqual([]);
    await fake.close();
  });
  const writerAt = (location: ReplyLocation) => new DiscordReplyWriter({ rest, location });

  it('creates it by the channel route as a reply to the first message, pinging only the asker, once across writers', async () => {
    const channelId = fake.channelId('general');
    const writer = writerAt({ channelId, messageIds: [], interaction: null, overflowChannelId: null });
    expect(writer.placeFinalBelow({ askerId: ASKER, guildId: fake.guildId })).toBeUndefined();
    await writer.write(0, { content: 'streamed ▌', live: true }, writer.routes(0)[0]!);
    const changes = vi.fn();
    writer.onLocationChange = changes;
    const below = writer.placeFinalBelow({ askerId: ASKER, guildId: fake.guildId });
    expect(below).toEqual({ from: 1, askerId: ASKER, guildId: fake.guildId });
    expect(changes).toHaveBeenCalledTimes(1);
    expect(writer.location().finalBelow).toEqual(below);
    expect(writer.placeFinalBelow({ askerId: '200000000000000009', guildId: null })).toEqual(below);
    expect(writer.routes(1).map((r) => r.name)).toEqual(['channel']);

    const first: RenderedMessage = { content: `<@${ASKER}>\nthe answer, <@200000000000000002> and @everyone`, live: false, mention: ASKER };
    await writer.write(1, first, writer.routes(1)[0]!);
    const [liveId, finalId] = writer.location().messageIds;
    const created = fake.message(finalId!)!;
    expect(created.replyTo).toBe(liveId);
    expect(created.versions[0]!.pinged).toEqual({ users: [ASKER], roles: [], everyone: false });
    expect(writer.messageLink(1)).toBe(`https://discord.com/channels/${fake.guildId}/${channelId}/${finalId}`);

    // A writer after a restart, from a location that lost the new message's id, creates it with the same nonce:
    // Discord answers with the message it made, and makes no second one.
    const again = writerAt({ ...writer.location(), messageIds: [liveId!] });
    await again.write(1, first, again.routes(1)[0]!);
    expect(again.location().messageIds).toEqual([liveId, finalId]);
    expect(fake.messages(channelId).filter((m) => m.replyTo === liveId)).toHaveLength(1);
    const nonces = fake.requests.filter((r) => r.route === 'POST /channels/:channel/messages').map((r) => (r.body as { nonce: string }).nonce);
    expect(nonces).toHaveLength(3);
    expect(nonces[2]).toBe(nonces[1]);
    expect(nonces[1]!.length).toBeLessThanOrEqual(25);
    expect(await again.shownText()).toBe('the answer, <@200000000000000002> and @everyone');
  });
});

describe('LiveReply: a final below', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A writer that records each write as `create|edit|remove index: content`, placing the final after its messages. */
  function fakeWriter(start: { ids?: number; below?: FinalBelow; refuse?: number } = {}) {
    const log: string[] = [];
    let count = start.ids ?? 0;
    let below = start.below;
    const route: WriteRoute = { name: 'channel', keys: ['channel'] };
    const writer: ReplyWriter = {
      routes: () => [route],
      async write(index, message) {
        if (index === start.refuse) throw new WriteError('Missing Permissions', 'gone');
        log.push(`${index < count ? 'edit' : 'create'} ${index}: ${message.content}`);
        count = Math.max(count, index + 1);
      },
      async remove(index) {
        log.push(`remove ${index}`);
      },
      placeFinalBelow: (asker) => (below ??= count === 0 ? undefined : { from: count, askerId: asker.askerId, guildId: asker.guildId }),
      finalBelow: () => below,
      messageLink: (index) => (index < count ? `link-${index}` : undefined),
    };
    return { writer, log };
  }

  it('creates the final below first, then shrinks the first message to the stub, then removes the others, last first', async () => {
    const pacer = new Pacer(new RateBudget(() => ({ limit: 50, windowMs: 1_000 })), { minIntervalMs: 1_000, logger: silentLogger });
    const { writer, log } = fakeWriter();
    const reply = new LiveReply(writer, renderReply, { kind: 'streaming' }, pacer.poke);
    reply.setText('word '.repeat(900).trim());
    await vi.advanceTimersByTimeAsync(5_000);
    expect(log.filter((l) => l.startsWith('create')).length).toBeGreaterThanOrEqual(2);
    log.length = 0;
    reply.notifyOnFinal({ askerId: ASKER, guildId: '1' });
    reply.setPhase({ kind: 'final' });
    await vi.advanceTimersByTimeAsync(5_000);
    await reply.whenSettled();
    const kinds = log.map((l) => l.split(':')[0]!);
    const creates = kinds.filter((k) => k.startsWith('create'));
    expect(creates.length).toBeGreaterThanOrEqual(2);
    expect(log[0]).toMatch(new RegExp(`^create 3: <@${ASKER}>\\nword`));
    expect(kinds.slice(creates.length)).toEqual(['edit 0', 'remove 2', 'remove 1']);
    expect(log[creates.length]).toBe('edit 0: ⏬ Answered below: link-3');
  });

  it('after a restart that recorded the final below, writes nothing while the run streams again, then finishes there', async () => {
    const pacer = new Pacer(new RateBudget(() => ({ limit: 50, windowMs: 1_000 })), { minIntervalMs: 1_000, logger: silentLogger });
    const { writer, log } = fakeWriter({ ids: 2, below: { from: 1, askerId: ASKER, guildId: '1' } });
    const reply = new LiveReply(writer, renderReply, { kind: 'streaming' }, pacer.poke);
    reply.setText('the whole answer');
    await vi.advanceTimersByTimeAsync(3_000);
    expect(log).toEqual([]);
    // No notifyOnFinal here: the recorded placement decides (a config changed meanwhile does not move it).
    reply.setPhase({ kind: 'final' });
    await vi.advanceTimersByTimeAsync(3_000);
    await reply.whenSettled();
    expect(log).toEqual([`edit 1: <@${ASKER}>\nthe whole answer`, 'edit 0: ⏬ Answered below: link-1']);
  });

  it('stays in place when the writer cannot place a final below, or nobody asked for it', async () => {
    const pacer = new Pacer(new RateBudget(() => ({ limit: 50, windowMs: 1_000 })), { minIntervalMs: 1_000, logger: silentLogger });
    const { writer, log } = fakeWriter();
    const reply = new LiveReply(writer, renderReply, { kind: 'streaming' }, pacer.poke);
    reply.setText('short');
    await vi.advanceTimersByTimeAsync(2_000);
    reply.setPhase({ kind: 'final' });
    await vi.advanceTimersByTimeAsync(2_000);
    await reply.whenSettled();
    expect(log).toEqual(['create 0: short ▌', 'edit 0: short']);
  });

  it('shows the final in place after all when its new message cannot be created', async () => {
    const pacer = new Pacer(new RateBudget(() => ({ limit: 50, windowMs: 1_000 })), { minIntervalMs: 1_000, logger: silentLogger });
    const { writer, log } = fakeWriter({ refuse: 1 });
    const reply = new LiveReply(writer, renderReply, { kind: 'streaming' }, pacer.poke);
    reply.setText('short');
    await vi.advanceTimersByTimeAsync(2_000);
    reply.notifyOnFinal({ askerId: ASKER, guildId: '1' });
    reply.setPhase({ kind: 'final' });
    await vi.advanceTimersByTimeAsync(2_000);
    await reply.whenSettled();
    expect(log).toEqual(['create 0: short ▌', 'edit 0: short']);
  });
});
