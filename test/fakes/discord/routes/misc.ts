// Gateway discovery, users, the application, DM channels, guilds, members and roles.
import { applicationFlags, type FakeContext } from '../context.js';
import { Errors } from '../errors.js';
import { json, type RouteDef } from '../http-server.js';
import { applicationObject, channelObject, guildObject, memberObject, roleObject, userObject } from '../objects.js';
import { isThreadType } from '../store.js';

const SESSION_START_TOTAL = 1000;

export function miscRoutes(ctx: FakeContext): RouteDef[] {
  const { store } = ctx;
  const requireGuild = (id: string) => {
    const guild = store.guild(id);
    if (!guild) throw Errors.unknownGuild();
    return guild;
  };
  return [
    {
      method: 'GET',
      template: '/gateway/bot',
      auth: 'bot',
      handler: () => {
        const used = ctx.gateway.identifies.filter((i) => i.accepted).length;
        return json(200, {
          url: ctx.gatewayUrl,
          shards: 1,
          session_start_limit: { total: SESSION_START_TOTAL, remaining: Math.max(0, SESSION_START_TOTAL - used), reset_after: 86_400_000, max_concurrency: 1 },
        });
      },
    },
    { method: 'GET', template: '/gateway', auth: 'none', handler: () => json(200, { url: ctx.gatewayUrl }) },
    {
      method: 'GET',
      template: '/users/@me',
      auth: 'bot',
      handler: () => {
        const bot = store.user(ctx.botUserId)!;
        return json(200, { ...userObject(bot), verified: true, mfa_enabled: false, email: null, locale: 'en-US', bio: '' });
      },
    },
    {
      method: 'GET',
      template: '/users/@me/guilds',
      auth: 'bot',
      handler: () =>
        json(
          200,
          [...store.guilds.values()].map((g) => ({ id: g.id, name: g.name, icon: null, banner: null, owner: false, permissions: '0', features: [] })),
        ),
    },
    {
      method: 'POST',
      template: '/users/@me/channels',
      auth: 'bot',
      handler: (req) => {
        const recipient = req.body['recipient_id'];
        if (typeof recipient !== 'string' || !store.user(recipient)) throw Errors.unknownUser();
        return json(200, channelObject(store, store.dmChannelFor(recipient)));
      },
    },
    {
      method: 'GET',
      template: '/users/:user',
      auth: 'bot',
      handler: (req) => {
        const user = store.user(req.params['user']!);
        if (!user) throw Errors.unknownUser();
        return json(200, userObject(user));
      },
    },
    {
      method: 'GET',
      template: '/applications/@me',
      auth: 'bot',
      handler: () => json(200, applicationObject(store, applicationFlags(ctx.options.privileged))),
    },
    {
      method: 'GET',
      template: '/guilds/:guild',
      auth: 'bot',
      handler: (req) => {
        const guild = requireGuild(req.params['guild']!);
        const obj = guildObject(guild);
        if (req.query['with_counts'] === 'true') Object.assign(obj, { approximate_member_count: guild.members.size, approximate_presence_count: 0 });
        return json(200, obj);
      },
    },
    {
      method: 'GET',
      template: '/guilds/:guild/channels',
      auth: 'bot',
      handler: (req) => {
        requireGuild(req.params['guild']!);
        return json(200, store.guildChannels(req.params['guild']!).filter((c) => !isThreadType(c.type)).map((c) => channelObject(store, c)));
      },
    },
    {
      method: 'GET',
      template: '/guilds/:guild/threads/active',
      auth: 'bot',
      handler: (req) => {
        requireGuild(req.params['guild']!);
        const threads = store.guildChannels(req.params['guild']!).filter((c) => c.thread && !c.thread.archived);
        return json(200, { threads: threads.map((c) => channelObject(store, c)), members: [] });
      },
    },
    {
      method: 'GET',
      template: '/guilds/:guild/roles',
      auth: 'bot',
      handler: (req) => json(200, [...requireGuild(req.params['guild']!).roles.values()].map(roleObject)),
    },
    {
      method: 'GET',
      template: '/guilds/:guild/members/:user',
      auth: 'bot',
      handler: (req) => {
        const guild = requireGuild(req.params['guild']!);
        const member = guild.members.get(req.params['user']!);
        if (!member) throw Errors.unknownMember();
        return json(200, memberObject(store, member));
      },
    },
  ];
}
