import { describe, expect, it } from 'vitest';
import { withoutExtras } from '../../src/discord/render/reply.js';
import { startFakeDiscord } from '../fakes/discord/index.js';
import { wordTokens } from '../fakes/gateway/state.js';
import { onCleanup, waitFor } from '../gateway/helpers.js';
import { startOpenClawGateway } from '../fakes/gateway/openclaw-gateway.js';
import { isLive, replyMessages } from './harness.js';
import { botEnvironment, spawnBot } from './process.js';

/** Two bot processes on one store and one token, as in a rolling deploy (finding 11). */
async function setup() {
  const gateway = await startOpenClawGateway({ protocol: 4, deltaPacingMs: 20 });
  onCleanup(() => gateway.close());
  const discord = await startFakeDiscord({ rateLimits: false });
  onCleanup(() => discord.close());
  return { gateway, discord, ...botEnvironment(gateway, discord) };
}

describe('one process per store', () => {
  it('a second process waits while the first runs, then takes over at its SIGTERM and finishes its reply at once', { timeout: 40_000 }, async () => {
    const { gateway, discord, env, secrets } = await setup();
    const answer = 'handed over '.repeat(20).trim();
    gateway.setReplyScript(() => ({ tokens: wordTokens(answer), tokenDelayMs: 80 }));
    const first = spawnBot(env, { secrets });
    await first.waitForLog(/clawcord is running/);
    const second = spawnBot(env, { secrets });
    await second.waitForLog(/another clawcord process is using this store; waiting/);

    // Only the first answers: one Discord login, one chat.send.
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'one answer only' } });
    await waitFor(() => replyMessages(discord, token)[0]?.content.startsWith('handed'), 5_000, 'streaming');
    expect(gateway.chatSends).toHaveLength(1);
    expect(second.output.some((line) => line.includes('clawcord is running'))).toBe(false);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    await second.waitForLog(/clawcord is running/, 15_000);
    await second.waitForLog(/finished a reply left over from before the restart/, 15_000);
    const [message] = replyMessages(discord, token);
    expect(withoutExtras(message!.content)).toBe(answer);
    expect(isLive(message!)).toBe(false);
    expect(gateway.chatSends).toHaveLength(1);
  });

  it('with store.whenLocked "exit", a second process exits with a line that says why', async () => {
    const { gateway, discord, env, secrets } = await setup();
    const first = spawnBot(env, { secrets });
    await first.waitForLog(/clawcord is running/);
    const other = botEnvironment(gateway, discord, { store: { whenLocked: 'exit' } });
    const second = spawnBot({ ...other.env, STORE_URL: env.STORE_URL! }, { secrets: other.secrets });
    expect(await second.exited).toBe(1);
    expect(second.output.join('\n')).toMatch(/store: another clawcord process \(pid \d+ on .+\) is using this store; stop it first, or set store\.whenLocked to "wait"/);
  });
});
