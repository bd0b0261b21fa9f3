import type { Command } from '../src/discord/command.js';

export default {
  definition: { name: 'reset', description: "Clear this channel's session" },
  access: 'admin',
  async execute(interaction, { handlers }) {
    await handlers.reset(interaction);
  },
} satisfies Command;
