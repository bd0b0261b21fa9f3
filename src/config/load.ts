import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { z } from 'zod';
import { accessSchema, configSchema, ENV_VARS, type AccessConfig, type Config } from './schema.js';

/** A configuration problem: one line per problem, each naming the field. Shown without a stack trace. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

export interface LoadOptions {
  argv?: readonly string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** The bot needs a Discord token; the doctor only needs the gateway settings. */
  requireDiscord?: boolean;
}

const envNameFor = new Map<string, string>(
  Object.entries(ENV_VARS).map(([name, path]) => [path.join('.'), name]),
);

function configPathFrom(argv: readonly string[], env: NodeJS.ProcessEnv): { path: string; explicit: boolean } {
  const flag = argv.findIndex((arg) => arg === '--config' || arg.startsWith('--config='));
  if (flag >= 0) {
    const arg = argv[flag]!;
    const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[flag + 1];
    if (!value) throw new ConfigError(['--config: needs a file path, e.g. --config ./config.json']);
    return { path: value, explicit: true };
  }
  if (env.CLAWCORD_CONFIG) return { path: env.CLAWCORD_CONFIG, explicit: true };
  return { path: 'config.json', explicit: false };
}

function readConfigFile(path: string, fullPath: string, explicit: boolean): Record<string, unknown> {
  if (!existsSync(fullPath)) {
    if (explicit) throw new ConfigError([`config file ${path}: not found`]);
    return {};
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(fullPath, 'utf8'));
  } catch (error) {
    throw new ConfigError([`config file ${path}: not valid JSON (${(error as Error).message})`]);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError([`config file ${path}: must hold a JSON object`]);
  }
  return parsed as Record<string, unknown>;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const child = node[key];
    if (typeof child !== 'object' || child === null || Array.isArray(child)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const field = issue.path.join('.') || '(root)';
  const env = envNameFor.get(field);
  const name = env ? `${field} (${env})` : field;
  if (issue.code === 'unrecognized_keys') {
    const where = issue.path.length ? `${issue.path.join('.')}.` : '';
    return `${issue.keys.map((key) => where + key).join(', ')}: unknown option${issue.keys.length > 1 ? 's' : ''}`;
  }
  if (issue.code === 'invalid_value' && 'values' in issue) {
    return `${name}: must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return `${name}: ${issue.message}`;
}

/** Only the `access` section of the config file (for tools that need no gateway, such as deploy-commands). */
export function loadAccessConfig(options: Omit<LoadOptions, 'requireDiscord'> = {}): AccessConfig {
  const env = options.env ?? process.env;
  const { path, explicit } = configPathFrom(options.argv ?? process.argv.slice(2), env);
  const raw = readConfigFile(path, resolve(options.cwd ?? process.cwd(), path), explicit);
  const result = accessSchema.safeParse(raw.access ?? {});
  if (!result.success) throw new ConfigError(result.error.issues.map((issue) => describeIssue({ ...issue, path: ['access', ...issue.path] })));
  return result.data;
}

/** Config sources, later wins: the config file (`--config` or `CLAWCORD_CONFIG`, else ./config.json if present), then the environment. */
export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  const { path, explicit } = configPathFrom(options.argv ?? process.argv.slice(2), env);
  const raw = readConfigFile(path, resolve(options.cwd ?? process.cwd(), path), explicit);

  for (const [name, fieldPath] of Object.entries(ENV_VARS)) {
    const value = env[name];
    if (value !== undefined && value !== '') setPath(raw, fieldPath, value);
  }

  // A missing gateway section should report its missing url, not a missing object.
  raw.gateway ??= {};
  const result = configSchema.safeParse(raw);
  const problems = result.success ? [] : result.error.issues.map(describeIssue);
  if (result.success && options.requireDiscord && !result.data.discord.token) {
    problems.push('discord.token (DISCORD_TOKEN): is required to run the bot (the bot token from the Discord developer portal)');
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return result.data;
}
