// Files both ways through the fake Discord, with real discord.js: attachments people upload (an ATTACHMENT option,
// a message's files) served by the fake CDN, and files the bot uploads (multipart, on every message route),
// recorded with their bytes; Discord's limits on them.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import {
  ApplicationCommandOptionType,
  AttachmentBuilder,
  Client,
  DiscordAPIError,
  Events,
  GatewayIntentBits,
  REST,
  Routes,
  type APIMessage,
  type ChatInputApplicationCommandData,
  type Message,
} from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import { discordSpec } from '../../spec/openapi.js';
import { formatViolation } from '../../spec/validate.js';
import { startFakeDiscord, type FakeDiscord, type FakeDiscordOptions } from './index.js';

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

async function start(opts: FakeDiscordOptions = {}, intents = [GatewayIntentBits.Guilds]): Promise<{ fake: FakeDiscord; client: Client; rest: REST }> {
  fake = await startFakeDiscord(opts);
  client = new Client({ intents, rest: { api: fake.restBase, timeout: 5000 } });
  const ready = once(client, Events.ClientReady);
  await client.login(fake.token);
  await ready;
  return { fake, client, rest: new REST({ api: fake.restBase, timeout: 5000, retries: 0 }).setToken(fake.token) };
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** The first bytes of a PNG (signature and IHDR): all the CDN reads to know an image's size. */
function pngHeader(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(25);
  ihdr.writeUInt32BE(13, 0);
  ihdr.write('IHDR', 4, 'latin1');
  ihdr.writeUInt32BE(width, 8);
  ihdr.writeUInt32BE(height, 12);
  ihdr.set([8, 6, 0, 0, 0], 16);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ihdr, Buffer.alloc(16)]);
}

const ASK = {
  name: 'ask',
  description: 'Ask the agent',
  options: [
    { type: ApplicationCommandOptionType.String, name: 'prompt', description: 'What to ask', required: true },
    { type: ApplicationCommandOptionType.Attachment, name: 'file', description: 'A file for the agent' },
  ],
} satisfies ChatInputApplicationCommandData;

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('attachments in', () => {
  it('registers a command with an ATTACHMENT option as the spec has it; file_types are checked', async () => {
    const { fake, client } = await start();
    await client.application!.commands.set([ASK]);
    expect(fake.commands()[0]?.options?.[1]).toMatchObject({ type: 11, name: 'file' });

    const app = fake.applicationId;
    const register = (fileTypes: unknown) =>
      fetch(`${fake.apiBase}/applications/${app}/commands`, {
        method: 'POST',
        headers: { authorization: `Bot ${fake.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'look', description: 'Look at a picture', options: [{ type: 11, name: 'picture', description: 'The picture', file_types: fileTypes }] }),
      });
    expect((await register(['image', '.pdf'])).status).toBe(201);
    expect(fake.commands().find((c) => c.name === 'look')?.options?.[0]?.['file_types']).toEqual(['image', '.pdf']);
    const tooMany = await register(Array.from({ length: 11 }, (_, i) => `.x${i}`));
    expect(tooMany.status).toBe(400);
    expect(((await tooMany.json()) as { code: number }).code).toBe(50035);
    expect((await register(['pictures'])).status).toBe(200);
    expect(fake.takeSpecViolations().map((v) => `${v.pointer}: ${v.message}`)).toEqual([
      '/options/0/file_types: file types: 11, Discord allows at most 10',
      '/options/0/file_types/0: "pictures" is neither image, video, audio nor a dot-prefixed extension such as .pdf',
    ]);
  });

  it('an /ask with a file: resolved.attachments as the spec has them, the bytes from the CDN', async () => {
    const { fake, client } = await start();
    await client.application!.commands.set([ASK]);
    const notes = fake.addAttachment({ filename: 'notes.txt', data: 'hello notes' });
    expect(notes).toMatchObject({ filename: 'notes.txt', size: 11, contentType: 'text/plain; charset=utf-8', ephemeral: true, sha256: sha256('hello notes') });
    expect(notes.url.startsWith(`${fake.cdnBase}/ephemeral-attachments/${fake.channelId('general')}/${notes.id}/notes.txt?ex=`)).toBe(true);
    expect(notes.proxyUrl.startsWith(`${fake.mediaBase}/ephemeral-attachments/`)).toBe(true);

    const seen = deferred<{ name: string; size: number; contentType: string | null; ephemeral: boolean; url: string; body: string; length: string | null; type: string | null }>();
    client.on(Events.InteractionCreate, async (i) => {
      if (!i.isChatInputCommand()) return;
      try {
        await i.deferReply();
        const file = i.options.getAttachment('file', true);
        const answer = await fetch(file.url);
        seen.resolve({
          name: file.name,
          size: file.size,
          contentType: file.contentType,
          ephemeral: file.ephemeral,
          url: file.url,
          body: await answer.text(),
          length: answer.headers.get('content-length'),
          type: answer.headers.get('content-type'),
        });
        await i.editReply('read it');
      } catch (err) {
        seen.reject(err);
      }
    });
    const sent = fake.sendChatInput({ name: 'ask', options: { prompt: 'summarise', file: notes.id } });
    expect(await seen.promise).toEqual({
      name: 'notes.txt',
      size: 11,
      contentType: 'text/plain; charset=utf-8',
      ephemeral: true,
      url: notes.url,
      body: 'hello notes',
      length: '11',
      type: 'text/plain; charset=utf-8',
    });
    const data = sent.payload['data'] as { options: unknown[]; resolved: { attachments: Record<string, unknown> } };
    expect(data.options).toEqual([
      { name: 'prompt', type: 3, value: 'summarise' },
      { name: 'file', type: 11, value: notes.id },
    ]);
    const validate = discordSpec().validatorAt(['components', 'schemas', 'AttachmentResponse']);
    expect(validate(data.resolved.attachments[notes.id])).toBe(true);
    expect(fake.cdnRequests.map((r) => [r.host, r.attachmentId, r.status, r.authorization])).toEqual([['cdn', notes.id, 200, false]]);
    await fake.waitFor(() => fake.interaction(sent.token)?.original?.content === 'read it');

    // A file given inline is put on the CDN too; an image gets its width and height.
    const inline = fake.sendChatInput({ name: 'ask', options: { prompt: 'look', file: { filename: 'shot.png', data: pngHeader(640, 480) } } });
    const resolved = Object.values((inline.payload['data'] as { resolved: { attachments: Record<string, Record<string, unknown>> } }).resolved.attachments);
    expect(resolved).toMatchObject([{ filename: 'shot.png', content_type: 'image/png', width: 640, height: 480, size: 49, ephemeral: true }]);
    expect(validate(resolved[0])).toBe(true);
    const png = await fetch(String(resolved[0]!['proxy_url']));
    expect(Buffer.from(await png.arrayBuffer()).equals(pngHeader(640, 480))).toBe(true);
    await fake.waitFor(() => fake.interaction(inline.token)?.original?.content === 'read it');

    expect(() => fake.sendChatInput({ name: 'ask', options: { prompt: 'x', file: '1300000000000000001' } })).toThrow(/names no attachment/);
  });

  it('a user message with files: the bot sees them and downloads them; unsigned, tampered or expired urls are refused', async () => {
    const { fake, client } = await start({}, [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent]);
    const got = deferred<Message>();
    client.on(Events.MessageCreate, (m) => {
      if (!m.author.bot) got.resolve(m);
    });
    const sent = fake.sendUserMessage({
      content: 'have a look',
      mentionsBot: true,
      attachments: [
        { filename: 'diagram.png', data: pngHeader(32, 16), description: 'the plan' },
        { filename: 'data.csv', data: 'a,b\n1,2\n' },
      ],
    });
    const message = await got.promise;
    expect(message.attachments.map((a) => [a.name, a.size, a.contentType, a.width, a.height, a.description])).toEqual([
      ['diagram.png', 49, 'image/png', 32, 16, 'the plan'],
      ['data.csv', 8, 'text/csv; charset=utf-8', null, null, null],
    ]);
    const csv = message.attachments.last()!;
    expect(await (await fetch(csv.url)).text()).toBe('a,b\n1,2\n');
    expect(fake.attachmentBytes(csv.url)?.toString()).toBe('a,b\n1,2\n');
    expect(sent.attachments.map((a) => a.sha256)).toEqual([sha256(pngHeader(32, 16)), sha256('a,b\n1,2\n')]);

    const bare = csv.url.split('?')[0]!;
    expect((await fetch(bare)).status).toBe(404);
    expect((await fetch(csv.url.replace(/hm=[0-9a-f]+/, `hm=${'0'.repeat(64)}`))).status).toBe(404);
    expect((await fetch(csv.url, { method: 'HEAD' })).headers.get('content-length')).toBe('8');

    // A day later the url has run out; the message as the API answers it now carries a fresh one.
    fake.advanceClock(25 * 60 * 60_000);
    expect((await fetch(csv.url)).status).toBe(404);
    const again = (await client.rest.get(Routes.channelMessage(message.channelId, message.id))) as APIMessage;
    const fresh = again.attachments[1]!.url;
    expect(fresh).not.toBe(csv.url);
    expect(await (await fetch(fresh)).text()).toBe('a,b\n1,2\n');
  });
});

describe('attachments out', () => {
  it('discord.js REST uploads files to a channel message, keeps one by id on an edit, and the CDN serves the bytes', async () => {
    const { fake, rest } = await start();
    const channelId = fake.channelId('general');
    const created = (await rest.post(Routes.channelMessages(channelId), {
      body: { content: 'two files', attachments: [{ id: '0', description: 'the report' }, { id: '1' }] },
      files: [
        { name: 'report.md', data: Buffer.from('# Report\n'), contentType: 'text/markdown' },
        { name: 'pic.png', data: pngHeader(8, 8) },
      ],
    })) as APIMessage;
    expect(created.attachments.map((a) => [a.filename, a.size, a.content_type, a.description, a.width])).toEqual([
      ['report.md', 9, 'text/markdown', 'the report', undefined],
      ['pic.png', 49, 'image/png', undefined, 8],
    ]);
    expect(fake.requests.at(-1)?.files.map((f) => [f.field, f.filename, f.size, f.sha256])).toEqual([
      ['files[0]', 'report.md', 9, sha256('# Report\n')],
      ['files[1]', 'pic.png', 49, sha256(pngHeader(8, 8))],
    ]);
    const recorded = fake.message(created.id)!;
    expect(recorded.attachments.map((a) => a.sha256)).toEqual([sha256('# Report\n'), sha256(pngHeader(8, 8))]);
    expect(fake.attachmentBytes(recorded.attachments[0]!.id)?.toString()).toBe('# Report\n');
    const download = await fetch(created.attachments[0]!.url);
    expect([download.status, download.headers.get('content-type'), download.headers.get('content-length'), await download.text()]).toEqual([200, 'text/markdown', '9', '# Report\n']);

    // reference.mdx, Editing Message Attachments: listed ids stay, the rest go; a listed new file is appended.
    const [report, pic] = created.attachments;
    const edited = (await rest.patch(Routes.channelMessage(channelId, created.id), {
      body: { content: 'edited', attachments: [{ id: report!.id }, { id: '0', filename: 'log.txt' }] },
      files: [{ name: 'ignored-name.txt', data: Buffer.from('log line\n') }],
    })) as APIMessage;
    expect(edited.attachments.map((a) => [a.id === report!.id, a.filename])).toEqual([
      [true, 'report.md'],
      [false, 'log.txt'],
    ]);
    expect((await fetch(pic!.url)).status).toBe(404);
    expect(fake.message(created.id)!.versions.map((v) => v.attachments.map((a) => a.filename))).toEqual([
      ['report.md', 'pic.png'],
      ['report.md', 'log.txt'],
    ]);
    // attachments: [] removes them all.
    const cleared = (await rest.patch(Routes.channelMessage(channelId, created.id), { body: { attachments: [] } })) as APIMessage;
    expect(cleared.attachments).toEqual([]);
  });

  it('files through the interaction callback, the webhook follow-up and edits of @original, high and low level', async () => {
    const { fake, client, rest } = await start();
    await client.application!.commands.set([ASK]);
    const done = deferred<void>();
    client.on(Events.InteractionCreate, async (i) => {
      if (!i.isChatInputCommand() || i.options.getString('prompt') !== 'high') return;
      try {
        await i.deferReply();
        await i.editReply({ content: 'answer attached', files: [new AttachmentBuilder(Buffer.from('the answer'), { name: 'answer.md' })] });
        await i.followUp({ content: 'and a picture', files: [new AttachmentBuilder(pngHeader(2, 3), { name: 'p.png', description: 'tiny' })] });
        done.resolve();
      } catch (err) {
        done.reject(err);
      }
    });
    const high = fake.sendChatInput({ name: 'ask', options: { prompt: 'high' } });
    await done.promise;
    const view = fake.interaction(high.token)!;
    expect(view.original?.attachments.map((a) => [a.filename, a.size, a.sha256])).toEqual([['answer.md', 10, sha256('the answer')]]);
    expect(view.followUps[0]?.attachments.map((a) => [a.filename, a.width, a.height, a.description])).toEqual([['p.png', 2, 3, 'tiny']]);

    // The low-level calls a relay makes: the callback with a file, a follow-up through the webhook, an edit of
    // @original keeping the first file and adding one.
    const low = fake.sendChatInput({ name: 'ask', options: { prompt: 'low' } });
    const app = fake.applicationId;
    await rest.post(Routes.interactionCallback(low.id, low.token), {
      auth: false,
      body: { type: 4, data: { content: 'first', attachments: [{ id: '0', filename: 'one.txt' }] } },
      files: [{ name: 'one.txt', data: Buffer.from('one') }],
    });
    const followUp = (await rest.post(Routes.webhook(app, low.token), {
      auth: false,
      query: new URLSearchParams({ wait: 'true' }),
      body: { content: 'second' },
      files: [{ name: 'two.txt', data: 'two' }],
    })) as APIMessage;
    expect(followUp.attachments.map((a) => a.filename)).toEqual(['two.txt']);
    const original = fake.interaction(low.token)!.original!;
    const edited = (await rest.patch(Routes.webhookMessage(app, low.token, '@original'), {
      auth: false,
      body: { content: 'first, edited', attachments: [{ id: original.attachments[0]!.id }, { id: '0' }] },
      files: [{ name: 'three.txt', data: Buffer.from('three') }],
    })) as APIMessage;
    expect(edited.attachments.map((a) => a.filename)).toEqual(['one.txt', 'three.txt']);
    const bytes = await Promise.all(edited.attachments.map(async (a) => (await fetch(a.url)).text()));
    expect(bytes).toEqual(['one', 'three']);
    expect(fake.requests.filter((r) => r.files.length > 0).map((r) => r.route)).toEqual([
      'PATCH /webhooks/:app/:token/messages/@original',
      'POST /webhooks/:app/:token',
      'POST /interactions/:interaction/:token/callback',
      'POST /webhooks/:app/:token',
      'PATCH /webhooks/:app/:token/messages/@original',
    ]);
  });

  it('limits: 413 40005 for a file over the limit or a request over 25 MiB, 30015 past 10 files; a boosted limit', async () => {
    const { fake, client, rest } = await start();
    const channelId = fake.channelId('general');
    const big = Buffer.alloc(10 * 1024 * 1024 + 1);
    const refused = (files: Array<{ name: string; data: Buffer }>) =>
      rest.post(Routes.channelMessages(channelId), { body: { content: 'x' }, files }).then(
        () => null,
        (err: unknown) => (err instanceof DiscordAPIError ? [err.status, err.code, err.message] : err),
      );
    expect(await refused([{ name: 'big.bin', data: big }])).toEqual([413, 40005, 'Request entity too large']);
    expect(await refused([{ name: 'ok.bin', data: Buffer.alloc(10 * 1024 * 1024) }])).toBeNull();
    const nine = Buffer.alloc(9 * 1024 * 1024);
    expect(await refused([0, 1, 2].map((n) => ({ name: `${n}.bin`, data: nine })))).toEqual([413, 40005, 'Request entity too large']);
    const small = Array.from({ length: 11 }, (_, n) => ({ name: `${n}.txt`, data: Buffer.from(String(n)) }));
    expect(await refused(small)).toEqual([400, 30015, 'Maximum number of attachments in a message reached (10)']);
    expect(fake.messages(channelId)).toHaveLength(1);
    expect(fake.takeSpecViolations().map((v) => `${v.pointer}: ${v.message}`)).toEqual([
      '/files[0]: bytes in the file (Discord answers 413, 40005): 10485761, Discord allows at most 10485760',
      ': bytes in all files together (Discord answers 413, 40005): 28311552, Discord allows at most 26214400',
      ': files (Discord answers 30015): 11, Discord allows at most 10',
    ]);
    await client.destroy();
    await fake.close();

    // A boosted guild takes bigger files; interactions say so in attachment_size_limit.
    const { fake: boosted, rest: boostedRest } = await start({ attachmentSizeLimit: 50 * 1024 * 1024 });
    await boostedRest.post(Routes.channelMessages(boosted.channelId('general')), { files: [{ name: 'big.bin', data: big }] });
    expect(boosted.messages()[0]?.attachments[0]?.size).toBe(big.length);
    expect(boosted.sendChatInput({ name: 'ask', options: { prompt: 'x' } }).payload['attachment_size_limit']).toBe(50 * 1024 * 1024);
  });
});
