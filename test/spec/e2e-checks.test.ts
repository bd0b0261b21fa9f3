// The checks test/e2e/harness.ts runs after every e2e test: spec violations of the fake Discord, and secrets in the
// bot's log lines. Both must name what they found, and must not print the secret itself.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger, silentLogger } from '../../src/log.js';
import { loadOrCreateDeviceIdentity } from '../../src/gateway/device.js';
import { captureBotLog, expectNoSecretsInLog, expectNoSpecViolations, issuedSecrets } from '../e2e/harness.js';
import { startFakeDiscord } from '../fakes/discord/index.js';
import { onCleanup } from '../gateway/helpers.js';

const TOKEN = `aW50ZXJhY3Rpb246${'q'.repeat(60)}`;

describe('the secret scan', () => {
  it('names the secret and masks it in the line it shows', () => {
    const secrets = [{ name: 'an interaction token', value: TOKEN }];
    expect(() => expectNoSecretsInLog(['{"msg":"fine"}\n'], secrets)).not.toThrow();
    const line = `{"level":40,"err":{"url":"https://discord.com/api/v10/interactions/1/${TOKEN}/callback"},"msg":"command failed"}\n`;
    let error: unknown;
    try {
      expectNoSecretsInLog(['{"msg":"fine"}\n', line], secrets);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toContain('1 log line(s) hold a secret the fakes issued');
    expect(message).toContain('an interaction token in: {"level":40,"err":{"url":"https://discord.com/api/v10/interactions/1/<an interaction token>/callback"}');
    expect(message).not.toContain(TOKEN);
  });

  it('finds the device key in a line, JSON-escaped PEM or raw', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'clawcord-scan-')), 'device.json');
    const identity = loadOrCreateDeviceIdentity(path);
    const pem = identity.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const d = identity.privateKey.export({ format: 'jwk' }).d!;
    const secrets = issuedSecrets({ token: 'gateway-token-123' }, { issuedSecrets: () => ({ botToken: 'FAKE.BOT.TOKEN', interactionTokens: [] }) } as never, path);
    expect(secrets.map((s) => s.name)).toEqual(expect.arrayContaining(['the Discord bot token', 'the gateway token', 'the device private key (JWK d)']));
    expect(() => expectNoSecretsInLog([`${JSON.stringify({ key: pem })}\n`], secrets)).toThrow(/the device private key \(PEM\)/);
    expect(() => expectNoSecretsInLog([`{"d":"${d}"}\n`], secrets)).toThrow(/the device private key \(JWK d\)/);
    expect(() => expectNoSecretsInLog(['{"auth":"gateway-token-123"}\n'], secrets)).toThrow(/the gateway token/);
    expect(() => expectNoSecretsInLog([`{"key":"${identity.publicKey}"}\n`], secrets)).not.toThrow();
  });

  it('sees every call at level trace through the project logger, also when a test brings its own logger', () => {
    const own = captureBotLog(silentLogger);
    own.logger.child({ component: 'discord' }).trace({ requestId: 7 }, 'a trace line');
    own.logger.warn('a warning');
    expect(own.lines.map((l) => JSON.parse(l) as { msg: string; component?: string })).toMatchObject([
      { msg: 'a trace line', component: 'discord' },
      { msg: 'a warning' },
    ]);

    const seen: string[] = [];
    const theirs = createLogger({ level: 'info', destination: { write: (line: string) => void seen.push(line) } });
    const both = captureBotLog(theirs);
    both.logger.child({ component: 'relay' }).info('for both');
    both.logger.debug('only scanned');
    expect(seen.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['for both']);
    expect(both.lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['for both', 'only scanned']);
    expect(both.logger.isLevelEnabled('trace')).toBe(true);
  });
});

describe('the spec check after each e2e test', () => {
  it('names every violation once, with the requests that caused it, and forgets them', async () => {
    const fake = await startFakeDiscord();
    onCleanup(() => fake.close());
    const general = fake.channelId('general');
    for (let i = 0; i < 2; i += 1) {
      await fetch(`${fake.apiBase}/channels/${general}/messages`, {
        method: 'POST',
        headers: { authorization: `Bot ${fake.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ content: 'x'.repeat(2001) }),
      });
    }
    expect(() => expectNoSpecViolations(fake)).toThrow(
      "The fake Discord saw 2 disagreement(s) with Discord's API spec:\n  POST /channels/{channel_id}/messages body/content: length: 2001, Discord allows at most 2000  (requests #1, #2)",
    );
    expect(() => expectNoSpecViolations(fake)).not.toThrow();
  });
});
