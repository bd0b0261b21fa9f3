import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config/load.js';
import { createLogger, registerSecret, scrubSecrets } from './log.js';
import { LeaseHeldError } from './store/lease.js';
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
  const app = await createApp(config, logger).catch((error: Error) => die(error.message));

  // An unreachable gateway is retried in the background; a refused token, protocol or device is fatal.
  app.gateway.on('fatal', (error) => die(`gateway: ${error.message}`));
  app.lease.on('lost', (holder) => die(`another clawcord process (pid ${holder.pid} on ${holder.host}) took over the store; stopping`));
  try {
    await app.start();
  } catch (error) {
    if (error instanceof LeaseHeldError) die(`store: ${error.message}`);
    const code = (error as { code?: string }).code;
    if (code === 'TokenInvalid') die('discord.token (DISCORD_TOKEN): Discord rejected the token');
    if (code === 'DisallowedIntents') die('discord: the Message Content intent is not enabled for this bot (needed by threads.followUpWithoutMention)');
    die(`discord: cannot log in: ${(error as Error).message}`);
  }
  logger.info({ version: VERSION }, 'clawcord is running');
  // Past start-up, one failed background task (a store write, a Discord edit) must not take every live reply down.
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection (kept running)'));
  process.on('uncaughtException', (error) => logger.error({ err: error }, 'uncaught exception (kept running)'));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: marking live replies interrupted');
    await app.stop();
    logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => die(error instanceof Error ? error.message : String(error)));
