import type { Command } from '../src/discord/command.js';

export default {
  definition: { name: 'abort', description: 'Stop the answer streaming in this channel' },
  access: 'member',
  async execute(interaction, { handlers }) {
    await handlers.abort(interaction);
  },
} satisfies Command;
