import { Client, DiscordAPIError, GatewayIntentBits, REST, Routes } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { startFakeDiscord } from '../fakes/discord/index.js';
import { onCleanup } from '../gateway/helpers.js';
import { captureLines } from './capture.js';

async function failure(promise: Promise<unknown>): Promise<DiscordAPIError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof DiscordAPIError)) throw new Error(`expected a DiscordAPIError, got ${String(error)}`);
  return error;
}

describe('logging a DiscordAPIError', () => {
  it('keeps the code and route but neither the interaction token nor the request body', async () => {
    const discord = await startFakeDiscord({ rateLimits: false, warnUnmatched: false });
    onCleanup(() => discord.close());
    // The fake dispatches interactions only to a logged-in session.
    const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: discord.restBase } });
    onCleanup(() => client.destroy());
    await client.login(discord.token);
    await discord.waitForReady();
    const rest = new REST({ api: discord.restBase, retries: 0 });
    const { id, token } = discord.sendChatInput({ name: 'ask', options: { prompt: 'hi' } });
    const answer = { body: { type: 4, data: { content: 'a member typed this' } }, auth: false } as const;
    await rest.post(Routes.interactionCallback(id, token), answer);
    // The second answer to one interaction is what a second bot process (or a retry) gets: 40060.
    const twice = await failure(rest.post(Routes.interactionCallback(id, token), answer));
    const followUp = await failure(rest.patch(Routes.webhookMessage(discord.applicationId, token, '1'), { body: { content: 'x' }, auth: false }));
    expect(twice.code).toBe(40060);
    expect(twice.url).toContain(token);
    expect(followUp.url).toContain(token);

    const { lines, logger } = captureLines();
    logger.warn({ err: twice }, 'command failed');
    logger.warn({ err: new Error('could not answer', { cause: followUp }), nested: { err: followUp } }, 'wrapped');
    logger.warn(`a raw url ${followUp.url}`);
    const output = lines.join('');
    expect(lines).toHaveLength(3);
    expect(output).not.toContain(token);
    expect(output).not.toContain('a member typed this');
    expect(output).not.toContain('requestBody');
    const logged = JSON.parse(lines[0]!) as { err: { code: number; url: string; method: string } };
    expect(logged.err).toMatchObject({ code: 40060, method: 'POST' });
    expect(logged.err.url).toMatch(/\/interactions\/\d+\/\[redacted\]\/callback/);
  });
});
