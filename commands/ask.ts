import { ApplicationCommandOptionType, DiscordAPIError, PermissionFlagsBits, Routes, type ChatInputCommandInteraction, type PermissionsBitField } from 'discord.js';
import { deferPublicly, FILES_NEVER_STEER, interactionLocation, refuseFiles, steeredNote } from '../src/discord/asking.js';
import type { Command } from '../src/discord/command.js';
import type { BotContext } from '../src/discord/context.js';
import { incomingFile } from '../src/discord/downloads.js';
import { personOf, scopeOf } from '../src/discord/interaction.js';
import { ephemeral, replyEdit } from '../src/discord/respond.js';
import type { ThinkingLevel } from '../src/gateway/types.js';
import { UserFacingError } from '../src/relay/errors.js';
import { FilesRefusedError, type Scope } from '../src/relay/relay.js';

export const THINKING_LEVELS = ['off', 'low', 'medium', 'high'] as const;

/** The ATTACHMENT options of /ask, in order. */
export const FILE_OPTIONS = ['file', 'file2', 'file3'] as const;

/** A thread name from the prompt's first line: Discord allows 100 characters. */
export function threadName(prompt: string): string {
  const line = prompt.split('\n').find((l) => l.trim())?.trim() ?? 'clawcord';
  return line.length <= 100 ? line : `${line.slice(0, 99)}…`;
}

const THREAD_NEEDS = [
  [PermissionFlagsBits.CreatePublicThreads, 'Create Public Threads'],
  [PermissionFlagsBits.SendMessagesInThreads, 'Send Messages in Threads'],
] as const;
const CHANNEL_NEEDS = [
  [PermissionFlagsBits.ViewChannel, 'View Channel'],
  [PermissionFlagsBits.SendMessages, 'Send Messages'],
] as const;
const IN_THREAD_NEEDS = [
  [PermissionFlagsBits.ViewChannel, 'View Channel'],
  [PermissionFlagsBits.SendMessagesInThreads, 'Send Messages in Threads'],
] as const;

function missing(permissions: Readonly<PermissionsBitField>, needs: ReadonlyArray<readonly [bigint, string]>): string[] {
  return needs.filter(([bit]) => !permissions.has(bit)).map(([, name]) => name);
}

function list(names: string[]): string {
  return names.map((name) => `**${name}**`).join(' and ');
}

/** Starts a thread on the reply's message (Discord gives the thread the message's id). */
async function startThread(interaction: ChatInputCommandInteraction, context: BotContext, scope: Scope, messageId: string, prompt: string): Promise<Scope> {
  await context.acquireGlobal();
  let thread: { id: string };
  try {
    thread = (await context.client.rest.post(Routes.threads(scope.id, messageId), {
      body: { name: threadName(prompt), auto_archive_duration: context.config.threads.autoArchiveMinutes },
    })) as { id: string };
  } catch (error) {
    if (!(error instanceof DiscordAPIError)) throw error;
    throw new UserFacingError(`Discord did not let me start a thread here (${error.message}). Ask again without \`thread:true\`.`);
  }
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
      { type: ApplicationCommandOptionType.Boolean, name: 'steer', description: 'Add this to the answer already running here, if the agent can take it' },
      ...FILE_OPTIONS.map((name, i) => ({
        type: ApplicationCommandOptionType.Attachment as const,
        name,
        description: i === 0 ? 'A file for the agent: an image, a text file, or any file the gateway takes' : 'Another file for the agent',
      })),
    ],
  },
  access: 'member',
  async execute(interaction, context) {
    const prompt = interaction.options.getString('prompt', true).trim();
    const wantThread = interaction.options.getBoolean('thread') ?? false;
    const steer = interaction.options.getBoolean('steer') ?? false;
    const thinking = (interaction.options.getString('thinking') ?? undefined) as ThinkingLevel | undefined;
    const scope = scopeOf(interaction);
    const files = FILE_OPTIONS.flatMap((name) => {
      const attachment = interaction.options.getAttachment(name);
      return attachment ? [incomingFile(attachment)] : [];
    });
    if (!prompt) {
      await interaction.reply(ephemeral('The prompt is empty: write what you want to ask.'));
      return;
    }
    if (wantThread && scope.kind !== 'channel') {
      await interaction.reply(ephemeral('`thread:true` starts a thread from a text channel; here, just ask without it.'));
      return;
    }
    if (wantThread && steer) {
      await interaction.reply(ephemeral('`steer:true` adds to the answer running here, and a new thread has none: use one or the other.'));
      return;
    }
    const permissions = interaction.appPermissions;
    const threadLacks = wantThread ? missing(permissions, [CHANNEL_NEEDS[0], ...THREAD_NEEDS]) : [];
    if (threadLacks.length > 0) {
      await interaction.reply(ephemeral(`I cannot start threads here: I need ${list(threadLacks)} in this channel. Ask without \`thread:true\`, or ask an admin to grant ${threadLacks.length === 1 ? 'it' : 'them'}.`));
      return;
    }
    // Refusals (gateway down, queue full) must stay private, so they come before the public "thinking…"; the
    // check gives up waiting on a slow gateway well within Discord's 3 s.
    // Files that cannot go as Discord describes them are refused here too, with the prompt, so nothing is lost.
    const refusingFiles = async <T>(work: Promise<T>): Promise<T | undefined> => {
      try {
        return await work;
      } catch (error) {
        if (!(error instanceof FilesRefusedError)) throw error;
        await refuseFiles(interaction, error, prompt, context.logger.child({ guild: interaction.guildId, channel: interaction.channelId, user: interaction.user.id }));
        return undefined;
      }
    };
    // The prompt holds a place in the session's queue from here, so that a burst of asks is refused here, privately,
    // and never after the public deferral. A new thread has a session of its own: nothing to hold in this channel's.
    const checked = await refusingFiles(context.relay.precheck(scope, { steer, files, hold: !wantThread }).then((place) => ({ place })));
    if (!checked) return;
    const { place } = checked;
    try {
      const originalId = await deferPublicly(interaction);
      if (wantThread && !originalId) throw new UserFacingError('Discord did not tell me which message my reply is, so I could not start a thread on it. Ask again without `thread:true`.');
      const target = wantThread && originalId ? await startThread(interaction, context, scope, originalId, prompt) : scope;

      const writer = context.createWriter({
        location: interactionLocation(interaction, scope.id, originalId, target === scope ? null : target.id),
        deferred: true,
        // Files the answer attaches: clawcord's cap (attachments.uploadMaxBytes), within the guild's own limit.
        ...(interaction.attachmentSizeLimit ? { uploadLimitBytes: Math.min(context.config.attachments.uploadMaxBytes, interaction.attachmentSizeLimit) } : {}),
      });
      // The files are fetched now (Discord's links expire) and held until the prompt's turn comes.
      const outcome = await refusingFiles(
        context.relay.ask({ scope: target, requester: personOf(interaction), prompt, writer, ...(thinking ? { thinking } : {}), ...(steer ? { steer } : {}), ...(files.length > 0 ? { files } : {}), ...(place ? { place } : {}) }),
      );
      if (!outcome) return;
      if (steer && files.length > 0 && outcome.status === 'queued') void writer.tellAsker(FILES_NEVER_STEER);
      if (outcome.status === 'steered') {
        // The prompt went into the running answer: this reply only says so (its writer never writes, so no Stop button).
        await interaction.editReply({ ...replyEdit(steeredNote(outcome.into.requester)), components: [] });
        return;
      }
      // The interaction webhook writes here without View Channel or Send Messages, but only for 15 minutes.
      const channelLacks = target === scope && scope.guildId !== null ? missing(permissions, scope.kind === 'thread' ? IN_THREAD_NEEDS : CHANNEL_NEEDS) : [];
      if (channelLacks.length > 0) {
        const note = `⚠️ I lack ${list(channelLacks)} here: an answer that runs past 15 minutes may stop updating. An admin can grant ${channelLacks.length === 1 ? 'it' : 'them'}.`;
        void writer.tellAsker(note).then((told) => told || context.logger.info({ channel: scope.id, missing: channelLacks }, 'the bot lacks permissions where it was asked'));
      }
    } finally {
      // Queued, steered or refused, the ask released it already; this is for an ask that never came (a failed deferral).
      place?.release();
    }
  },
} satisfies Command;
