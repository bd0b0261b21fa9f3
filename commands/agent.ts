import { ApplicationCommandOptionType } from 'discord.js';
import type { Command } from '../src/discord/command.js';

export default {
  definition: {
    name: 'agent',
    description: "Show or switch this channel's agent (the channel gets that agent's session)",
    options: [{ type: ApplicationCommandOptionType.String, name: 'agent', description: 'The agent to switch to', autocomplete: true }],
  },
  access: 'admin',
  async execute(interaction, { handlers }) {
    await handlers.agent(interaction);
  },
  async autocomplete(interaction, { handlers }) {
    await handlers.autocompleteAgent(interaction);
  },
} satisfies Command;
