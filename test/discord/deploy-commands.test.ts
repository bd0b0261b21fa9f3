import nock from 'nock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deployCommands, describeResult, DeployError } from '../../src/deploy-commands.js';
import type { CommandDefinition } from '../../src/discord/command.js';
import { accessSchema } from '../../src/config/schema.js';
import { commandDefinitions, loadCommands } from '../../src/discord/loader.js';

const TOKEN = 'MTIz.secret-bot-token.xyz';
const APP_ID = '123456789012345678';
const GUILD_ID = '876543210987654321';
const DISCORD = 'https://discord.com';

let definitions: CommandDefinition[];

beforeAll(async () => {
  definitions = commandDefinitions(await loadCommands());
  nock.disableNetConnect();
});

afterEach(() => {
  nock.cleanAll();
});

afterAll(() => {
  nock.enableNetConnect();
});

interface Seen {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** Intercepts the two calls of a deploy on `origin`/`prefix`, recording what was sent. */
function discord(origin = DISCORD, prefix = '/api/v10', putPath = `/applications/${APP_ID}/commands`) {
  const seen: Seen[] = [];
  const scope = nock(origin)
    .get(`${prefix}/applications/@me`)
    .reply(function () {
      seen.push({ method: 'GET', path: this.req.path, headers: this.req.headers, body: undefined });
      return [200, { id: APP_ID, name: 'clawcord', bot_public: false }];
    })
    .put(`${prefix}${putPath}`)
    .reply(function (_uri, body) {
      seen.push({ method: 'PUT', path: this.req.path, headers: this.req.headers, body });
      return [200, (body as object[]).map((c, n) => ({ ...c, id: String(n + 1), application_id: APP_ID, version: '1' }))];
    });
  return { scope, seen };
}

describe('deployCommands', () => {
  it('bulk-overwrites the global commands with exactly our definitions', async () => {
    const { scope, seen } = discord();
    const result = await deployCommands({ token: TOKEN });
    expect(scope.isDone()).toBe(true);
    expect(result).toEqual({ applicationId: APP_ID, count: 8 });
    expect(describeResult(result)).toBe(`registered 8 commands globally for application ${APP_ID}`);
    const put = seen.find((s) => s.method === 'PUT');
    expect(put?.body).toEqual(JSON.parse(JSON.stringify(definitions)));
    expect(put?.headers['content-type']).toBe('application/json');
  });

  it('uses the guild route with a guild id', async () => {
    const { scope, seen } = discord(DISCORD, '/api/v10', `/applications/${APP_ID}/guilds/${GUILD_ID}/commands`);
    const result = await deployCommands({ token: TOKEN, guildId: GUILD_ID });
    expect(scope.isDone()).toBe(true);
    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual([
      'GET /api/v10/applications/@me',
      `PUT /api/v10/applications/${APP_ID}/guilds/${GUILD_ID}/commands`,
    ]);
    expect(describeResult(result)).toBe(`registered 8 commands in guild ${GUILD_ID} for application ${APP_ID}`);
  });

  it('registers where and for whom the bot would: DMs with access.allowDMs, no install scope in a guild', async () => {
    const global = discord();
    await deployCommands({ token: TOKEN, access: accessSchema.parse({ allowDMs: true }) });
    const body = global.seen.find((s) => s.method === 'PUT')!.body as Array<{ name: string; contexts?: number[]; integration_types?: number[]; default_member_permissions?: unknown }>;
    expect(body.every((c) => c.integration_types?.join() === '0' && c.contexts?.join() === '0,1')).toBe(true);
    expect(body.find((c) => c.name === 'reset')?.default_member_permissions).toBe(32);

    const guild = discord(DISCORD, '/api/v10', `/applications/${APP_ID}/guilds/${GUILD_ID}/commands`);
    await deployCommands({ token: TOKEN, guildId: GUILD_ID });
    const guildBody = guild.seen.find((s) => s.method === 'PUT')!.body as Array<Record<string, unknown>>;
    expect(guildBody.some((c) => 'contexts' in c || 'integration_types' in c)).toBe(false);
  });

  it('talks to a custom DISCORD_API_BASE, appending /v10 like discord.js', async () => {
    const { scope } = discord('http://127.0.0.1:4567', '/fake/api/v10');
    await deployCommands({ token: TOKEN, apiBase: 'http://127.0.0.1:4567/fake/api/' });
    expect(scope.isDone()).toBe(true);
  });

  it('sends the token only in the Authorization header', async () => {
    const { seen } = discord();
    await deployCommands({ token: TOKEN });
    expect(seen).toHaveLength(2);
    for (const request of seen) {
      expect(request.headers['authorization']).toBe(`Bot ${TOKEN}`);
      const { authorization: _auth, ...otherHeaders } = request.headers;
      expect(JSON.stringify([request.path, otherHeaders, request.body])).not.toContain(TOKEN);
      expect(JSON.stringify(otherHeaders)).not.toContain('secret-bot-token');
    }
  });

  it('reports a rejected token without naming it', async () => {
    const scope = nock(DISCORD).get('/api/v10/applications/@me').reply(401, { message: '401: Unauthorized', code: 0 });
    const error = await deployCommands({ token: TOKEN }).catch((e: unknown) => e);
    expect(scope.isDone()).toBe(true);
    expect(error).toBeInstanceOf(DeployError);
    expect((error as Error).message).toBe('DISCORD_TOKEN: Discord rejected the token');
  });

  it('explains a guild the bot cannot reach', async () => {
    nock(DISCORD)
      .get('/api/v10/applications/@me')
      .reply(200, { id: APP_ID })
      .put(`/api/v10/applications/${APP_ID}/guilds/${GUILD_ID}/commands`)
      .reply(403, { message: 'Missing Access', code: 50001 });
    await expect(deployCommands({ token: TOKEN, guildId: GUILD_ID })).rejects.toThrow(`--guild ${GUILD_ID}: missing access`);
  });

  it('lists the form errors of a rejected body', async () => {
    nock(DISCORD)
      .get('/api/v10/applications/@me')
      .reply(200, { id: APP_ID })
      .put(`/api/v10/applications/${APP_ID}/commands`)
      .reply(400, {
        message: 'Invalid Form Body',
        code: 50035,
        errors: { 0: { name: { _errors: [{ code: 'APPLICATION_COMMAND_INVALID_NAME', message: 'Command name is invalid' }] } } },
      });
    await expect(deployCommands({ token: TOKEN, definitions: [{ name: 'Bad Name', description: 'x' }] })).rejects.toThrow(
      'Discord rejected the commands: Invalid Form Body; 0.name: Command name is invalid',
    );
  });

  it('reports an unreachable API base in one line', async () => {
    const error = await deployCommands({ token: TOKEN, apiBase: 'https://discord.invalid/api' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeployError);
    expect((error as Error).message).toMatch(/^cannot reach Discord at https:\/\/discord\.invalid\/api\/v10: /);
    expect((error as Error).message).not.toContain(TOKEN);
  });

  it('refuses a guild id that is not a number', async () => {
    await expect(deployCommands({ token: TOKEN, guildId: 'my-server' })).rejects.toThrow('--guild: "my-server" is not a guild id');
  });

  it('refuses an empty token before calling Discord', async () => {
    await expect(deployCommands({ token: '  ' })).rejects.toThrow('DISCORD_TOKEN: is required');
  });
});
