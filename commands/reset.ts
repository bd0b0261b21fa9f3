import type { Command } from '../src/discord/command.js';
import { personOf, scopeOf } from '../src/discord/interaction.js';
import { replyEdit } from '../src/discord/respond.js';

export default {
  definition: { name: 'reset', description: "Clear this channel's session" },
  access: 'admin',
  async execute(interaction, { relay }) {
    // Announced in the channel; the reset waits on the gateway.
    await interaction.deferReply();
    const mapping = await relay.reset(scopeOf(interaction));
    await interaction.editReply(replyEdit(`🧹 ${personOf(interaction).name} cleared this ${mapping.kind === 'thread' ? 'thread' : 'channel'}'s session: \`${mapping.agentId}\` starts fresh.`));
  },
} satisfies Command;
