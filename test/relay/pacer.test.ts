import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RateBudget } from '../../src/relay/budget.js';
import { LiveReply, WriteError, type ReplyWriter, type WriteRoute } from '../../src/relay/live-reply.js';
import { MAX_WRITE_FAILURES, Pacer } from '../../src/relay/pacer.js';
import type { RenderedMessage, ReplyPhase } from '../../src/relay/phase.js';
import { silentLogger } from '../../src/log.js';

/** One message per reply: the text, marked live while streaming. */
const render = (text: string, phase: ReplyPhase): RenderedMessage[] => [
  { content: `${text || '…'}${phase.kind === 'final' ? '' : ' [live]'}`, live: phase.kind !== 'final' },
];

interface Write {
  at: number;
  index: number;
  reply: string;
  content: string;
  route: string;
}

function recordingWriter(name: string, writes: Write[], options: { latencyMs?: number; failures?: number; routes?: WriteRoute[] } = {}) {
  let failures = options.failures ?? 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const writer: ReplyWriter & { maxInFlight: () => number } = {
    routes: () => options.routes ?? [{ name: 'webhook', keys: [`webhook:${name}`] }],
    async write(index, message, route) {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, options.latencyMs ?? 50));
      inFlight -= 1;
      if (failures > 0) {
        failures -= 1;
        throw new WriteError('500 Internal Server Error', 'retry');
      }
      writes.push({ at: Date.now(), index, reply: name, content: message.content, route: route.name });
    },
    maxInFlight: () => maxInFlight,
  };
  return writer;
}

const fiveEveryFive = () => ({ limit: 5, windowMs: 5_000 });

describe('Pacer', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('shows the first text at once, then paces edits; the newest text wins and nothing identical is re-sent', async () => {
    const writes: Write[] = [];
    const pacer = new Pacer(new RateBudget(fiveEveryFive), { minIntervalMs: 1_000, logger: silentLogger });
    const writer = recordingWriter('a', writes);
    const reply = new LiveReply(writer, render, { kind: 'waiting' }, pacer.poke);
    await vi.advanceTimersByTimeAsync(60);
    const start = Date.now();
    for (let i = 1; i <= 40; i++) {
      reply.setText('x'.repeat(i));
      reply.setText('x'.repeat(i));
      await vi.advanceTimersByTimeAsync(100);
    }
    const finalAt = Date.now();
    reply.setPhase({ kind: 'final' });
    // One route only, and it is spent: the final waits for the bucket, not for the edit interval.
    await vi.advanceTimersByTimeAsync(2_000);
    await reply.whenSettled();

    expect(writes[0]!.content).toBe('… [live]');
    const live = writes.slice(1);
    expect(live[0]!.content).toBe('x [live]');
    expect(live[0]!.at - start).toBeLessThanOrEqual(60);
    for (let i = 1; i < live.length - 1; i++) expect(live[i]!.at - live[i - 1]!.at).toBeGreaterThanOrEqual(1_000);
    expect(live.at(-1)!.content).toBe('x'.repeat(40));
    expect(live.at(-1)!.at - finalAt).toBeLessThanOrEqual(1_100);
    expect(new Set(writes.map((w) => w.content)).size).toBe(writes.length);
    expect(writer.maxInFlight()).toBe(1);
  });

  it('renders a streaming reply only when it may be written, not on every gateway event', async () => {
    const writes: Write[] = [];
    const pacer = new Pacer(new RateBudget(fiveEveryFive), { minIntervalMs: 1_000, logger: silentLogger });
    const counted = vi.fn(render);
    const reply = new LiveReply(recordingWriter('a', writes, { latencyMs: 20 }), counted, { kind: 'streaming' }, pacer.poke);
    for (let i = 1; i <= 200; i++) {
      reply.setText('x'.repeat(i));
      await vi.advanceTimersByTimeAsync(50);
    }
    // 200 events in 10 s; about one edit a second, each rendered once.
    expect(writes.length).toBeGreaterThanOrEqual(8);
    expect(counted.mock.calls.length).toBeLessThanOrEqual(writes.length + 2);
  });

  it('never exceeds a bucket shared by many replies, and every reply keeps getting updates', async () => {
    const writes: Write[] = [];
    const pacer = new Pacer(new RateBudget(fiveEveryFive), { minIntervalMs: 250, logger: silentLogger });
    const shared: WriteRoute[] = [{ name: 'channel', keys: ['channel:1'] }];
    const replies = Array.from({ length: 20 }, (_, i) => new LiveReply(recordingWriter(`r${i}`, writes, { routes: shared }), render, { kind: 'streaming' }, pacer.poke));
    for (let t = 0; t < 60; t++) {
      replies.forEach((reply, i) => reply.setText(`reply ${i} at ${t}`));
      await vi.advanceTimersByTimeAsync(500);
    }
    const times = writes.map((w) => w.at).sort((a, b) => a - b);
    for (let i = 5; i < times.length; i++) expect(times[i]! - times[i - 5]!).toBeGreaterThan(5_000);
    const perReply = new Map<string, number>();
    for (const write of writes) perReply.set(write.reply, (perReply.get(write.reply) ?? 0) + 1);
    expect(perReply.size).toBe(20);
    // Fair: the one that waited longest goes first, so counts differ by at most one.
    expect(Math.max(...perReply.values()) - Math.min(...perReply.values())).toBeLessThanOrEqual(1);
  });

  /** Streams 4 characters every 50 ms for `ms`, then the final; returns when the final was set. */
  async function stream(reply: LiveReply, ms: number): Promise<number> {
    for (let t = 0; t < ms; t += 50) {
      reply.setText('x'.repeat(t / 10 + 4));
      await vi.advanceTimersByTimeAsync(50);
    }
    return Date.now();
  }

  /** No 5 requests of `writes` on `route` fall within one 5 s window. */
  function withinFivePerFive(writes: Write[], route: string): void {
    const times = writes.filter((w) => w.route === route).map((w) => w.at);
    for (let i = 5; i < times.length; i++) expect(times[i]! - times[i - 5]!).toBeGreaterThan(5_000);
  }

  it('spends the whole bucket, one edit a second, when another route can take the final, which then goes out at once', async () => {
    const writes: Write[] = [];
    const budget = new RateBudget(fiveEveryFive);
    const pacer = new Pacer(budget, { minIntervalMs: 1_000, logger: silentLogger });
    const routes: WriteRoute[] = [
      { name: 'webhook', keys: ['webhook:a'] },
      { name: 'channel', keys: ['channel:1'] },
    ];
    const reply = new LiveReply(recordingWriter('a', writes, { routes, latencyMs: 10 }), render, { kind: 'streaming' }, pacer.poke);
    const finalAt = await stream(reply, 12_000);
    const live = writes.filter((w) => w.content.endsWith('[live]'));
    expect(live.every((w) => w.route === 'webhook')).toBe(true);
    // Five a window, one about every second: no burst, and no gap while the window resets.
    expect(live.length).toBeGreaterThanOrEqual(11);
    for (let i = 1; i < live.length; i++) {
      expect(live[i]!.at - live[i - 1]!.at).toBeGreaterThanOrEqual(1_000);
      expect(live[i]!.at - live[i - 1]!.at).toBeLessThanOrEqual(1_100);
    }
    withinFivePerFive(writes, 'webhook');
    expect(budget.remaining('webhook:a')).toBe(0);
    reply.setPhase({ kind: 'final' }, 'the end');
    await vi.advanceTimersByTimeAsync(20);
    expect(writes.at(-1)).toMatchObject({ content: 'the end', route: 'channel' });
    expect(writes.at(-1)!.at - finalAt).toBeLessThanOrEqual(20);
  });

  it('with no other route, spreads all but one request of the bucket evenly, so that the final goes out at once', async () => {
    const writes: Write[] = [];
    const budget = new RateBudget(fiveEveryFive);
    const pacer = new Pacer(budget, { minIntervalMs: 250, logger: silentLogger });
    const reply = new LiveReply(recordingWriter('a', writes, { latencyMs: 10 }), render, { kind: 'streaming' }, pacer.poke);
    const finalAt = await stream(reply, 12_000);
    const live = writes.filter((w) => w.content.endsWith('[live]'));
    // Four a window: one every 1.25 s or so, never four in a row followed by a wait.
    expect(live.length).toBeGreaterThanOrEqual(9);
    for (let i = 1; i < live.length; i++) {
      expect(live[i]!.at - live[i - 1]!.at).toBeGreaterThanOrEqual(1_250);
      expect(live[i]!.at - live[i - 1]!.at).toBeLessThanOrEqual(1_350);
    }
    expect(budget.remaining('webhook:a')).toBe(1);
    reply.setPhase({ kind: 'final' }, 'the end');
    await vi.advanceTimersByTimeAsync(20);
    expect(writes.at(-1)).toMatchObject({ content: 'the end', route: 'webhook' });
    expect(writes.at(-1)!.at - finalAt).toBeLessThanOrEqual(20);
    withinFivePerFive(writes, 'webhook');
  });

  it('creates a message of a streaming reply through its own route when that frees within an edit interval', async () => {
    const writes: Write[] = [];
    const budget = new RateBudget(fiveEveryFive);
    const pacer = new Pacer(budget, { minIntervalMs: 1_000, logger: silentLogger });
    const routes: WriteRoute[] = [
      { name: 'webhook', keys: ['webhook:a'] },
      { name: 'channel', keys: ['channel:1'] },
    ];
    /** Messages of 300 characters, the last one live. */
    const split = (text: string, phase: ReplyPhase): RenderedMessage[] => {
      const chunks = text.match(/[\s\S]{1,300}/g) ?? [''];
      return chunks.map((content, i) => ({ content: i === chunks.length - 1 && phase.kind !== 'final' ? `${content} [live]` : content, live: phase.kind !== 'final' }));
    };
    for (let i = 0; i < 4; i++) budget.take(['webhook:a']);
    await vi.advanceTimersByTimeAsync(4_000);
    const reply = new LiveReply(recordingWriter('a', writes, { routes, latencyMs: 10 }), split, { kind: 'streaming' }, pacer.poke);
    reply.setText('x'.repeat(350));
    await vi.advanceTimersByTimeAsync(2_000);
    // The first message took the bucket's last request; the second waited a moment for it rather than go through
    // the channel, where it could only ever be edited through the channel.
    expect(writes.map((w) => [w.index, w.route])).toEqual([
      [0, 'webhook'],
      [1, 'webhook'],
    ]);
  });

  it('flushes the final at once through another route when Discord has closed the reply route', async () => {
    const writes: Write[] = [];
    const budget = new RateBudget(fiveEveryFive);
    const pacer = new Pacer(budget, { minIntervalMs: 250, logger: silentLogger });
    const routes: WriteRoute[] = [
      { name: 'webhook', keys: ['webhook:a'] },
      { name: 'channel', keys: ['channel:1'] },
    ];
    const reply = new LiveReply(recordingWriter('a', writes, { routes, latencyMs: 10 }), render, { kind: 'streaming' }, pacer.poke);
    reply.setText('partial');
    await vi.advanceTimersByTimeAsync(20);
    budget.blockFor('webhook:a', 5_000);
    const finalAt = Date.now();
    reply.setPhase({ kind: 'final' }, 'the end');
    await vi.advanceTimersByTimeAsync(20);
    expect(writes.at(-1)).toMatchObject({ content: 'the end', route: 'channel' });
    expect(writes.at(-1)!.at - finalAt).toBeLessThanOrEqual(20);
  });

  it('retries failed writes with backoff and never loses the final', async () => {
    const writes: Write[] = [];
    const pacer = new Pacer(new RateBudget(fiveEveryFive), { minIntervalMs: 1_000, logger: silentLogger });
    const reply = new LiveReply(recordingWriter('a', writes, { failures: 3 }), render, { kind: 'streaming' }, pacer.poke);
    reply.setText('partial');
    await vi.advanceTimersByTimeAsync(100);
    reply.setPhase({ kind: 'final' }, 'complete answer');
    await vi.advanceTimersByTimeAsync(10_000);
    await reply.whenSettled();
    expect(writes.map((w) => w.content)).toEqual(['complete answer']);
  });

  it('gives a message up after persistent failures instead of retrying it forever (finding 19)', async () => {
    const writes: Write[] = [];
    const pacer = new Pacer(new RateBudget(fiveEveryFive), { minIntervalMs: 1_000, logger: silentLogger });
    const reply = new LiveReply(recordingWriter('a', writes, { failures: Number.POSITIVE_INFINITY }), render, { kind: 'streaming' }, pacer.poke);
    reply.setPhase({ kind: 'final' }, 'never shown');
    await vi.advanceTimersByTimeAsync(MAX_WRITE_FAILURES * 31_000);
    await reply.whenSettled();
    expect(writes).toEqual([]);
    expect(pacer.backlog).toBe(0);
  });
});

describe('LiveReply: a final that shows the whole reply in its first message', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Chunks of 10 characters; a final past 2 messages keeps the first and attaches the whole (as the real renderer). */
  const collapsing = (text: string, phase: ReplyPhase): RenderedMessage[] => {
    const chunks = text.match(/[\s\S]{1,10}/g) ?? [''];
    if (phase.kind === 'final' && chunks.length > 2) {
      return [{ content: `${chunks[0]} [whole]`, live: false, wholeReply: true, files: [{ name: 'answer.md', data: Buffer.from(text) }] }];
    }
    return chunks.map((content, i) => ({ content: i === chunks.length - 1 && phase.kind !== 'final' ? `${content} [live]` : content, live: phase.kind !== 'final' }));
  };

  function opsWriter(ops: string[], keys: string[]) {
    const writer: ReplyWriter = {
      routes: (_index, op) => [{ name: 'channel', keys: op === 'remove' ? keys.slice(0, 1).map((k) => `${k}:delete`) : keys }],
      async write(index, message) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        ops.push(`write ${index}: ${message.content}${message.files ? ` +${message.files.map((f) => f.name).join(',')}` : ''}`);
      },
      async remove(index) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        ops.push(`remove ${index}`);
      },
    };
    return writer;
  }

  it('first adds the file to the first message as it is, then removes the others (last first), then shows its final text', async () => {
    const ops: string[] = [];
    const pacer = new Pacer(new RateBudget(() => ({ limit: 100, windowMs: 1_000 })), { minIntervalMs: 100, logger: silentLogger });
    const reply = new LiveReply(opsWriter(ops, ['bucket']), collapsing, { kind: 'streaming' }, pacer.poke);
    const text = 'aaaaaaaaaabbbbbbbbbbccccccccccdd';
    reply.setText(text);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(ops).toEqual(['write 0: aaaaaaaaaa', 'write 1: bbbbbbbbbb', 'write 2: cccccccccc', 'write 3: dd [live]']);
    ops.length = 0;
    reply.setPhase({ kind: 'final' });
    await vi.advanceTimersByTimeAsync(1_000);
    await reply.whenSettled();
    // Until the others are gone, a restart reads an exact beginning of the answer, and answer.md holds all of it.
    expect(ops).toEqual(['write 0: aaaaaaaaaa +answer.md', 'remove 3', 'remove 2', 'remove 1', 'write 0: aaaaaaaaaa [whole] +answer.md']);
  });

  it('paces the removals within the rate budget and skips a message someone deleted', async () => {
    const ops: string[] = [];
    const at: number[] = [];
    const pacer = new Pacer(new RateBudget((key) => (key.endsWith(':delete') ? { limit: 1, windowMs: 1_000 } : { limit: 100, windowMs: 1_000 })), {
      minIntervalMs: 100,
      logger: silentLogger,
    });
    const writer = opsWriter(ops, ['bucket']);
    const remove = writer.remove!;
    let deletedByPerson = false;
    writer.remove = async (index, route) => {
      at.push(Date.now());
      if (index === 2 && deletedByPerson) throw new WriteError('Unknown Message', 'gone');
      return remove(index, route);
    };
    const reply = new LiveReply(writer, collapsing, { kind: 'streaming' }, pacer.poke);
    reply.setText('aaaaaaaaaabbbbbbbbbbccccccccccdddddddddde');
    await vi.advanceTimersByTimeAsync(1_000);
    deletedByPerson = true;
    ops.length = 0;
    reply.setPhase({ kind: 'final' });
    await vi.advanceTimersByTimeAsync(10_000);
    await reply.whenSettled();
    expect(ops).toEqual(['write 0: aaaaaaaaaa +answer.md', 'remove 4', 'remove 3', 'remove 1', 'write 0: aaaaaaaaaa [whole] +answer.md']);
    for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBeGreaterThanOrEqual(1_000);
  });

  it('never removes messages of a final that does not show the whole reply', async () => {
    const ops: string[] = [];
    const pacer = new Pacer(new RateBudget(() => ({ limit: 100, windowMs: 1_000 })), { minIntervalMs: 100, logger: silentLogger });
    const reply = new LiveReply(opsWriter(ops, ['bucket']), collapsing, { kind: 'streaming' }, pacer.poke);
    reply.setText('aaaaaaaaaabbbbbbbbbbcccccccccc');
    await vi.advanceTimersByTimeAsync(1_000);
    ops.length = 0;
    reply.setPhase({ kind: 'final' }, 'short');
    await vi.advanceTimersByTimeAsync(1_000);
    await reply.whenSettled();
    expect(ops).toEqual(['write 0: short']);
  });
});
