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
  /** The bot's permissions in a channel it can view (app_permissions). */
  botPermissions: bigint;
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

const VIEW_CHANNEL = 1n << 10n;

export class FakeContext {
  httpBase = '';
  gatewayUrl = '';
  /** advanceClock() moves the fake's time forward by this much (token lifetimes, the ack deadline). */
  clockOffsetMs = 0;

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

  /** The fake's clock: real time plus what advanceClock() added. */
  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  /** Whether the bot has View Channel there (a thread follows its parent). */
  botCanView(channel: StoredChannel): boolean {
    if (!channel.botCanView) return false;
    const parent = channel.parentId && channel.thread ? this.store.channel(channel.parentId) : undefined;
    return parent ? this.botCanView(parent) : true;
  }

  /** app_permissions of an interaction in this channel. */
  appPermissionsIn(channel: StoredChannel): string {
    const bits = this.options.botPermissions;
    return (this.botCanView(channel) ? bits : bits & ~VIEW_CHANNEL).toString();
  }

  /**
   * A channel for the channel routes. Without View Channel they answer 50001 Missing Access, while the interaction
   * callback and webhook still work there: they act for the application, not the bot member (the review, finding 12).
   */
  requireChannel(id: string): StoredChannel {
    const channel = this.store.channel(id);
    if (!channel) throw Errors.unknownChannel();
    if (!this.botCanView(channel)) throw Errors.missingAccess();
    return channel;
  }

  /**
   * A channel a new message goes into. threads.mdx: "Sending a message will automatically unarchive the thread,
   * unless the thread has been locked by a moderator" (then 160005, Thread is locked).
   */
  postInto(channel: StoredChannel): StoredChannel {
    if (channel.thread?.archived) {
      if (channel.thread.locked) throw Errors.threadLocked();
      channel.thread.archived = false;
      channel.thread.archiveTimestamp = this.now();
      this.emitChannelUpdate(channel);
    }
    return channel;
  }

  /** A message that is edited or deleted: opcodes-and-status-codes.mdx, 50083 "… on an archived thread, such as editing a message". */
  requireNotArchived(m: StoredMessage): void {
    if (this.store.channel(m.channelId)?.thread?.archived) throw Errors.threadArchived();
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
    // receiving-and-responding.mdx: "Interaction tokens are valid for 15 minutes".
    const ttl = this.options.tokenTtlMs;
    if (ttl !== null && this.now() - interaction.dispatchedAt > ttl) throw Errors.invalidWebhookToken();
    return interaction;
  }

  // --- gateway echoes ------------------------------------------------------------------------------------------

  emitMessage(t: 'MESSAGE_CREATE' | 'MESSAGE_UPDATE', m: StoredMessage): void {
    if (m.flags & MessageFlags.Ephemeral) return;
    if (m.byBot && !this.options.echoMessages) return;
    const channel = this.store.channel(m.channelId);
    if (channel && !this.botCanView(channel)) return;
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
