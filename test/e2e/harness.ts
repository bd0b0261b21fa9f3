import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type App } from '../../src/app.js';
import { configSchema, type Config } from '../../src/config/schema.js';
import { joinChunks } from '../../src/discord/render/split.js';
import type { GatewayClientOptions } from '../../src/gateway/client.js';
import { silentLogger, type Logger } from '../../src/log.js';
import { startCardGateway, type CardGateway } from '../fakes/gateway/card-gateway.js';
import { startOpenClawGateway, type OpenClawGateway } from '../fakes/gateway/openclaw-gateway.js';
import { startFakeDiscord, type FakeDiscord } from '../fakes/discord/index.js';
import type { FakeDiscordOptions, RecordedMessage } from '../fakes/discord/types.js';
import { onCleanup, waitFor } from '../gateway/helpers.js';

export type GatewayKind = 'card' | 'openclaw-v3' | 'openclaw-v4';
export const GATEWAY_KINDS: GatewayKind[] = ['card', 'openclaw-v3', 'openclaw-v4'];

export interface StackOptions {
  gateway?: GatewayKind;
  discord?: FakeDiscordOptions;
  config?: Record<string, unknown>;
  /** Reuse a store file (restart tests). */
  storeFile?: string;
  logger?: Logger;
}

const FAST_GATEWAY: Partial<GatewayClientOptions> = {
  detectTimeoutMs: 300,
  reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
  recoveryIntervalMs: 100,
};

export async function startGateway(kind: GatewayKind): Promise<CardGateway | OpenClawGateway> {
  const gateway = kind === 'card' ? await startCardGateway() : await startOpenClawGateway({ protocol: kind === 'openclaw-v3' ? 3 : 4, deltaPacingMs: 20 });
  onCleanup(() => gateway.close());
  return gateway;
}

export function buildConfig(gateway: { url: string; token: string }, discord: FakeDiscord, options: StackOptions): Config {
  const dir = mkdtempSync(join(tmpdir(), 'clawcord-e2e-'));
  return configSchema.parse({
    gateway: { url: gateway.url, token: gateway.token, deviceKeyPath: join(dir, 'device.json'), requestTimeoutMs: 3_000, connectTimeoutMs: 3_000 },
    discord: { token: discord.token, apiBase: discord.restBase },
    store: { url: `sqlite://${options.storeFile ?? join(dir, 'state.sqlite')}` },
    health: { file: join(dir, 'health.json') },
    relay: { minEditIntervalMs: 250 },
    ...options.config,
  });
}

export async function startBot(gateway: { url: string; token: string }, discord: FakeDiscord, options: StackOptions = {}): Promise<App> {
  const app = await createApp(buildConfig(gateway, discord, options), options.logger ?? silentLogger, FAST_GATEWAY);
  // The client goes before the fake Discord it talks to (see the fake's pitfalls).
  onCleanup(() => app.stop());
  await app.start();
  await app.gateway.ready();
  return app;
}

/** A fake Discord, a fake gateway and the bot between them. */
export async function startStack(options: StackOptions = {}) {
  const gateway = await startGateway(options.gateway ?? 'openclaw-v4');
  const discord = await startFakeDiscord({ rateLimits: false, ...options.discord });
  onCleanup(() => discord.close());
  const app = await startBot(gateway, discord, options);
  return { gateway, discord, app };
}

/** The text a person reads across the bot's messages for one reply, with the splitter's fence lines removed. */
export function replyText(messages: RecordedMessage[]): string {
  return joinChunks(messages.map((m) => m.content));
}

/** The bot's visible messages for the reply to an /ask: the original and what followed it. */
export function replyMessages(discord: FakeDiscord, token: string, channelId?: string): RecordedMessage[] {
  const view = discord.interaction(token);
  if (!view?.original) return [];
  const original = view.original;
  const later = discord
    .messages(channelId ?? view.channelId)
    .filter((m) => m.byBot && !m.deleted && !m.ephemeral && m.createdAt >= original.createdAt && m.id !== original.id);
  return [original, ...later];
}

export function isLive(message: RecordedMessage): boolean {
  return message.components.length > 0;
}

/** Waits until no message of the reply is live and nothing has changed for a moment; returns them. */
export async function waitForSettledReply(discord: FakeDiscord, token: string, channelId?: string, timeoutMs = 10_000): Promise<RecordedMessage[]> {
  let last = '';
  let stableSince = Date.now();
  return waitFor(
    () => {
      const messages = replyMessages(discord, token, channelId);
      const settled = messages.length > 0 && messages.every((m) => m.content !== '' && !isLive(m) && !m.content.startsWith('⏳'));
      const snapshot = JSON.stringify(messages.map((m) => [m.id, m.content]));
      if (snapshot !== last || !settled) {
        last = snapshot;
        stableSince = Date.now();
        return undefined;
      }
      return Date.now() - stableSince >= 300 ? messages : undefined;
    },
    timeoutMs,
    'the reply to settle',
  );
}
