// End-to-end tests of the fake Discord with a real, unmodified discord.js client.
import { once } from 'node:events';
import {
  ActionRowBuilder,
  ApplicationCommandOptionType,
  ButtonBuilder,
  ButtonStyle,
  Client,
  DiscordAPIError,
  Events,
  GatewayIntentBits,
  type ChatInputApplicationCommandData,
  type ClientOptions,
  type Message,
  type TextChannel,
} from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { formatViolation } from '../../spec/validate.js';
import { startFakeDiscord, type FakeDiscord, type FakeDiscordOptions } from './index.js';

const INTENTS = [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages];

let fake: FakeDiscord | undefined;
let client: Client | undefined;

afterEach(async () => {
  // Teardown order matters: destroy the client first, then close the fake (see the reference doc, pitfall 7).
  await client?.destroy();
  client = undefined;
  const violations = fake?.specViolations() ?? [];
  await fake?.close();
  fake = undefined;
  // The fake's own traffic follows Discord's spec too; tests that send a bad request on purpose take its violations.
  expect(violations.map(formatViolation)).toEqual([]);
});

async function start(
  opts: FakeDiscordOptions = {},
  clientOpts: Partial<ClientOptions> = {},
  rest: { timeout?: number; retries?: number } = {},
): Promise<{ fake: FakeDiscord; client: Client }> {
  fake = await startFakeDiscord(opts);
  client = new Client({ intents: INTENTS, ...clientOpts, rest: { api: fake.restBase, timeout: 2000, ...rest } });
  const ready = once(client, Events.ClientReady);
  await client.login(fake.token);
  await ready;
  return { fake, client };
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const ASK = {
  name: 'ask',
  description: 'Ask the agent',
  options: [{ type: ApplicationCommandOptionType.String, name: 'prompt', description: 'What to ask', required: true, autocomplete: true }],
} satisfies ChatInputApplicationCommandData;

describe('fake Discord with a real discord.js client', () => {
  it('logs in: READY, GUILD_CREATE with channels, intents recorded', async () => {
    const { fake, client } = await start();
    expect(client.user?.id).toBe(fake.botUserId);
    const guild = client.guilds.cache.get(fake.guildId);
    expect(guild?.available).toBe(true);
    expect(guild?.channels.cache.map((c) => c.name).sort()).toEqual(['general', 'random']);
    expect(fake.guildId).toMatch(/^\d{18,19}$/);
    expect(fake.channelId('general')).toMatch(/^\d{18,19}$/);
    expect(fake.gateway.intents).toBe(GatewayIntentBits.Guilds | GatewayIntentBits.GuildMessages);
    expect(fake.requests.some((r) => r.route === 'GET /gateway/bot' && r.status === 200)).toBe(true);
    await fake.waitForReady();
  });

  it('/ask: defer, three edits, follow-up, thread from the follow-up; everything recorded', async () => {
    const { fake, client } = await start();
    const registered = await client.application!.commands.set([ASK]);
    const commandId = registered.first()!.id;
    expect(fake.commands().map((c) => [c.id, c.name])).toEqual([[commandId, 'ask']]);

    const ownEchoes: Message[] = [];
    client.on(Events.MessageCreate, (m) => {
      if (m.author.id === client.user!.id) ownEchoes.push(m);
    });
    const done = deferred<{ followUpId: string; threadId: string }>();
    client.on(Events.InteractionCreate, async (i) => {
      if (!i.isChatInputCommand()) return;
      try {
        expect(i.commandId).toBe(commandId);
        expect(i.channel?.id).toBe(fake.channelId('general'));
        await i.deferReply();
        const prompt = i.options.getString('prompt', true);
        await i.editReply(`You said: ${prompt}.`);
        await i.editReply(`You said: ${prompt}. Thinking…`);
        await i.editReply(`You said: ${prompt}. Thinking… Done.`);
        const follow = await i.followUp('follow-up message');
        const thread = await follow.startThread({ name: 'ask-hi' });
        await thread.send('hello in thread');
        done.resolve({ followUpId: follow.id, threadId: thread.id });
      } catch (err) {
        done.reject(err);
      }
    });

    fake.clearRequests();
    const sent = fake.sendChatInput({ name: 'ask', options: { prompt: 'hi' } });
    const { followUpId, threadId } = await done.promise;

    expect(fake.requests.map((r) => r.route)).toEqual([
      'POST /interactions/:interaction/:token/callback',
      'PATCH /webhooks/:app/:token/messages/@original',
      'PATCH /webhooks/:app/:token/messages/@original',
      'PATCH /webhooks/:app/:token/messages/@original',
      'POST /webhooks/:app/:token',
      'POST /channels/:channel/messages/:message/threads',
      'POST /channels/:channel/messages',
    ]);
    expect(fake.requests.every((r) => r.status >= 200 && r.status < 300)).toBe(true);

    const view = fake.interaction(sent.token)!;
    expect(view.callbacks.map((c) => c.type)).toEqual([5]);
    expect(view.ackLatencyMs).not.toBeNull();
    expect(view.ackLatencyMs!).toBeLessThan(3000);
    expect(view.original?.content).toBe('You said: hi. Thinking… Done.');
    expect(view.original?.flags).toBe(0); // LOADING cleared by the first edit
    expect(view.edits.map((e) => e.content)).toEqual(['You said: hi.', 'You said: hi. Thinking…', 'You said: hi. Thinking… Done.']);
    expect(view.followUps.map((m) => [m.id, m.content, m.threadId])).toEqual([[followUpId, 'follow-up message', threadId]]);

    // A thread started from a message uses the message's id; THREAD_CREATE reached the client.
    expect(threadId).toBe(followUpId);
    expect(client.channels.cache.get(threadId)?.isThread()).toBe(true);
    const inThread = fake.messages(threadId);
    expect(inThread.map((m) => m.content)).toEqual(['hello in thread']);
    expect(fake.requests.at(-1)?.rateLimit?.bucket).toBe(`channel:${threadId}`);

    // The bot got its own messages back as MESSAGE_CREATE (a relay must ignore them).
    await fake.waitFor(() => ownEchoes.length >= 3);
    expect(ownEchoes.every((m) => m.author.bot)).toBe(true);
  });

  it('autocomplete: the choices the bot responds with come back to the test', async () => {
    const { fake, client } = await start();
    await client.application!.commands.set([ASK]);
    client.on(Events.InteractionCreate, async (i) => {
      if (!i.isAutocomplete()) return;
      const typed = i.options.getFocused();
      const all = ['hello world', 'hello there', 'goodbye'];
      await i.respond(all.filter((s) => s.startsWith(typed)).map((s) => ({ name: s, value: s })));
    });
    const choices = await fake.sendAutocomplete({ name: 'ask', focused: 'prompt', value: 'he' });
    expect(choices).toEqual([
      { name: 'hello world', value: 'hello world' },
      { name: 'hello there', value: 'hello there' },
    ]);
    const view = fake.interactions().find((i) => i.type === 4)!;
    expect(view.callbacks.map((c) => [c.type, c.status])).toEqual([[8, 204]]);
  });

  it('button click: deferUpdate then edit of the clicked message', async () => {
    const { fake, client } = await start();
    const channel = client.channels.cache.get(fake.channelId('general')) as TextChannel;
    const row = new ActionRowBuilder<ButtonBuilder>().addComponents(
      new ButtonBuilder().setCustomId('stop').setLabel('Stop').setStyle(ButtonStyle.Danger),
    );
    const posted = await channel.send({ content: 'Working…', components: [row] });
    const done = deferred<void>();
    client.on(Events.InteractionCreate, async (i) => {
      if (!i.isButton()) return;
      try {
        expect(i.customId).toBe('stop');
        expect(i.message.id).toBe(posted.id);
        await i.deferUpdate();
        await i.editReply({ content: 'Stopped.', components: [] });
        done.resolve();
      } catch (err) {
        done.reject(err);
      }
    });
    const click = fake.clickButton({ messageId: posted.id, customId: 'stop', user: { username: 'alice' } });
    await done.promise;

    const view = fake.interaction(click.token)!;
    expect(view.callbacks.map((c) => c.type)).toEqual([6]);
    expect(view.original?.id).toBe(posted.id);
    expect(view.edits.map((e) => e.content)).toEqual(['Stopped.']);
    const message = fake.message(posted.id)!;
    expect(message.content).toBe('Stopped.');
    expect(message.components).toEqual([]);
    expect(message.versions.map((v) => [v.kind, v.content, v.route])).toEqual([
      ['create', 'Working…', 'POST /channels/:channel/messages'],
      ['edit', 'Stopped.', 'PATCH /webhooks/:app/:token/messages/@original'],
    ]);
    expect(() => fake.clickButton({ messageId: posted.id, customId: 'nope' })).toThrow(/no component/);
  });

  it('records allowed_mentions as sent and who is actually pinged', async () => {
    const { fake, client } = await start();
    const userId = fake.addUser({ username: 'bob' });
    const channel = client.channels.cache.get(fake.channelId('general')) as TextChannel;
    const quiet = await channel.send({ content: `hey <@${userId}> and @everyone`, allowedMentions: { parse: [] } });
    const loud = await channel.send({ content: `hey <@${userId}>` });

    const q = fake.message(quiet.id)!;
    expect(q.versions[0]!.allowedMentions).toEqual({ parse: [] });
    expect(q.versions[0]!.contentMentions).toEqual({ users: [userId], roles: [], everyone: true });
    expect(q.versions[0]!.pinged).toEqual({ users: [], roles: [], everyone: false });
    expect(q.api['mentions']).toEqual([]);

    const l = fake.message(loud.id)!;
    expect(l.versions[0]!.allowedMentions).toBeUndefined();
    expect(l.versions[0]!.pinged.users).toEqual([userId]);
    expect(fake.visibleMessages(fake.channelId('general')).map((m) => m.id)).toEqual([quiet.id, loud.id]);
  });

  it('an injected 429 (with headers) is retried by discord.js and recorded', async () => {
    const { fake, client } = await start();
    const rateLimited: unknown[] = [];
    client.rest.on('rateLimited', (info) => rateLimited.push(info));
    fake.override({ match: (r) => r.route === 'PATCH /webhooks/:app/:token/messages/@original', status: 429, retryAfter: 0.3 });
    const done = deferred<number>();
    client.on(Events.InteractionCreate, async (i) => {
      if (!i.isChatInputCommand()) return;
      try {
        await i.deferReply();
        const t0 = Date.now();
        await i.editReply('after the 429');
        done.resolve(Date.now() - t0);
      } catch (err) {
        done.reject(err);
      }
    });
    const sent = fake.sendChatInput({ name: 'ask', options: { prompt: 'x' } });
    const elapsed = await done.promise;

    const patches = fake.requests.filter((r) => r.route === 'PATCH /webhooks/:app/:token/messages/@original');
    expect(patches.map((r) => [r.status, r.overridden])).toEqual([
      [429, true],
      [200, false],
    ]);
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(fake.interaction(sent.token)!.original?.content).toBe('after the 429');
    const stats = fake.stats();
    expect(stats.rateLimited).toBe(1);
    expect(stats.byRoute['PATCH /webhooks/:app/:token/messages/@original']).toMatchObject({ requests: 2, rateLimited: 1 });
    expect(rateLimited.length).toBeGreaterThanOrEqual(1);
  });

  it('with rate-limit headers discord.js queues 12 rapid edits and never earns a 429', async () => {
    const { fake, client } = await start({ rateLimits: { perWebhook: { limit: 5, windowMs: 1000 } } });
    let queued = 0;
    client.rest.on('rateLimited', () => {
      queued += 1;
    });
    const done = deferred<void>();
    client.on(Events.InteractionCreate, async (i) => {
      if (!i.isChatInputCommand()) return;
      try {
        await i.deferReply();
        await Promise.all(Array.from({ length: 12 }, (_, n) => i.editReply(`edit ${n + 1}`)));
        done.resolve();
      } catch (err) {
        done.reject(err);
      }
    });
    const sent = fake.sendChatInput({ name: 'ask', options: { prompt: 'stream' } });
    await done.promise;

    const patches = fake.requests.filter((r) => r.route === 'PATCH /webhooks/:app/:token/messages/@original');
    expect(patches).toHaveLength(12);
    expect(patches.every((r) => r.status === 200 && r.rateLimit !== null)).toBe(true);
    expect(patches.map((r) => r.rateLimit!.remaining).slice(0, 5)).toEqual([4, 3, 2, 1, 0]);
    expect(fake.stats().rateLimited).toBe(0);
    expect(fake.stats().byBucket[`webhook:${fake.applicationId}/${sent.token}`]).toEqual({ requests: 12, rateLimited: 0 });
    expect(queued).toBeGreaterThanOrEqual(1);
    const view = fake.interaction(sent.token)!;
    expect(view.edits.map((e) => e.content)).toEqual(Array.from({ length: 12 }, (_, n) => `edit ${n + 1}`));
    expect(view.original?.content).toBe('edit 12');
  });

  it('without headers knowledge, a burst over the channel bucket earns 429s with full headers', async () => {
    const { fake } = await start({ rateLimits: { perChannel: { limit: 2, windowMs: 5000 } } });
    const url = `${fake.apiBase}/channels/${fake.channelId('random')}/messages`;
    const post = () =>
      fetch(url, { method: 'POST', headers: { authorization: `Bot ${fake.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ content: 'x' }) });
    const answers = [await post(), await post(), await post()];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 429]);
    const limited = answers[2]!;
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(limited.headers.get('x-ratelimit-limit')).toBe('2');
    expect(Number(limited.headers.get('x-ratelimit-reset-after'))).toBeGreaterThan(4);
    expect(limited.headers.get('x-ratelimit-bucket')).toBe(answers[0]!.headers.get('x-ratelimit-bucket'));
    expect(limited.headers.get('retry-after')).toBe('5');
    expect(limited.headers.get('x-ratelimit-scope')).toBe('user');
    expect(limited.headers.has('x-ratelimit-global')).toBe(false);
    expect(await limited.json()).toMatchObject({ message: 'You are being rate limited.', global: false });
    expect(fake.stats().byBucket[`channel:${fake.channelId('random')}`]).toEqual({ requests: 3, rateLimited: 1 });
  });

  it('interaction token expiry: edits after tokenTtlMs fail with 50027, late acks with 10062', async () => {
    const { fake, client } = await start({ tokenTtlMs: 400, ackDeadlineMs: 200 });
    const outcome = deferred<{ early: string | null; late: unknown }>();
    client.on(Events.InteractionCreate, async (i) => {
      if (!i.isChatInputCommand() || i.commandName !== 'ask') return;
      await i.deferReply();
      const early = (await i.editReply('within the lifetime')).content;
      await new Promise((r) => setTimeout(r, 500));
      outcome.resolve({ early, late: await i.editReply('too late').catch((err: unknown) => err) });
    });
    fake.sendChatInput({ name: 'ask', options: { prompt: 'x' } });
    const { early, late } = await outcome.promise;
    expect(early).toBe('within the lifetime');
    expect(late).toBeInstanceOf(DiscordAPIError);
    expect((late as DiscordAPIError).code).toBe(50027);
    expect((late as DiscordAPIError).status).toBe(401);

    const lateAck = deferred<unknown>();
    client.on(Events.InteractionCreate, async (i) => {
      if (!i.isChatInputCommand() || i.commandName !== 'slow') return;
      await new Promise((r) => setTimeout(r, 300));
      lateAck.resolve(await i.deferReply().catch((err: unknown) => err));
    });
    const slow = fake.sendChatInput({ name: 'slow' });
    const err = await lateAck.promise;
    expect(err).toBeInstanceOf(DiscordAPIError);
    expect((err as DiscordAPIError).code).toBe(10062);
    expect(fake.interaction(slow.token)!.callbacks.map((c) => [c.status, c.errorCode])).toEqual([[404, 10062]]);
  });

  it('a bad token: login() rejects, REST answers 401, the gateway closes with 4004', async () => {
    fake = await startFakeDiscord();
    client = new Client({ intents: INTENTS, rest: { api: fake.restBase, timeout: 2000 } });
    await expect(client.login('WRONG.TOKEN')).rejects.toMatchObject({ code: 'TokenInvalid' });

    const rest = await fetch(`${fake.apiBase}/users/@me`, { headers: { authorization: 'Bot WRONG.TOKEN' } });
    expect(rest.status).toBe(401);
    expect(await rest.json()).toEqual({ message: '401: Unauthorized', code: 0 });

    const ws = new WebSocket(`${fake.gatewayUrl}?v=10&encoding=json`);
    const hello = await once(ws, 'message');
    expect(JSON.parse(String(hello[0]))).toMatchObject({ op: 10 });
    ws.send(JSON.stringify({ op: 2, d: { token: 'WRONG.TOKEN', intents: 1, properties: {} } }));
    const [code] = (await once(ws, 'close')) as [number];
    expect(code).toBe(4004);
    expect(fake.gateway.identifies.at(-1)).toMatchObject({ accepted: false, closeCode: 4004 });
  });

  it('user messages: mentions of the bot, MESSAGE_CONTENT rule, resume with replay', async () => {
    const { fake, client } = await start();
    const seen: Message[] = [];
    client.on(Events.MessageCreate, (m) => {
      if (!m.author.bot) seen.push(m);
    });
    fake.sendUserMessage({ content: 'hello bot', mentionsBot: true, author: { username: 'carol' } });
    fake.sendUserMessage({ content: 'just chatting', author: { username: 'carol' } });
    await fake.waitFor(() => seen.length === 2);
    expect(seen[0]!.mentions.users.has(fake.botUserId)).toBe(true);
    expect(seen[0]!.content).toBe(`<@${fake.botUserId}> hello bot`);
    // No MessageContent intent: content of messages that don't mention the bot is empty.
    expect(seen[1]!.content).toBe('');

    // The server drops the connection; an event sent meanwhile is replayed on RESUME.
    const resumed = once(client, Events.ShardResume);
    fake.gateway.closeConnections(4000);
    fake.sendUserMessage({ content: 'while you were away', mentionsBot: true });
    await resumed;
    await fake.waitFor(() => seen.length === 3);
    expect(seen[2]!.content).toContain('while you were away');
    expect(fake.gateway.resumes.at(-1)).toMatchObject({ replayed: 1, path: expect.stringMatching(/^\/resume/) });
  });
});

describe('more Discord behaviour', () => {
  it('reply (type 4, ephemeral, with_response), follow-up after a bare defer replaces the thinking message', async () => {
    const { fake, client } = await start();
    const done = deferred<{ replyId: string | undefined; followId: string; deferredId: string | undefined }>();
    client.on(Events.InteractionCreate, async (i) => {
      if (!i.isChatInputCommand()) return;
      try {
        if (i.commandName === 'secret') {
          const res = await i.reply({ content: 'only you', flags: 64, withResponse: true });
          done.resolve({ replyId: res.resource?.message?.id, followId: '', deferredId: undefined });
          return;
        }
        const res = await i.deferReply({ withResponse: true });
        const follow = await i.followUp('answer');
        done.resolve({ replyId: undefined, followId: follow.id, deferredId: res.interaction.responseMessageId ?? undefined });
      } catch (err) {
        done.reject(err);
      }
    });
    const secret = fake.sendChatInput({ name: 'secret' });
    const first = await done.promise;
    const s = fake.interaction(secret.token)!;
    expect(s.callbacks.map((c) => [c.type, c.withResponse, c.status])).toEqual([[4, true, 200]]);
    expect(s.original).toMatchObject({ id: first.replyId, content: 'only you', ephemeral: true, type: 20 });
    expect(fake.visibleMessages(fake.channelId('general'))).toEqual([]);

    const again = deferred<{ followId: string; deferredId: string | null; loading: boolean | null; resource: unknown }>();
    client.removeAllListeners(Events.InteractionCreate);
    client.on(Events.InteractionCreate, async (i) => {
      if (!i.isChatInputCommand()) return;
      const res = await i.deferReply({ withResponse: true });
      // Asking for a private follow-up right after a public deferral: Discord edits the deferral, which stays public.
      const follow = await i.followUp({ content: 'answer', flags: 64 });
      again.resolve({ followId: follow.id, deferredId: res.interaction.responseMessageId, loading: res.interaction.responseMessageLoading, resource: res.resource });
    });
    const asked = fake.sendChatInput({ name: 'ask' });
    const { followId, deferredId, loading, resource } = await again.promise;
    // A deferral's answer has no resource (so no resource.message): the message id is in interaction.response_message_id.
    expect(resource).toBeNull();
    expect(loading).toBe(true);
    expect(fake.requests.find((r) => r.route === 'POST /interactions/:interaction/:token/callback' && r.query['with_response'] === 'true' && (r.body as { type: number }).type === 5)?.responseBody).toEqual({
      interaction: { id: asked.id, type: 2, response_message_id: deferredId, response_message_loading: true, response_message_ephemeral: false },
    });
    expect(followId).toBe(deferredId);
    const view = fake.interaction(asked.token)!;
    expect(view.followUps).toEqual([]);
    expect(view.original).toMatchObject({ content: 'answer', ephemeral: false });
    expect(fake.visibleMessages(fake.channelId('general')).map((m) => m.content)).toEqual(['answer']);
  });

  it('files, validation errors, edits and deletes through the channel routes', async () => {
    const { fake, client } = await start({ rateLimits: false });
    const channel = client.channels.cache.get(fake.channelId('general')) as TextChannel;
    const withFile = await channel.send({ content: 'see file', files: [{ attachment: Buffer.from('hello file'), name: 'a.txt' }] });
    expect(withFile.attachments.first()?.name).toBe('a.txt');
    const stored = fake.message(withFile.id)!;
    expect(stored.attachments).toMatchObject([{ filename: 'a.txt', size: 10 }]);
    expect(fake.requests.at(-1)?.files).toMatchObject([{ field: 'files[0]', filename: 'a.txt', size: 10 }]);
    expect(await (await fetch(stored.attachments[0]!.url)).text()).toBe('hello file');

    await expect(channel.send('x'.repeat(2001))).rejects.toMatchObject({ code: 50035, status: 400 });
    await expect(channel.send({ content: '   ' })).rejects.toMatchObject({ code: 50006 });
    // Both were bad on purpose: the spec check names them too.
    expect(fake.takeSpecViolations().map(formatViolation)).toEqual([
      'POST /channels/{channel_id}/messages body/content: length: 2001, Discord allows at most 2000',
      'POST /channels/{channel_id}/messages body: a message needs content, embeds, stickers, components, files or a poll (whitespace is no content)',
    ]);

    const m = await channel.send('v1');
    await m.edit('v2');
    const fetched = await channel.messages.fetch({ limit: 10, cache: false });
    expect(fetched.map((x) => x.content)).toEqual(['v2', 'see file']);
    await m.delete();
    expect(fake.message(m.id)).toMatchObject({ deleted: true, content: 'v2' });
    expect(fake.message(m.id)!.versions.map((v) => v.content)).toEqual(['v1', 'v2']);
    await expect(channel.messages.fetch({ message: m.id, cache: false })).rejects.toMatchObject({ code: 10008 });

    const other = fake.sendUserMessage({ channelId: channel.id, content: 'mine' });
    await expect(
      fetch(`${fake.apiBase}/channels/${channel.id}/messages/${other.id}`, {
        method: 'PATCH',
        headers: { authorization: `Bot ${fake.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ content: 'hacked' }),
      }).then((r) => r.json()),
    ).resolves.toMatchObject({ code: 50005 });
  });

  it('standalone threads, interactions inside a thread, DMs, guild lookups', async () => {
    const { fake, client } = await start({}, { intents: [...INTENTS, GatewayIntentBits.DirectMessages] });
    const channel = client.channels.cache.get(fake.channelId('general')) as TextChannel;
    const thread = await channel.threads.create({ name: 'work', type: 11 });
    expect(thread.parentId).toBe(channel.id);
    await thread.join();
    expect(fake.messages(channel.id).map((m) => [m.type, m.source, m.content])).toEqual([[18, 'system', 'work']]);

    const inThread = deferred<{ channelId: string | null; parentId: string | null | undefined }>();
    client.on(Events.InteractionCreate, async (i) => {
      if (!i.isChatInputCommand()) return;
      inThread.resolve({ channelId: i.channelId, parentId: i.channel?.isThread() ? i.channel.parentId : undefined });
      await i.reply('ok');
    });
    fake.sendChatInput({ name: 'ask', channelId: thread.id });
    expect(await inThread.promise).toEqual({ channelId: thread.id, parentId: channel.id });

    const user = await client.users.fetch(fake.defaultUserId);
    const dm = await user.send('hi in DM');
    expect(fake.message(dm.id)).toMatchObject({ guildId: null, content: 'hi in DM' });
    const member = await client.guilds.cache.get(fake.guildId)!.members.fetch({ user: fake.defaultUserId, force: true });
    expect(member.user.username).toBe('tester');
    const guild = await client.guilds.fetch({ guild: fake.guildId, force: true });
    expect(guild.name).toBe('Fake Guild');

    const dmCommand = deferred<{ inGuild: boolean; context: number | null }>();
    client.removeAllListeners(Events.InteractionCreate);
    client.on(Events.InteractionCreate, async (i) => {
      dmCommand.resolve({ inGuild: i.inGuild(), context: i.context });
      if (i.isRepliable()) await i.reply('dm reply');
    });
    const sent = fake.sendChatInput({ name: 'ask', dm: true });
    expect(await dmCommand.promise).toEqual({ inGuild: false, context: 1 });
    await fake.waitFor(() => fake.interaction(sent.token)?.original);
    expect(fake.interaction(sent.token)!.original?.guildId).toBeNull();
  });

  it('select menus, modals and component updates (type 7)', async () => {
    const { fake, client } = await start();
    const channel = client.channels.cache.get(fake.channelId('general')) as TextChannel;
    const posted = await channel.send({
      content: 'pick',
      components: [{ type: 1, components: [{ type: 3, custom_id: 'model', options: [{ label: 'A', value: 'a' }, { label: 'B', value: 'b' }] }] }],
    });
    const modalShown = deferred<void>();
    const submitted = deferred<string>();
    client.on(Events.InteractionCreate, async (i) => {
      if (i.isStringSelectMenu()) {
        await i.update({ content: `picked ${i.values.join(',')}`, components: [] });
        return;
      }
      if (i.isChatInputCommand()) {
        await i.showModal({
          custom_id: 'feedback',
          title: 'Feedback',
          components: [{ type: 1, components: [{ type: 4, custom_id: 'text', label: 'Text', style: 1 }] }],
        });
        modalShown.resolve();
        return;
      }
      if (i.isModalSubmit()) {
        submitted.resolve(i.fields.getTextInputValue('text'));
        await i.reply({ content: 'thanks', flags: 64 });
      }
    });
    const select = fake.selectMenu({ messageId: posted.id, customId: 'model', values: ['b'] });
    await fake.waitFor(() => fake.interaction(select.token)?.ackType);
    expect(fake.message(posted.id)!.content).toBe('picked b');
    expect(fake.interaction(select.token)!.callbacks[0]!.type).toBe(7);

    const cmd = fake.sendChatInput({ name: 'feedback' });
    await modalShown.promise;
    expect(fake.interaction(cmd.token)!.modal).toMatchObject({ custom_id: 'feedback', title: 'Feedback' });
    fake.submitModal({ customId: 'feedback', fields: { text: 'great' } });
    expect(await submitted.promise).toBe('great');
  });

  it('faults: 5xx retried, hangs time out, op 7 reconnect resumes', async () => {
    const { fake, client } = await start({}, {}, { timeout: 250 });
    const channel = client.channels.cache.get(fake.channelId('general')) as TextChannel;
    fake.override({ match: (r) => r.route === 'POST /channels/:channel/messages', status: 502, times: 2 });
    await channel.send('after two 502s');
    expect(fake.requests.filter((r) => r.route === 'POST /channels/:channel/messages').map((r) => r.status)).toEqual([502, 502, 200]);

    const hang = fake.override({ match: (r) => r.route === 'GET /channels/:channel', hang: true, times: 4 });
    await expect(client.channels.fetch(channel.id, { force: true })).rejects.toMatchObject({ name: 'AbortError' });
    expect(hang.hits).toBe(4);

    const resumed = once(client, Events.ShardResume);
    fake.gateway.reconnect();
    await resumed;
    expect(fake.gateway.resumes).toHaveLength(1);
    expect(fake.gateway.sessions()).toMatchObject([{ connected: true, ready: true }]);
  });

  it("drop 'after-handling': the message exists, the answer is lost, discord.js sends the POST again", async () => {
    const { fake, client } = await start();
    const channel = client.channels.cache.get(fake.channelId('general')) as TextChannel;
    const posts = () => fake.requests.filter((r) => r.route === 'POST /channels/:channel/messages');
    const contents = () => fake.visibleMessages(channel.id).map((m) => m.content);

    const lost = fake.override({ match: (r) => r.route === 'POST /channels/:channel/messages', drop: 'after-handling' });
    const sent = await channel.send('without a nonce');
    expect(lost.hits).toBe(1);
    expect(posts().map((r) => r.status)).toEqual([0, 200]);
    expect(contents()).toEqual(['without a nonce', 'without a nonce']);
    expect(fake.visibleMessages(channel.id)[1]!.id).toBe(sent.id);

    fake.override({ match: (r) => r.route === 'POST /channels/:channel/messages', drop: 'after-handling' });
    const once = await channel.send({ content: 'with an enforced nonce', nonce: 'retry-safe', enforceNonce: true });
    expect(posts().map((r) => r.status)).toEqual([0, 200, 0, 200]);
    expect(contents()).toEqual(['without a nonce', 'without a nonce', 'with an enforced nonce']);
    expect(fake.visibleMessages(channel.id)[2]!.id).toBe(once.id);
  });

  it('the global limit answers 429 with x-ratelimit-global; interaction routes are exempt', async () => {
    fake = await startFakeDiscord({ rateLimits: { globalPerSecond: 3 } });
    const auth = { authorization: `Bot ${fake.token}` };
    const answers = await Promise.all(Array.from({ length: 4 }, () => fetch(`${fake!.apiBase}/users/@me`, { headers: auth })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 429]);
    const limited = answers.find((a) => a.status === 429)!;
    expect(limited.headers.get('x-ratelimit-global')).toBe('true');
    expect(limited.headers.get('x-ratelimit-scope')).toBe('global');
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(await limited.json()).toMatchObject({ message: 'You are being rate limited.', global: true });
    expect(fake.stats().byBucket['global']).toEqual({ requests: 4, rateLimited: 1 });
    // Webhook routes carry no bot token and don't count against the global limit.
    const webhook = await fetch(`${fake.apiBase}/webhooks/${fake.applicationId}/unknown-token/messages/@original`);
    expect(webhook.status).toBe(401);
    expect(await webhook.json()).toEqual({ message: 'Invalid Webhook Token', code: 50027 });
  });

  it('command registration: guild commands, upsert by name, Discord-style validation errors', async () => {
    const { fake, client } = await start();
    const guild = client.guilds.cache.get(fake.guildId)!;
    const created = await guild.commands.create({ name: 'status', description: 'Show status' });
    const again = await guild.commands.create({ name: 'status', description: 'Show the status' });
    expect(again.id).toBe(created.id);
    expect(fake.commands(fake.guildId).map((c) => c.description)).toEqual(['Show the status']);
    await expect(client.application!.commands.set([{ name: 'Bad Name', description: 'x' }])).rejects.toMatchObject({ code: 50035 });
    await expect(client.application!.commands.set([{ name: 'ok', description: 'd'.repeat(101) }])).rejects.toMatchObject({ code: 50035 });
    expect(fake.takeSpecViolations().map(formatViolation)).toEqual([
      'PUT /applications/{application_id}/commands body/0/name: "Bad Name" is not a valid CHAT_INPUT name (lowercase letters, digits, - _ \' only, 1 to 32)',
      'PUT /applications/{application_id}/commands body/0/description: must NOT have more than 100 characters',
    ]);
    await guild.commands.delete(created.id);
    expect(fake.commands(fake.guildId)).toEqual([]);
  });
});
