import { Routes, type REST } from 'discord.js';
import type { Logger } from '../log.js';
import type { CommandDefinition } from './command.js';

export interface SyncCommandsOptions {
  rest: Pick<REST, 'get' | 'put'>;
  applicationId: string;
  definitions: readonly CommandDefinition[];
  /** Register in this guild only (shows up at once; handy while developing). Global otherwise. */
  guildId?: string;
  logger: Pick<Logger, 'info' | 'debug'>;
}

export interface SyncResult {
  /** Whether the bulk overwrite was sent. */
  changed: boolean;
  count: number;
}

/** The body of a bulk overwrite: where a command may be used is a property of global commands only. */
export function registrationBody(definitions: readonly CommandDefinition[], guildId?: string): readonly unknown[] {
  return guildId ? definitions.map((definition) => withoutKeys(definition as Json, GLOBAL_ONLY)) : definitions;
}

/**
 * Makes Discord's registered commands match ours. Reads what is registered and bulk-overwrites only when it differs,
 * so a plain restart sends no write (command writes have a tight rate limit).
 */
export async function syncCommands(options: SyncCommandsOptions): Promise<SyncResult> {
  const { rest, applicationId, definitions, guildId, logger } = options;
  const route = guildId ? Routes.applicationGuildCommands(applicationId, guildId) : Routes.applicationCommands(applicationId);
  const scope = guildId ? `guild ${guildId}` : 'global';
  const body = registrationBody(definitions, guildId);
  const registered = await rest.get(route);
  if (Array.isArray(registered) && sameCommands(body as readonly Json[], registered, guildId !== undefined)) {
    logger.debug({ count: definitions.length, scope }, 'slash commands are up to date');
    return { changed: false, count: definitions.length };
  }
  await rest.put(route, { body });
  logger.info({ count: definitions.length, scope }, 'registered slash commands');
  return { changed: true, count: definitions.length };
}

type Json = Record<string, unknown>;

// Values Discord fills in when a field is left out: equal to them counts as unset.
const DEFAULTS: Readonly<Record<string, unknown>> = {
  type: 1,
  dm_permission: true,
  nsfw: false,
  required: false,
  autocomplete: false,
};

// Fields compared even when our definition leaves them out, since leaving them out means the default. Any other
// field Discord returns (id, version, application_id, contexts, integration_types…) only counts if we set it:
// contexts and integration_types default to the app's settings, which we cannot know.
const ALWAYS_COMPARED = new Set([
  'type',
  'name',
  'name_localizations',
  'description',
  'description_localizations',
  'options',
  'default_member_permissions',
  'dm_permission',
  'nsfw',
  'required',
  'autocomplete',
  'choices',
  'value',
  'channel_types',
  'min_value',
  'max_value',
  'min_length',
  'max_length',
]);

// Discord ignores these on guild commands and does not echo them.
const GLOBAL_ONLY: ReadonlySet<string> = new Set(['dm_permission', 'contexts', 'integration_types']);

// Sets, whatever order Discord lists them in.
const UNORDERED: ReadonlySet<string> = new Set(['contexts', 'integration_types']);

function withoutKeys(value: Json, keys: ReadonlySet<string>): Json {
  return Object.fromEntries(Object.entries(value).filter(([key]) => !keys.has(key)));
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Drops what means "unset": null, empty arrays and objects, and values equal to Discord's defaults. */
function canonical(value: unknown, dropKeys: ReadonlySet<string> = new Set()): unknown {
  if (Array.isArray(value)) return value.map((item) => canonical(item));
  if (!isObject(value)) return value;
  const out: Json = {};
  for (const [key, raw] of Object.entries(value)) {
    if (dropKeys.has(key)) continue;
    let item = canonical(raw);
    // Permissions are a bit set: sent as a number, answered as a string.
    if (key === 'default_member_permissions' && (typeof item === 'number' || typeof item === 'bigint')) item = String(item);
    if (UNORDERED.has(key) && Array.isArray(item)) item = [...(item as number[])].sort((a, b) => a - b);
    const empty =
      item === undefined ||
      item === null ||
      (Array.isArray(item) && item.length === 0) ||
      (isObject(item) && Object.keys(item).length === 0);
    if (!empty && DEFAULTS[key] !== item) out[key] = item;
  }
  return out;
}

function matches(ours: unknown, theirs: unknown): boolean {
  if (Array.isArray(ours)) {
    return Array.isArray(theirs) && ours.length === theirs.length && ours.every((item, n) => matches(item, theirs[n]));
  }
  if (isObject(ours)) {
    if (!isObject(theirs)) return false;
    const keys = new Set([...Object.keys(ours), ...Object.keys(theirs).filter((key) => ALWAYS_COMPARED.has(key))]);
    return [...keys].every((key) => matches(ours[key], theirs[key]));
  }
  return ours === theirs;
}

function sameCommands(ours: readonly Json[], theirs: readonly unknown[], guild: boolean): boolean {
  if (ours.length !== theirs.length) return false;
  const key = (command: Json) => `${String(command['type'] ?? 1)}:${String(command['name'])}`;
  const registered = new Map<string, Json>();
  for (const command of theirs) if (isObject(command)) registered.set(key(command), command);
  return ours.every((definition) => {
    // With `contexts` set Discord ignores the deprecated `dm_permission`, whatever it echoes for it.
    const drop = guild ? GLOBAL_ONLY : definition['contexts'] !== undefined ? new Set(['dm_permission']) : new Set<string>();
    const mine = canonical(definition, drop) as Json;
    const theirs = registered.get(key(mine));
    return theirs !== undefined && matches(mine, canonical(theirs, drop));
  });
}
