import { MessageFlags } from 'discord.js';
import type { Command } from '../src/discord/command.js';
import { duration, setBy, when } from '../src/discord/format.js';
import { scopeOf } from '../src/discord/interaction.js';
import { replyEdit } from '../src/discord/respond.js';

export default {
  definition: { name: 'status', description: "The gateway, this channel's session and the runs in progress" },
  access: 'member',
  async execute(interaction, { relay }) {
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const status = await relay.status(scopeOf(interaction));
    const { gateway, mapping } = status;
    const lines = ['**Gateway**'];
    if (gateway.connected) {
      lines.push(
        `✅ connected: ${gateway.dialect === 'card' ? 'card dialect' : `OpenClaw protocol v${gateway.protocol}`}, version ${gateway.version ?? 'unknown'}, up ${duration(gateway.uptimeMs)}`,
        `${gateway.sessions ?? '?'} sessions, ${gateway.agents ?? '?'} agents`,
      );
    } else {
      lines.push(`⚠️ unreachable, retrying${gateway.reason ? `: ${gateway.reason}` : ''}`);
    }
    lines.push(
      '',
      `**This ${mapping.kind === 'thread' ? 'thread' : 'channel'}**`,
      `agent \`${mapping.agentId}\`${setBy(mapping.agentSetBy)}`,
      `model ${mapping.model ? `\`${mapping.model}\`${setBy(mapping.modelSetBy)}` : 'the agent default'}`,
      `session \`${mapping.sessionKey}\``,
      status.running ? `▶️ answering ${status.running.requester.name} since ${when(status.running.startedAt)}${status.queued ? `, ${status.queued} waiting` : ''}` : 'idle',
      '',
      `**clawcord**: ${status.activeRuns} answer${status.activeRuns === 1 ? '' : 's'} streaming in all channels`,
    );
    await interaction.editReply(replyEdit(lines.join('\n')));
  },
} satisfies Command;
