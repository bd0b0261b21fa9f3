import type { Command } from '../src/discord/command.js';
import { actorOf, personOf, scopeOf } from '../src/discord/interaction.js';
import { ephemeral } from '../src/discord/respond.js';

export default {
  definition: { name: 'abort', description: 'Stop the answer streaming in this channel' },
  access: 'member',
  async execute(interaction, { relay, access }) {
    const result = await relay.stop({ scope: scopeOf(interaction) }, personOf(interaction), access.isAdmin(actorOf(interaction)));
    if (result.status === 'nothing') await interaction.reply(ephemeral('Nothing is streaming in this channel.'));
    else if (result.status === 'forbidden') await interaction.reply(ephemeral(`Only ${result.owner.name} (who asked) or a clawcord admin can stop this answer.`));
    else await interaction.reply(ephemeral(`⏹️ Stopping the answer to ${result.owner.name}.`));
  },
} satisfies Command;
