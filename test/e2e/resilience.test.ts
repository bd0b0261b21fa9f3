import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withoutExtras } from '../../src/discord/render/reply.js';
import { startFakeDiscord } from '../fakes/discord/index.js';
import { wordTokens } from '../fakes/gateway/state.js';
import { onCleanup, waitFor } from '../gateway/helpers.js';
import { replyText, startGateway, startStack, waitForSettledReply } from './harness.js';
import { spawnBot } from './process.js';

describe('Discord trouble', () => {
  it('rides out injected 429s and 5xx without losing text or the final', async () => {
    const { discord, gateway } = await startStack({ gateway: 'openclaw-v4', discord: { rateLimits: false } });
    const answer = 'Every word must arrive even when Discord pushes back. '.repeat(4).trim();
    gateway.setReplyScript(() => ({ tokens: wordTokens(answer), tokenDelayMs: 30 }));
    const isEdit = (req: { method: string; route: string | null }) => req.method === 'PATCH' && (req.route ?? '').includes('/webhooks/');
    const limited = discord.override({ match: isEdit, status: 429, retryAfter: 0.3, times: 2 });
    const failing = discord.override({ match: isEdit, status: 502, body: 'bad gateway', times: 6 });
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'go' } });
    const messages = await waitForSettledReply(discord, token, undefined, 20_000);
    expect(limited.hits + failing.hits).toBeGreaterThanOrEqual(3);
    expect(replyText(messages)).toBe(answer);
  });

  it('keeps every stream of a busy channel under the rate limits: no 429 from Discord', async () => {
    const { discord, gateway } = await startStack({
      gateway: 'openclaw-v4',
      discord: { rateLimits: { perChannel: { limit: 5, windowMs: 5_000 }, perWebhook: { limit: 5, windowMs: 5_000 }, globalPerSecond: 50 } },
      config: { relay: { minEditIntervalMs: 250, maxQueue: 3 } },
    });
    gateway.setReplyScript(({ message }) => ({ tokens: wordTokens(`${message} `.repeat(25)), tokenDelayMs: 40 }));
    const tokens = Array.from({ length: 8 }, (_, i) =>
      discord.sendChatInput({ name: 'ask', options: { prompt: `stream-${i}` }, user: { id: `60000000000000000${i}`, username: `u${i}` } }).token,
    );
    // Separate sessions so that they stream at once: each user asks in the same channel, one session; so use threads? No:
    // one channel is one session, so these queue; the point here is the shared channel and webhook buckets.
    for (const token of tokens.slice(0, 4)) await waitForSettledReply(discord, token, undefined, 30_000);
    expect(discord.stats().rateLimited).toBe(0);
  });
});

describe('the gateway unreachable', () => {
  it('answers /ask with an ephemeral "unreachable, retrying" and recovers when it is back', async () => {
    const { discord, gateway, app } = await startStack({ gateway: 'openclaw-v4' });
    await (gateway as { shutdown(): Promise<void> }).shutdown();
    await waitFor(() => !app.gateway.connected, 5_000, 'disconnect');
    const refused = discord.sendChatInput({ name: 'ask', options: { prompt: 'are you there?' } });
    await waitFor(() => discord.interaction(refused.token)?.callbacks.length, 5_000, 'reply');
    const data = discord.interaction(refused.token)!.callbacks[0]!.data as { content: string; flags: number };
    expect(data.flags & 64).toBe(64);
    expect(data.content).toMatch(/gateway is unreachable right now; clawcord keeps retrying/);
    await (gateway as { restart(): Promise<void> }).restart();
    await app.gateway.ready();
    const again = discord.sendChatInput({ name: 'ask', options: { prompt: 'and now?' } });
    const [message] = await waitForSettledReply(discord, again.token);
    expect(withoutExtras(message!.content)).toBe(`Echo: [Tester (${discord.defaultUserId})] and now?`);
  });
});

describe('npm start with bad settings', () => {
  const base = async () => {
    const gateway = await startGateway('openclaw-v4');
    const discord = await startFakeDiscord();
    onCleanup(() => discord.close());
    const dir = mkdtempSync(join(tmpdir(), 'clawcord-start-'));
    return { gateway, discord, dir, env: { GATEWAY_URL: gateway.url, GATEWAY_TOKEN: gateway.token, DISCORD_TOKEN: discord.token, DISCORD_API_BASE: discord.restBase, STORE_URL: `sqlite://${join(dir, 's.sqlite')}` } };
  };

  it('names a rejected Discord token in one line and exits non-zero', async () => {
    const { env } = await base();
    const bot = spawnBot({ ...env, DISCORD_TOKEN: 'not.the.token' });
    expect(await bot.exited).toBe(1);
    // The gateway may connect (an info line) before Discord answers the login.
    expect(bot.output.filter((line) => !line.startsWith('{'))).toEqual(['clawcord: discord.token (DISCORD_TOKEN): Discord rejected the token']);
    expect(bot.output.join('\n')).not.toContain('not.the.token');
  });

  it('names a rejected gateway token in one line and exits non-zero', async () => {
    const { env } = await base();
    const bot = spawnBot({ ...env, GATEWAY_TOKEN: 'wrong-gateway-token' });
    expect(await bot.exited).toBe(1);
    const errors = bot.output.filter((line) => !line.startsWith('{'));
    expect(errors).toEqual([expect.stringMatching(/^clawcord: gateway: unauthorized: gateway token mismatch/)]);
    expect(bot.output.join('\n')).not.toContain('wrong-gateway-token');
  });

  it('names invalid options and missing settings, one line each, without a stack trace', async () => {
    const { env, dir } = await base();
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ relay: { minEditIntervalMs: 100, maxQueue: -1 } }));
    const bot = spawnBot({ GATEWAY_URL: env.GATEWAY_URL, CLAWCORD_CONFIG: config });
    expect(await bot.exited).toBe(2);
    expect(bot.output).toEqual([
      'config: relay.minEditIntervalMs: must be at least 250 (Discord allows about one edit a second per message)',
      'config: relay.maxQueue: Too small: expected number to be >=0',
    ]);
    const missing = spawnBot({ GATEWAY_URL: env.GATEWAY_URL });
    expect(await missing.exited).toBe(2);
    expect(missing.output).toEqual([expect.stringContaining('discord.token (DISCORD_TOKEN): is required')]);
  });
});
