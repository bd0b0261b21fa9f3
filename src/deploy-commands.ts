// `npm run deploy-commands [-- --guild <id>]`: registers the slash commands in commands/ with one bulk overwrite.
// It reads DISCORD_TOKEN and DISCORD_API_BASE straight from the environment rather than through loadConfig(),
// which would also demand the gateway settings this script has no use for.
// Plain global fetch (not discord.js REST) keeps it small and lets nock intercept it in tests.
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { CommandDefinition } from './discord/command.js';
import { ConfigError, loadAccessConfig } from './config/load.js';
import type { AccessConfig } from './config/schema.js';
import { commandDefinitions, loadCommands } from './discord/loader.js';
import { registrationBody } from './discord/registration.js';
import { registerSecret, scrubSecrets } from './log.js';
import { VERSION } from './version.js';

export const DEFAULT_API_BASE = 'https://discord.com/api';

export interface DeployOptions {
  token: string;
  /** Without the version, like discord.js's `rest.api`: `/v10` is appended. */
  apiBase?: string;
  guildId?: string;
  fetch?: typeof globalThis.fetch;
  /** Defaults to the commands in commands/. */
  definitions?: readonly CommandDefinition[];
  /** Who may use them (DMs, admin commands), as the bot registers them; defaults to the default access. */
  access?: AccessConfig;
}

export interface DeployResult {
  applicationId: string;
  guildId?: string;
  count: number;
}

/** A failure explained in one line, printed without a stack trace. */
export class DeployError extends Error {
  override name = 'DeployError';
}

export function describeResult(result: DeployResult): string {
  const where = result.guildId ? `in guild ${result.guildId}` : 'globally';
  return `registered ${result.count} commands ${where} for application ${result.applicationId}`;
}

export async function deployCommands(options: DeployOptions): Promise<DeployResult> {
  const token = options.token.replace(/^(Bot|Bearer)\s+/i, '').trim();
  if (!token) throw new DeployError('DISCORD_TOKEN: is required (the bot token from the Discord developer portal)');
  if (options.guildId !== undefined && !/^\d+$/.test(options.guildId)) {
    throw new DeployError(`--guild: "${options.guildId}" is not a guild id (a number, e.g. 123456789012345678)`);
  }
  const base = `${(options.apiBase ?? DEFAULT_API_BASE).replace(/\/+$/, '')}/v10`;
  const definitions = registrationBody(options.definitions ?? commandDefinitions(await loadCommands(), options.access), options.guildId);
  const doFetch = options.fetch ?? globalThis.fetch;

  const call = async (method: 'GET' | 'PUT', path: string, body?: unknown): Promise<unknown> => {
    let response: Response;
    try {
      response = await doFetch(`${base}${path}`, {
        method,
        headers: {
          Authorization: `Bot ${token}`,
          'User-Agent': `DiscordBot (clawcord, ${VERSION})`,
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
      throw new DeployError(`cannot reach Discord at ${base}: ${cause}`);
    }
    const text = await response.text();
    const payload = parseJson(text);
    if (response.ok) return payload;
    throw new DeployError(explainFailure(method, path, response.status, payload, options.guildId));
  };

  const application = await call('GET', '/applications/@me');
  const applicationId = isRecord(application) && typeof application['id'] === 'string' ? application['id'] : undefined;
  if (!applicationId) throw new DeployError('Discord: GET /applications/@me returned no application id');

  const path = options.guildId
    ? `/applications/${applicationId}/guilds/${options.guildId}/commands`
    : `/applications/${applicationId}/commands`;
  const registered = await call('PUT', path, definitions);
  const count = Array.isArray(registered) ? registered.length : definitions.length;
  return { applicationId, count, ...(options.guildId ? { guildId: options.guildId } : {}) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(text: string): unknown {
  try {
    return text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    return undefined;
  }
}

/** Discord's form errors nest as `{ errors: { 0: { name: { _errors: [{ message }] } } } }`; flatten to `0.name: message`. */
function formErrors(value: unknown, path: string[] = []): string[] {
  if (!isRecord(value)) return [];
  const here = Array.isArray(value['_errors'])
    ? value['_errors'].map((e) => `${path.join('.') || 'body'}: ${isRecord(e) ? String(e['message']) : String(e)}`)
    : [];
  return [...here, ...Object.entries(value).flatMap(([key, child]) => (key === '_errors' ? [] : formErrors(child, [...path, key])))];
}

function explainFailure(method: string, path: string, status: number, payload: unknown, guildId?: string): string {
  const body = isRecord(payload) ? payload : {};
  const message = typeof body['message'] === 'string' ? body['message'] : '';
  switch (status) {
    case 401:
      return 'DISCORD_TOKEN: Discord rejected the token';
    case 403:
      return guildId
        ? `--guild ${guildId}: missing access (is the bot in that guild, invited with the applications.commands scope?)`
        : `Discord refused ${method} ${path}: ${message || 'missing access'}`;
    case 404:
      return guildId ? `--guild ${guildId}: unknown guild` : `Discord: ${method} ${path} not found`;
    case 429: {
      const retryAfter = typeof body['retry_after'] === 'number' ? ` in ${Math.ceil(body['retry_after'])} s` : ' later';
      return `Discord rate-limited the request; try again${retryAfter}`;
    }
    case 400: {
      const details = formErrors(body['errors']);
      return `Discord rejected the commands: ${[message || 'bad request', ...details].join('; ')}`;
    }
    default:
      return `Discord answered ${status} to ${method} ${path}${message ? `: ${message}` : ''}`;
  }
}

async function main(): Promise<number> {
  let guildId: string | undefined;
  try {
    ({ guild: guildId } = parseArgs({ options: { guild: { type: 'string' } }, strict: true }).values);
  } catch (error) {
    console.error(`deploy-commands: ${(error as Error).message} (usage: npm run deploy-commands [-- --guild <id>])`);
    return 2;
  }
  const token = process.env['DISCORD_TOKEN'] ?? '';
  registerSecret(token);
  let access: AccessConfig;
  try {
    // The access section decides whether commands work in DMs and which need Manage Server, as in the bot.
    access = loadAccessConfig({ argv: [] });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) console.error(`config: ${problem}`);
    return 2;
  }
  try {
    const result = await deployCommands({ token, apiBase: process.env['DISCORD_API_BASE'] || undefined, guildId, access });
    console.log(describeResult(result));
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`deploy-commands: ${scrubSecrets(message)}`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main();
}
