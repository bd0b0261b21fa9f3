import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FakeDiscord } from '../fakes/discord/index.js';
import { onCleanup, waitFor } from '../gateway/helpers.js';
import { expectNoSecretsInLog, issuedSecrets, type NamedSecret } from './harness.js';

export interface BotProcess {
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

export interface SpawnOptions {
  /** The caller kills it (it is not killed after the current test). */
  outliveTest?: boolean;
  /** What must never appear in its output; checked after the test. */
  secrets?: () => NamedSecret[];
}

/**
 * Runs the built bot (`npm start`'s entry) as a child process with this environment only. It is killed after the
 * current test, unless `outliveTest` (then the caller kills it); its output is then scanned for `secrets`.
 */
export function spawnBot(env: Record<string, string>, { outliveTest = false, secrets }: SpawnOptions = {}): BotProcess {
  const child = spawn(process.execPath, [join(process.cwd(), 'dist/src/main.js')], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const collect = (chunk: Buffer) => output.push(...chunk.toString().split('\n').filter(Boolean));
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  onCleanup(async () => {
    if (!outliveTest && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (!outliveTest) await exited;
    if (secrets) expectNoSecretsInLog(output, secrets());
  });
  return {
    child,
    output,
    exited,
    waitForLog: (pattern, timeoutMs = 10_000) => waitFor(() => output.find((line) => pattern.test(line)), timeoutMs, `a log line like ${pattern}`),
  };
}

/**
 * The environment for a bot process against these fakes, with a config file of its own in a fresh folder (the
 * device identity lives there too), and the secrets its output must never show.
 */
export function botEnvironment(
  gateway: { url: string; token: string },
  discord: FakeDiscord,
  config: Record<string, unknown> = {},
): { env: Record<string, string>; dir: string; secrets: () => NamedSecret[] } {
  const dir = mkdtempSync(join(tmpdir(), 'clawcord-process-'));
  const deviceKeyPath = join(dir, 'device-identity.json');
  const { gateway: gatewayConfig, ...rest } = config as { gateway?: Record<string, unknown> };
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ gateway: { url: gateway.url, deviceKeyPath, ...gatewayConfig }, health: { file: join(dir, 'health.json') }, ...rest }));
  const env = {
    GATEWAY_URL: gateway.url,
    GATEWAY_TOKEN: gateway.token,
    DISCORD_TOKEN: discord.token,
    DISCORD_API_BASE: discord.restBase,
    STORE_URL: `sqlite://${join(dir, 'state.sqlite')}`,
    LOG_LEVEL: 'debug',
    CLAWCORD_CONFIG: join(dir, 'config.json'),
  };
  return { env, dir, secrets: () => issuedSecrets(gateway, discord, deviceKeyPath) };
}
