// Application command routes, global and per guild: list, bulk overwrite (PUT), create (POST, upsert by name),
// get, edit (PATCH), delete. Validates names, descriptions and options the way Discord rejects them.
import type { FakeContext } from '../context.js';
import { Errors, FormErrors } from '../errors.js';
import { json, type RouteDef, type RouteRequest } from '../http-server.js';
import { snowflake } from '../snowflake.js';
import type { StoredCommand } from '../store.js';
import type { JsonObject } from '../types.js';

const NAME_RE = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;
const MAX_PER_TYPE: Record<number, number> = { 1: 100, 2: 5, 3: 5 };
const SUBCOMMAND = 1;
const SUBCOMMAND_GROUP = 2;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkName(value: unknown, path: Array<string | number>, errors: FormErrors, chatInput: boolean): void {
  if (typeof value !== 'string' || value.length < 1 || value.length > 32) {
    errors.add([...path, 'name'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 32 in length.');
    return;
  }
  if (chatInput && (!NAME_RE.test(value) || value !== value.toLowerCase())) {
    errors.add([...path, 'name'], 'APPLICATION_COMMAND_INVALID_NAME', 'Command name is invalid');
  }
}

function checkDescription(value: unknown, path: Array<string | number>, errors: FormErrors): void {
  if (typeof value !== 'string' || value.length < 1 || value.length > 100) {
    errors.add([...path, 'description'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
  }
}

function validateOptions(list: unknown, path: Array<string | number>, errors: FormErrors): void {
  if (list === undefined || list === null) return;
  if (!Array.isArray(list)) {
    errors.add(path, 'BASE_TYPE_ARRAY', 'Must be an array.');
    return;
  }
  if (list.length > 25) errors.add(path, 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.');
  const names = new Set<string>();
  let sawOptional = false;
  list.forEach((option, n) => {
    if (!isObject(option)) return;
    const here = [...path, n];
    checkName(option['name'], here, errors, true);
    checkDescription(option['description'], here, errors);
    const name = String(option['name']);
    if (names.has(name)) errors.add([...here, 'name'], 'APPLICATION_COMMAND_OPTION_NAME_ALREADY_EXISTS', 'Option name already exists');
    names.add(name);
    const type = option['type'];
    if (type === SUBCOMMAND || type === SUBCOMMAND_GROUP) {
      validateOptions(option['options'], [...here, 'options'], errors);
      return;
    }
    if (option['required'] === true) {
      if (sawOptional) errors.add(here, 'APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID', 'Required options must be placed before non-required options');
    } else {
      sawOptional = true;
    }
    // application-commands.mdx, Application Command Option Structure: `file_types` "max 10".
    const fileTypes = option['file_types'];
    if (Array.isArray(fileTypes) && fileTypes.length > 10) errors.add([...here, 'file_types'], 'BASE_TYPE_MAX_LENGTH', 'Must be 10 or fewer in length.');
    const choices = option['choices'];
    if (Array.isArray(choices)) {
      if (choices.length > 25) errors.add([...here, 'choices'], 'BASE_TYPE_MAX_LENGTH', 'Must be 25 or fewer in length.');
      if (option['autocomplete'] === true && choices.length > 0) {
        errors.add([...here, 'autocomplete'], 'APPLICATION_COMMAND_AUTOCOMPLETE_REQUIRES_NO_CHOICES', 'Autocomplete cannot be set on options with choices');
      }
      choices.forEach((choice, c) => {
        if (!isObject(choice)) return;
        const choiceName = choice['name'];
        if (typeof choiceName !== 'string' || choiceName.length < 1 || choiceName.length > 100) {
          errors.add([...here, 'choices', c, 'name'], 'BASE_TYPE_BAD_LENGTH', 'Must be between 1 and 100 in length.');
        }
      });
    }
  });
}

function validateCommand(body: JsonObject, path: Array<string | number>, errors: FormErrors): void {
  const type = typeof body['type'] === 'number' ? body['type'] : 1;
  checkName(body['name'], path, errors, type === 1);
  if (type === 1) {
    checkDescription(body['description'], path, errors);
    validateOptions(body['options'], [...path, 'options'], errors);
  } else if (typeof body['description'] === 'string' && body['description'].length > 0) {
    errors.add([...path, 'description'], 'APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION', 'Context menu commands cannot have description');
  }
}

function sameDefinition(a: StoredCommand, b: StoredCommand): boolean {
  const strip = ({ id: _id, version: _version, ...rest }: StoredCommand) => JSON.stringify(rest);
  return strip(a) === strip(b);
}

export function commandRoutes(ctx: FakeContext): RouteDef[] {
  const { store } = ctx;

  const scopeOf = (req: RouteRequest): string | null => {
    if (req.params['app'] !== ctx.applicationId) throw Errors.missingAccess();
    const guildId = req.params['guild'];
    if (guildId === undefined) return null;
    if (!store.guild(guildId)) throw Errors.missingAccess();
    return guildId;
  };

  const build = (body: JsonObject, guildId: string | null, id: string): StoredCommand => {
    const type = typeof body['type'] === 'number' ? body['type'] : 1;
    const command: StoredCommand = {
      id,
      application_id: ctx.applicationId,
      version: snowflake(),
      // Sent as an integer or a string; Discord answers the bit set as a string (ApplicationCommandResponse).
      default_member_permissions: body['default_member_permissions'] === undefined || body['default_member_permissions'] === null ? null : String(body['default_member_permissions']),
      type,
      name: String(body['name']),
      name_localizations: body['name_localizations'] ?? null,
      description: typeof body['description'] === 'string' ? body['description'] : '',
      description_localizations: body['description_localizations'] ?? null,
      nsfw: body['nsfw'] === true,
      integration_types: body['integration_types'] ?? [0],
      contexts: body['contexts'] ?? null,
    };
    if (guildId) command.guild_id = guildId;
    else command['dm_permission'] = body['dm_permission'] ?? true;
    if (Array.isArray(body['options'])) command['options'] = body['options'];
    return command;
  };

  const tooMany = (commands: Iterable<StoredCommand>): number | null => {
    const counts = new Map<number, number>();
    for (const c of commands) counts.set(c.type, (counts.get(c.type) ?? 0) + 1);
    for (const [type, count] of counts) if (count > (MAX_PER_TYPE[type] ?? 100)) return type;
    return null;
  };

  const find = (req: RouteRequest): { scope: Map<string, StoredCommand>; command: StoredCommand } => {
    const scope = store.commandScope(scopeOf(req));
    const command = scope.get(req.params['command']!);
    if (!command) throw Errors.unknownCommand();
    return { scope, command };
  };

  const list = (req: RouteRequest) => json(200, [...store.commandScope(scopeOf(req)).values()]);

  const overwrite = (req: RouteRequest) => {
    const guildId = scopeOf(req);
    const scope = store.commandScope(guildId);
    const errors = new FormErrors();
    if (!Array.isArray(req.raw)) {
      errors.add([], 'BASE_TYPE_ARRAY', 'Must be an array.');
      errors.throwIfAny();
    }
    const bodies = (req.raw as unknown[]).filter(isObject);
    const seen = new Set<string>();
    bodies.forEach((body, n) => {
      validateCommand(body, [n], errors);
      const key = `${String(body['type'] ?? 1)}:${String(body['name'])}`;
      if (seen.has(key)) errors.add([n, 'name'], 'APPLICATION_COMMANDS_DUPLICATE_NAME', 'Application command names must be unique');
      seen.add(key);
    });
    errors.throwIfAny();
    const next = bodies.map((body) => {
      const type = typeof body['type'] === 'number' ? body['type'] : 1;
      const existing = [...scope.values()].find((c) => c.name === body['name'] && c.type === type);
      const command = build(body, guildId, existing?.id ?? snowflake());
      if (existing && sameDefinition(existing, command)) command.version = existing.version;
      return command;
    });
    if (tooMany(next) !== null) {
      errors.add([], 'BASE_TYPE_MAX_LENGTH', 'Must be 100 or fewer in length.');
      errors.throwIfAny();
    }
    scope.clear();
    for (const command of next) scope.set(command.id, command);
    return json(200, next);
  };

  const create = (req: RouteRequest) => {
    const guildId = scopeOf(req);
    const scope = store.commandScope(guildId);
    const errors = new FormErrors();
    validateCommand(req.body, [], errors);
    errors.throwIfAny();
    const type = typeof req.body['type'] === 'number' ? req.body['type'] : 1;
    const existing = [...scope.values()].find((c) => c.name === req.body['name'] && c.type === type);
    const command = build(req.body, guildId, existing?.id ?? snowflake());
    if (!existing && tooMany([...scope.values(), command]) !== null) throw Errors.tooManyCommands();
    scope.set(command.id, command);
    return json(existing ? 200 : 201, command);
  };

  const patch = (req: RouteRequest) => {
    const { scope, command } = find(req);
    const merged: JsonObject = { ...command, ...req.body };
    const errors = new FormErrors();
    validateCommand(merged, [], errors);
    errors.throwIfAny();
    const updated = build(merged, command.guild_id ?? null, command.id);
    scope.set(command.id, updated);
    return json(200, updated);
  };

  const remove = (req: RouteRequest) => {
    const { scope, command } = find(req);
    scope.delete(command.id);
    return json(204);
  };

  const routes: RouteDef[] = [];
  for (const base of ['/applications/:app/commands', '/applications/:app/guilds/:guild/commands']) {
    routes.push(
      { method: 'GET', template: base, auth: 'bot', handler: list },
      { method: 'PUT', template: base, auth: 'bot', handler: overwrite },
      { method: 'POST', template: base, auth: 'bot', handler: create },
      { method: 'GET', template: `${base}/:command`, auth: 'bot', handler: (req) => json(200, find(req).command) },
      { method: 'PATCH', template: `${base}/:command`, auth: 'bot', handler: patch },
      { method: 'DELETE', template: `${base}/:command`, auth: 'bot', handler: remove },
    );
  }
  return routes;
}
