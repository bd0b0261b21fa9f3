import { PermissionFlagsBits, type BaseInteraction, type GuildMember, type Message, type APIInteractionGuildMember } from 'discord.js';
import type { Person, Scope } from '../relay/relay.js';
import type { Actor } from './access.js';

type Where = Pick<BaseInteraction, 'channelId' | 'channel' | 'guildId'>;

/** The channel, thread or DM an interaction or message happened in. */
export function scopeOf(where: Where): Scope {
  const channel = where.channel;
  const id = where.channelId ?? channel?.id ?? 'unknown';
  if (!where.guildId) return { id, guildId: null, kind: 'dm', parentId: null };
  if (channel?.isThread()) return { id, guildId: where.guildId, kind: 'thread', parentId: channel.parentId };
  return { id, guildId: where.guildId, kind: 'channel', parentId: null };
}

function memberName(member: GuildMember | APIInteractionGuildMember | null | undefined): string | undefined {
  if (!member) return undefined;
  if ('displayName' in member) return member.displayName;
  return member.nick ?? undefined;
}

/** Who is speaking, by the name people see in this server. */
export function personOf(source: Pick<BaseInteraction, 'user' | 'member'> | Pick<Message, 'author' | 'member'>): Person {
  const user = 'user' in source ? source.user : source.author;
  return { id: user.id, name: memberName(source.member) ?? user.globalName ?? user.username };
}

function roleIdsOf(member: GuildMember | APIInteractionGuildMember | null | undefined): string[] {
  if (!member) return [];
  return Array.isArray(member.roles) ? member.roles : [...member.roles.cache.keys()];
}

function canManageGuild(member: GuildMember | APIInteractionGuildMember | null | undefined, interactionPermissions?: bigint | null): boolean {
  if (interactionPermissions !== undefined && interactionPermissions !== null) {
    return (interactionPermissions & PermissionFlagsBits.ManageGuild) !== 0n || (interactionPermissions & PermissionFlagsBits.Administrator) !== 0n;
  }
  if (!member) return false;
  if (typeof member.permissions === 'string') {
    const bits = BigInt(member.permissions);
    return (bits & PermissionFlagsBits.ManageGuild) !== 0n || (bits & PermissionFlagsBits.Administrator) !== 0n;
  }
  return member.permissions.has(PermissionFlagsBits.ManageGuild);
}

export function actorOf(interaction: BaseInteraction): Actor {
  const scope = scopeOf(interaction);
  return {
    userId: interaction.user.id,
    guildId: scope.guildId,
    channelId: scope.kind === 'thread' && scope.parentId ? scope.parentId : scope.id,
    roleIds: roleIdsOf(interaction.member),
    canManageGuild: canManageGuild(interaction.member, interaction.memberPermissions?.bitfield),
  };
}

export function actorOfMessage(message: Message): Actor {
  const scope = scopeOf({ channelId: message.channelId, channel: message.channel, guildId: message.guildId });
  return {
    userId: message.author.id,
    guildId: scope.guildId,
    channelId: scope.kind === 'thread' && scope.parentId ? scope.parentId : scope.id,
    roleIds: roleIdsOf(message.member),
    canManageGuild: canManageGuild(message.member),
  };
}
