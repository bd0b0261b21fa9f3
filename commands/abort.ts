import { MessageFlags } from 'discord.js';
import type { Command } from '../src/discord/command.js';
import { actorOf, personOf, scopeOf } from '../src/discord/interaction.js';
import { replyEdit } from '../src/discord/respond.js';

export default {
  definition: { name: 'abort', description: 'Stop the answer streaming in this channel' },
  access: 'member',
  async execute(interaction, { relay, access }) {
    // Stopping waits on the gateway's abort; Discord wants an answer within 3 s.
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const result = await relay.stop({ scope: scopeOf(interaction) }, personOf(interaction), access.isAdmin(actorOf(interaction)));
    if (result.status === 'nothing') await interaction.editReply(replyEdit('Nothing is streaming in this channel.'));
    else if (result.status === 'forbidden') await interaction.editReply(replyEdit(`Only ${result.owner.name} (who asked) or a clawcord admin can stop this answer.`));
    else await interaction.editReply(replyEdit(`⏹️ Stopping the answer to ${result.owner.name}.`));
  },
} satisfies Command;
