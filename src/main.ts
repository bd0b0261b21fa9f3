import { Client, GatewayIntentBits } from 'discord.js';
import { ConfigError, loadConfig } from './config/load.js';
import { GatewayClient } from './gateway/client.js';
import { createLogger, registerSecret, scrubSecrets } from './log.js';
import { VERSION } from './version.js';

/** Prints one plain line (no stack trace) and exits non-zero. */
function die(message: string, code = 1): never {
  console.error(`clawcord: ${scrubSecrets(message)}`);
  process.exit(code);
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig({ requireDiscord: true });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) console.error(`config: ${problem}`);
    process.exit(2);
  }
  registerSecret(config.gateway.token);
  registerSecret(config.discord.token);
  const logger = createLogger({ level: config.log.level });

  const gateway = new GatewayClient({
    url: config.gateway.url,
    token: config.gateway.token,
    protocol: config.gateway.protocol,
    logger: logger.child({ component: 'gateway' }),
    device: { path: config.gateway.deviceKeyPath },
    clientVersion: VERSION,
    requestTimeoutMs: config.gateway.requestTimeoutMs,
    connectTimeoutMs: config.gateway.connectTimeoutMs,
    detectTimeoutMs: config.gateway.detectTimeoutMs,
    reconnect: config.gateway.reconnect,
  });
  // An unreachable gateway is retried in the background; a refused token or protocol is fatal.
  gateway.start().catch((error: Error) => die(`gateway: ${error.message}`));

  const discord = new Client({
    intents: [GatewayIntentBits.Guilds],
    rest: config.discord.apiBase ? { api: config.discord.apiBase } : {},
  });
  try {
    await discord.login(config.discord.token);
  } catch (error) {
    const name = (error as { code?: string }).code;
    if (name === 'TokenInvalid') die('discord.token (DISCORD_TOKEN): Discord rejected the token');
    die(`discord: cannot log in: ${(error as Error).message}`);
  }
  logger.info({ version: VERSION, user: discord.user?.tag }, 'clawcord is running');

  const stop = async (signal: string) => {
    logger.info({ signal }, 'stopping');
    await discord.destroy();
    await gateway.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => die(error instanceof Error ? error.message : String(error)));
