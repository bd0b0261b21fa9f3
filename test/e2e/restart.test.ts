import { describe, expect, it } from 'vitest';
import { withoutExtras } from '../../src/discord/render/reply.js';
import { startFakeDiscord } from '../fakes/discord/index.js';
import { wordTokens } from '../fakes/gateway/state.js';
import { onCleanup, waitFor } from '../gateway/helpers.js';
import { isLive, replyMessages, startGateway, type GatewayKind } from './harness.js';
import { botEnvironment, spawnBot } from './process.js';

async function setup(kind: GatewayKind, config: Record<string, unknown> = {}) {
  const gateway = await startGateway(kind);
  const discord = await startFakeDiscord({ rateLimits: false });
  onCleanup(() => discord.close());
  return { gateway, discord, ...botEnvironment(gateway, discord, config) };
}

describe.each(['openclaw-v4', 'card'] as const)('a bot restart in the middle of a run (%s)', (kind) => {
  it('a killed bot finishes the reply from the gateway when it comes back', async () => {
    const { gateway, discord, env, secrets } = await setup(kind);
    const answer = 'slowly '.repeat(25).trim();
    gateway.setReplyScript(() => ({ tokens: wordTokens(answer), tokenDelayMs: 80 }));
    const first = spawnBot(env, { secrets });
    await first.waitForLog(/clawcord is running/);
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'take your time' } });
    await waitFor(() => replyMessages(discord, token)[0]?.content.startsWith('slowly'), 5_000, 'streaming');
    first.child.kill('SIGKILL');
    await first.exited;
    const frozen = replyMessages(discord, token)[0]!;
    expect(isLive(frozen)).toBe(true);

    const second = spawnBot(env, { secrets });
    await second.waitForLog(/finished a reply left over from before the restart/, 15_000);
    const [message] = replyMessages(discord, token);
    expect(withoutExtras(message!.content)).toBe(answer);
    expect(isLive(message!)).toBe(false);
  });
});

describe('stopping with SIGTERM', () => {
  it('marks the live reply interrupted, exits 0, and the next start completes it', async () => {
    const { gateway, discord, env, secrets } = await setup('openclaw-v4');
    const answer = 'patiently '.repeat(25).trim();
    gateway.setReplyScript(() => ({ tokens: wordTokens(answer), tokenDelayMs: 80 }));
    const first = spawnBot(env, { secrets });
    await first.waitForLog(/clawcord is running/);
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'wait for it' } });
    await waitFor(() => replyMessages(discord, token)[0]?.content.startsWith('patiently'), 5_000, 'streaming');
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const [interrupted] = replyMessages(discord, token);
    expect(interrupted!.content).toMatch(/\n\n⚠️ Interrupted: clawcord is restarting; this answer will be completed when it is back\.$/);
    expect(isLive(interrupted!)).toBe(false);

    const second = spawnBot(env, { secrets });
    await second.waitForLog(/finished a reply left over from before the restart/, 15_000);
    expect(withoutExtras(replyMessages(discord, token)[0]!.content)).toBe(answer);
  });

  it('marks a run the gateway lost as interrupted by a restart', async () => {
    const { gateway, discord, env, secrets } = await setup('card', { relay: { recoveryTimeoutMs: 1_000 } });
    gateway.setReplyScript(() => ({ tokens: wordTokens('lost '.repeat(40)), tokenDelayMs: 80 }));
    const first = spawnBot(env, { secrets });
    await first.waitForLog(/clawcord is running/);
    const { token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'this will be lost' } });
    await waitFor(() => replyMessages(discord, token)[0]?.content.startsWith('lost'), 5_000, 'streaming');
    first.child.kill('SIGKILL');
    await first.exited;
    // The gateway forgets the run and the session: its reply will never be in the history.
    for (const run of gateway.state.activeRuns()) gateway.state.abortRun(run.runId);
    gateway.state.sessions.clear();

    const second = spawnBot(env, { secrets });
    await second.waitForLog(/finished a reply left over from before the restart/, 15_000);
    const [message] = replyMessages(discord, token);
    expect(message!.content).toMatch(/^lost[\s\S]*\n\n⚠️ Interrupted: interrupted by a restart\.$/);
    expect(isLive(message!)).toBe(false);
  });
});
