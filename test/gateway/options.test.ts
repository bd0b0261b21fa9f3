import { describe, expect, it } from 'vitest';
import { gatewaySchema } from '../../src/config/schema.js';
import { gatewayClientOptions } from '../../src/gateway/options.js';
import { silentLogger } from '../../src/log.js';

describe('gateway client options from the config', () => {
  it('pass the run idle limit and the recovery interval through, with their defaults', () => {
    const defaults = gatewayClientOptions(gatewaySchema.parse({ url: 'ws://127.0.0.1:18789' }), silentLogger);
    expect(defaults).toMatchObject({ runIdleTimeoutMs: 600_000, recoveryIntervalMs: 2_000 });
    const short = gatewayClientOptions(
      gatewaySchema.parse({ url: 'ws://127.0.0.1:18789', runIdleTimeoutMs: 4_000, recoveryIntervalMs: 100 }),
      silentLogger,
    );
    expect(short).toMatchObject({ runIdleTimeoutMs: 4_000, recoveryIntervalMs: 100 });
  });

  it('refuses limits too small to be meant', () => {
    expect(() => gatewaySchema.parse({ url: 'ws://127.0.0.1:18789', runIdleTimeoutMs: 10 })).toThrow();
    expect(() => gatewaySchema.parse({ url: 'ws://127.0.0.1:18789', recoveryIntervalMs: 1 })).toThrow();
  });
});
