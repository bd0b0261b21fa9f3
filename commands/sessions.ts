import { ApplicationCommandOptionType } from 'discord.js';
import type { Command } from '../src/discord/command.js';
import { fitLines, oneLine, when } from '../src/discord/format.js';
import { ephemeral } from '../src/discord/respond.js';

export default {
  definition: {
    name: 'sessions',
    description: 'Recent gateway sessions',
    options: [{ type: ApplicationCommandOptionType.Integer, name: 'limit', description: 'How many (1 to 25)', min_value: 1, max_value: 25 }],
  },
  access: 'member',
  async execute(interaction, { relay }) {
    const rows = await relay.sessions(interaction.options.getInteger('limit') ?? 10);
    if (rows.length === 0) {
      await interaction.reply(ephemeral('The gateway has no sessions yet.'));
      return;
    }
    const lines = rows.map((row) => {
      const title = oneLine(row.title ?? row.displayName ?? row.key, 60);
      const details = [`\`${oneLine(row.key, 70)}\``, row.model ? `\`${row.model}\`` : undefined, row.updatedAt ? when(row.updatedAt) : undefined].filter(Boolean).join(' · ');
      const preview = row.preview ? `\n> ${oneLine(row.preview, 90)}` : '';
      return `**${title}** ${details}${preview}`;
    });
    await interaction.reply(ephemeral(fitLines(`**${rows.length} recent sessions**`, lines)));
  },
} satisfies Command;
