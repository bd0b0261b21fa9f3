import type { Command } from '../src/discord/command.js';
import { personOf, scopeOf } from '../src/discord/interaction.js';
import { safeReply } from '../src/discord/respond.js';

export default {
  definition: { name: 'reset', description: "Clear this channel's session" },
  access: 'admin',
  async execute(interaction, { relay }) {
    const mapping = await relay.reset(scopeOf(interaction));
    await interaction.reply(safeReply(`🧹 ${personOf(interaction).name} cleared this ${mapping.kind === 'thread' ? 'thread' : 'channel'}'s session: \`${mapping.agentId}\` starts fresh.`));
  },
} satisfies Command;
