import { REST, Routes } from 'discord.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BucketMap, discordDefaultLimit, GLOBAL_KEY, observeRateLimits, routeOf } from '../../src/discord/buckets.js';
import { DiscordReplyWriter } from '../../src/discord/writer.js';
import { RateBudget } from '../../src/relay/budget.js';
import { startFakeDiscord, type FakeDiscord } from '../fakes/discord/index.js';

let fake: FakeDiscord;
let rest: REST;
let budget: RateBudget;
let buckets: BucketMap;

beforeEach(async () => {
  fake = await startFakeDiscord({ rateLimits: false, warnUnmatched: false });
  rest = new REST({ api: fake.restBase, timeout: 2_000, retries: 0 }).setToken(fake.token);
  budget = new RateBudget(discordDefaultLimit);
  buckets = new BucketMap();
  observeRateLimits(rest, budget, buckets);
});

afterEach(async () => {
  await fake.close();
});

/** An answer (200) whose headers say its bucket has `remaining` requests left for 5 s. */
const answer = (hash: string, remaining = 0) => ({
  status: 200,
  body: { id: '100000000000000001', channel_id: '100000000000000002', content: '' },
  headers: { 'x-ratelimit-bucket': hash, 'x-ratelimit-limit': '5', 'x-ratelimit-remaining': String(remaining), 'x-ratelimit-reset-after': '5' },
});

function writerKeys(channelId: string, messageIds: string[] = []): string[] {
  const writer = new DiscordReplyWriter({ rest, buckets, location: { channelId, messageIds, interaction: null, overflowChannelId: null } });
  return writer.routes(0)[0]!.keys.filter((key) => key !== GLOBAL_KEY) as string[];
}

describe('the rate-limit mirror', () => {
  it('names routes by method and template, with the channel or the webhook as major parameter', () => {
    expect(routeOf('get', '/channels/123456789012345678/messages/223456789012345678')).toEqual({ route: 'GET /channels/:channel/messages/:message', major: '123456789012345678' });
    expect(routeOf('POST', '/channels/123456789012345678/messages/223456789012345678/threads')?.route).toBe('POST /channels/:channel/messages/:message/threads');
    const webhook = routeOf('PATCH', '/webhooks/123456789012345678/secret-token/messages/@original');
    expect(webhook?.route).toBe('PATCH /webhooks/:app/:token/messages/:message');
    expect(webhook?.major).not.toContain('secret-token');
    expect(routeOf('POST', '/interactions/1/token/callback')).toBeUndefined();
  });

  it('a read or a thread creation that used up its own bucket does not hold back the reply\'s messages', async () => {
    const channelId = fake.channelId('general');
    const message = (await rest.post(Routes.channelMessages(channelId), { body: { content: 'the reply' } })) as { id: string };
    const createKeys = writerKeys(channelId);
    const editKeys = writerKeys(channelId, [message.id]);
    fake.override({ match: (r) => r.method === 'GET' && r.route === 'GET /channels/:channel/messages/:message', ...answer('read-bucket') });
    await rest.get(Routes.channelMessage(channelId, message.id));
    fake.override({ match: (r) => r.route === 'POST /channels/:channel/messages/:message/threads', ...answer('thread-bucket') });
    await rest.post(Routes.threads(channelId, message.id), { body: { name: 'a thread' } });
    expect(budget.waitMs(createKeys)).toBe(0);
    expect(budget.waitMs(editKeys)).toBe(0);

    // The message bucket itself is still honoured.
    fake.override({ match: (r) => r.route === 'POST /channels/:channel/messages', ...answer('create-bucket') });
    await rest.post(Routes.channelMessages(channelId), { body: { content: 'another' } });
    expect(budget.waitMs(writerKeys(channelId))).toBeGreaterThan(4_000);
  });

  it('keeps creates and edits together until Discord names their buckets, then follows the names', async () => {
    const channelId = fake.channelId('general');
    const message = (await rest.post(Routes.channelMessages(channelId), { body: { content: 'the reply' } })) as { id: string };
    expect(writerKeys(channelId)).toEqual(writerKeys(channelId, [message.id]));
    fake.override({ match: (r) => r.route === 'POST /channels/:channel/messages', ...answer('create-bucket', 4) });
    await rest.post(Routes.channelMessages(channelId), { body: { content: 'another' } });
    fake.override({ match: (r) => r.route === 'PATCH /channels/:channel/messages/:message', ...answer('edit-bucket') });
    await rest.patch(Routes.channelMessage(channelId, message.id), { body: { content: 'edited' } });
    expect(writerKeys(channelId)).not.toEqual(writerKeys(channelId, [message.id]));
    expect(budget.waitMs(writerKeys(channelId, [message.id]))).toBeGreaterThan(4_000);
    expect(budget.waitMs(writerKeys(channelId))).toBe(0);
  });
});
