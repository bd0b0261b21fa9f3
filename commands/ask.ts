import { ApplicationCommandOptionType } from 'discord.js';
import type { Command } from '../src/discord/command.js';

export const THINKING_LEVELS = ['off', 'low', 'medium', 'high'] as const;

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
    ],
  },
  access: 'member',
  async execute(interaction, { handlers }) {
    await handlers.ask(interaction);
  },
} satisfies Command;
