import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ApplicationIntegrationType, InteractionContextType, PermissionFlagsBits } from 'discord.js';
import { accessSchema, type AccessConfig } from '../config/schema.js';
import { isCommand, type Command, type CommandDefinition } from './command.js';

// Resolves to `commands/` from src/discord/ (vitest on .ts sources) and to dist/commands/ from dist/src/discord/.
const COMMANDS_DIR = new URL('../../commands/', import.meta.url);

function isCommandModule(file: string): boolean {
  if (file.endsWith('.d.ts') || file.endsWith('.map') || file.includes('.test.')) return false;
  return file.endsWith('.ts') || file.endsWith('.js');
}

/**
 * Imports every module in the commands folder and returns its slash commands by name. Default exports that are
 * not commands are skipped; two commands with the same name are an error.
 */
export async function loadCommands(dir: URL = COMMANDS_DIR): Promise<Map<string, Command>> {
  const folder = dir.href.endsWith('/') ? dir : new URL(`${dir.href}/`);
  const files = (await readdir(folder)).filter(isCommandModule).sort();
  const commands = new Map<string, Command>();
  const sources = new Map<string, string>();
  for (const file of files) {
    const url = new URL(file, folder);
    const module = (await import(url.href)) as { default?: unknown };
    if (!isCommand(module.default)) continue;
    const { name } = module.default.definition;
    const previous = sources.get(name);
    if (previous !== undefined) {
      throw new Error(`duplicate slash command name "${name}" in ${previous} and ${fileURLToPath(url)}`);
    }
    sources.set(name, fileURLToPath(url));
    commands.set(name, module.default);
  }
  return commands;
}

/**
 * Where Discord offers the commands, and to whom by default:
 * - installed to servers only (`integration_types`), so a user install cannot bring them to servers without the
 *   bot, where no access rule was ever written for;
 * - in servers, and in the bot's DMs only when `access.allowDMs` is on (`contexts`);
 * - admin commands hidden from members without Manage Server (`default_member_permissions`), but only when Manage
 *   Server is what makes a clawcord admin: admins by role or user id would not see their commands otherwise.
 *   Server admins can change it under Integrations; clawcord's own check runs regardless.
 */
export function commandDefinitions(commands: ReadonlyMap<string, Command>, access: AccessConfig = accessSchema.parse({})): CommandDefinition[] {
  const adminsByPermission = access.admins.manageGuild && access.admins.roles.length === 0 && access.admins.users.length === 0;
  return [...commands.values()].map((command) => {
    const needsAdmin = (access.commands[command.definition.name] ?? command.access) === 'admin';
    return {
      ...command.definition,
      integration_types: [ApplicationIntegrationType.GuildInstall],
      contexts: access.allowDMs ? [InteractionContextType.Guild, InteractionContextType.BotDM] : [InteractionContextType.Guild],
      ...(needsAdmin && adminsByPermission ? { default_member_permissions: Number(PermissionFlagsBits.ManageGuild) } : {}),
    };
  });
}
