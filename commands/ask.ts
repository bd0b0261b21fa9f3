import { ApplicationCommandOptionType, Routes, type ChatInputCommandInteraction } from 'discord.js';
import type { Command } from '../src/discord/command.js';
import type { BotContext } from '../src/discord/context.js';
import { personOf, scopeOf } from '../src/discord/interaction.js';
import { ephemeral } from '../src/discord/respond.js';
import type { ThinkingLevel } from '../src/gateway/types.js';
import type { Scope } from '../src/relay/relay.js';

export const THINKING_LEVELS = ['off', 'low', 'medium', 'high'] as const;

/** A thread name from the prompt's first line: Discord allows 100 characters. */
export function threadName(prompt: string): string {
  const line = prompt.split('\n').find((l) => l.trim())?.trim() ?? 'clawcord';
  return line.length <= 100 ? line : `${line.slice(0, 99)}…`;
}

async function startThread(interaction: ChatInputCommandInteraction, context: BotContext, scope: Scope, messageId: string, prompt: string): Promise<Scope> {
  await context.acquireGlobal();
  const thread = (await context.client.rest.post(Routes.threads(scope.id, messageId), {
    body: { name: threadName(prompt), auto_archive_duration: context.config.threads.autoArchiveMinutes },
  })) as { id: string };
  const threadScope: Scope = { id: thread.id, guildId: interaction.guildId, kind: 'thread', parentId: scope.id };
  await context.relay.mapOwnedThread(threadScope, scope);
  return threadScope;
}

export default {
  definition: {
    name: 'ask',
    description: "Ask this channel's agent; the answer streams into the reply",
    options: [
      { type: ApplicationCommandOptionType.String, name: 'prompt', description: 'What to ask', required: true, max_length: 6000 },
      { type: ApplicationCommandOptionType.Boolean, name: 'thread', description: 'Answer in a new thread with its own session' },
      {
        type: ApplicationCommandOptionType.String,
        name: 'thinking',
        description: 'How hard the model should think',
        choices: THINKING_LEVELS.map((level) => ({ name: level, value: level })),
      },
    ],
  },
  access: 'member',
  async execute(interaction, context) {
    const prompt = interaction.options.getString('prompt', true).trim();
    const wantThread = interaction.options.getBoolean('thread') ?? false;
    const thinking = (interaction.options.getString('thinking') ?? undefined) as ThinkingLevel | undefined;
    const scope = scopeOf(interaction);
    if (!prompt) {
      await interaction.reply(ephemeral('The prompt is empty: write what you want to ask.'));
      return;
    }
    if (wantThread && scope.kind !== 'channel') {
      await interaction.reply(ephemeral('`thread:true` starts a thread from a text channel; here, just ask without it.'));
      return;
    }
    // Refusals (gateway down, queue full) must stay private, so they come before the public "thinking…".
    await context.relay.precheck(scope);
    const response = await interaction.deferReply({ withResponse: true });
    const originalId = response.resource?.message?.id;
    const target = wantThread && originalId ? await startThread(interaction, context, scope, originalId, prompt) : scope;

    const writer = context.createWriter({
      location: {
        channelId: scope.id,
        messageIds: originalId ? [originalId] : [],
        interaction: { applicationId: interaction.applicationId, id: interaction.id, token: interaction.token, createdAt: interaction.createdTimestamp },
        overflowChannelId: target === scope ? null : target.id,
      },
    });
    await context.relay.ask({ scope: target, requester: personOf(interaction), prompt, writer, ...(thinking ? { thinking } : {}) });
  },
} satisfies Command;
