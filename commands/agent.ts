import { ApplicationCommandOptionType, MessageFlags } from 'discord.js';
import type { Command } from '../src/discord/command.js';
import { choices, setBy } from '../src/discord/format.js';
import { personOf, scopeOf } from '../src/discord/interaction.js';
import { replyEdit } from '../src/discord/respond.js';

export default {
  definition: {
    name: 'agent',
    description: "Show or switch this channel's agent (the channel gets that agent's session)",
    options: [{ type: ApplicationCommandOptionType.String, name: 'agent', description: 'The agent to switch to', autocomplete: true, max_length: 100 }],
  },
  access: 'admin',
  async execute(interaction, { relay }) {
    const scope = scopeOf(interaction);
    const requested = interaction.options.getString('agent');
    // Both ways ask the gateway; a switch is announced in the channel, the current agent only to the asker. A typo
    // is refused privately first, unless the gateway is too slow to tell in time.
    if (requested) await relay.precheckChoice('agent', requested);
    await interaction.deferReply(requested ? {} : { flags: MessageFlags.Ephemeral });
    if (!requested) {
      const mapping = await relay.mappingFor(scope);
      await interaction.editReply(replyEdit(`Agent: \`${mapping.agentId}\`${setBy(mapping.agentSetBy)}; session \`${mapping.sessionKey}\`.`));
      return;
    }
    const mapping = await relay.setAgent(scope, requested, personOf(interaction));
    await interaction.editReply(replyEdit(`🤖 ${personOf(interaction).name} switched this ${mapping.kind === 'thread' ? 'thread' : 'channel'} to agent \`${mapping.agentId}\` (session \`${mapping.sessionKey}\`).`));
  },
  async autocomplete(interaction, { relay }) {
    const typed = interaction.options.getFocused().toLowerCase();
    const { agents } = await relay.catalog.listAgents();
    const matching = agents.filter((a) => a.id.toLowerCase().includes(typed) || a.name.toLowerCase().includes(typed));
    await interaction.respond(choices(matching.map((a) => ({ name: a.name === a.id ? a.id : `${a.id} (${a.name})`, value: a.id }))));
  },
} satisfies Command;
