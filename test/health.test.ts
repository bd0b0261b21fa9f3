import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkHealth, writeHealth } from '../src/health.js';

describe('health report', () => {
  it('is healthy while fresh and connected to Discord, even when the gateway is retrying', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'clawcord-health-')), 'sub', 'health.json');
    expect(checkHealth(file).healthy).toBe(false);
    const stop = writeHealth(file, () => ({ discord: true, gateway: false, activeRuns: 2 }));
    stop();
    expect(checkHealth(file)).toEqual({ healthy: true, reason: 'ok (gateway retrying, 2 active runs)' });
    expect(checkHealth(file, Date.now() + 60_000)).toMatchObject({ healthy: false, reason: expect.stringMatching(/old$/) });
    writeFileSync(file, JSON.stringify({ at: Date.now(), discord: false, gateway: true, activeRuns: 0 }));
    expect(checkHealth(file)).toEqual({ healthy: false, reason: 'not connected to Discord' });
  });

  it('a report that cannot be written is reported once, never thrown (finding 4)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clawcord-health-'));
    // A file where the report's folder should be: every write fails.
    writeFileSync(join(dir, 'blocked'), 'not a folder');
    const errors: unknown[] = [];
    const stop = writeHealth(join(dir, 'blocked', 'health.json'), () => ({ discord: true, gateway: true, activeRuns: 0 }), (error) => errors.push(error));
    stop();
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/ENOTDIR|EEXIST/);
  });
});
