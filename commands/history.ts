import { ApplicationCommandOptionType } from 'discord.js';
import type { Command } from '../src/discord/command.js';

export default {
  definition: {
    name: 'history',
    description: "The last messages of this channel's session",
    options: [{ type: ApplicationCommandOptionType.Integer, name: 'limit', description: 'How many (1 to 25)', min_value: 1, max_value: 25 }],
  },
  access: 'member',
  async execute(interaction, { handlers }) {
    await handlers.history(interaction);
  },
} satisfies Command;
