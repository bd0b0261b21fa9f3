import type { Config } from './config/schema.js';
import { Bot, createDiscordClient } from './discord/bot.js';
import { discordDefaultLimit } from './discord/buckets.js';
import { loadCommands } from './discord/loader.js';
import { createReplyRenderer } from './discord/render/reply.js';
import { GatewayClient, type GatewayClientOptions } from './gateway/client.js';
import { GatewayError } from './gateway/errors.js';
import { gatewayClientOptions } from './gateway/options.js';
import { writeHealth } from './health.js';
import { registerSecret, type Logger } from './log.js';
import { RateBudget } from './relay/budget.js';
import { Pacer, type EditPolicy } from './relay/pacer.js';
import { Relay } from './relay/relay.js';
import { StoreLease } from './store/lease.js';
import { Store } from './store/store.js';

export interface App {
  gateway: GatewayClient;
  relay: Relay;
  bot: Bot;
  store: Store;
  /** One process per store: taken at start, released at stop. */
  lease: StoreLease;
  /** Takes the store lease (waiting for another process, or refusing), logs in to Discord and connects to the gateway; rejects on a refused Discord token. */
  start(): Promise<void>;
  /** Marks live replies interrupted, then closes Discord, the gateway and the store. */
  stop(): Promise<void>;
}

/** Builds the whole bot from a config: gateway client, relay, Discord side, store. */
export async function createApp(config: Config, logger: Logger, gatewayOverrides: Partial<GatewayClientOptions> = {}): Promise<App> {
  // Never in a log line, nor in a message the bot writes (an approval card shows an agent's command, say).
  registerSecret(config.gateway.token);
  registerSecret(config.discord.token);
  const store = await Store.open(config.store.url);
  const lease = new StoreLease(store, { logger: logger.child({ component: 'lease' }) });
  const gateway = new GatewayClient({ ...gatewayClientOptions(config.gateway, logger.child({ component: 'gateway' })), ...gatewayOverrides });
  const budget = new RateBudget(discordDefaultLimit);
  // The benchmark compares clawcord's edit policy with those of other relays; users have no such switch.
  const policy = (process.env.CLAWCORD_BENCH_POLICY ?? 'clawcord') as EditPolicy;
  const pacer = new Pacer(budget, { minIntervalMs: config.relay.minEditIntervalMs, policy, logger: logger.child({ component: 'pacer' }) });
  const relay = new Relay({ gateway, store, pacer, render: createReplyRenderer(config.relay), config: config.relay, attachments: config.attachments, logger: logger.child({ component: 'relay' }) });
  const bot = new Bot(createDiscordClient(config), {
    config,
    relay,
    budget,
    commands: await loadCommands(),
    logger: logger.child({ component: 'discord' }),
    channelOnlyReplies: policy !== 'clawcord',
  });
  let stopHealth = () => {};

  return {
    gateway,
    relay,
    bot,
    store,
    lease,
    async start() {
      await lease.acquire(config.store.whenLocked === 'wait');
      const gatewayReady = gateway.start();
      // Fatal gateway errors are the caller's to report; this only keeps the rejection from going unhandled.
      gatewayReady.catch(() => {});
      await bot.start(config.discord.token ?? '');
      stopHealth = writeHealth(
        config.health.file,
        () => ({ discord: bot.client.isReady(), gateway: gateway.connected, activeRuns: relay.load.active }),
        (error) => logger.error({ err: error, file: config.health.file }, 'cannot write the health report'),
      );
      void gatewayReady
        .then(async () => {
          const recovered = await relay.recover((location) => bot.writerFor(location));
          if (recovered > 0) logger.info({ recovered }, 'finished replies left from before the restart');
        })
        .catch((error: unknown) => {
          // A fatal gateway error is reported by its own handler; anything else here is recovery failing.
          if (!(error instanceof GatewayError && error.fatal)) logger.error({ err: error }, 'could not finish the replies left from before the restart');
        });
    },
    async stop() {
      stopHealth();
      await relay.shutdown();
      await bot.client.destroy();
      await gateway.close();
      await lease.release().catch((error: unknown) => logger.warn({ err: error }, 'could not release the store lease'));
      await store.close();
    },
  };
}
