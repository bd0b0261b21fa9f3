import { ApplicationCommandOptionType, MessageFlags } from 'discord.js';
import type { Command } from '../src/discord/command.js';
import { fitLines, oneLine, when } from '../src/discord/format.js';
import { scopeOf } from '../src/discord/interaction.js';
import { replyEdit } from '../src/discord/respond.js';

export default {
  definition: {
    name: 'history',
    description: "The last messages of this channel's session",
    options: [{ type: ApplicationCommandOptionType.Integer, name: 'limit', description: 'How many (1 to 25)', min_value: 1, max_value: 25 }],
  },
  access: 'member',
  async execute(interaction, { relay }) {
    const limit = interaction.options.getInteger('limit') ?? 10;
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const messages = await relay.history(scopeOf(interaction), limit);
    if (messages.length === 0) {
      await interaction.editReply(replyEdit('This session has no messages yet.'));
      return;
    }
    // Each entry gets a fair share of the 2000 characters.
    const share = Math.max(60, Math.floor(1900 / messages.length) - 30);
    const lines = messages.map((m) => {
      const who = m.role === 'user' ? '🧑' : '🤖';
      const at = m.timestamp ? ` ${when(m.timestamp)}` : '';
      return `${who}${at} ${oneLine(m.text, share)}`;
    });
    await interaction.editReply(replyEdit(fitLines(`**Last ${messages.length} messages**`, lines)));
  },
} satisfies Command;
