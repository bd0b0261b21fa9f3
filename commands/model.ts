import { ApplicationCommandOptionType } from 'discord.js';
import type { Command } from '../src/discord/command.js';

export default {
  definition: {
    name: 'model',
    description: "Show or switch this channel's model",
    options: [{ type: ApplicationCommandOptionType.String, name: 'model', description: 'The model to switch to', autocomplete: true }],
  },
  access: 'admin',
  async execute(interaction, { handlers }) {
    await handlers.model(interaction);
  },
  async autocomplete(interaction, { handlers }) {
    await handlers.autocompleteModel(interaction);
  },
} satisfies Command;
