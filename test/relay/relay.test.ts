import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { relaySchema } from '../../src/config/schema.js';
import { renderReply, withoutExtras } from '../../src/discord/render/reply.js';
import { silentLogger } from '../../src/log.js';
import { RateBudget } from '../../src/relay/budget.js';
import type { WriteRoute } from '../../src/relay/live-reply.js';
import { Pacer } from '../../src/relay/pacer.js';
import type { RenderedMessage } from '../../src/relay/phase.js';
import { Relay, type AskOutcome, type PersistentWriter, type Scope } from '../../src/relay/relay.js';
import { Store, type ChannelMapping, type ReplyLocation } from '../../src/store/store.js';
import { startOpenClawGateway } from '../fakes/gateway/openclaw-gateway.js';
import { wordTokens } from '../fakes/gateway/state.js';
import { makeClient, onCleanup, waitFor } from '../gateway/helpers.js';

/** The reply of a prompt that was queued (or runs now), not steered. */
function queuedReply(outcome: AskOutcome): Extract<AskOutcome, { reply: unknown }> {
  if (outcome.status === 'steered') throw new Error('the prompt was steered, not queued');
  return outcome;
}

const GUILD = '100000000000000001';
const OTHER_GUILD = '100000000000000002';
const ALICE = { id: '200000000000000001', name: 'Alice' };
const BOB = { id: '200000000000000002', name: 'Bob' };

function channel(id: string, guildId: string | null = GUILD): Scope {
  return { id, guildId, kind: guildId ? 'channel' : 'dm', parentId: null };
}

/** A writer that keeps what each message shows, and the private notes to the asker. */
class MemoryWriter implements PersistentWriter {
  onLocationChange: (() => void) | undefined;
  readonly shown: string[] = [];
  readonly notes: string[] = [];
  jobId: string | undefined;
  private readonly where: ReplyLocation;

  constructor(
    channelId: string,
    private readonly canTell = true,
    initial: string[] = [],
  ) {
    this.where = { channelId, messageIds: initial.map((_, i) => `m${i}`), interaction: null, overflowChannelId: null };
    this.shown.push(...initial);
  }

  routes(): WriteRoute[] {
    return [{ name: 'memory', keys: [`memory:${this.where.channelId}`] }];
  }

  async write(index: number, message: RenderedMessage): Promise<void> {
    // What the answer says; its footer (who answered) is checked by the e2e tests.
    this.shown[index] = withoutExtras(message.content);
    if (!this.where.messageIds[index]) {
      this.where.messageIds[index] = `m${index}`;
      this.onLocationChange?.();
    }
  }

  location(): ReplyLocation {
    return { ...this.where, messageIds: [...this.where.messageIds] };
  }

  bindJob(jobId: string): void {
    this.jobId = jobId;
  }

  async shownText(): Promise<string> {
    return this.shown.join('');
  }

  async tellAsker(text: string): Promise<boolean> {
    if (!this.canTell) return false;
    this.notes.push(text);
    return true;
  }
}

async function setup(options: { storeFile?: string } = {}) {
  const gateway = await startOpenClawGateway({ protocol: 4, deltaPacingMs: 10 });
  onCleanup(() => gateway.close());
  const client = makeClient({ url: gateway.url, token: gateway.token });
  await client.start();
  const store = await Store.open(`sqlite://${options.storeFile ?? join(mkdtempSync(join(tmpdir(), 'clawcord-relay-')), 'state.sqlite')}`);
  onCleanup(() => store.close());
  const pacer = new Pacer(new RateBudget(() => ({ limit: 50, windowMs: 1_000 })), { minIntervalMs: 250, logger: silentLogger });
  const relay = new Relay({ gateway: client, store, pacer, render: renderReply, config: relaySchema.parse({}), logger: silentLogger });
  onCleanup(() => relay.shutdown(1_000));
  return { gateway, client, store, relay };
}

describe('relay', () => {
  it('a failed background model patch is logged, not fatal: the run still answers (finding 4)', async () => {
    const { gateway, relay, store } = await setup();
    gateway.setReplyScript(() => ({ tokens: wordTokens('still here'), tokenDelayMs: 5 }));
    const parent = channel('300000000000000001');
    const chosen = gateway.state.models[1]!;
    await relay.setModel(parent, `${chosen.provider}/${chosen.id}`, ALICE);
    // The thread inherits the channel's model, to be applied with its first message; that patch never gets an answer.
    const thread: Scope = { id: '300000000000000002', guildId: GUILD, kind: 'thread', parentId: parent.id };
    gateway.withholdAnswers('sessions.patch', 1);
    const writer = new MemoryWriter(thread.id);
    const { reply } = queuedReply(await relay.ask({ scope: thread, requester: ALICE, prompt: 'hello', writer }));
    await reply.whenSettled();
    expect(writer.shown).toEqual(['still here']);
    // The patch times out (2 s in these tests) after the answer: that rejection must not go unhandled.
    await new Promise((resolve) => setTimeout(resolve, 2_300));
    expect((await store.mapping(thread.id))?.modelPending).toBe(true);
  });

  it('/sessions lists only sessions clawcord maps in this guild, in scopes the member may see (finding 5)', async () => {
    const { gateway, relay, client } = await setup();
    gateway.setReplyScript(() => ({ tokens: wordTokens('ok'), tokenDelayMs: 1 }));
    // The gateway owner's own chat and another messaging channel's session exist beside clawcord's.
    for (const sessionKey of ['agent:main:main', 'agent:main:telegram:direct:123']) {
      const run = await client.chatSend({ sessionKey, message: 'private notes of the owner' });
      await run.outcome;
    }
    const ask = async (scope: Scope) => {
      const { reply } = queuedReply(await relay.ask({ scope, requester: ALICE, prompt: `in ${scope.id}`, writer: new MemoryWriter(scope.id) }));
      await reply.whenSettled();
    };
    const open = channel('300000000000000011');
    const restricted = channel('300000000000000012');
    await ask(open);
    await ask(restricted);
    await ask(channel('300000000000000013', OTHER_GUILD));
    await ask(channel('300000000000000014', null));

    const rows = await relay.sessions(25, { guildId: GUILD, visible: (scopeId) => scopeId !== restricted.id });
    expect(rows.map((r) => r.scopeId)).toEqual([open.id]);
    expect(rows[0]!.preview).not.toContain('private notes');
    const dms = await relay.sessions(25, { guildId: null, visible: () => true });
    expect(dms.map((r) => r.scopeId)).toEqual(['300000000000000014']);
  });

  it('a provider error is shown by kind in public; its words go privately to the asker (finding 18)', async () => {
    const { relay } = await setup();
    const told = new MemoryWriter('300000000000000021');
    const { reply } = queuedReply(await relay.ask({ scope: channel('300000000000000021'), requester: ALICE, prompt: 'please FAIL', writer: told }));
    await reply.whenSettled();
    expect(told.shown.join('')).toMatch(/⚠️ \*\*Error:\*\* The agent's run failed; the details went to Alice privately\.$/);
    expect(told.shown.join('')).not.toContain('provider rejected');
    expect(told.notes).toEqual(['❌ Your question failed. The gateway said: LLM request failed: provider rejected the request schema or tool payload.']);

    const untold = new MemoryWriter('300000000000000022', false);
    const second = queuedReply(await relay.ask({ scope: channel('300000000000000022'), requester: ALICE, prompt: 'please FAIL', writer: untold }));
    await second.reply.whenSettled();
    expect(untold.shown.join('')).toMatch(/The agent's run failed; the details are in clawcord's log\.$/);
  });

  it('a run recovered after a restart holds its session: /status sees it, /abort and Stop stop it, a new ask waits (finding 23)', async () => {
    const storeFile = join(mkdtempSync(join(tmpdir(), 'clawcord-relay-')), 'state.sqlite');
    const { gateway, store, relay, client } = await setup({ storeFile });
    gateway.setReplyScript(({ message }) => ({ tokens: wordTokens(message.includes('next') ? 'next answer' : 'a long answer that keeps going '.repeat(40)), tokenDelayMs: 25 }));
    const scope = channel('300000000000000031');
    const mapping: ChannelMapping = await relay.mappingFor(scope);
    // A run left in flight by the previous process: its record is in the store, the gateway still streams it.
    const run = await client.chatSend({ sessionKey: mapping.sessionKey, message: 'left over' });
    await store.saveRun({
      runId: run.runId,
      sessionKey: mapping.sessionKey,
      scopeId: scope.id,
      guildId: GUILD,
      prompt: 'left over',
      requesterId: ALICE.id,
      requesterName: ALICE.name,
      startedAt: Date.now(),
      location: { channelId: scope.id, messageIds: ['m0'], interaction: null, overflowChannelId: null },
    });
    const writer = new MemoryWriter(scope.id, true, ['a long']);
    void relay.recover(() => writer);
    await waitFor(() => writer.jobId, 5_000, 'the recovered job');

    const status = await relay.status(scope);
    expect(status.running?.requester).toEqual(ALICE);
    const next = new MemoryWriter(scope.id);
    const queued = queuedReply(await relay.ask({ scope, requester: BOB, prompt: 'next', writer: next }));
    expect(queued.position).toBe(1);
    expect(await relay.stop({ scope }, BOB, false)).toEqual({ status: 'forbidden', owner: ALICE });
    expect(await relay.stop({ jobId: writer.jobId! }, ALICE, false)).toEqual({ status: 'stopped', owner: ALICE });
    await waitFor(() => writer.shown.join('').includes('⏹️ Stopped by Alice.'), 5_000, 'the recovered reply to show the stop');
    await queued.reply.whenSettled();
    expect(next.shown).toEqual(['next answer']);
  });

  it("a turn handed to sub-agents ends with the successor's answer, and the stored run follows the successor (finding 8)", async () => {
    const { gateway, relay, store } = await setup();
    gateway.setReplyScript(() => ({
      tokens: wordTokens('I started two sub-agents; waiting for them.'),
      tokenDelayMs: 2,
      yieldTo: { successor: { tokens: wordTokens('Both are back: the answer is 42.'), tokenDelayMs: 60 }, afterMs: 300 },
    }));
    const scope = channel('300000000000000041');
    const writer = new MemoryWriter(scope.id);
    const { reply } = queuedReply(await relay.ask({ scope, requester: ALICE, prompt: 'fan out', writer }));
    const storedRun = async () => (await store.runs()).map((r) => r.runId);
    let first: string | undefined;
    while (!first) first = (await storedRun())[0];
    // While the successor streams, a restart would have to follow the successor's run, not the yielded one.
    await waitFor(() => writer.shown.join('').startsWith('Both'), 5_000, 'the successor streaming');
    const during = await storedRun();
    expect(during).toHaveLength(1);
    expect(during[0]).not.toBe(first);
    await reply.whenSettled();
    expect(writer.shown).toEqual(['Both are back: the answer is 42.']);
    const deadline = Date.now() + 2_000;
    while ((await storedRun()).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await storedRun()).toEqual([]);
  });
});
