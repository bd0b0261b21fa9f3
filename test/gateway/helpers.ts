import { Writable } from 'node:stream';
import { afterEach, expect } from 'vitest';
import { GatewayClient, type GatewayClientOptions } from '../../src/gateway/client.js';
import { generateDeviceIdentity } from '../../src/gateway/device.js';
import type { RunStream } from '../../src/gateway/run.js';
import type { RunEvent } from '../../src/gateway/types.js';
import { createLogger } from '../../src/log.js';

/** Log lines a client wrote, parsed, for tests that assert what was logged. */
export function captureLogs() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'debug', destination }) };
}

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

/** Runs after the current test, newest first. */
export function onCleanup(cleanup: () => Promise<unknown>): void {
  cleanups.push(cleanup);
}

/** A client with test-sized timeouts, closed after the test. */
export function makeClient(options: Partial<GatewayClientOptions> & { url: string }): GatewayClient {
  const client = new GatewayClient({
    device: generateDeviceIdentity(),
    detectTimeoutMs: 300,
    connectTimeoutMs: 2_000,
    requestTimeoutMs: 2_000,
    reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
    recoveryIntervalMs: 100,
    ...options,
  });
  onCleanup(() => client.close());
  return client;
}

export async function collect(run: RunStream): Promise<RunEvent[]> {
  const events: RunEvent[] = [];
  for await (const event of run) events.push(event);
  return events;
}

export async function waitFor<T>(probe: () => T | undefined | false, timeoutMs = 5_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Freezes a fake gateway until the client notices the dead socket, then lets it reconnect and answer again. */
export async function expectReconnectAfterFreeze(gateway: { freeze(): void; unfreeze(): void }, client: GatewayClient): Promise<void> {
  const disconnected = new Promise((resolve) => client.once('disconnected', resolve));
  gateway.freeze();
  await disconnected;
  gateway.unfreeze();
  await client.ready();
  await expect(client.status()).resolves.toMatchObject({ ready: true });
}
