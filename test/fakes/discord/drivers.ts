// Drivers: what people do in Discord, turned into gateway events the bot receives. Slash commands, autocomplete,
// button clicks, select menus, modal submits (INTERACTION_CREATE with every field discord.js needs) and plain
// messages (MESSAGE_CREATE).
import type { FakeContext } from './context.js';
import { userMessage } from './messages.js';
import { matchesFileTypes } from './media.js';
import { attachmentObject, channelObject, memberObject, messageObject, roleObject, userObject } from './objects.js';
import { interactionToken, snowflake } from './snowflake.js';
import {
  DEFAULT_MEMBER_PERMISSIONS,
  type StoredChannel,
  type StoredCommand,
  type StoredInteraction,
  type StoredMessage,
  type StoredUser,
} from './store.js';
import type {
  AutocompleteChoice,
  AutocompleteOptions,
  ChatInputOptions,
  ComponentOptions,
  FakeUserSpec,
  InteractionBase,
  JsonObject,
  ModalSubmitOptions,
  SelectOptions,
  SentInteraction,
  UserMessageOptions,
} from './types.js';

const ADMINISTRATOR = 1n << 3n;
const ALL_PERMISSIONS = ((1n << 53n) - 1n).toString();

const OptionType = {
  Subcommand: 1,
  SubcommandGroup: 2,
  String: 3,
  Integer: 4,
  Boolean: 5,
  User: 6,
  Channel: 7,
  Role: 8,
  Mentionable: 9,
  Number: 10,
  Attachment: 11,
} as const;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function findComponent(components: unknown[], customId: string): JsonObject | null {
  for (const c of components) {
    if (!isObject(c)) continue;
    if (c['custom_id'] === customId) return c;
    const nested = findComponent(Array.isArray(c['components']) ? c['components'] : [], customId);
    if (nested) return nested;
    if (isObject(c['accessory']) && c['accessory']['custom_id'] === customId) return c['accessory'];
  }
  return null;
}

function inferredType(value: string | number | boolean): number {
  if (typeof value === 'boolean') return OptionType.Boolean;
  if (typeof value === 'number') return Number.isInteger(value) ? OptionType.Integer : OptionType.Number;
  return OptionType.String;
}

export type Waiter = <T>(check: () => T | undefined | null | false, timeoutMs: number, what: string) => Promise<T>;

interface Location {
  channel: StoredChannel;
  guildId: string | null;
}

export class Drivers {
  readonly defaultUser: StoredUser;

  constructor(
    private readonly ctx: FakeContext,
    private readonly waitFor: Waiter,
  ) {
    this.defaultUser = ctx.store.upsertUser({ username: 'tester', globalName: 'Tester' });
  }

  /** The user a driver acts as; a spec without id reuses the user with that username, if any. */
  private user(spec: FakeUserSpec | undefined): StoredUser {
    if (!spec) return this.defaultUser;
    if (spec.id === undefined && spec.username !== undefined) {
      const known = [...this.ctx.store.users.values()].find((u) => u.username === spec.username && !u.bot);
      if (known) return this.ctx.store.upsertUser({ ...spec, id: known.id });
    }
    return this.ctx.store.upsertUser(spec);
  }

  private location(base: InteractionBase, user: StoredUser): Location {
    if (base.dm) return { channel: this.ctx.store.dmChannelFor(user.id), guildId: null };
    const channel = base.channelId ? this.ctx.store.channel(base.channelId) : this.ctx.store.defaultChannel();
    if (!channel) throw new Error(`fake-discord: unknown channel ${base.channelId}`);
    if (base.guildId && channel.guildId !== base.guildId) throw new Error(`fake-discord: channel ${channel.id} is not in guild ${base.guildId}`);
    return { channel, guildId: channel.guildId };
  }

  private memberPermissions(guildId: string, roles: string[], explicit: string | bigint | undefined): string {
    if (explicit !== undefined) return explicit.toString();
    const guild = this.ctx.store.guild(guildId);
    let bits = BigInt(DEFAULT_MEMBER_PERMISSIONS);
    for (const roleId of roles) {
      const role = guild?.roles.get(roleId);
      if (role) bits |= BigInt(role.permissions);
    }
    return bits & ADMINISTRATOR ? ALL_PERMISSIONS : bits.toString();
  }

  /** Builds, records and dispatches an INTERACTION_CREATE. */
  private send(
    type: number,
    base: InteractionBase,
    data: JsonObject,
    extra: { message?: StoredMessage; commandName?: string | null; commandType?: number | null; location?: Location; user?: StoredUser } = {},
  ): SentInteraction {
    const { ctx } = this;
    if (!ctx.gateway.hasSession) throw new Error('fake-discord: no gateway session is ready (is the bot logged in?)');
    const user = extra.user ?? this.user(base.user);
    const loc = extra.location ?? this.location(base, user);
    const id = snowflake();
    const token = interactionToken();
    const payload: JsonObject = {
      id,
      application_id: ctx.applicationId,
      type,
      token,
      version: 1,
      data,
      channel_id: loc.channel.id,
      app_permissions: base.appPermissions ?? ctx.appPermissionsIn(loc.channel),
      locale: base.locale ?? 'en-US',
      entitlements: [],
      authorizing_integration_owners: { '0': loc.guildId ?? '0' },
      context: loc.guildId ? 0 : 1,
      // receiving-and-responding.mdx, Interaction Structure: "Attachment size limit in bytes".
      attachment_size_limit: ctx.store.cdn.sizeLimit,
    };
    let permissions = ALL_PERMISSIONS;
    if (loc.guildId) {
      const member = ctx.store.ensureMember(loc.guildId, user.id, { roles: base.member?.roles, nick: base.member?.nick });
      permissions = this.memberPermissions(loc.guildId, member.roles, base.member?.permissions);
      payload['guild_id'] = loc.guildId;
      payload['guild_locale'] = ctx.store.guild(loc.guildId)?.preferredLocale ?? 'en-US';
      payload['guild'] = { id: loc.guildId, locale: payload['guild_locale'], features: [] };
      payload['member'] = memberObject(ctx.store, member, { permissions });
    } else {
      payload['user'] = userObject(user);
    }
    payload['channel'] = channelObject(ctx.store, loc.channel, { permissions });
    if (extra.message) payload['message'] = messageObject(ctx.store, extra.message);

    const stored: StoredInteraction = {
      id,
      token,
      type,
      applicationId: ctx.applicationId,
      channelId: loc.channel.id,
      guildId: loc.guildId,
      userId: user.id,
      dispatchedAt: ctx.now(),
      payload,
      commandName: extra.commandName ?? null,
      commandType: extra.commandType ?? null,
      callbacks: [],
      ackedAt: null,
      ackType: null,
      originalMessageId: null,
      componentMessageId: extra.message?.id ?? null,
      followUpIds: [],
      choices: null,
      modal: null,
    };
    ctx.store.addInteraction(stored);
    ctx.gateway.dispatch('INTERACTION_CREATE', payload);
    ctx.store.changed();
    return { id, token, type, applicationId: ctx.applicationId, channelId: loc.channel.id, guildId: loc.guildId, userId: user.id, payload };
  }

  // --- application commands ------------------------------------------------------------------------------------

  private commandData(opts: ChatInputOptions, loc: Location, focused?: { name: string; value: string }): { data: JsonObject; command: StoredCommand | undefined } {
    const { store } = this.ctx;
    const command = store.findCommand(opts.name, 1, loc.guildId);
    // Option definitions at the level the values belong to (inside the subcommand/group if any).
    let defs: JsonObject[] = Array.isArray(command?.['options']) ? (command['options'] as unknown[]).filter(isObject) : [];
    const descend = (name: string | undefined) => {
      if (!name) return;
      const next = defs.find((d) => d['name'] === name);
      defs = Array.isArray(next?.['options']) ? (next['options'] as unknown[]).filter(isObject) : [];
    };
    descend(opts.subcommandGroup);
    descend(opts.subcommand);

    const resolved: { users: JsonObject; members: JsonObject; channels: JsonObject; roles: JsonObject; attachments: JsonObject } = {
      users: {},
      members: {},
      channels: {},
      roles: {},
      attachments: {},
    };
    const resolve = (type: number, value: unknown, name: unknown) => {
      if (typeof value !== 'string') return;
      if (type === OptionType.Attachment) {
        // receiving-and-responding.mdx, Resolved Data Structure: `attachments`, a map of ids to attachment objects.
        const file = store.cdn.get(value);
        if (!file) throw new Error(`fake-discord: option '${String(name)}' names no attachment from addAttachment() (${value})`);
        const fileTypes = defs.find((d) => d['name'] === name)?.['file_types'];
        if (Array.isArray(fileTypes) && fileTypes.length > 0 && !matchesFileTypes(file.filename, fileTypes)) {
          throw new Error(`fake-discord: ${file.filename} is not one of the file types option '${String(name)}' takes (${fileTypes.join(', ')}); Discord would not let it be picked`);
        }
        resolved.attachments[value] = attachmentObject(store, file);
      }
      if (type === OptionType.User || type === OptionType.Mentionable) {
        const user = store.user(value);
        if (user) {
          resolved.users[value] = userObject(user);
          const member = loc.guildId ? store.guild(loc.guildId)?.members.get(value) : undefined;
          if (member) resolved.members[value] = memberObject(store, member, { withUser: false, permissions: DEFAULT_MEMBER_PERMISSIONS });
        }
      }
      if (type === OptionType.Role || type === OptionType.Mentionable) {
        const role = loc.guildId ? store.guild(loc.guildId)?.roles.get(value) : undefined;
        if (role) resolved.roles[value] = roleObject(role);
      }
      if (type === OptionType.Channel) {
        const channel = store.channel(value);
        if (channel) resolved.channels[value] = { ...channelObject(store, channel), permissions: DEFAULT_MEMBER_PERMISSIONS };
      }
    };

    let leaves: JsonObject[];
    if (Array.isArray(opts.options)) {
      leaves = opts.options.map((o) => ({ ...o }));
    } else {
      leaves = Object.entries(opts.options ?? {}).map(([name, given]) => {
        const def = defs.find((d) => d['name'] === name);
        // A file given inline is uploaded the way a slash command's file is: ephemeral, in the interaction's channel.
        const value = typeof given === 'object' ? store.cdn.add(given, loc.channel.id, true).id : given;
        const type = typeof given === 'object' ? OptionType.Attachment : typeof def?.['type'] === 'number' ? def['type'] : inferredType(value);
        return { name, type, value };
      });
    }
    if (focused) {
      const existing = leaves.find((o) => o['name'] === focused.name);
      const def = defs.find((d) => d['name'] === focused.name);
      const type = typeof def?.['type'] === 'number' ? def['type'] : OptionType.String;
      if (existing) {
        existing['value'] = focused.value;
        existing['focused'] = true;
      } else {
        leaves.push({ name: focused.name, type, value: focused.value, focused: true });
      }
    }
    for (const leaf of leaves) resolve(Number(leaf['type']), leaf['value'], leaf['name']);

    let options: JsonObject[] = leaves;
    if (opts.subcommand) options = [{ name: opts.subcommand, type: OptionType.Subcommand, options }];
    if (opts.subcommandGroup) options = [{ name: opts.subcommandGroup, type: OptionType.SubcommandGroup, options }];

    const data: JsonObject = { id: command?.id ?? snowflake(), name: opts.name, type: 1 };
    if (options.length > 0) data['options'] = options;
    if (command?.guild_id) data['guild_id'] = command.guild_id;
    const resolvedOut: JsonObject = {};
    for (const [key, value] of Object.entries(resolved)) if (Object.keys(value).length > 0) resolvedOut[key] = value;
    if (Object.keys(resolvedOut).length > 0) data['resolved'] = resolvedOut;
    return { data, command };
  }

  sendChatInput(opts: ChatInputOptions): SentInteraction {
    const user = this.user(opts.user);
    const loc = this.location(opts, user);
    const { data } = this.commandData(opts, loc);
    return this.send(2, opts, data, { commandName: opts.name, commandType: 1, location: loc, user });
  }

  async sendAutocomplete(opts: AutocompleteOptions): Promise<AutocompleteChoice[]> {
    const user = this.user(opts.user);
    const loc = this.location(opts, user);
    const record = Array.isArray(opts.options) ? {} : (opts.options ?? {});
    const typed = opts.value ?? (record[opts.focused] !== undefined ? String(record[opts.focused]) : '');
    const { data } = this.commandData(opts, loc, { name: opts.focused, value: typed });
    const sent = this.send(4, opts, data, { commandName: opts.name, commandType: 1, location: loc, user });
    const timeoutMs = opts.timeoutMs ?? this.ctx.options.ackDeadlineMs ?? 3000;
    const interaction = this.ctx.store.interactions.get(sent.id)!;
    const answered = await this.waitFor(() => interaction.callbacks.find((c) => c.status > 0), timeoutMs, `an autocomplete answer to /${opts.name}`);
    if (answered.status >= 400) throw new Error(`fake-discord: the autocomplete callback was refused (${answered.status}, code ${answered.errorCode})`);
    return (interaction.choices ?? []) as unknown as AutocompleteChoice[];
  }

  // --- components and modals -----------------------------------------------------------------------------------

  private componentMessage(opts: ComponentOptions): StoredMessage {
    const message = this.ctx.store.message(opts.messageId);
    if (!message || message.deleted) throw new Error(`fake-discord: unknown message ${opts.messageId}`);
    if (!opts.force && !findComponent(message.components, opts.customId)) {
      throw new Error(`fake-discord: message ${opts.messageId} has no component with custom_id '${opts.customId}'`);
    }
    return message;
  }

  private componentLocation(message: StoredMessage): Location {
    const channel = this.ctx.store.channel(message.channelId);
    if (!channel) throw new Error(`fake-discord: unknown channel ${message.channelId}`);
    return { channel, guildId: channel.guildId };
  }

  clickButton(opts: ComponentOptions): SentInteraction {
    const message = this.componentMessage(opts);
    return this.send(3, opts, { custom_id: opts.customId, component_type: 2 }, { message, location: this.componentLocation(message) });
  }

  selectMenu(opts: SelectOptions): SentInteraction {
    const message = this.componentMessage(opts);
    const data: JsonObject = { custom_id: opts.customId, component_type: opts.componentType ?? 3, values: [...opts.values] };
    return this.send(3, opts, data, { message, location: this.componentLocation(message) });
  }

  submitModal(opts: ModalSubmitOptions): SentInteraction {
    const message = opts.messageId ? this.ctx.store.message(opts.messageId) : undefined;
    if (opts.messageId && !message) throw new Error(`fake-discord: unknown message ${opts.messageId}`);
    const data: JsonObject = {
      custom_id: opts.customId,
      components: Object.entries(opts.fields).map(([customId, value]) => ({
        type: 1,
        components: [{ type: 4, custom_id: customId, value }],
      })),
    };
    return this.send(5, opts, data, message ? { message, location: this.componentLocation(message) } : {});
  }

  // --- plain messages ------------------------------------------------------------------------------------------

  sendUserMessage(opts: UserMessageOptions): StoredMessage {
    const { ctx } = this;
    const author = this.user(opts.author);
    const channel = opts.channelId ? ctx.store.channel(opts.channelId) : ctx.store.defaultChannel();
    if (!channel) throw new Error(`fake-discord: unknown channel ${opts.channelId}`);
    if (channel.guildId) ctx.store.ensureMember(channel.guildId, author.id);
    let content = opts.content;
    const mention = `<@${ctx.botUserId}>`;
    if (opts.mentionsBot && !content.includes(mention) && !content.includes(`<@!${ctx.botUserId}>`)) content = `${mention} ${content}`;
    if (opts.mentionsBotRole) {
      const role = channel.guildId ? ctx.store.botRole(channel.guildId) : undefined;
      if (!role) throw new Error('fake-discord: mentionsBotRole needs a guild channel (DMs have no roles)');
      if (!content.includes(`<@&${role.id}>`)) content = `<@&${role.id}> ${content}`;
    }
    const message = userMessage(ctx.store, channel, author.id, content, opts.replyTo ?? null, opts.attachments ?? []);
    ctx.store.addMessage(message);
    if (channel.thread?.archived && !channel.thread.locked) {
      channel.thread.archived = false;
      ctx.emitChannelUpdate(channel);
    }
    ctx.emitMessage('MESSAGE_CREATE', message);
    ctx.store.changed();
    return message;
  }
}
