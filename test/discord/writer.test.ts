import { createHash } from 'node:crypto';
import { Client, GatewayIntentBits, REST, Routes } from 'discord.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiscordReplyWriter } from '../../src/discord/writer.js';
import { WriteError } from '../../src/relay/live-reply.js';
import type { RenderedMessage } from '../../src/relay/phase.js';
import type { ReplyLocation } from '../../src/store/store.js';
import { startFakeDiscord, type FakeDiscord } from '../fakes/discord/index.js';

let fake: FakeDiscord;
let rest: REST;

beforeEach(async () => {
  fake = await startFakeDiscord({ rateLimits: false, warnUnmatched: false });
  rest = new REST({ api: fake.restBase, timeout: 2_000, retries: 0 }).setToken(fake.token);
});

afterEach(async () => {
  await fake.close();
});

const live = (content: string): RenderedMessage => ({ content: `${content} ▌`, live: true });
const final = (content: string): RenderedMessage => ({ content, live: false });

function channelWriter(location: Partial<ReplyLocation> & { channelId: string }): DiscordReplyWriter {
  return new DiscordReplyWriter({ rest, location: { messageIds: [], interaction: null, overflowChannelId: null, ...location } });
}

/** Writes through the first route the writer offers, as the pacer does; returns the WriteError if it failed. */
async function write(writer: DiscordReplyWriter, index: number, message: RenderedMessage): Promise<WriteError | undefined> {
  const route = writer.routes(index)[0];
  if (!route) throw new Error(`no route for message ${index}`);
  return writer.write(index, message, route).then(
    () => undefined,
    (error: unknown) => {
      if (error instanceof WriteError) return error;
      throw error;
    },
  );
}

async function startThread(parentId: string, state: { archived?: boolean; locked?: boolean } = {}): Promise<string> {
  const starter = (await rest.post(Routes.channelMessages(parentId), { body: { content: 'starter' } })) as { id: string };
  const thread = (await rest.post(Routes.threads(parentId, starter.id), { body: { name: 'a thread' } })) as { id: string };
  if (state.archived || state.locked) await rest.patch(Routes.channel(thread.id), { body: { archived: state.archived ?? false, locked: state.locked ?? false } });
  return thread.id;
}

describe('DiscordReplyWriter', () => {
  it('sends a nonce with enforce_nonce on channel creates, the same one when a create is tried again', async () => {
    const channelId = fake.channelId('general');
    const writer = channelWriter({ channelId });
    fake.override({ match: (r) => r.method === 'POST' && r.route === 'POST /channels/:channel/messages', status: 500, body: { message: '500: Internal Server Error', code: 0 } });
    expect((await write(writer, 0, live('first')))?.action).toBe('retry');
    expect(await write(writer, 0, live('first'))).toBeUndefined();
    expect(await write(writer, 1, final('second'))).toBeUndefined();
    const bodies = fake.requests.filter((r) => r.route === 'POST /channels/:channel/messages').map((r) => r.body as { nonce?: string; enforce_nonce?: boolean });
    expect(bodies).toHaveLength(3);
    expect(bodies.every((b) => b.enforce_nonce === true && typeof b.nonce === 'string' && b.nonce.length <= 25)).toBe(true);
    expect(bodies[1]!.nonce).toBe(bodies[0]!.nonce);
    expect(bodies[2]!.nonce).not.toBe(bodies[0]!.nonce);
    expect(fake.messages(channelId).map((m) => m.content)).toEqual(['first ▌', 'second']);
  });

  it('a thread it may not write in closes only that thread, not the reply\'s message in the parent channel', async () => {
    const channelId = fake.channelId('general');
    const threadId = await startThread(channelId);
    const writer = channelWriter({ channelId, overflowChannelId: threadId });
    expect(await write(writer, 0, live('part one'))).toBeUndefined();
    fake.override({ match: (r) => r.method === 'POST' && r.path === `/channels/${threadId}/messages`, status: 403, body: { message: 'Missing Access', code: 50001 } });
    expect((await write(writer, 1, live('part two')))?.action).toBe('route');
    expect(writer.routes(1)).toEqual([]);
    // The parent's message still ends with the final text, without the live cursor.
    expect(writer.routes(0).map((r) => r.name)).toEqual(['channel']);
    expect(await write(writer, 0, final('part one, finished'))).toBeUndefined();
    expect(fake.messages(channelId).filter((m) => m.content.startsWith('part')).map((m) => m.content)).toEqual(['part one, finished']);
  });

  it('reopens a thread that archived while its reply was only being edited, and finishes the edit', async () => {
    const channelId = fake.channelId('general');
    const threadId = await startThread(channelId);
    const writer = channelWriter({ channelId: threadId });
    expect(await write(writer, 0, live('working'))).toBeUndefined();
    await rest.patch(Routes.channel(threadId), { body: { archived: true } });
    // Discord refuses edits in an archived thread (threads.mdx).
    fake.override({ match: (r) => r.method === 'PATCH' && r.route === 'PATCH /channels/:channel/messages/:message', status: 400, body: { message: 'Thread is archived', code: 50083 } });
    expect(await write(writer, 0, final('done after an hour'))).toBeUndefined();
    expect(fake.messages(threadId).map((m) => m.content)).toEqual(['done after an hour']);
    const thread = (await rest.get(Routes.channel(threadId))) as { thread_metadata: { archived: boolean } };
    expect(thread.thread_metadata.archived).toBe(false);
  });

  it('leaves a thread a moderator locked as it is, and gives up only that thread', async () => {
    const channelId = fake.channelId('general');
    const threadId = await startThread(channelId);
    const writer = channelWriter({ channelId, overflowChannelId: threadId });
    expect(await write(writer, 0, live('part one'))).toBeUndefined();
    expect(await write(writer, 1, live('part two'))).toBeUndefined();
    await rest.patch(Routes.channel(threadId), { body: { archived: true, locked: true } });
    fake.override({ match: (r) => r.method === 'PATCH' && r.path.startsWith(`/channels/${threadId}/messages/`), status: 400, body: { message: 'Thread is archived', code: 50083 } });
    expect((await write(writer, 1, final('part two, finished')))?.action).toBe('route');
    expect(writer.routes(1)).toEqual([]);
    const thread = (await rest.get(Routes.channel(threadId))) as { thread_metadata: { archived: boolean; locked: boolean } };
    expect(thread.thread_metadata).toMatchObject({ archived: true, locked: true });
    expect(fake.requests.some((r) => r.method === 'PATCH' && r.path === `/channels/${threadId}` && (r.body as { archived?: boolean }).archived === false)).toBe(false);
    expect(await write(writer, 0, final('part one, finished'))).toBeUndefined();

    // 160005 (a locked thread) closes the thread as well.
    const other = await startThread(channelId);
    const second = channelWriter({ channelId, overflowChannelId: other });
    expect(await write(second, 0, live('again'))).toBeUndefined();
    fake.override({ match: (r) => r.method === 'POST' && r.path === `/channels/${other}/messages`, status: 400, body: { message: 'Thread is locked', code: 160005 } });
    expect((await write(second, 1, live('more')))?.action).toBe('route');
    expect(second.routes(1)).toEqual([]);
    expect(second.routes(0).map((r) => r.name)).toEqual(['channel']);
  });
});

describe('DiscordReplyWriter: files', () => {
  // Interactions need a logged-in bot on the fake's gateway.
  let client: Client | undefined;
  beforeEach(async () => {
    client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: fake.restBase, timeout: 2_000 } });
    await client.login(fake.token);
    await fake.waitForReady();
  });
  afterEach(async () => {
    await client?.destroy();
    // Every upload, edit and delete is one Discord's spec allows.
    expect(fake.takeSpecViolations().map((v) => `${v.route} ${v.part} ${v.pointer}: ${v.message}`)).toEqual([]);
  });
  const file = (name: string, text: string) => ({ name, data: Buffer.from(text) });
  const sha = (text: string) => createHash('sha256').update(text).digest('hex');

  async function deferredWriter(options: { uploadLimitBytes?: number } = {}) {
    const sent = fake.sendChatInput({ name: 'ask', options: { prompt: 'hi' } });
    await rest.post(Routes.interactionCallback(sent.id, sent.token), { body: { type: 5 }, auth: false });
    const writer = new DiscordReplyWriter({
      rest,
      location: { channelId: sent.channelId, messageIds: [], interaction: { applicationId: sent.applicationId, id: sent.id, token: sent.token, createdAt: Date.now() }, overflowChannelId: null },
      ...options,
    });
    return { sent, writer };
  }

  it('uploads files on the webhook route, keeps them on an edit without sending them again, and adds a new one', async () => {
    const { sent, writer } = await deferredWriter();
    expect(await write(writer, 0, { content: 'answer', live: false, files: [file('answer.md', '# all of it')] })).toBeUndefined();
    const original = fake.interaction(sent.token)!.original!;
    expect(original.attachments.map((a) => [a.filename, a.size, a.sha256])).toEqual([['answer.md', 11, sha('# all of it')]]);
    const firstId = original.attachments[0]!.id;

    fake.clearRequests();
    expect(await write(writer, 0, { content: 'answer, now with a chart', live: false, files: [file('answer.md', '# all of it'), file('chart.png', 'png bytes')] })).toBeUndefined();
    const [edit] = fake.requests;
    expect(edit!.files.map((f) => f.filename)).toEqual(['chart.png']);
    expect((edit!.body as { attachments: unknown[] }).attachments).toEqual([{ id: firstId }, { id: '0', filename: 'chart.png' }]);
    const now = fake.message(original.id)!;
    expect(now.attachments.map((a) => a.filename)).toEqual(['answer.md', 'chart.png']);
    expect(now.attachments[0]!.id).toBe(firstId);
    expect(fake.attachmentBytes(now.attachments[1]!.id)!.toString()).toBe('png bytes');

    // A plain edit of the text (no files in it) leaves them alone.
    expect(await write(writer, 0, { content: 'answer, text edited', live: false })).toBeUndefined();
    expect(fake.message(original.id)!.attachments.map((a) => a.filename)).toEqual(['answer.md', 'chart.png']);
    expect(writer.uploadLimitBytes()).toBe(10 * 1024 * 1024);
    expect((await deferredWriter({ uploadLimitBytes: 25 * 1024 * 1024 })).writer.uploadLimitBytes()).toBe(25 * 1024 * 1024);
  });

  it('uploads on the channel route too, on a create and on an edit, with a content type', async () => {
    const channelId = fake.channelId('general');
    const writer = channelWriter({ channelId });
    expect(await write(writer, 0, { content: 'first', live: false, files: [{ name: 'snippet-1.py', data: Buffer.from('print(1)\n'), contentType: 'text/plain; charset=utf-8' }] })).toBeUndefined();
    const [id] = writer.location().messageIds;
    expect(fake.message(id!)!.attachments.map((a) => [a.filename, a.sha256])).toEqual([['snippet-1.py', sha('print(1)\n')]]);
    expect(await write(writer, 0, { content: 'first', live: false, files: [{ name: 'snippet-1.py', data: Buffer.from('print(2)\n') }] })).toBeUndefined();
    // Other bytes under the same name: uploaded anew, the old one gone.
    expect(fake.message(id!)!.attachments.map((a) => [a.filename, a.sha256])).toEqual([['snippet-1.py', sha('print(2)\n')]]);
  });

  it('removes messages past the first on either route, and forgets them in its location', async () => {
    const { writer } = await deferredWriter();
    for (const index of [0, 1, 2]) expect(await write(writer, index, final(`part ${index}`))).toBeUndefined();
    const ids = writer.location().messageIds;
    expect(ids).toHaveLength(3);
    let changes = 0;
    writer.onLocationChange = () => changes++;
    expect(writer.routes(0, 'remove')).toEqual([]);
    await writer.remove(2, writer.routes(2, 'remove')[0]!);
    expect(fake.message(ids[2]!)!.deleted).toBe(true);
    const channelRoute = writer.routes(1, 'remove').find((r) => r.name === 'channel')!;
    // Someone deleted it first: removed all the same.
    await rest.delete(Routes.channelMessage(fake.message(ids[1]!)!.channelId, ids[1]!));
    await writer.remove(1, channelRoute);
    expect(writer.location().messageIds).toEqual([ids[0]]);
    expect(changes).toBe(2);
  });
});
