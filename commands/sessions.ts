import { ApplicationCommandOptionType, ChannelType, GuildMember, MessageFlags, PermissionFlagsBits, type ChatInputCommandInteraction } from 'discord.js';
import type { AccessPolicy } from '../src/discord/access.js';
import type { Command, CommandAccess } from '../src/discord/command.js';
import { fitLines, oneLine, when } from '../src/discord/format.js';
import { actorOf } from '../src/discord/interaction.js';
import { replyEdit } from '../src/discord/respond.js';

const NAME = 'sessions';
const ACCESS: CommandAccess = 'member';

/**
 * Whether the member may see the session of a channel or thread: clawcord's access rules allow them there, and
 * Discord lets them view it. A DM's session is its own person's; a private thread only shows from inside it.
 */
export function visibleScopes(interaction: ChatInputCommandInteraction, access: AccessPolicy): (scopeId: string) => boolean {
  const actor = actorOf(interaction);
  const guild = interaction.guild;
  const member = interaction.member instanceof GuildMember ? interaction.member : undefined;
  return (scopeId) => {
    if (scopeId === interaction.channelId) return true;
    if (!guild || !member) return false;
    const channel = guild.channels.cache.get(scopeId);
    if (!channel || channel.type === ChannelType.PrivateThread) return false;
    const where = channel.isThread() && channel.parentId ? channel.parentId : scopeId;
    if (!access.check({ ...actor, channelId: where }, NAME, ACCESS).ok) return false;
    return channel.permissionsFor(member).has(PermissionFlagsBits.ViewChannel);
  };
}

export default {
  definition: {
    name: NAME,
    description: "Recent sessions of this server's channels",
    options: [{ type: ApplicationCommandOptionType.Integer, name: 'limit', description: 'How many (1 to 25)', min_value: 1, max_value: 25 }],
  },
  access: ACCESS,
  async execute(interaction, { relay, access }) {
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const rows = await relay.sessions(interaction.options.getInteger('limit') ?? 10, { guildId: interaction.guildId, visible: visibleScopes(interaction, access) });
    if (rows.length === 0) {
      await interaction.editReply(replyEdit('No session of a channel you can see here yet.'));
      return;
    }
    const lines = rows.map((row) => {
      const title = oneLine(row.title ?? row.displayName ?? row.key, 60);
      const details = [`<#${row.scopeId}>`, `\`${oneLine(row.key, 70)}\``, row.model ? `\`${row.model}\`` : undefined, row.updatedAt ? when(row.updatedAt) : undefined].filter(Boolean).join(' · ');
      const preview = row.preview ? `\n> ${oneLine(row.preview, 90)}` : '';
      return `**${title}** ${details}${preview}`;
    });
    await interaction.editReply(replyEdit(fitLines(`**${rows.length} recent sessions**`, lines)));
  },
} satisfies Command;
