import type { Command } from '../src/discord/command.js';

export default {
  definition: { name: 'status', description: "The gateway, this channel's session and the runs in progress" },
  access: 'member',
  async execute(interaction, { handlers }) {
    await handlers.status(interaction);
  },
} satisfies Command;
