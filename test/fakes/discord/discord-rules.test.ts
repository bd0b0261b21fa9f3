// Rules of Discord's documentation the fake keeps, so that a bot which misreads them fails here as on Discord:
// callback answers as the spec documents them, one acknowledgement per interaction, 15-minute tokens, archived and
// locked threads, enforce_nonce on channel messages, channels the bot cannot see, the bot's managed role, and the spec
// check itself.
import { once } from 'node:events';
import { Client, DiscordAPIError, Events, GatewayIntentBits, Routes, type Message, type TextChannel } from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import { formatViolation } from '../../spec/validate.js';
import { startFakeDiscord, type FakeDiscord, type FakeDiscordOptions } from './index.js';
import { NONCE_WINDOW_MS } from './nonces.js';

const INTENTS = [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages];
const VIEW_CHANNEL = 1n << 10n;
/** View Channel, Send Messages, Send Messages in Threads. */
const SOME_PERMISSIONS = ((1n << 10n) | (1n << 11n) | (1n << 38n)).toString();

let fake: FakeDiscord | undefined;
let client: Client | undefined;

afterEach(async () => {
  await client?.destroy();
  client = undefined;
  const violations = fake?.specViolations() ?? [];
  await fake?.close();
  fake = undefined;
  expect(violations.map(formatViolation)).toEqual([]);
});

async function start(opts: FakeDiscordOptions = {}, intents: GatewayIntentBits[] = INTENTS): Promise<{ fake: FakeDiscord; client: Client }> {
  fake = await startFakeDiscord(opts);
  client = new Client({ intents, rest: { api: fake.restBase, timeout: 2000, retries: 0 } });
  const ready = once(client, Events.ClientReady);
  await client.login(fake.token);
  await ready;
  return { fake, client };
}

/** The interaction callback and webhook as a bot would call them, without discord.js in between. */
function rawApi(fake: FakeDiscord) {
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${fake.apiBase}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
  };
  return {
    callback: (sent: { id: string; token: string }, body: unknown, withResponse = true) =>
      call('POST', `/interactions/${sent.id}/${sent.token}/callback${withResponse ? '?with_response=true' : ''}`, body),
    editOriginal: (token: string, body: unknown) => call('PATCH', `/webhooks/${fake.applicationId}/${token}/messages/@original`, body),
    followUp: (token: string, body: unknown) => call('POST', `/webhooks/${fake.applicationId}/${token}?wait=true`, body),
  };
}

describe('interaction callbacks', () => {
  it('answer with_response as the spec documents each type: a message resource only for types 4 and 7', async () => {
    const { fake, client } = await start();
    const api = rawApi(fake);
    const channel = client.channels.cache.get(fake.channelId('general')) as TextChannel;

    const deferredAsk = fake.sendChatInput({ name: 'ask' });
    const deferred = await api.callback(deferredAsk, { type: 5, data: { flags: 64 } });
    const loading = fake.interaction(deferredAsk.token)!.original!;
    expect(deferred).toEqual({
      status: 200,
      body: { interaction: { id: deferredAsk.id, type: 2, response_message_id: loading.id, response_message_loading: true, response_message_ephemeral: true } },
    });

    const replied = fake.sendChatInput({ name: 'ask' });
    const reply = await api.callback(replied, { type: 4, data: { content: 'hi' } });
    expect(reply.body).toMatchObject({ interaction: { response_message_loading: false }, resource: { type: 4, message: { content: 'hi' } } });

    const modal = fake.sendChatInput({ name: 'form' });
    const form = { custom_id: 'f', title: 'Form', components: [{ type: 1, components: [{ type: 4, custom_id: 't', label: 'Text', style: 1 }] }] };
    expect(await api.callback(modal, { type: 9, data: form })).toEqual({ status: 200, body: { interaction: { id: modal.id, type: 2 } } });

    const posted = await channel.send({ content: 'pick', components: [{ type: 1, components: [{ type: 2, style: 1, label: 'Go', custom_id: 'go' }] }] });
    const quietClick = fake.clickButton({ messageId: posted.id, customId: 'go' });
    expect(await api.callback(quietClick, { type: 6 })).toEqual({ status: 200, body: { interaction: { id: quietClick.id, type: 3 } } });
    const updatingClick = fake.clickButton({ messageId: posted.id, customId: 'go' });
    const updated = await api.callback(updatingClick, { type: 7, data: { content: 'gone', components: [] } });
    expect(updated.body).toMatchObject({ interaction: { response_message_id: posted.id }, resource: { type: 7, message: { id: posted.id, content: 'gone' } } });

    const typed = fake.sendAutocomplete({ name: 'ask', focused: 'prompt', value: 'he' });
    await fake.waitFor(() => fake.interactions().find((i) => i.type === 4));
    const autocomplete = fake.interactions().find((i) => i.type === 4)!;
    expect(await api.callback(autocomplete, { type: 8, data: { choices: [{ name: 'hello', value: 'hello' }] } })).toEqual({
      status: 200,
      body: { interaction: { id: autocomplete.id, type: 4 } },
    });
    expect(await typed).toEqual([{ name: 'hello', value: 'hello' }]);
  });

  it('discord.js reads a deferral with_response without a message, and the message id from the interaction', async () => {
    const { fake, client } = await start();
    const seen = new Promise<{ resource: unknown; id: string | null }>((resolve) => {
      client.on(Events.InteractionCreate, async (i) => {
        if (!i.isChatInputCommand()) return;
        const res = await i.deferReply({ withResponse: true });
        resolve({ resource: res.resource, id: res.interaction.responseMessageId });
      });
    });
    const sent = fake.sendChatInput({ name: 'ask' });
    const { resource, id } = await seen;
    expect(resource).toBeNull();
    expect(id).toBe(fake.interaction(sent.token)!.original!.id);
  });

  it('a second acknowledgement answers 40060, however late it comes', async () => {
    const { fake } = await start();
    const api = rawApi(fake);
    const sent = fake.sendChatInput({ name: 'ask' });
    expect((await api.callback(sent, { type: 5 }, false)).status).toBe(204);
    expect(await api.callback(sent, { type: 4, data: { content: 'again' } })).toEqual({
      status: 400,
      body: { message: 'Interaction has already been acknowledged.', code: 40060 },
    });
    fake.advanceClock(10_000);
    expect((await api.callback(sent, { type: 5 })).body).toMatchObject({ code: 40060 });
    expect(fake.interaction(sent.token)!.callbacks.map((c) => c.errorCode)).toEqual([null, 40060, 40060]);
  });

  it('an interaction token stops working after 15 minutes on the fake clock; an ack after 3 s is 10062', async () => {
    const { fake } = await start();
    const api = rawApi(fake);
    const sent = fake.sendChatInput({ name: 'ask' });
    await api.callback(sent, { type: 5 }, false);
    fake.advanceClock(14 * 60_000);
    expect((await api.editOriginal(sent.token, { content: 'still in time' })).status).toBe(200);
    fake.advanceClock(60_000 + 1);
    expect(await api.editOriginal(sent.token, { content: 'too late' })).toEqual({ status: 401, body: { message: 'Invalid Webhook Token', code: 50027 } });
    expect((await api.followUp(sent.token, { content: 'too late' })).body).toMatchObject({ code: 50027 });

    const slow = fake.sendChatInput({ name: 'ask' });
    fake.advanceClock(3_001);
    expect(await api.callback(slow, { type: 5 })).toEqual({ status: 404, body: { message: 'Unknown interaction', code: 10062 } });
  });
});

describe('threads', () => {
  it('archived: editing answers 50083, posting unarchives; archived and locked: posting answers 160005', async () => {
    const { fake, client } = await start();
    const channel = client.channels.cache.get(fake.channelId('general')) as TextChannel;
    const thread = await channel.threads.create({ name: 'work', type: 11 });
    const first = await thread.send('first');

    fake.setThreadState(thread.id, { archived: true });
    const edit = await first.edit('changed').catch((err: unknown) => err);
    expect(edit).toBeInstanceOf(DiscordAPIError);
    expect((edit as DiscordAPIError).code).toBe(50083);
    expect(fake.message(first.id)!.content).toBe('first');

    await thread.send('wake up');
    expect(fake.message(first.id)).toBeDefined();
    await fake.waitFor(() => client.channels.cache.get(thread.id)?.isThread() && !(client.channels.cache.get(thread.id) as typeof thread).archived);

    fake.setThreadState(thread.id, { archived: true, locked: true });
    const locked = await thread.send('let me in').catch((err: unknown) => err);
    expect((locked as DiscordAPIError).code).toBe(160005);
    expect(fake.visibleMessages(thread.id).map((m) => m.content)).toEqual(['first', 'wake up']);
  });

  it('the interaction webhook keeps the same rules inside a thread', async () => {
    const { fake, client } = await start();
    const api = rawApi(fake);
    const channel = client.channels.cache.get(fake.channelId('general')) as TextChannel;
    const thread = await channel.threads.create({ name: 'work', type: 11 });
    const sent = fake.sendChatInput({ name: 'ask', channelId: thread.id });
    await api.callback(sent, { type: 4, data: { content: 'answer' } }, false);
    fake.setThreadState(thread.id, { archived: true });
    expect((await api.editOriginal(sent.token, { content: 'edited' })).body).toMatchObject({ code: 50083 });
    expect((await api.followUp(sent.token, { content: 'more' })).status).toBe(200);
    expect(fake.visibleMessages(thread.id).map((m) => m.content)).toEqual(['answer', 'more']);
    await fake.waitFor(() => !(client.channels.cache.get(thread.id) as typeof thread).archived);
  });
});

describe('message nonces', () => {
  it('enforce_nonce: a nonce the bot used in that channel within minutes answers that message and creates none', async () => {
    const { fake, client } = await start({ rateLimits: false });
    const general = fake.channelId('general');
    const random = fake.channelId('random');
    const echoed: string[] = [];
    client.on(Events.MessageCreate, (m) => echoed.push(m.content));
    const post = (channelId: string, body: Record<string, unknown>) => client.rest.post(Routes.channelMessages(channelId), { body }) as Promise<{ id: string; content: string; nonce?: string }>;

    const first = await post(general, { content: 'once', nonce: 'n-1', enforce_nonce: true });
    expect(first.nonce).toBe('n-1');
    const again = await post(general, { content: 'once, sent again', nonce: 'n-1', enforce_nonce: true });
    expect(again).toEqual(first);

    // Without enforce_nonce a nonce is only echoed; another channel is not the same place; the window passes.
    const unenforced = await post(general, { content: 'not enforced', nonce: 'n-1' });
    const elsewhere = await post(random, { content: 'elsewhere', nonce: 'n-2', enforce_nonce: true });
    const late = await post(general, { content: 'first of n-2 here', nonce: 'n-2', enforce_nonce: true });
    fake.advanceClock(NONCE_WINDOW_MS + 1);
    const expired = await post(general, { content: 'after the window', nonce: 'n-2', enforce_nonce: true });
    expect(new Set([first.id, unenforced.id, elsewhere.id, late.id, expired.id]).size).toBe(5);

    // A deleted message no longer answers for its nonce.
    await client.rest.delete(Routes.channelMessage(general, expired.id));
    const afterDelete = await post(general, { content: 'after the delete', nonce: 'n-2', enforce_nonce: true });
    expect(afterDelete.id).not.toBe(expired.id);

    expect(fake.visibleMessages(general).map((m) => m.content)).toEqual(['once', 'not enforced', 'first of n-2 here', 'after the delete']);
    await fake.waitFor(() => echoed.length >= 6);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(echoed.sort()).toEqual(['after the delete', 'after the window', 'elsewhere', 'first of n-2 here', 'not enforced', 'once']);
  });
});

describe('permissions', () => {
  it('a channel the bot cannot view: 50001 on channel routes, the interaction webhook still works, its messages never arrive', async () => {
    const guilds = [{ channels: [{ name: 'general' }, { name: 'secret', botCanView: false }] }];
    const { fake, client } = await start({ guilds, botPermissions: SOME_PERMISSIONS }, [...INTENTS, GatewayIntentBits.MessageContent]);
    const api = rawApi(fake);
    const secret = client.channels.cache.get(fake.channelId('secret')) as TextChannel;
    const refused = await secret.send('hello').catch((err: unknown) => err);
    expect((refused as DiscordAPIError).code).toBe(50001);
    expect((refused as DiscordAPIError).status).toBe(403);

    const there = fake.sendChatInput({ name: 'ask', channelId: secret.id });
    expect(BigInt(there.payload['app_permissions'] as string) & VIEW_CHANNEL).toBe(0n);
    expect(await api.callback(there, { type: 4, data: { content: 'via the webhook' } }, false)).toEqual({ status: 204, body: undefined });
    expect((await api.editOriginal(there.token, { content: 'edited via the webhook' })).status).toBe(200);
    expect(fake.visibleMessages(secret.id).map((m) => m.content)).toEqual(['edited via the webhook']);

    const here = fake.sendChatInput({ name: 'ask' });
    expect(here.payload['app_permissions']).toBe(SOME_PERMISSIONS);

    const received: Message[] = [];
    client.on(Events.MessageCreate, (m) => received.push(m));
    fake.sendUserMessage({ channelId: secret.id, content: 'psst', mentionsBot: true });
    fake.sendUserMessage({ content: 'hi there' });
    await fake.waitFor(() => received.length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received.map((m) => m.content)).toEqual(['hi there']);

    fake.setBotCanView(secret.id, true);
    expect((await secret.send('now I can')).content).toBe('now I can');
  });

  it('the bot has a managed role tagged with its id, and members can mention it', async () => {
    const { fake, client } = await start({}, [...INTENTS, GatewayIntentBits.MessageContent]);
    const guild = client.guilds.cache.get(fake.guildId)!;
    const roleId = fake.botRoleId();
    expect(guild.roles.cache.get(roleId)?.tags?.botId).toBe(fake.botUserId);
    expect(guild.members.me?.roles.botRole?.id).toBe(roleId);

    const got = new Promise<Message>((resolve) => client.on(Events.MessageCreate, resolve));
    fake.sendUserMessage({ content: 'are you there?', mentionsBotRole: true });
    const message = await got;
    expect(message.content).toBe(`<@&${roleId}> are you there?`);
    expect([...message.mentions.roles.keys()]).toEqual([roleId]);
    expect(message.mentions.users.size).toBe(0);
  });
});

describe('the spec check', () => {
  it('records a bad request with its route, pointer and message; answers chosen by override() are not checked', async () => {
    const { fake } = await start();
    const general = fake.channelId('general');
    const post = (path: string, body: unknown) =>
      fetch(`${fake.apiBase}${path}`, { method: 'POST', headers: { authorization: `Bot ${fake.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await post(`/channels/${general}/messages?tts=yes`, { content: 'fine', embeds: [{ title: 't'.repeat(257) }] });
    await post('/channels/not-an-id/typing', {});
    await fetch(`${fake.apiBase}/users/@me/everything`, { headers: { authorization: `Bot ${fake.token}` } });
    fake.override({ match: (r) => r.route === 'GET /users/@me', status: 200, body: 'not a user' });
    await fetch(`${fake.apiBase}/users/@me`, { headers: { authorization: `Bot ${fake.token}` } });

    const violations = fake.takeSpecViolations();
    const seq = (path: string) => fake.requests.find((r) => r.path.startsWith(path))!.seq;
    expect(violations).toEqual([
      { seq: seq(`/channels/${general}/messages`), route: 'POST /channels/{channel_id}/messages', part: 'query', pointer: '/tts', message: 'query parameter not defined for this operation' },
      { seq: seq(`/channels/${general}/messages`), route: 'POST /channels/{channel_id}/messages', part: 'body', pointer: '/embeds/0/title', message: 'must NOT have more than 256 characters' },
      { seq: seq('/channels/not-an-id'), route: 'POST /channels/{channel_id}/typing', part: 'path', pointer: '/channel_id', message: 'must match pattern "^(0|[1-9][0-9]*)$"' },
      { seq: seq('/channels/not-an-id'), route: 'POST /channels/{channel_id}/typing', part: 'body', pointer: '', message: 'this operation takes no request body' },
      // The fake answers 404 for a route it does not model; the spec has no operation for it either.
      { seq: seq('/users/@me/everything'), route: 'GET /users/@me/everything', part: 'route', pointer: '', message: "no operation of Discord's API has this method and path" },
    ]);
    expect(fake.specViolations()).toEqual([]);
  });

  it('can be switched off', async () => {
    const { fake } = await start({ specValidation: false });
    await fetch(`${fake.apiBase}/nowhere`, { headers: { authorization: `Bot ${fake.token}` } });
    expect(fake.specViolations()).toEqual([]);
  });
});
