// Channel routes: messages (create, read, list, edit, delete), typing, threads, thread members, reactions.
import type { FakeContext } from '../context.js';
import { Errors, FormErrors } from '../errors.js';
import { json, type RouteDef, type RouteRequest } from '../http-server.js';
import { createMessage, editMessage, systemMessage } from '../messages.js';
import { NonceLedger } from '../nonces.js';
import { channelObject, messageObject, threadMemberObject } from '../objects.js';
import { snowflake } from '../snowflake.js';
import { ChannelType, MessageFlags, isTextBasedType, isThreadType, type StoredChannel, type StoredMessage } from '../store.js';

const ARCHIVE_DURATIONS = [60, 1440, 4320, 10080];

function compareIds(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function channelRoutes(ctx: FakeContext): RouteDef[] {
  const { store } = ctx;
  const nonces = new NonceLedger(store);

  const writableChannel = (id: string): StoredChannel => {
    const channel = ctx.requireChannel(id);
    if (!isTextBasedType(channel.type)) throw Errors.nonTextChannel();
    return channel;
  };

  const validateThreadBody = (req: RouteRequest, errors: FormErrors): { name: string; autoArchive: number } => {
    const name = req.body['name'];
    if (typeof name !== 'string' || name.length < 1 || name.length > 100) {
      errors.add(['name'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
    }
    const autoArchive = req.body['auto_archive_duration'] ?? 4320;
    if (typeof autoArchive !== 'number' || !ARCHIVE_DURATIONS.includes(autoArchive)) {
      errors.add(['auto_archive_duration'], 'BASE_TYPE_CHOICES', `Value must be one of {${ARCHIVE_DURATIONS.join(', ')}}.`);
    }
    return { name: typeof name === 'string' ? name : '', autoArchive: typeof autoArchive === 'number' ? autoArchive : 4320 };
  };

  const newThread = (id: string, parent: StoredChannel, type: number, name: string, autoArchive: number, invitable: boolean): StoredChannel => {
    const now = Date.now();
    const thread: StoredChannel = {
      id,
      type,
      name,
      guildId: parent.guildId,
      parentId: parent.id,
      topic: null,
      nsfw: parent.nsfw,
      position: 0,
      lastMessageId: null,
      rateLimitPerUser: 0,
      flags: 0,
      recipients: [],
      botCanView: true,
      thread: {
        ownerId: ctx.botUserId,
        archived: false,
        locked: false,
        autoArchiveDuration: autoArchive,
        archiveTimestamp: now,
        createTimestamp: now,
        invitable,
        messageCount: 0,
        totalMessageSent: 0,
        members: new Map([[ctx.botUserId, now]]),
      },
    };
    store.channels.set(id, thread);
    return thread;
  };

  const threadAnswer = (thread: StoredChannel) => {
    const obj = channelObject(store, thread);
    const member = threadMemberObject(thread, ctx.botUserId);
    if (member) obj['member'] = member;
    return json(201, obj);
  };

  const react = (req: RouteRequest, add: boolean) => {
    const m = ctx.requireChannelMessage(req.params['channel']!, req.params['message']!);
    ctx.requireNotArchived(m);
    const emoji = req.params['emoji']!;
    let users = m.reactions.get(emoji);
    if (!users) {
      users = new Set();
      m.reactions.set(emoji, users);
    }
    const had = users.has(ctx.botUserId);
    if (add) users.add(ctx.botUserId);
    else users.delete(ctx.botUserId);
    if (had !== add) {
      const custom = /^(?:a:)?([^:]+):(\d+)$/.exec(emoji);
      const d: Record<string, unknown> = {
        user_id: ctx.botUserId,
        channel_id: m.channelId,
        message_id: m.id,
        emoji: custom ? { id: custom[2], name: custom[1] } : { id: null, name: emoji },
        burst: false,
        type: 0,
      };
      if (m.guildId) d['guild_id'] = m.guildId;
      ctx.gateway.dispatch(add ? 'MESSAGE_REACTION_ADD' : 'MESSAGE_REACTION_REMOVE', d);
    }
    return json(204);
  };

  return [
    {
      method: 'GET',
      template: '/channels/:channel',
      auth: 'bot',
      handler: (req) => json(200, channelObject(store, ctx.requireChannel(req.params['channel']!))),
    },
    {
      method: 'PATCH',
      template: '/channels/:channel',
      auth: 'bot',
      handler: (req) => {
        const channel = ctx.requireChannel(req.params['channel']!);
        const b = req.body;
        if (typeof b['name'] === 'string') channel.name = b['name'];
        if (!channel.thread && (typeof b['topic'] === 'string' || b['topic'] === null)) channel.topic = b['topic'] as string | null;
        if (channel.thread) {
          if (typeof b['archived'] === 'boolean') {
            channel.thread.archived = b['archived'];
            channel.thread.archiveTimestamp = Date.now();
          }
          if (typeof b['locked'] === 'boolean') channel.thread.locked = b['locked'];
          if (typeof b['auto_archive_duration'] === 'number') channel.thread.autoArchiveDuration = b['auto_archive_duration'];
        }
        ctx.emitChannelUpdate(channel);
        return json(200, channelObject(store, channel));
      },
    },
    {
      method: 'GET',
      template: '/channels/:channel/messages',
      auth: 'bot',
      handler: (req) => {
        const channelId = req.params['channel']!;
        ctx.requireChannel(channelId);
        const limit = Math.min(100, Math.max(1, Number(req.query['limit'] ?? 50) || 50));
        const visible = store
          .channelMessages(channelId)
          .filter((m) => !m.deleted)
          .sort((a, b) => compareIds(b.id, a.id));
        let picked: StoredMessage[];
        const { before, after, around } = req.query;
        if (before) picked = visible.filter((m) => compareIds(m.id, before) < 0).slice(0, limit);
        else if (after) picked = visible.filter((m) => compareIds(m.id, after) > 0).slice(-limit);
        else if (around) {
          const older = visible.filter((m) => compareIds(m.id, around) <= 0).slice(0, Math.ceil(limit / 2));
          const newer = visible.filter((m) => compareIds(m.id, around) > 0).slice(-Math.floor(limit / 2));
          picked = [...newer, ...older];
        } else picked = visible.slice(0, limit);
        return json(200, picked.map((m) => messageObject(store, m)));
      },
    },
    {
      method: 'POST',
      template: '/channels/:channel/messages',
      auth: 'bot',
      limit: 'channel',
      handler: (req) => {
        const channel = writableChannel(req.params['channel']!);
        const message = createMessage({
          store,
          channel,
          authorId: ctx.botUserId,
          byBot: true,
          source: 'channel',
          body: req.body,
          files: req.files,
          route: req.route,
        });
        const now = ctx.now();
        if (req.body['enforce_nonce'] === true && message.nonce !== null) {
          // message.mdx, Create Message, enforce_nonce: a nonce the same author used "in the past few minutes" returns that message and creates none.
          const earlier = nonces.find(channel.id, message.authorId, message.nonce, now);
          if (earlier) return json(200, messageObject(store, earlier));
        }
        ctx.postInto(channel);
        store.addMessage(message);
        nonces.remember(message, now);
        ctx.emitMessage('MESSAGE_CREATE', message);
        return json(200, messageObject(store, message));
      },
    },
    {
      method: 'GET',
      template: '/channels/:channel/messages/:message',
      auth: 'bot',
      handler: (req) => json(200, messageObject(store, ctx.requireChannelMessage(req.params['channel']!, req.params['message']!))),
    },
    {
      method: 'PATCH',
      template: '/channels/:channel/messages/:message',
      auth: 'bot',
      limit: 'channel',
      handler: (req) => {
        const m = ctx.requireChannelMessage(req.params['channel']!, req.params['message']!);
        if (m.authorId !== ctx.botUserId) throw Errors.cannotEditOthers();
        ctx.requireNotArchived(m);
        editMessage({ store, message: m, body: req.body, files: req.files, route: req.route });
        ctx.emitMessage('MESSAGE_UPDATE', m);
        return json(200, messageObject(store, m));
      },
    },
    {
      method: 'DELETE',
      template: '/channels/:channel/messages/:message',
      auth: 'bot',
      limit: 'channel',
      handler: (req) => {
        const m = ctx.requireChannelMessage(req.params['channel']!, req.params['message']!);
        ctx.requireNotArchived(m);
        m.deleted = true;
        m.deletedAt = Date.now();
        store.cdn.forget(m.attachments.map((a) => a.id));
        ctx.emitMessageDelete(m);
        return json(204);
      },
    },
    {
      method: 'POST',
      template: '/channels/:channel/typing',
      auth: 'bot',
      handler: (req) => {
        const channel = ctx.requireChannel(req.params['channel']!);
        if (!isTextBasedType(channel.type)) throw Errors.nonTextChannel();
        return json(204);
      },
    },
    {
      method: 'POST',
      template: '/channels/:channel/threads',
      auth: 'bot',
      handler: (req) => {
        const parent = ctx.requireChannel(req.params['channel']!);
        const allowedParents: number[] = [ChannelType.GuildText, ChannelType.GuildAnnouncement, ChannelType.GuildForum];
        if (!allowedParents.includes(parent.type)) throw Errors.wrongChannelType();
        const errors = new FormErrors();
        const { name, autoArchive } = validateThreadBody(req, errors);
        if (parent.type === ChannelType.GuildForum) {
          const starter = req.body['message'];
          if (typeof starter !== 'object' || starter === null) errors.add(['message'], 'BASE_TYPE_REQUIRED', 'This field is required');
          errors.throwIfAny();
          const id = snowflake();
          const thread = newThread(id, parent, ChannelType.PublicThread, name, autoArchive, true);
          try {
            const message = createMessage({
              store,
              channel: thread,
              authorId: ctx.botUserId,
              byBot: true,
              source: 'channel',
              body: starter as Record<string, unknown>,
              files: req.files,
              route: req.route,
              id,
            });
            store.addMessage(message);
            ctx.emitThreadCreate(thread);
            ctx.emitMessage('MESSAGE_CREATE', message);
            const answer = threadAnswer(thread);
            (answer.body as Record<string, unknown>)['message'] = messageObject(store, message);
            return answer;
          } catch (err) {
            store.channels.delete(id);
            throw err;
          }
        }
        const requested = req.body['type'];
        let type: number = typeof requested === 'number' ? requested : ChannelType.PrivateThread;
        if (parent.type === ChannelType.GuildAnnouncement) type = ChannelType.AnnouncementThread;
        if (!isThreadType(type)) errors.add(['type'], 'BASE_TYPE_CHOICES', 'Value must be one of {10, 11, 12}.');
        errors.throwIfAny();
        const thread = newThread(snowflake(), parent, type, name, autoArchive, req.body['invitable'] !== false);
        ctx.emitThreadCreate(thread);
        if (type === ChannelType.PublicThread) {
          // Discord posts "<bot> started a thread: <name>" in the parent.
          const notice = systemMessage(parent, ctx.botUserId, 18, name);
          store.addMessage(notice);
          ctx.emitMessage('MESSAGE_CREATE', notice);
        }
        return threadAnswer(thread);
      },
    },
    {
      method: 'POST',
      template: '/channels/:channel/messages/:message/threads',
      auth: 'bot',
      handler: (req) => {
        const parent = ctx.requireChannel(req.params['channel']!);
        if (parent.type !== ChannelType.GuildText && parent.type !== ChannelType.GuildAnnouncement) throw Errors.wrongChannelType();
        const m = ctx.requireChannelMessage(parent.id, req.params['message']!);
        const errors = new FormErrors();
        const { name, autoArchive } = validateThreadBody(req, errors);
        errors.throwIfAny();
        if (m.threadId || store.channel(m.id)) throw Errors.threadAlreadyCreated();
        const type = parent.type === ChannelType.GuildAnnouncement ? ChannelType.AnnouncementThread : ChannelType.PublicThread;
        const thread = newThread(m.id, parent, type, name, autoArchive, true);
        m.threadId = thread.id;
        m.flags |= MessageFlags.HasThread;
        ctx.emitThreadCreate(thread);
        ctx.emitMessage('MESSAGE_UPDATE', m);
        return threadAnswer(thread);
      },
    },
    {
      method: 'PUT',
      template: '/channels/:channel/thread-members/@me',
      auth: 'bot',
      handler: (req) => {
        const channel = ctx.requireChannel(req.params['channel']!);
        if (!channel.thread) throw Errors.wrongChannelType();
        if (channel.thread.archived) throw Errors.threadArchived();
        if (!channel.thread.members.has(ctx.botUserId)) channel.thread.members.set(ctx.botUserId, Date.now());
        return json(204);
      },
    },
    {
      method: 'DELETE',
      template: '/channels/:channel/thread-members/@me',
      auth: 'bot',
      handler: (req) => {
        const channel = ctx.requireChannel(req.params['channel']!);
        if (!channel.thread) throw Errors.wrongChannelType();
        channel.thread.members.delete(ctx.botUserId);
        return json(204);
      },
    },
    {
      method: 'PUT',
      template: '/channels/:channel/messages/:message/reactions/:emoji/@me',
      auth: 'bot',
      handler: (req) => react(req, true),
    },
    {
      method: 'DELETE',
      template: '/channels/:channel/messages/:message/reactions/:emoji/@me',
      auth: 'bot',
      handler: (req) => react(req, false),
    },
  ];
}
