import { describe, expect, it } from 'vitest';
import { startCardGateway } from '../fakes/gateway/card-gateway.js';
import { startOpenClawGateway } from '../fakes/gateway/openclaw-gateway.js';
import { collect, makeClient, onCleanup } from './helpers.js';
import { startScriptedOpenClaw } from './scripted-openclaw.js';

describe('auto dialect detection', () => {
  it('finds OpenClaw by its challenge and never puts the token in a URL', async () => {
    for (const protocol of [3, 4] as const) {
      const gateway = await startOpenClawGateway({ protocol });
      onCleanup(() => gateway.close());
      const client = makeClient({ url: gateway.url, token: gateway.token });
      expect(await client.start()).toMatchObject({ dialect: 'openclaw', protocol: String(protocol) });
      expect(gateway.connections).toHaveLength(1);
      expect(gateway.connections.every((c) => !c.url.includes('token'))).toBe(true);
      expect(client.sessionKey('main', 'x')).toBe('agent:main:clawcord:x');
    }
  });

  it.each(['http401', 'error-frame'] as const)('finds a card gateway that refuses a token-less socket (%s)', async (auth) => {
    const gateway = await startCardGateway({ auth });
    onCleanup(() => gateway.close());
    const client = makeClient({ url: gateway.url, token: gateway.token });
    expect(await client.start()).toMatchObject({ dialect: 'card' });
    const last = gateway.connections.at(-1)!;
    expect(new URL(last.url, 'http://x').searchParams.get('token')).toBe(gateway.token);
    const events = await collect(await client.chatSend({ sessionKey: client.sessionKey('main', 'auto'), message: 'hi' }));
    expect(events.at(-1)).toEqual({ type: 'final', text: 'Echo: hi' });
  });

  it('finds a card gateway that accepts the socket and waits for hello, and remembers the dialect', async () => {
    // This gateway accepts a socket without a token and stays silent until hello.
    const gateway = await startCardGateway({ auth: 'on-hello', token: 'tok-silent' });
    onCleanup(() => gateway.close());
    const client = makeClient({ url: `${gateway.url}/`, token: 'tok-silent', detectTimeoutMs: 200 });
    await client.start();
    expect(gateway.connections.map((c) => c.url.includes('token='))).toEqual([false, true]);
    expect(gateway.received[0]!.frame).toMatchObject({ event: 'hello' });
    const before = gateway.connections.length;
    gateway.dropSockets();
    await new Promise((resolve) => client.once('ready', resolve));
    // The reconnect goes straight to the card: no new detection probe.
    expect(gateway.connections.length).toBe(before + 1);
  });
});

describe('auto detection never sends the token in a URL to an OpenClaw gateway', () => {
  it('sticks to OpenClaw once a challenge came from the URL, even when a later challenge is late', async () => {
    const gateway = await startScriptedOpenClaw({
      // First a starting gateway (it refuses connect), then one whose challenge comes after the probe's wait.
      refuseConnect: (n) => (n === 0 ? { code: 'UNAVAILABLE', message: 'gateway starting; retry shortly', retryAfterMs: 20 } : undefined),
      challengeDelayMs: (n) => (n === 0 ? 0 : 500),
    });
    const client = makeClient({ url: gateway.url, token: 'secret-token', detectTimeoutMs: 200 });
    expect(await client.start()).toMatchObject({ dialect: 'openclaw' });
    expect(gateway.upgrades.length).toBeGreaterThanOrEqual(2);
    expect(gateway.upgrades.filter((url) => url.includes('secret-token'))).toEqual([]);
  });

  it('by default waits long enough for a challenge that takes two seconds', async () => {
    const gateway = await startScriptedOpenClaw({ challengeDelayMs: () => 2_000 });
    const client = makeClient({ url: gateway.url, token: 'secret-token', detectTimeoutMs: undefined, connectTimeoutMs: 5_000 });
    expect(await client.start()).toMatchObject({ dialect: 'openclaw' });
    expect(gateway.upgrades).toEqual(['/']);
  });
});
