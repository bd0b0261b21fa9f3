import { ApplicationCommandOptionType, REST } from 'discord.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CommandDefinition } from '../../src/discord/command.js';
import { accessSchema } from '../../src/config/schema.js';
import { commandDefinitions, loadCommands } from '../../src/discord/loader.js';
import { syncCommands } from '../../src/discord/registration.js';
import { startFakeDiscord, type FakeDiscord } from '../fakes/discord/index.js';

const DEFINITIONS: CommandDefinition[] = [
  { name: 'status', description: 'Show the status' },
  {
    name: 'ask',
    description: 'Ask the agent',
    options: [
      { type: ApplicationCommandOptionType.String, name: 'prompt', description: 'What to ask', required: true, max_length: 6000 },
      { type: ApplicationCommandOptionType.Boolean, name: 'thread', description: 'In a thread' },
      {
        type: ApplicationCommandOptionType.String,
        name: 'thinking',
        description: 'How hard',
        choices: [
          { name: 'off', value: 'off' },
          { name: 'high', value: 'high' },
        ],
      },
    ],
  },
  {
    name: 'model',
    description: 'Switch the model',
    options: [{ type: ApplicationCommandOptionType.String, name: 'model', description: 'The model', autocomplete: true }],
  },
];

/** What real Discord sends back for DEFINITIONS: every default filled in, plus ids and versions. */
function discordEcho(applicationId: string, guildId?: string): unknown[] {
  let id = 1000;
  return DEFINITIONS.map((definition) => ({
    id: String(id++),
    application_id: applicationId,
    version: String(id++),
    default_member_permissions: null,
    type: 1,
    name: definition.name,
    name_localizations: null,
    description: definition.description,
    description_localizations: null,
    ...(guildId ? { guild_id: guildId } : { dm_permission: true, contexts: [0, 1, 2], integration_types: [0, 1] }),
    nsfw: false,
    ...(definition.options
      ? {
          options: definition.options.map((option) => ({
            required: false,
            autocomplete: false,
            name_localizations: null,
            description_localizations: null,
            ...option,
            ...('choices' in option && option.choices
              ? { choices: option.choices.map((choice) => ({ ...choice, name_localizations: null })) }
              : {}),
          })),
        }
      : {}),
  }));
}

let fake: FakeDiscord;
let rest: REST;
const logger = { info: vi.fn(), debug: vi.fn() };

beforeEach(async () => {
  fake = await startFakeDiscord();
  rest = new REST({ api: fake.restBase, timeout: 2000, retries: 0 }).setToken(fake.token);
  logger.info.mockClear();
  logger.debug.mockClear();
});

afterEach(async () => {
  await fake.close();
});

const puts = () => fake.requests.filter((r) => r.method === 'PUT' && r.route?.includes('/commands')).length;
const sync = (definitions: readonly CommandDefinition[], guildId?: string) =>
  syncCommands({ rest, applicationId: fake.applicationId, definitions, logger, ...(guildId ? { guildId } : {}) });

/** Makes the fake answer the next GET of the command list with `body`. */
function answerListWith(body: unknown[]): void {
  fake.override({ match: (r) => r.method === 'GET' && /\/commands$/.test(r.path), status: 200, body });
}

describe('syncCommands', () => {
  it('writes once, then a restart with the same commands writes nothing', async () => {
    expect(await sync(DEFINITIONS)).toEqual({ changed: true, count: 3 });
    expect(puts()).toBe(1);
    expect(fake.commands().map((c) => c.name)).toEqual(['status', 'ask', 'model']);
    expect(logger.info).toHaveBeenCalledTimes(1);

    for (let n = 0; n < 5; n++) expect(await sync(DEFINITIONS)).toEqual({ changed: false, count: 3 });
    expect(puts()).toBe(1);
    expect(logger.info).toHaveBeenCalledTimes(1);
    expect(fake.stats().rateLimited).toBe(0);
  });

  it('writes again when a description changes', async () => {
    await sync(DEFINITIONS);
    const changed = DEFINITIONS.map((d) => (d.name === 'status' ? { ...d, description: 'Show the whole status' } : d));
    expect(await sync(changed)).toEqual({ changed: true, count: 3 });
    expect(puts()).toBe(2);
    expect(fake.commands().find((c) => c.name === 'status')?.description).toBe('Show the whole status');
    expect(await sync(changed)).toEqual({ changed: false, count: 3 });
    expect(puts()).toBe(2);
  });

  it('syncs the commands of one guild on the guild route', async () => {
    expect((await sync(DEFINITIONS, fake.guildId)).changed).toBe(true);
    expect((await sync(DEFINITIONS, fake.guildId)).changed).toBe(false);
    expect(fake.requests.filter((r) => r.method === 'PUT').map((r) => r.path)).toEqual([
      `/applications/${fake.applicationId}/guilds/${fake.guildId}/commands`,
    ]);
    expect(fake.commands(fake.guildId)).toHaveLength(3);
    expect(fake.commands()).toHaveLength(0);
  });

  it('writes nothing for the real commands/ folder on a restart', async () => {
    const definitions = commandDefinitions(await loadCommands());
    expect(await sync(definitions)).toEqual({ changed: true, count: 8 });
    expect(await sync(definitions)).toEqual({ changed: false, count: 8 });
    expect(puts()).toBe(1);
  });

  it('does not count the fields Discord echoes as differences', async () => {
    answerListWith(discordEcho(fake.applicationId));
    expect((await sync(DEFINITIONS)).changed).toBe(false);
    answerListWith([...discordEcho(fake.applicationId)].reverse());
    expect((await sync(DEFINITIONS)).changed).toBe(false);
    answerListWith(discordEcho(fake.applicationId, fake.guildId));
    expect((await sync(DEFINITIONS, fake.guildId)).changed).toBe(false);
    expect(puts()).toBe(0);
  });

  it('writes nothing on a restart when Discord echoes the install scope its own way', async () => {
    const definitions = commandDefinitions(await loadCommands(), accessSchema.parse({ allowDMs: true }));
    // Discord answers permissions as a string, may list contexts in its own order and fills in dm_permission.
    const echo = definitions.map((d, n) => ({
      id: String(2000 + n),
      application_id: fake.applicationId,
      version: String(3000 + n),
      type: 1,
      name_localizations: null,
      description_localizations: null,
      nsfw: false,
      ...d,
      default_member_permissions: d.default_member_permissions === undefined ? null : String(d.default_member_permissions),
      contexts: [...(d.contexts ?? [])].reverse(),
      dm_permission: false,
    }));
    answerListWith(echo);
    expect((await sync(definitions)).changed).toBe(false);
    // Against the fake's own store, too.
    expect((await sync(definitions)).changed).toBe(true);
    expect((await sync(definitions)).changed).toBe(false);
    expect(puts()).toBe(1);
    const body = fake.requests.find((r) => r.method === 'PUT')?.body as Array<Record<string, unknown>>;
    expect(body.find((c) => c['name'] === 'reset')).toMatchObject({ default_member_permissions: 32, contexts: [0, 1], integration_types: [0] });

    for (const [what, patch] of [
      ['user installs allowed', { integration_types: [0, 1] }],
      ['group DMs allowed', { contexts: [0, 1, 2] }],
      ['the permission gate dropped', { default_member_permissions: null }],
    ] as const) {
      answerListWith(echo.map((c) => (c.name === 'reset' ? { ...c, ...patch } : c)));
      expect((await sync(definitions)).changed, what).toBe(true);
    }
  });

  it('sends no install scope to a guild, where Discord does not keep it', async () => {
    const definitions = commandDefinitions(await loadCommands());
    expect((await sync(definitions, fake.guildId)).changed).toBe(true);
    expect((await sync(definitions, fake.guildId)).changed).toBe(false);
    const body = fake.requests.find((r) => r.method === 'PUT')?.body as Array<Record<string, unknown>>;
    expect(body.some((c) => 'contexts' in c || 'integration_types' in c)).toBe(false);
    expect(body.find((c) => c['name'] === 'model')?.['default_member_permissions']).toBe(32);
  });

  type Echo = Record<string, unknown> & { options?: Record<string, unknown>[] };
  const differences: Array<[string, (echo: Echo[]) => unknown[]]> = [
    ['a command is missing', (echo) => echo.slice(1)],
    ['an extra command is registered', (echo) => [...echo, { ...echo[0], id: '9', name: 'old' }]],
    ['permissions were set on a command', (echo) => echo.map((c, n) => (n === 0 ? { ...c, default_member_permissions: '8' } : c))],
    ['a command is not allowed in DMs', (echo) => echo.map((c, n) => (n === 0 ? { ...c, dm_permission: false } : c))],
    ['an option is required there', (echo) => withOption(echo, 1, 1, { required: true })],
    ['an option lost autocomplete', (echo) => withOption(echo, 2, 0, { autocomplete: false })],
    ['an option has another max_length', (echo) => withOption(echo, 1, 0, { max_length: 100 })],
    ['a choice differs', (echo) => withOption(echo, 1, 2, { choices: [{ name: 'off', value: 'off' }] })],
    [
      'the options are in another order',
      (echo) => echo.map((c, n) => (n === 1 ? { ...c, options: [...(c.options ?? [])].reverse() } : c)),
    ],
  ];

  function withOption(echo: Echo[], command: number, option: number, patch: Record<string, unknown>): Echo[] {
    return echo.map((c, n) =>
      n === command ? { ...c, options: (c.options ?? []).map((o, m) => (m === option ? { ...o, ...patch } : o)) } : c,
    );
  }

  it.each(differences)('writes when %s', async (_what, change) => {
    answerListWith(change(discordEcho(fake.applicationId) as Echo[]));
    expect((await sync(DEFINITIONS)).changed).toBe(true);
    expect(puts()).toBe(1);
    expect(fake.requests.find((r) => r.method === 'PUT')?.body).toEqual(DEFINITIONS);
  });
});
