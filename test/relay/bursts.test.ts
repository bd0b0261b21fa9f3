import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { relaySchema } from '../../src/config/schema.js';
import { renderReply, withoutExtras } from '../../src/discord/render/reply.js';
import { silentLogger } from '../../src/log.js';
import { RateBudget } from '../../src/relay/budget.js';
import { BusyError } from '../../src/relay/errors.js';
import type { WriteRoute } from '../../src/relay/live-reply.js';
import { Pacer } from '../../src/relay/pacer.js';
import type { RenderedMessage } from '../../src/relay/phase.js';
import { Relay, type AskOutcome, type PersistentWriter, type QueuePlace, type Scope } from '../../src/relay/relay.js';
import { Store, type ReplyLocation } from '../../src/store/store.js';
import { startOpenClawGateway } from '../fakes/gateway/openclaw-gateway.js';
import { wordTokens } from '../fakes/gateway/state.js';
import { makeClient, onCleanup, waitFor } from '../gateway/helpers.js';

const GUILD = '100000000000000001';
const CHANNEL: Scope = { id: '300000000000000001', guildId: GUILD, kind: 'channel', parentId: null };
const people = Array.from({ length: 20 }, (_, i) => ({ id: `2000000000000000${String(i).padStart(2, '0')}`, name: `Member ${i}` }));

/** A writer that keeps what each message of one reply shows. */
class MemoryWriter implements PersistentWriter {
  onLocationChange: (() => void) | undefined;
  readonly shown: string[] = [];
  private readonly where: ReplyLocation = { channelId: CHANNEL.id, messageIds: [], interaction: null, overflowChannelId: null };

  routes(): WriteRoute[] {
    return [{ name: 'memory', keys: [`memory:${Math.random()}`] }];
  }

  async write(index: number, message: RenderedMessage): Promise<void> {
    this.shown[index] = withoutExtras(message.content);
    this.where.messageIds[index] ??= `m${index}`;
  }

  location(): ReplyLocation {
    return { ...this.where, messageIds: [...this.where.messageIds] };
  }

  bindJob(): void {}

  async shownText(): Promise<string> {
    return this.shown.join('');
  }
}

async function setup(maxQueue: number) {
  const gateway = await startOpenClawGateway({ protocol: 4, deltaPacingMs: 10 });
  onCleanup(() => gateway.close());
  // Long answers: the burst is over long before the first one ends.
  gateway.setReplyScript(() => ({ tokens: wordTokens('a long answer '.repeat(100)), tokenDelayMs: 50 }));
  const client = makeClient({ url: gateway.url, token: gateway.token });
  await client.start();
  const store = await Store.open(`sqlite://${join(mkdtempSync(join(tmpdir(), 'clawcord-bursts-')), 'state.sqlite')}`);
  onCleanup(() => store.close());
  const pacer = new Pacer(new RateBudget(() => ({ limit: 50, windowMs: 1_000 })), { minIntervalMs: 250, logger: silentLogger });
  const relay = new Relay({ gateway: client, store, pacer, render: renderReply, config: relaySchema.parse({ maxQueue }), logger: silentLogger });
  onCleanup(() => relay.shutdown(1_000));
  return { relay, gateway };
}

function positionOf(outcome: AskOutcome): number {
  if (outcome.status === 'steered') throw new Error('the prompt was steered, not queued');
  return outcome.position;
}

describe('a burst of prompts in one session', () => {
  it('passes the precheck of exactly one running and maxQueue queued prompts; their asks all queue, in any order', async () => {
    const { relay } = await setup(3);
    const checks = await Promise.allSettled(people.map(() => relay.precheck(CHANNEL, { hold: true })));
    const places = checks.flatMap((check) => (check.status === 'fulfilled' ? [check.value!] : []));
    const refusals = checks.flatMap((check) => (check.status === 'rejected' ? [check.reason as unknown] : []));
    expect(places).toHaveLength(4);
    expect(refusals).toHaveLength(16);
    for (const refusal of refusals) expect(refusal).toBeInstanceOf(BusyError);

    // Their asks come after their deferrals, in whatever order those finish; an ask with no place (a thread
    // message, a card's Continue) cannot take one of theirs meanwhile.
    await expect(relay.ask({ scope: CHANNEL, requester: people[19]!, prompt: 'late', writer: new MemoryWriter() })).rejects.toBeInstanceOf(BusyError);
    const order = [2, 0, 3, 1];
    const outcomes = await Promise.all(order.map((i) => relay.ask({ scope: CHANNEL, requester: people[i]!, prompt: `prompt ${i}`, writer: new MemoryWriter(), place: places[i]! })));
    expect(outcomes.map(positionOf)).toEqual([0, 1, 2, 3]);
    expect(relay.load).toEqual({ active: 1, queued: 3 });
    // Every place went back with its ask; the queue itself is full now.
    await expect(relay.precheck(CHANNEL, { hold: true })).rejects.toBeInstanceOf(BusyError);
  });

  it('gives a place back when its ask never comes (the deferral failed), and a later prompt takes it', async () => {
    const { relay } = await setup(1);
    const first = (await relay.precheck(CHANNEL, { hold: true }))!;
    const second: QueuePlace = (await relay.precheck(CHANNEL, { hold: true }))!;
    await expect(relay.precheck(CHANNEL, { hold: true })).rejects.toBeInstanceOf(BusyError);
    second.release();
    const third = (await relay.precheck(CHANNEL, { hold: true }))!;
    const started = await relay.ask({ scope: CHANNEL, requester: people[0]!, prompt: 'first', writer: new MemoryWriter(), place: first });
    const queued = await relay.ask({ scope: CHANNEL, requester: people[2]!, prompt: 'third', writer: new MemoryWriter(), place: third });
    expect([positionOf(started), positionOf(queued)]).toEqual([0, 1]);
  });

  it('a prompt to steer passes a full queue while the running answer can take it; with room it holds a place in case it queues', async () => {
    const { relay, gateway } = await setup(1);
    // The fake takes a steered prompt as its turn ends: a short one.
    gateway.setReplyScript(() => ({ tokens: wordTokens('a long answer '.repeat(10)), tokenDelayMs: 50 }));
    const running = new MemoryWriter();
    await relay.ask({ scope: CHANNEL, requester: people[0]!, prompt: 'first', writer: running });
    await waitFor(() => running.shown.join('').includes('a long answer'), 5_000, 'the first answer to stream');
    const withRoom = await relay.precheck(CHANNEL, { steer: true, hold: true });
    expect(withRoom).toBeDefined();
    await expect(relay.precheck(CHANNEL, { hold: true })).rejects.toBeInstanceOf(BusyError);
    expect(await relay.precheck(CHANNEL, { steer: true, hold: true })).toBeUndefined();
    const steered = await relay.ask({ scope: CHANNEL, requester: people[1]!, prompt: 'and this', writer: new MemoryWriter(), steer: true, place: withRoom! });
    expect(steered.status).toBe('steered');
    // Steered, it never queued: its place went back.
    const again = await relay.precheck(CHANNEL, { hold: true });
    expect(again).toBeDefined();
    again!.release();
  });
});
