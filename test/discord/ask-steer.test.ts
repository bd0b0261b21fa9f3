import type { ChatInputCommandInteraction } from 'discord.js';
import { PermissionsBitField } from 'discord.js';
import { describe, expect, it, vi } from 'vitest';
import ask from '../../commands/ask.js';
import type { BotContext } from '../../src/discord/context.js';

const CHANNEL = '100000000000000002';

function slash(options: { prompt: string; steer?: boolean; thread?: boolean }) {
  const said: Array<{ kind: string; content?: string; ephemeral?: boolean; components?: unknown[] }> = [];
  const interaction = {
    id: '100000000000000400',
    applicationId: '100000000000000300',
    token: 'interaction-token',
    createdTimestamp: Date.now(),
    guildId: '100000000000000001',
    channelId: CHANNEL,
    channel: { id: CHANNEL, isThread: () => false },
    user: { id: '100000000000000009', username: 'bob', globalName: 'Bob' },
    member: { roles: [], nick: 'Bob', permissions: '0' },
    appPermissions: new PermissionsBitField(PermissionsBitField.All),
    options: {
      getString: (name: string) => (name === 'prompt' ? options.prompt : null),
      getBoolean: (name: string) => (name === 'steer' ? (options.steer ?? null) : name === 'thread' ? (options.thread ?? null) : null),
      getAttachment: () => null,
    },
    reply: async (body: { content: string; flags?: number }) => void said.push({ kind: 'reply', content: body.content, ephemeral: ((body.flags ?? 0) & 64) !== 0 }),
    deferReply: async () => {
      said.push({ kind: 'deferReply' });
      return { interaction: { responseMessageId: '100000000000000500' } };
    },
    editReply: async (body: { content: string; components?: unknown[] }) => void said.push({ kind: 'editReply', content: body.content, ...(body.components ? { components: body.components } : {}) }),
    fetchReply: async () => ({ id: '100000000000000500' }),
  };
  return { interaction: interaction as unknown as ChatInputCommandInteraction, said };
}

function context(outcome: unknown) {
  const asked = vi.fn(async (_input: unknown): Promise<unknown> => outcome);
  const value = { relay: { precheck: async () => {}, ask: asked }, createWriter: () => ({ tellAsker: async () => true }), logger: { info() {} } };
  return { context: value as unknown as BotContext, asked };
}

describe('/ask steer', () => {
  it('passes steer on, and a steered prompt leaves a short public note without a Stop button', async () => {
    const { interaction, said } = slash({ prompt: 'also check the logs', steer: true });
    const { context: ctx, asked } = context({ status: 'steered', into: { requester: { id: '1', name: 'Alice *the* admin' }, jobId: 'j1' } });
    await ask.execute(interaction, ctx);
    expect(asked.mock.calls[0]![0]).toMatchObject({ prompt: 'also check the logs', steer: true });
    expect(said).toEqual([{ kind: 'deferReply' }, { kind: 'editReply', content: '↪️ Added to the answer in progress (asked by Alice \\*the\\* admin).', components: [] }]);
  });

  it('leaves a started or queued prompt to its reply', async () => {
    const { interaction, said } = slash({ prompt: 'hello', steer: true });
    const { context: ctx, asked } = context({ status: 'queued', position: 1, jobId: 'j2' });
    await ask.execute(interaction, ctx);
    expect(said).toEqual([{ kind: 'deferReply' }]);
    const plain = slash({ prompt: 'hello' });
    await ask.execute(plain.interaction, ctx);
    expect(asked.mock.calls[1]![0]).not.toHaveProperty('steer');
  });

  it('refuses steer with a new thread, privately', async () => {
    const { interaction, said } = slash({ prompt: 'hello', steer: true, thread: true });
    const { context: ctx, asked } = context(undefined);
    await ask.execute(interaction, ctx);
    expect(said).toEqual([{ kind: 'reply', ephemeral: true, content: '`steer:true` adds to the answer running here, and a new thread has none: use one or the other.' }]);
    expect(asked).not.toHaveBeenCalled();
  });
});

describe('/ask reply writer', () => {
  it.each([
    [50 * 1024 * 1024, 100 * 1024 * 1024, 50 * 1024 * 1024],
    [50 * 1024 * 1024, 10 * 1024 * 1024, 10 * 1024 * 1024],
    [8 * 1024 * 1024, 10 * 1024 * 1024, 8 * 1024 * 1024],
  ])("uploads within the guild's limit (%i from the interaction) and clawcord's cap (%i)", async (guildLimit, cap, expected) => {
    const { interaction } = slash({ prompt: 'hello' });
    Object.assign(interaction, { attachmentSizeLimit: guildLimit });
    const writers: unknown[] = [];
    const { context: ctx } = context({ status: 'started', position: 0, jobId: 'j3' });
    Object.assign(ctx, {
      config: { attachments: { uploadMaxBytes: cap } },
      createWriter: (options: unknown) => {
        writers.push(options);
        return { tellAsker: async () => true };
      },
    });
    await ask.execute(interaction, ctx);
    expect(writers).toEqual([expect.objectContaining({ deferred: true, uploadLimitBytes: expected })]);
  });
});
