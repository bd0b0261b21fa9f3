// Builders of Discord-shaped JSON objects (users, members, channels, guilds, messages) from the store.
import {
  DEFAULT_BOT_PERMISSIONS,
  isThreadType,
  type Store,
  type StoredAttachment,
  type StoredChannel,
  type StoredGuild,
  type StoredMember,
  type StoredMessage,
  type StoredRole,
  type StoredUser,
} from './store.js';
import type { JsonObject } from './types.js';

export function iso(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+00:00');
}

export function userObject(user: StoredUser): JsonObject {
  const obj: JsonObject = {
    id: user.id,
    username: user.username,
    discriminator: '0',
    global_name: user.globalName,
    avatar: user.avatar,
    public_flags: 0,
    flags: 0,
    banner: null,
    accent_color: null,
    avatar_decoration_data: null,
    collectibles: null,
    primary_guild: null,
  };
  if (user.bot) obj['bot'] = true;
  return obj;
}

export function roleObject(role: StoredRole): JsonObject {
  return {
    id: role.id,
    name: role.name,
    description: null,
    color: role.color,
    colors: { primary_color: role.color, secondary_color: null, tertiary_color: null },
    hoist: role.hoist,
    icon: null,
    unicode_emoji: null,
    position: role.position,
    permissions: role.permissions,
    managed: role.managed,
    mentionable: role.mentionable,
    flags: 0,
    ...(role.tags ? { tags: { ...role.tags } } : {}),
  };
}

export function memberObject(
  store: Store,
  member: StoredMember,
  opts: { withUser?: boolean; permissions?: string } = {},
): JsonObject {
  const obj: JsonObject = {
    avatar: null,
    banner: null,
    communication_disabled_until: null,
    flags: 0,
    joined_at: iso(member.joinedAt),
    nick: member.nick,
    pending: false,
    premium_since: null,
    roles: [...member.roles],
    deaf: false,
    mute: false,
  };
  if (opts.withUser !== false) {
    const user = store.user(member.userId);
    if (user) obj['user'] = userObject(user);
  }
  if (opts.permissions !== undefined) obj['permissions'] = opts.permissions;
  return obj;
}

export function channelObject(store: Store, channel: StoredChannel, opts: { permissions?: string } = {}): JsonObject {
  if (channel.type === 1) {
    const obj: JsonObject = {
      id: channel.id,
      type: 1,
      last_message_id: channel.lastMessageId,
      flags: 0,
      recipients: channel.recipients.map((id) => store.user(id)).filter((u) => u !== undefined).map(userObject),
    };
    if (opts.permissions !== undefined) obj['permissions'] = opts.permissions;
    return obj;
  }
  const obj: JsonObject = {
    id: channel.id,
    type: channel.type,
    guild_id: channel.guildId,
    name: channel.name,
    parent_id: channel.parentId,
    flags: channel.flags,
    last_message_id: channel.lastMessageId,
    rate_limit_per_user: channel.rateLimitPerUser,
    nsfw: channel.nsfw,
  };
  if (channel.thread) {
    const t = channel.thread;
    Object.assign(obj, {
      owner_id: t.ownerId,
      message_count: t.messageCount,
      member_count: Math.min(t.members.size, 50),
      total_message_sent: t.totalMessageSent,
      thread_metadata: {
        archived: t.archived,
        auto_archive_duration: t.autoArchiveDuration,
        archive_timestamp: iso(t.archiveTimestamp),
        locked: t.locked,
        create_timestamp: iso(t.createTimestamp),
        ...(channel.type === 12 ? { invitable: t.invitable } : {}),
      },
    });
    if (channel.type === 11 || channel.type === 10) obj['applied_tags'] = [];
  } else {
    Object.assign(obj, {
      position: channel.position,
      permission_overwrites: [],
      topic: channel.topic,
    });
    if (channel.type === 15) Object.assign(obj, { available_tags: [], default_reaction_emoji: null, default_sort_order: null, default_forum_layout: 0 });
  }
  if (opts.permissions !== undefined) obj['permissions'] = opts.permissions;
  return obj;
}

export function threadMemberObject(channel: StoredChannel, userId: string): JsonObject | null {
  const joined = channel.thread?.members.get(userId);
  if (joined === undefined) return null;
  return { id: channel.id, user_id: userId, join_timestamp: iso(joined), flags: 1 };
}

export function guildObject(guild: StoredGuild): JsonObject {
  return {
    id: guild.id,
    name: guild.name,
    icon: null,
    icon_hash: null,
    splash: null,
    discovery_splash: null,
    banner: null,
    description: null,
    owner_id: guild.ownerId,
    region: 'deprecated',
    afk_channel_id: null,
    afk_timeout: 300,
    widget_enabled: false,
    widget_channel_id: null,
    verification_level: 0,
    default_message_notifications: 1,
    explicit_content_filter: 0,
    roles: [...guild.roles.values()].map(roleObject),
    emojis: [],
    stickers: [],
    features: [],
    mfa_level: 0,
    application_id: null,
    system_channel_id: null,
    system_channel_flags: 0,
    rules_channel_id: null,
    public_updates_channel_id: null,
    safety_alerts_channel_id: null,
    max_presences: null,
    max_members: 500000,
    max_video_channel_users: 25,
    max_stage_video_channel_users: 50,
    vanity_url_code: null,
    premium_tier: 0,
    premium_subscription_count: 0,
    preferred_locale: guild.preferredLocale,
    nsfw_level: 0,
    nsfw: false,
    premium_progress_bar_enabled: false,
    incidents_data: null,
    home_header: null,
  };
}

/** GUILD_CREATE `d`: the guild plus channels, active threads and (at least) the bot's member. */
export function guildCreateObject(store: Store, guild: StoredGuild): JsonObject {
  const channels = store.guildChannels(guild.id);
  const botMember = guild.members.get(store.botUserId);
  return {
    ...guildObject(guild),
    joined_at: iso(guild.joinedAt),
    large: false,
    unavailable: false,
    member_count: guild.members.size,
    voice_states: [],
    members: botMember ? [memberObject(store, botMember)] : [],
    channels: channels.filter((c) => !isThreadType(c.type)).map((c) => channelObject(store, c)),
    threads: channels
      .filter((c) => isThreadType(c.type) && !c.thread?.archived)
      .map((c) => {
        const obj = channelObject(store, c);
        const member = threadMemberObject(c, store.botUserId);
        if (member) obj['member'] = member;
        return obj;
      }),
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
  };
}

export function applicationObject(store: Store, flags: number): JsonObject {
  const bot = store.user(store.botUserId);
  return {
    id: store.applicationId,
    name: bot?.username ?? 'bot',
    icon: null,
    description: '',
    summary: '',
    type: null,
    bot_public: true,
    bot_require_code_grant: false,
    verify_key: '0'.repeat(64),
    flags,
    team: null,
    owner: { id: '1000000000000000001', username: 'owner', discriminator: '0', global_name: 'Owner', avatar: null, public_flags: 0, flags: 0 },
    bot: bot ? userObject(bot) : undefined,
    approximate_guild_count: store.guilds.size,
    install_params: { scopes: ['bot', 'applications.commands'], permissions: DEFAULT_BOT_PERMISSIONS },
    integration_types_config: { '0': {}, '1': {} },
    interactions_endpoint_url: null,
    redirect_uris: [],
    tags: [],
    hook: true,
  };
}

const SELECT_TYPES = new Set([3, 5, 6, 7, 8]);

/**
 * Components as Discord answers them: every component has an `id` (components reference: left out, the API gives
 * sequential ones, skipping ids already used) and selects their min_values and max_values (default 1).
 */
export function componentsForResponse(components: unknown[]): unknown[] {
  const used = new Set<number>();
  const collect = (list: unknown[]): void => {
    for (const c of list) {
      if (typeof c !== 'object' || c === null) continue;
      const obj = c as JsonObject;
      if (typeof obj['id'] === 'number' && obj['id'] > 0) used.add(obj['id']);
      if (Array.isArray(obj['components'])) collect(obj['components']);
      if (typeof obj['accessory'] === 'object' && obj['accessory'] !== null) collect([obj['accessory']]);
    }
  };
  collect(components);
  let next = 1;
  const fill = (list: unknown[]): unknown[] =>
    list.map((c) => {
      if (typeof c !== 'object' || c === null) return c;
      const out: JsonObject = { ...(c as JsonObject) };
      if (!(typeof out['id'] === 'number' && out['id'] > 0)) {
        while (used.has(next)) next += 1;
        out['id'] = next;
        used.add(next);
      }
      if (typeof out['type'] === 'number' && SELECT_TYPES.has(out['type'])) {
        out['min_values'] ??= 1;
        out['max_values'] ??= 1;
      }
      if (Array.isArray(out['components'])) out['components'] = fill(out['components']);
      if (typeof out['accessory'] === 'object' && out['accessory'] !== null) out['accessory'] = fill([out['accessory']])[0];
      return out;
    });
  return fill(components);
}

/** message.mdx, Attachment Object; the url signed anew once its signature ran out. */
export function attachmentObject(store: Store, stored: StoredAttachment): JsonObject {
  const a = store.cdn.fresh(stored);
  const obj: JsonObject = { id: a.id, filename: a.filename, size: a.size, url: a.url, proxy_url: a.proxyUrl, content_type: a.contentType };
  if (a.width !== undefined && a.height !== undefined) Object.assign(obj, { width: a.width, height: a.height });
  if (a.description !== undefined) obj['description'] = a.description;
  if (a.title !== undefined) obj['title'] = a.title;
  if (a.flags) obj['flags'] = a.flags;
  if (a.ephemeral) obj['ephemeral'] = true;
  return obj;
}

export interface MessageObjectOptions {
  /** Gateway payloads carry guild_id and the author's member. */
  gateway?: boolean;
  /** Don't embed referenced_message (it is itself embedded). */
  nested?: boolean;
}

export function messageObject(store: Store, m: StoredMessage, opts: MessageObjectOptions = {}): JsonObject {
  const author = store.user(m.authorId);
  const obj: JsonObject = {
    type: m.type,
    content: m.content,
    mentions: m.pinged.users.map((id) => store.user(id)).filter((u) => u !== undefined).map(userObject),
    mention_roles: [...m.pinged.roles],
    attachments: m.attachments.map((a) => attachmentObject(store, a)),
    embeds: m.embeds,
    timestamp: iso(m.createdAt),
    edited_timestamp: m.editedAt === null ? null : iso(m.editedAt),
    flags: m.flags,
    components: componentsForResponse(m.components),
    id: m.id,
    channel_id: m.channelId,
    author: author ? userObject(author) : { id: m.authorId, username: 'unknown', discriminator: '0', global_name: null, avatar: null },
    pinned: m.pinned,
    mention_everyone: m.pinged.everyone,
    tts: m.tts,
  };
  if (m.webhookId) obj['webhook_id'] = m.webhookId;
  if (m.applicationId) obj['application_id'] = m.applicationId;
  if (m.nonce !== null) obj['nonce'] = m.nonce;
  if (m.poll !== null && m.poll !== undefined) obj['poll'] = m.poll;
  if (m.interaction) {
    const i = m.interaction;
    const user = store.user(i.userId);
    const userObj = user ? userObject(user) : { id: i.userId };
    const meta: JsonObject = {
      id: i.id,
      type: i.type,
      user: userObj,
      authorizing_integration_owners: m.guildId ? { '0': m.guildId } : { '0': '0' },
    };
    if (i.name !== null) meta['name'] = i.name;
    if (i.commandType !== null) meta['command_type'] = i.commandType;
    if (i.interactedMessageId) meta['interacted_message_id'] = i.interactedMessageId;
    if (i.originalResponseMessageId) meta['original_response_message_id'] = i.originalResponseMessageId;
    obj['interaction_metadata'] = meta;
    if (i.name !== null) obj['interaction'] = { id: i.id, type: i.type, name: i.name, user: userObj };
  }
  if (m.replyTo) {
    const ref = store.message(m.replyTo);
    obj['message_reference'] = { type: 0, channel_id: ref?.channelId ?? m.channelId, message_id: m.replyTo, ...(m.guildId ? { guild_id: m.guildId } : {}) };
    if (!opts.nested) obj['referenced_message'] = ref && !ref.deleted ? messageObject(store, ref, { nested: true }) : null;
  }
  if (m.threadId) {
    const thread = store.channel(m.threadId);
    if (thread) obj['thread'] = channelObject(store, thread);
  }
  const position = store.threadPosition(m);
  if (position !== null && position >= 0) obj['position'] = position;
  if (m.reactions.size > 0) {
    obj['reactions'] = [...m.reactions.entries()]
      .filter(([, users]) => users.size > 0)
      .map(([emoji, users]) => {
        const custom = /^(?:a:)?([^:]+):(\d+)$/.exec(emoji);
        return {
          count: users.size,
          count_details: { burst: 0, normal: users.size },
          me: users.has(store.botUserId),
          me_burst: false,
          burst_colors: [],
          emoji: custom ? { id: custom[2], name: custom[1] } : { id: null, name: emoji },
        };
      });
  }
  if (opts.gateway && m.guildId) {
    obj['guild_id'] = m.guildId;
    const member = store.guild(m.guildId)?.members.get(m.authorId);
    if (member) obj['member'] = memberObject(store, member, { withUser: false });
  }
  return obj;
}
