import { ApplicationCommandOptionType, MessageFlags } from 'discord.js';
import type { Command } from '../src/discord/command.js';
import { choices, setBy } from '../src/discord/format.js';
import { personOf, scopeOf } from '../src/discord/interaction.js';
import { replyEdit } from '../src/discord/respond.js';

export default {
  definition: {
    name: 'model',
    description: "Show or switch this channel's model",
    options: [{ type: ApplicationCommandOptionType.String, name: 'model', description: 'The model to switch to', autocomplete: true, max_length: 200 }],
  },
  access: 'admin',
  async execute(interaction, { relay }) {
    const scope = scopeOf(interaction);
    const requested = interaction.options.getString('model');
    // Both ways ask the gateway; a switch is announced in the channel, the current model only to the asker. A typo
    // is refused privately first, unless the gateway is too slow to tell in time.
    if (requested) await relay.precheckChoice('model', requested);
    await interaction.deferReply(requested ? {} : { flags: MessageFlags.Ephemeral });
    if (!requested) {
      const { model, mapping, source } = await relay.currentModel(scope);
      const shown = model ? `\`${model}\`` : `the default of agent \`${mapping.agentId}\``;
      const origin = source === 'channel' ? setBy(mapping.modelSetBy) : source === 'default' ? '' : ' (from the session)';
      await interaction.editReply(replyEdit(`Model: ${shown}${origin}.${mapping.modelPending ? ' It applies from the next message.' : ''}`));
      return;
    }
    const mapping = await relay.setModel(scope, requested, personOf(interaction));
    const pending = mapping.modelPending ? ' It applies once the session has its first message.' : '';
    await interaction.editReply(replyEdit(`🔀 ${personOf(interaction).name} switched this session's model to \`${mapping.model}\`.${pending}`));
  },
  async autocomplete(interaction, { relay }) {
    const typed = interaction.options.getFocused().toLowerCase();
    const models = await relay.catalog.listModels();
    const matching = models.filter((m) => m.ref.toLowerCase().includes(typed) || m.name.toLowerCase().includes(typed));
    await interaction.respond(choices(matching.map((m) => ({ name: m.name && m.name !== m.id ? `${m.ref} (${m.name})` : m.ref, value: m.ref }))));
  },
} satisfies Command;
