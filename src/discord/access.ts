import type { AccessConfig } from '../config/schema.js';
import type { CommandAccess } from './command.js';

/** Who is acting, where: what the access rules look at. */
export interface Actor {
  userId: string;
  guildId: string | null;
  /** The channel, or a thread's parent: a thread counts as its parent. */
  channelId: string;
  roleIds: readonly string[];
  /** Discord's Manage Server permission. */
  canManageGuild: boolean;
}

export type Verdict = { ok: true } | { ok: false; reason: string };

type Precondition = (actor: Actor, config: AccessConfig, need: CommandAccess) => Verdict;

const OK: Verdict = { ok: true };
const roles = (ids: readonly string[]) => ids.map((id) => `<@&${id}>`).join(', ');
const users = (ids: readonly string[]) => ids.map((id) => `<@${id}>`).join(', ');

const dmsAllowed: Precondition = (actor, config) =>
  actor.guildId !== null || config.allowDMs ? OK : { ok: false, reason: 'clawcord does not answer in DMs here (access.allowDMs is off). Use it in a server channel.' };

const guildAllowed: Precondition = (actor, config) =>
  actor.guildId === null || config.guilds.length === 0 || config.guilds.includes(actor.guildId)
    ? OK
    : { ok: false, reason: 'clawcord is not enabled in this server (access.guilds).' };

const channelAllowed: Precondition = (actor, config) =>
  actor.guildId === null || config.channels.length === 0 || config.channels.includes(actor.channelId)
    ? OK
    : { ok: false, reason: 'clawcord is not enabled in this channel (access.channels).' };

const memberAllowed: Precondition = (actor, config) => {
  if (config.roles.length === 0 && config.users.length === 0) return OK;
  if (config.users.includes(actor.userId) || actor.roleIds.some((id) => config.roles.includes(id))) return OK;
  if (isAdmin(actor, config)) return OK;
  const need = config.roles.length > 0 ? `one of these roles: ${roles(config.roles)}` : 'to be on the allowed users list';
  return { ok: false, reason: `You need ${need} to use clawcord.` };
};

const adminWhenRequired: Precondition = (actor, config, need) => {
  if (need !== 'admin' || isAdmin(actor, config)) return OK;
  const ways = [config.admins.manageGuild ? 'the Manage Server permission' : undefined, config.admins.roles.length > 0 ? `one of these roles: ${roles(config.admins.roles)}` : undefined]
    .filter(Boolean)
    .join(' or ');
  return { ok: false, reason: `This command is for clawcord admins${ways ? `: you need ${ways}` : ''}.` };
};

const PRECONDITIONS: readonly Precondition[] = [dmsAllowed, guildAllowed, channelAllowed, memberAllowed, adminWhenRequired];

/** Who may decide exec approvals besides the admins (config `access.approvers`). */
export interface Approvers {
  roles: readonly string[];
  users: readonly string[];
  /** The member whose question led to the request. */
  asker: boolean;
}

/** Read defensively: configs from before approvals have no such section. */
export function approversOf(config: AccessConfig): Approvers {
  const section = (config as AccessConfig & { approvers?: Partial<Approvers> }).approvers;
  return { roles: section?.roles ?? [], users: section?.users ?? [], asker: section?.asker ?? false };
}

const LOCATION: readonly Precondition[] = [dmsAllowed, guildAllowed, channelAllowed];

/**
 * May `actor` press an approval card's buttons? Admins always may; `access.approvers` adds roles, users and,
 * with `asker`, the member who asked the question whose run wants the command.
 */
export function mayApprove(actor: Actor, asker: { id: string | undefined; name?: string | undefined }, config: AccessConfig): Verdict {
  for (const precondition of LOCATION) {
    const verdict = precondition(actor, config, 'member');
    if (!verdict.ok) return verdict;
  }
  const approvers = approversOf(config);
  if (isAdmin(actor, config)) return OK;
  if (approvers.users.includes(actor.userId) || actor.roleIds.some((id) => approvers.roles.includes(id))) return OK;
  if (approvers.asker && asker.id !== undefined && asker.id === actor.userId) return OK;
  const admins = [config.admins.manageGuild ? 'the Manage Server permission' : undefined, config.admins.roles.length > 0 ? roles(config.admins.roles) : undefined, config.admins.users.length > 0 ? users(config.admins.users) : undefined]
    .filter(Boolean)
    .join(', ');
  const who = [
    `clawcord admins${admins ? ` (${admins})` : ''}`,
    approvers.roles.length > 0 ? `members with ${roles(approvers.roles)}` : undefined,
    approvers.users.length > 0 ? users(approvers.users) : undefined,
    approvers.asker ? `the person who asked${asker.name ? ` (${asker.name})` : ''}` : undefined,
  ].filter((way): way is string => way !== undefined);
  const list = who.length > 1 ? `${who.slice(0, -1).join(', ')} or ${who.at(-1)}` : who[0]!;
  return { ok: false, reason: `Only ${list} can decide what the agent may run.` };
}

export function isAdmin(actor: Actor, config: AccessConfig): boolean {
  return (
    config.admins.users.includes(actor.userId) ||
    actor.roleIds.some((id) => config.admins.roles.includes(id)) ||
    (config.admins.manageGuild && actor.canManageGuild)
  );
}

/** The access rules from the config, checked as small named preconditions in order. */
export class AccessPolicy {
  constructor(private readonly config: AccessConfig) {}

  isAdmin(actor: Actor): boolean {
    return isAdmin(actor, this.config);
  }

  /** May `actor` decide an approval that `asker` led to? */
  mayApprove(actor: Actor, asker: { id: string | undefined; name?: string | undefined }): Verdict {
    return mayApprove(actor, asker, this.config);
  }

  /** May `actor` run `command` (whose default access the config may override)? */
  check(actor: Actor, command: string, defaultAccess: CommandAccess): Verdict {
    const need = this.config.commands[command] ?? defaultAccess;
    for (const precondition of PRECONDITIONS) {
      const verdict = precondition(actor, this.config, need);
      if (!verdict.ok) return verdict;
    }
    return OK;
  }
}
