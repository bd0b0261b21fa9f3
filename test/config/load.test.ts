import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const emptyDir = () => mkdtempSync(join(tmpdir(), 'clawcord-config-'));

describe('loadConfig', () => {
  it('runs from environment variables alone, with defaults', () => {
    const config = loadConfig({
      argv: [],
      cwd: emptyDir(),
      env: { GATEWAY_URL: 'ws://127.0.0.1:18789', GATEWAY_TOKEN: 'secret-token', DISCORD_TOKEN: 'bot-token' },
      requireDiscord: true,
    });
    expect(config.gateway).toMatchObject({ url: 'ws://127.0.0.1:18789', token: 'secret-token', protocol: 'auto' });
    expect(config.discord.token).toBe('bot-token');
    expect(config.store.url).toBe('sqlite://data/clawcord.sqlite');
    expect(config.log.level).toBe('info');
  });

  it('names a missing GATEWAY_URL and shows both example addresses', () => {
    const problems = problemsOf(() => loadConfig({ argv: [], cwd: emptyDir(), env: {} }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('gateway.url (GATEWAY_URL)');
    expect(problems[0]).toContain('ws://localhost:11112');
    expect(problems[0]).toContain('ws://127.0.0.1:18789');
  });

  it('gives one line per bad value, naming the field and what is allowed', () => {
    const problems = problemsOf(() =>
      loadConfig({
        argv: [],
        cwd: emptyDir(),
        env: { GATEWAY_URL: 'http://example', GATEWAY_PROTOCOL: 'grpc', LOG_LEVEL: 'loud' },
      }),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^gateway\.url \(GATEWAY_URL\): must be a ws:\/\/ or wss:\/\/ URL/),
      'gateway.protocol (GATEWAY_PROTOCOL): must be one of "auto", "card", "openclaw"',
      'log.level (LOG_LEVEL): must be one of "fatal", "error", "warn", "info", "debug", "trace", "silent"',
    ]);
  });

  it('requires DISCORD_TOKEN only for the bot', () => {
    const env = { GATEWAY_URL: 'ws://127.0.0.1:1' };
    expect(() => loadConfig({ argv: [], cwd: emptyDir(), env })).not.toThrow();
    const problems = problemsOf(() => loadConfig({ argv: [], cwd: emptyDir(), env, requireDiscord: true }));
    expect(problems).toEqual([expect.stringContaining('discord.token (DISCORD_TOKEN): is required')]);
  });

  it('reads the file from --config, and the environment wins over it', () => {
    const dir = emptyDir();
    const file = join(dir, 'custom.json');
    writeFileSync(file, JSON.stringify({ gateway: { url: 'ws://file:1', protocol: 'card' }, log: { level: 'debug' } }));
    const config = loadConfig({ argv: ['--config', file], cwd: dir, env: { GATEWAY_URL: 'ws://env:2' } });
    expect(config.gateway.url).toBe('ws://env:2');
    expect(config.gateway.protocol).toBe('card');
    expect(config.log.level).toBe('debug');
  });

  it('reads CLAWCORD_CONFIG, and ./config.json when nothing names a file', () => {
    const dir = emptyDir();
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ gateway: { url: 'ws://default:1' } }));
    writeFileSync(join(dir, 'other.json'), JSON.stringify({ gateway: { url: 'ws://other:1' } }));
    expect(loadConfig({ argv: [], cwd: dir, env: {} }).gateway.url).toBe('ws://default:1');
    expect(loadConfig({ argv: [], cwd: dir, env: { CLAWCORD_CONFIG: 'other.json' } }).gateway.url).toBe('ws://other:1');
  });

  it('rejects unknown options, a missing explicit file and bad JSON with the path', () => {
    const dir = emptyDir();
    writeFileSync(join(dir, 'typo.json'), JSON.stringify({ gateway: { url: 'ws://x:1', tokne: 'x' } }));
    expect(problemsOf(() => loadConfig({ argv: ['--config=typo.json'], cwd: dir, env: {} }))).toEqual([
      'gateway.tokne: unknown option',
    ]);
    expect(problemsOf(() => loadConfig({ argv: ['--config', 'nope.json'], cwd: dir, env: {} }))).toEqual([
      'config file nope.json: not found',
    ]);
    writeFileSync(join(dir, 'bad.json'), '{ gateway: ');
    expect(problemsOf(() => loadConfig({ argv: ['--config', 'bad.json'], cwd: dir, env: {} }))[0]).toMatch(
      /^config file bad\.json: not valid JSON/,
    );
  });
});

describe('config.example.json', () => {
  it('shows every option with its default', async () => {
    const { readFileSync } = await import('node:fs');
    const { configSchema } = await import('../../src/config/schema.js');
    const example = JSON.parse(readFileSync('config.example.json', 'utf8')) as { gateway: { url: string; token: string }; discord: unknown };
    const defaults = configSchema.parse({ gateway: { url: example.gateway.url, token: example.gateway.token }, discord: example.discord });
    expect(example).toEqual(defaults);
  });
});
