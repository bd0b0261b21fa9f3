import { describe, expect, it } from 'vitest';
import type { RunTimeline } from '../../bench/gateway.js';
import { idealMetrics, simulateIdeal } from '../../bench/ideal.js';
import { answerText } from '../../bench/text.js';

/** 4 characters every 50 ms from t = 0, the final event right after the last one. */
function paced(chars: number): RunTimeline {
  const text = answerText(0, chars);
  const events = Math.ceil(chars / 4);
  const at = Array.from({ length: events }, (_, i) => i * 50);
  return { runId: 'run-1', stream: 0, text, requestedAt: -50, at, length: at.map((_, i) => Math.min(chars, (i + 1) * 4)), doneAt: at[events - 1]! + 1, events: events + 1 };
}

describe('bench ideal reference', () => {
  const bucket = { limit: 5, windowMs: 5_000 };

  it('writes at once, then once a second, and the final at the final event when the window has room', () => {
    // 80 events: the last at 3950 ms, the final at 3951 ms; writes at 0, 1000, 2000, 3000 leave one for it.
    const reply = simulateIdeal(paced(320), bucket);
    expect(reply.steps.map((s) => s.at)).toEqual([0, 1000, 2000, 3000, 3951]);
    expect(reply.steps.map((s) => s.length)).toEqual([4, 84, 164, 244, 320]);
    expect(reply.steps.map((s) => s.final)).toEqual([false, false, false, false, true]);
    const metrics = idealMetrics(paced(320), bucket);
    expect(metrics.firstVisibleMs).toBe(0);
    expect(metrics.finalMs).toBe(0);
    expect(metrics.edits).toBe(5);
  });

  it('a final the bucket refuses waits for the window, and that wait counts as staleness', () => {
    // 100 events: writes at 0, 1000, 2000, 3000, 4000 spend the window [0, 5000); the final event at 4951 waits to 5000.
    const timeline = paced(400);
    const reply = simulateIdeal(timeline, bucket);
    expect(reply.steps.map((s) => s.at)).toEqual([0, 1000, 2000, 3000, 4000, 5000]);
    const metrics = idealMetrics(timeline, bucket);
    expect(metrics.finalMs).toBe(49);
    // Samples run until the final shows (t < 5000): the last at 4900 sees the 324 characters written at 4000 of the 396 sent.
    expect(metrics.stalenessChars).toHaveLength(50);
    expect(metrics.stalenessChars.at(-1)).toBe(72);
    // ms: since the first event beyond what shows (the one at 4050).
    expect(metrics.stalenessMs.at(-1)).toBe(4900 - 4050);
  });

  it('an answer longer than a message costs a request per changed message', () => {
    const reply = simulateIdeal(paced(4_200), { limit: 1_000, windowMs: 5_000 });
    expect(reply.messages).toBe(3);
    expect(reply.steps.at(-1)!.final).toBe(true);
    expect(reply.steps.at(-1)!.length).toBe(4_200);
    expect(reply.steps.every((s) => s.prefix)).toBe(true);
    // 1,050 events over 52.5 s: a write a second from 0 to 52 s, one more each time a message fills up, and the final.
    expect(reply.writes).toBe(53 + 2 + 1);
  });
});
