import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Store, type ChannelMapping, type RunRecord } from '../../src/store/store.js';

const mapping: ChannelMapping = {
  scopeId: '1300000000000000003',
  guildId: '1300000000000000002',
  kind: 'channel',
  parentId: null,
  agentId: 'cody',
  sessionKey: 'agent:cody:clawcord:1300000000000000003',
  model: 'fake/fake-smart',
  modelPending: false,
  ownedThread: false,
  agentSetBy: { userId: '1', userName: 'Ada', at: 1 },
  modelSetBy: null,
  createdAt: 1,
};

const run = (runId: string): RunRecord => ({
  runId,
  sessionKey: mapping.sessionKey,
  scopeId: mapping.scopeId,
  guildId: mapping.guildId,
  prompt: 'hi',
  requesterId: '1',
  requesterName: 'Ada',
  startedAt: 1,
  location: { channelId: mapping.scopeId, messageIds: ['m1'], interaction: null, overflowChannelId: null },
});

describe('Store', () => {
  it('keeps mappings and runs in a SQLite file across a reopen', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'clawcord-store-')), 'nested', 'state.sqlite');
    const first = await Store.open(`sqlite://${file}`);
    await first.saveMapping(mapping);
    await Promise.all([first.saveRun(run('r1')), first.saveRun(run('r2')), first.saveRun(run('r3'))]);
    await first.deleteRun('r2');
    await first.close();

    const second = await Store.open(`sqlite://${file}`);
    expect(await second.mapping(mapping.scopeId)).toEqual(mapping);
    expect(await second.mapping('unknown')).toBeUndefined();
    expect((await second.runs()).map((r) => r.runId).sort()).toEqual(['r1', 'r3']);
    await second.close();
  });

  it('lists runs in memory too, and a late save does not revive a deleted run', async () => {
    const store = await Store.open('memory://');
    void store.saveRun(run('r1'));
    void store.saveRun(run('r2'));
    void store.deleteRun('r1');
    await store.saveRun(run('r3'));
    expect((await store.runs()).map((r) => r.runId).sort()).toEqual(['r2', 'r3']);
    await store.close();
  });

  it('names the setting when the URL is not usable', async () => {
    await expect(Store.open('redis://x')).rejects.toThrow(/store\.url \(STORE_URL\): must be sqlite/);
  });
});
