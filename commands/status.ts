import { MessageFlags } from 'discord.js';
import type { Command } from '../src/discord/command.js';
import { duration, setBy, when } from '../src/discord/format.js';
import { scopeOf } from '../src/discord/interaction.js';
import { replyEdit } from '../src/discord/respond.js';
import { describeFiles } from '../src/gateway/attachment-limits.js';
import type { GatewayFeatures } from '../src/gateway/types.js';

const onOff = (on: boolean) => (on ? 'on' : 'off');

/** What this connection lets clawcord do beyond chat, and how to get what the gateway withheld. */
export function featureLines(features: GatewayFeatures | undefined): string[] {
  if (!features) return [];
  const lines = [
    `tool progress ${onOff(features.toolProgress)} · approvals ${onOff(features.approvals)}${features.approvals && !features.listApprovals ? ' (not re-read after a reconnect)' : ''} · steering ${onOff(features.steer)}${features.steer ? '' : ' (follow-ups wait for the answer)'}`,
    describeFiles(features),
  ];
  // Only where commands run at all: the card runs none.
  if (features.toolProgress && !features.stopsBackgroundCommands) lines.push('Stop ends a command the agent runs now, not one it moved to the background.');
  const missing = features.missingScopes.filter((scope) => scope.trim() !== '');
  if (missing.length > 0) {
    const scopes = missing.map((scope) => `\`${scope.replace(/`/g, '')}\``).join(', ');
    lines.push(`⚠️ the gateway did not grant ${scopes}: re-pair clawcord's device to grant ${missing.map((scope) => scope.replace(/`/g, '')).join(', ')}.`);
  }
  return lines;
}

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
        ...featureLines(relay.gateway.info?.features),
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
