// Shared state and helpers for the REST routes and the drivers: the store, the gateway, resolved options, and the
// gateway echoes Discord sends after REST writes (MESSAGE_*, THREAD_CREATE).
import { Errors } from './errors.js';
import { Intents, type Gateway } from './gateway.js';
import { channelObject, messageObject, threadMemberObject } from './objects.js';
import { MessageFlags, type Store, type StoredChannel, type StoredInteraction, type StoredMessage } from './store.js';
import type { JsonObject } from './types.js';

export interface ResolvedOptions {
  token: string;
  ackDeadlineMs: number | null;
  tokenTtlMs: number | null;
  heartbeatIntervalMs: number;
  echoMessages: boolean;
  privileged: { messageContent: boolean; guildMembers: boolean; presences: boolean };
}

/** Application flags as Discord sets them for the allowed privileged intents. */
export function applicationFlags(privileged: ResolvedOptions['privileged']): number {
  let flags = 1 << 23; // APPLICATION_COMMAND_BADGE
  if (privileged.presences) flags |= 1 << 12;
  if (privileged.guildMembers) flags |= 1 << 14;
  if (privileged.messageContent) flags |= 1 << 18;
  return flags;
}

function stripContent(obj: JsonObject): JsonObject {
  const { poll: _poll, ...rest } = obj;
  return { ...rest, content: '', embeds: [], attachments: [], components: [] };
}

export class FakeContext {
  httpBase = '';
  gatewayUrl = '';

  constructor(
    readonly store: Store,
    readonly gateway: Gateway,
    readonly options: ResolvedOptions,
  ) {}

  get botUserId(): string {
    return this.store.botUserId;
  }

  get applicationId(): string {
    return this.store.applicationId;
  }

  requireChannel(id: string): StoredChannel {
    const channel = this.store.channel(id);
    if (!channel) throw Errors.unknownChannel();
    return channel;
  }

  /** A message visible through the channel routes (not deleted, not ephemeral). */
  requireChannelMessage(channelId: string, messageId: string): StoredMessage {
    this.requireChannel(channelId);
    const m = this.store.message(messageId);
    if (!m || m.deleted || m.channelId !== channelId || m.flags & MessageFlags.Ephemeral) throw Errors.unknownMessage();
    return m;
  }

  /** The interaction behind a webhook route, checking the app id and the token's age. */
  interactionForWebhook(app: string, token: string): StoredInteraction {
    const interaction = this.store.interactionByToken(token);
    if (!interaction) throw Errors.invalidWebhookToken();
    if (app !== interaction.applicationId) throw Errors.unknownWebhook();
    const ttl = this.options.tokenTtlMs;
    if (ttl !== null && Date.now() - interaction.dispatchedAt > ttl) throw Errors.invalidWebhookToken();
    return interaction;
  }

  // --- gateway echoes ------------------------------------------------------------------------------------------

  emitMessage(t: 'MESSAGE_CREATE' | 'MESSAGE_UPDATE', m: StoredMessage): void {
    if (m.flags & MessageFlags.Ephemeral) return;
    if (m.byBot && !this.options.echoMessages) return;
    const obj = messageObject(this.store, m, { gateway: true });
    const exempt = m.authorId === this.botUserId || m.guildId === null || m.pinged.users.includes(this.botUserId);
    this.gateway.dispatch(t, obj, {
      transform: (intents) => (exempt || intents & Intents.MessageContent ? obj : stripContent(obj)),
    });
  }

  emitMessageDelete(m: StoredMessage): void {
    if (m.flags & MessageFlags.Ephemeral) return;
    if (m.byBot && !this.options.echoMessages) return;
    const d: JsonObject = { id: m.id, channel_id: m.channelId };
    if (m.guildId) d['guild_id'] = m.guildId;
    this.gateway.dispatch('MESSAGE_DELETE', d);
  }

  emitThreadCreate(thread: StoredChannel): void {
    const d: JsonObject = { ...channelObject(this.store, thread), newly_created: true };
    const member = threadMemberObject(thread, this.botUserId);
    if (member) d['member'] = member;
    this.gateway.dispatch('THREAD_CREATE', d);
  }

  emitChannelUpdate(channel: StoredChannel): void {
    this.gateway.dispatch(channel.thread ? 'THREAD_UPDATE' : 'CHANNEL_UPDATE', channelObject(this.store, channel));
  }
}
