// In-memory state of the fake: users, guilds, channels, messages (with every version), interactions, commands.
import { EventEmitter } from 'node:events';
import type { AttachmentCdn, StoredAttachment } from './attachments.js';
import { snowflake } from './snowflake.js';
import type {
  CallbackRecord,
  FakeChannelSpec,
  FakeGuildSpec,
  FakeUserSpec,
  JsonObject,
  MentionSet,
  MessageSource,
  MessageVersion,
} from './types.js';

export const ChannelType = {
  GuildText: 0,
  DM: 1,
  GuildVoice: 2,
  GuildCategory: 4,
  GuildAnnouncement: 5,
  AnnouncementThread: 10,
  PublicThread: 11,
  PrivateThread: 12,
  GuildForum: 15,
} as const;

export function isThreadType(type: number): boolean {
  return type === ChannelType.AnnouncementThread || type === ChannelType.PublicThread || type === ChannelType.PrivateThread;
}

export function isTextBasedType(type: number): boolean {
  return (
    type === ChannelType.GuildText ||
    type === ChannelType.DM ||
    type === ChannelType.GuildVoice ||
    type === ChannelType.GuildAnnouncement ||
    isThreadType(type)
  );
}

export interface StoredUser {
  id: string;
  username: string;
  globalName: string | null;
  avatar: string | null;
  bot: boolean;
}

export interface StoredRole {
  id: string;
  name: string;
  permissions: string;
  color: number;
  position: number;
  mentionable: boolean;
  hoist: boolean;
  managed: boolean;
  /** A bot's managed role carries the bot's user id. */
  tags?: { bot_id: string };
}

export interface StoredMember {
  userId: string;
  roles: string[];
  nick: string | null;
  joinedAt: number;
}

export interface StoredGuild {
  id: string;
  name: string;
  ownerId: string;
  preferredLocale: string;
  roles: Map<string, StoredRole>;
  members: Map<string, StoredMember>;
  joinedAt: number;
}

export interface StoredThreadState {
  ownerId: string;
  archived: boolean;
  locked: boolean;
  autoArchiveDuration: number;
  archiveTimestamp: number;
  createTimestamp: number;
  invitable: boolean;
  messageCount: number;
  totalMessageSent: number;
  members: Map<string, number>;
}

export interface StoredChannel {
  id: string;
  type: number;
  name: string | null;
  guildId: string | null;
  parentId: string | null;
  topic: string | null;
  nsfw: boolean;
  position: number;
  lastMessageId: string | null;
  rateLimitPerUser: number;
  flags: number;
  /** DM channels: the recipient user ids. */
  recipients: string[];
  thread: StoredThreadState | null;
  /** The bot has View Channel here (a thread also needs it on its parent). */
  botCanView: boolean;
}

export type { StoredAttachment };

export interface StoredInteractionMeta {
  id: string;
  type: number;
  name: string | null;
  userId: string;
  commandType: number | null;
  interactedMessageId: string | null;
  originalResponseMessageId: string | null;
}

export interface StoredMessage {
  id: string;
  channelId: string;
  guildId: string | null;
  authorId: string;
  byBot: boolean;
  source: MessageSource;
  type: number;
  createdAt: number;
  editedAt: number | null;
  deleted: boolean;
  deletedAt: number | null;
  content: string;
  embeds: unknown[];
  components: unknown[];
  flags: number;
  attachments: StoredAttachment[];
  tts: boolean;
  pinned: boolean;
  nonce: string | number | null;
  poll: unknown;
  contentMentions: MentionSet;
  pinged: MentionSet;
  versions: MessageVersion[];
  webhookId: string | null;
  applicationId: string | null;
  interaction: StoredInteractionMeta | null;
  interactionToken: string | null;
  replyTo: string | null;
  threadId: string | null;
  reactions: Map<string, Set<string>>;
}

export interface StoredInteraction {
  id: string;
  token: string;
  type: number;
  applicationId: string;
  channelId: string;
  guildId: string | null;
  userId: string;
  dispatchedAt: number;
  payload: JsonObject;
  commandName: string | null;
  commandType: number | null;
  callbacks: CallbackRecord[];
  ackedAt: number | null;
  ackType: number | null;
  originalMessageId: string | null;
  componentMessageId: string | null;
  followUpIds: string[];
  choices: JsonObject[] | null;
  modal: JsonObject | null;
}

export interface StoredCommand {
  id: string;
  application_id: string;
  guild_id?: string;
  version: string;
  type: number;
  name: string;
  description: string;
  [key: string]: unknown;
}

export const EMPTY_MENTIONS: MentionSet = Object.freeze({ users: [], roles: [], everyone: false }) as MentionSet;

const DEFAULT_CHANNELS: FakeChannelSpec[] = [
  { name: 'general', type: ChannelType.GuildText, topic: 'General chat' },
  { name: 'random', type: ChannelType.GuildText },
];

function titleCase(name: string): string {
  return name.length > 0 ? name[0]!.toUpperCase() + name.slice(1) : name;
}

export class Store {
  readonly users = new Map<string, StoredUser>();
  readonly guilds = new Map<string, StoredGuild>();
  readonly channels = new Map<string, StoredChannel>();
  readonly messages = new Map<string, StoredMessage>();
  /** Creation order of messages, for listing. */
  readonly messageOrder: string[] = [];
  /** Per channel: ids of its non-ephemeral messages in creation order. */
  private readonly channelMessageIds = new Map<string, string[]>();
  readonly interactions = new Map<string, StoredInteraction>();
  readonly interactionsByToken = new Map<string, StoredInteraction>();
  /** 'global' or a guild id → command id → command. */
  readonly commands = new Map<string, Map<string, StoredCommand>>();
  /** Emits 'change' after anything was recorded; waitFor() listens to it. */
  readonly events = new EventEmitter();
  readonly botUserId: string;
  readonly applicationId: string;
  private readonly botUsername: string;

  /** Attachment bytes and urls. */
  readonly cdn: AttachmentCdn;

  constructor(opts: { botUserId: string; applicationId: string; botUsername: string; guilds?: FakeGuildSpec[]; cdn: AttachmentCdn }) {
    this.cdn = opts.cdn;
    this.events.setMaxListeners(0);
    this.botUserId = opts.botUserId;
    this.applicationId = opts.applicationId;
    this.botUsername = opts.botUsername;
    this.users.set(opts.botUserId, {
      id: opts.botUserId,
      username: opts.botUsername,
      globalName: null,
      avatar: null,
      bot: true,
    });
    const specs = opts.guilds ?? [{}];
    for (const spec of specs) this.addGuild(spec);
  }

  changed(): void {
    this.events.emit('change');
  }

  // --- users ---------------------------------------------------------------------------------------------------

  upsertUser(spec: FakeUserSpec | undefined, fallback?: Partial<StoredUser>): StoredUser {
    const id = spec?.id ?? fallback?.id ?? snowflake();
    const existing = this.users.get(id);
    if (existing && spec === undefined) return existing;
    const username = spec?.username ?? existing?.username ?? fallback?.username ?? `user${id.slice(-4)}`;
    const user: StoredUser = {
      id,
      username,
      globalName:
        spec?.globalName !== undefined
          ? spec.globalName
          : (existing?.globalName ?? (fallback?.globalName !== undefined ? fallback.globalName : titleCase(username))),
      avatar: spec?.avatar !== undefined ? spec.avatar : (existing?.avatar ?? null),
      bot: spec?.bot ?? existing?.bot ?? false,
    };
    this.users.set(id, user);
    return user;
  }

  user(id: string): StoredUser | undefined {
    return this.users.get(id);
  }

  // --- guilds and channels -------------------------------------------------------------------------------------

  addGuild(spec: FakeGuildSpec): StoredGuild {
    const id = spec.id ?? snowflake();
    const now = Date.now();
    const guild: StoredGuild = {
      id,
      name: spec.name ?? 'Fake Guild',
      ownerId: spec.ownerId ?? snowflake(),
      preferredLocale: spec.preferredLocale ?? 'en-US',
      roles: new Map(),
      members: new Map(),
      joinedAt: now,
    };
    guild.roles.set(id, {
      id,
      name: '@everyone',
      permissions: DEFAULT_EVERYONE_PERMISSIONS,
      color: 0,
      position: 0,
      mentionable: false,
      hoist: false,
      managed: false,
    });
    let position = 1;
    for (const role of spec.roles ?? []) {
      const roleId = role.id ?? snowflake();
      guild.roles.set(roleId, {
        id: roleId,
        name: role.name,
        permissions: role.permissions ?? '0',
        color: role.color ?? 0,
        position: role.position ?? position,
        mentionable: role.mentionable ?? false,
        hoist: false,
        managed: false,
      });
      position += 1;
    }
    // Discord gives a bot joining with permissions a managed role named after it, tagged with its id
    // (permissions.mdx, Role Tags: bot_id); members can mention it like any role.
    const botRoleId = snowflake();
    guild.roles.set(botRoleId, {
      id: botRoleId,
      name: this.botUsername,
      permissions: DEFAULT_BOT_PERMISSIONS,
      color: 0,
      position,
      mentionable: false,
      hoist: false,
      managed: true,
      tags: { bot_id: this.botUserId },
    });
    this.guilds.set(id, guild);
    guild.members.set(this.botUserId, { userId: this.botUserId, roles: [botRoleId], nick: null, joinedAt: now });
    for (const member of spec.members ?? []) {
      const user = this.upsertUser(member.user);
      guild.members.set(user.id, { userId: user.id, roles: member.roles ?? [], nick: member.nick ?? null, joinedAt: now });
    }
    const channelSpecs = spec.channels ?? DEFAULT_CHANNELS;
    // Non-threads first, so that threads can name a parent given in the same list.
    const ordered = [...channelSpecs.filter((c) => !isThreadType(c.type ?? 0)), ...channelSpecs.filter((c) => isThreadType(c.type ?? 0))];
    let channelPosition = 0;
    for (const c of ordered) {
      const type = c.type ?? ChannelType.GuildText;
      const channel: StoredChannel = {
        id: c.id ?? snowflake(),
        type,
        name: c.name,
        guildId: id,
        parentId: c.parentId ?? null,
        topic: c.topic ?? null,
        nsfw: c.nsfw ?? false,
        position: isThreadType(type) ? 0 : channelPosition++,
        lastMessageId: null,
        rateLimitPerUser: 0,
        flags: 0,
        recipients: [],
        thread: null,
        botCanView: c.botCanView ?? true,
      };
      if (isThreadType(type)) {
        if (!channel.parentId) throw new Error(`fake-discord: thread '${c.name}' needs parentId`);
        channel.thread = {
          ownerId: guild.ownerId,
          archived: c.archived ?? false,
          locked: c.locked ?? false,
          autoArchiveDuration: 1440,
          archiveTimestamp: now,
          createTimestamp: now,
          invitable: true,
          messageCount: 0,
          totalMessageSent: 0,
          members: new Map(),
        };
      }
      this.channels.set(channel.id, channel);
    }
    return guild;
  }

  guild(id: string): StoredGuild | undefined {
    return this.guilds.get(id);
  }

  /** The bot's managed role in a guild. */
  botRole(guildId: string): StoredRole | undefined {
    return [...(this.guilds.get(guildId)?.roles.values() ?? [])].find((r) => r.tags?.bot_id === this.botUserId);
  }

  channel(id: string): StoredChannel | undefined {
    return this.channels.get(id);
  }

  guildChannels(guildId: string): StoredChannel[] {
    return [...this.channels.values()].filter((c) => c.guildId === guildId);
  }

  /** The default channel of the fake: the first guild's 'general', or its first text channel. */
  defaultChannel(): StoredChannel {
    const firstGuild = this.guilds.values().next().value;
    if (!firstGuild) throw new Error('fake-discord: no guild');
    const channels = this.guildChannels(firstGuild.id);
    const found =
      channels.find((c) => c.name === 'general' && c.type === ChannelType.GuildText) ??
      channels.find((c) => c.type === ChannelType.GuildText) ??
      channels.find((c) => isTextBasedType(c.type));
    if (!found) throw new Error('fake-discord: the first guild has no text channel');
    return found;
  }

  ensureMember(guildId: string, userId: string, opts?: { roles?: string[]; nick?: string | null }): StoredMember {
    const guild = this.guilds.get(guildId);
    if (!guild) throw new Error(`fake-discord: unknown guild ${guildId}`);
    let member = guild.members.get(userId);
    if (!member) {
      member = { userId, roles: [], nick: null, joinedAt: Date.now() };
      guild.members.set(userId, member);
    }
    if (opts?.roles) member.roles = [...opts.roles];
    if (opts?.nick !== undefined) member.nick = opts.nick;
    return member;
  }

  dmChannelFor(userId: string): StoredChannel {
    for (const c of this.channels.values()) {
      if (c.type === ChannelType.DM && c.recipients.includes(userId)) return c;
    }
    const channel: StoredChannel = {
      id: snowflake(),
      type: ChannelType.DM,
      name: null,
      guildId: null,
      parentId: null,
      topic: null,
      nsfw: false,
      position: 0,
      lastMessageId: null,
      rateLimitPerUser: 0,
      flags: 0,
      recipients: [userId],
      thread: null,
      botCanView: true,
    };
    this.channels.set(channel.id, channel);
    return channel;
  }

  // --- messages ------------------------------------------------------------------------------------------------

  addMessage(message: StoredMessage): StoredMessage {
    this.messages.set(message.id, message);
    this.messageOrder.push(message.id);
    const channel = this.channels.get(message.channelId);
    if (!(message.flags & MessageFlags.Ephemeral)) {
      let ids = this.channelMessageIds.get(message.channelId);
      if (!ids) {
        ids = [];
        this.channelMessageIds.set(message.channelId, ids);
      }
      ids.push(message.id);
    }
    if (channel && !(message.flags & MessageFlags.Ephemeral)) {
      channel.lastMessageId = message.id;
      if (channel.thread && message.type !== 21) {
        channel.thread.messageCount += 1;
        channel.thread.totalMessageSent += 1;
      }
    }
    return message;
  }

  message(id: string): StoredMessage | undefined {
    return this.messages.get(id);
  }

  /** Messages in creation order. */
  listMessages(filter: (m: StoredMessage) => boolean): StoredMessage[] {
    const out: StoredMessage[] = [];
    for (const id of this.messageOrder) {
      const m = this.messages.get(id);
      if (m && filter(m)) out.push(m);
    }
    return out;
  }

  /** Non-ephemeral messages of a channel (deleted ones included), in creation order. */
  channelMessages(channelId: string): StoredMessage[] {
    const ids = this.channelMessageIds.get(channelId) ?? [];
    return ids.map((id) => this.messages.get(id)).filter((m): m is StoredMessage => m !== undefined);
  }

  /** Position of a message inside its thread (0 = first), as Discord sends in `position`. */
  threadPosition(message: StoredMessage): number | null {
    const channel = this.channels.get(message.channelId);
    if (!channel?.thread) return null;
    return (this.channelMessageIds.get(message.channelId) ?? []).indexOf(message.id);
  }

  // --- interactions --------------------------------------------------------------------------------------------

  addInteraction(interaction: StoredInteraction): void {
    this.interactions.set(interaction.id, interaction);
    this.interactionsByToken.set(interaction.token, interaction);
  }

  interactionByToken(token: string): StoredInteraction | undefined {
    return this.interactionsByToken.get(token);
  }

  // --- commands ------------------------------------------------------------------------------------------------

  commandScope(guildId: string | null): Map<string, StoredCommand> {
    const key = guildId ?? 'global';
    let scope = this.commands.get(key);
    if (!scope) {
      scope = new Map();
      this.commands.set(key, scope);
    }
    return scope;
  }

  /** The command an interaction named `name` would run: a guild command first, then a global one. */
  findCommand(name: string, type: number, guildId: string | null): StoredCommand | undefined {
    const scopes = guildId ? [this.commands.get(guildId), this.commands.get('global')] : [this.commands.get('global')];
    for (const scope of scopes) {
      for (const command of scope?.values() ?? []) {
        if (command.name === name && command.type === type) return command;
      }
    }
    return undefined;
  }
}

export const MessageFlags = {
  Crossposted: 1 << 0,
  SuppressEmbeds: 1 << 2,
  HasThread: 1 << 5,
  Ephemeral: 1 << 6,
  Loading: 1 << 7,
  SuppressNotifications: 1 << 12,
  IsComponentsV2: 1 << 15,
} as const;

// Permission bits used for defaults.
const P = {
  CreateInstantInvite: 1n << 0n,
  AddReactions: 1n << 6n,
  Stream: 1n << 9n,
  ViewChannel: 1n << 10n,
  SendMessages: 1n << 11n,
  ManageMessages: 1n << 13n,
  EmbedLinks: 1n << 14n,
  AttachFiles: 1n << 15n,
  ReadMessageHistory: 1n << 16n,
  MentionEveryone: 1n << 17n,
  UseExternalEmojis: 1n << 18n,
  Connect: 1n << 20n,
  Speak: 1n << 21n,
  UseVAD: 1n << 25n,
  ChangeNickname: 1n << 26n,
  UseApplicationCommands: 1n << 31n,
  ManageThreads: 1n << 34n,
  CreatePublicThreads: 1n << 35n,
  CreatePrivateThreads: 1n << 36n,
  UseExternalStickers: 1n << 37n,
  SendMessagesInThreads: 1n << 38n,
  SendVoiceMessages: 1n << 46n,
  SendPolls: 1n << 49n,
};

const MEMBER_BITS =
  P.CreateInstantInvite |
  P.AddReactions |
  P.Stream |
  P.ViewChannel |
  P.SendMessages |
  P.EmbedLinks |
  P.AttachFiles |
  P.ReadMessageHistory |
  P.UseExternalEmojis |
  P.Connect |
  P.Speak |
  P.UseVAD |
  P.ChangeNickname |
  P.UseApplicationCommands |
  P.CreatePublicThreads |
  P.CreatePrivateThreads |
  P.UseExternalStickers |
  P.SendMessagesInThreads |
  P.SendVoiceMessages |
  P.SendPolls;

/** What a plain member (no admin, no manage) can do. */
export const DEFAULT_MEMBER_PERMISSIONS = MEMBER_BITS.toString();
export const DEFAULT_EVERYONE_PERMISSIONS = MEMBER_BITS.toString();
/** The bot: a plain member plus manage messages/threads and mention everyone. */
export const DEFAULT_BOT_PERMISSIONS = (MEMBER_BITS | P.ManageMessages | P.ManageThreads | P.MentionEveryone).toString();
