// The ideal reference: a 1 s timer with zero latency, simulated (not run) on a run's recorded gateway timeline under
// the scenario's bucket for one reply. It is the limit that bucket allows a timer policy: nothing is late but what
// the bucket refuses. See bench/README.md, "The ideal reference".
import { joinChunks, splitMessage } from '../src/discord/render/split.js';
import { MAX_MESSAGE_LENGTH, RESERVE } from '../src/discord/render/reply.js';
import type { RunTimeline } from './gateway.js';
import { stepMetrics, type Step, type StreamMetrics } from './metrics.js';

export interface IdealBucket {
  limit: number;
  windowMs: number;
}

/** The ideal's timer: clawcord's default `relay.minEditIntervalMs`. */
export const IDEAL_INTERVAL_MS = 1_000;

/** A bound no answer of the bench comes near (80,000 characters are 40 messages). */
const MAX_MESSAGES = 1_000;

/** A fixed window that starts with its first request, as the fake Discord's (and Discord's) buckets do. */
class Window {
  private start: number | undefined;
  private used = 0;
  constructor(private readonly bucket: IdealBucket) {}

  /** The earliest moment from `t` on at which a request is allowed. */
  allowedAt(t: number): number {
    if (this.start === undefined || t >= this.start + this.bucket.windowMs || this.used < this.bucket.limit) return t;
    return this.start + this.bucket.windowMs;
  }

  take(t: number): void {
    if (this.start === undefined || t >= this.start + this.bucket.windowMs) {
      this.start = t;
      this.used = 0;
    }
    this.used += 1;
  }
}

/** The answer's length the gateway had sent by `t`. */
function sentBy(timeline: RunTimeline, t: number): number {
  let length = 0;
  for (let i = 0; i < timeline.at.length && timeline.at[i]! <= t; i++) length = timeline.length[i]!;
  return length;
}

export interface IdealReply {
  steps: Step[];
  /** Requests the ideal made (creations, edits and deletions of its messages). */
  writes: number;
  messages: number;
}

/**
 * What the ideal showed over time. The reply is split as clawcord splits it (same message size and reserve, so live
 * and final split alike); each message whose content changes costs one request, in message order, and a request
 * carries the text sent at the moment it goes out. The first text goes out at once; then at most one update per
 * interval from the previous write, and the final at the final event; whatever the bucket refuses goes at the
 * window's reset.
 */
export function simulateIdeal(timeline: RunTimeline, bucket: IdealBucket, intervalMs = IDEAL_INTERVAL_MS): IdealReply {
  const steps: Step[] = [];
  const firstAt = timeline.at[0];
  const doneAt = timeline.doneAt;
  if (firstAt === undefined || doneAt === undefined) return { steps, writes: 0, messages: 0 };
  const window = new Window(bucket);
  const split = (length: number) => splitMessage(timeline.text.slice(0, length), { maxLength: MAX_MESSAGE_LENGTH, reserve: RESERVE });
  const shown: string[] = [];
  // Messages that show the live cursor: the last one of each live write (the chunks are kept without it).
  const cursor = new Set<number>();
  let writes = 0;

  /** Brings the messages to the text sent by then (the whole answer, no cursor anywhere, when final). */
  const update = (from: number, final: boolean): number => {
    let t = from;
    for (let i = 0; i <= 2 * MAX_MESSAGES; i++) {
      t = window.allowedAt(t);
      if (!final && t >= doneAt) return t;
      const target = split(final ? timeline.text.length : sentBy(timeline, t));
      const stale = (k: number) =>
        k >= target.length || shown[k] !== target[k] || (cursor.has(k) && (final || k !== target.length - 1));
      let index = 0;
      while (index < Math.max(target.length, shown.length) && !stale(index)) index++;
      if (index === Math.max(target.length, shown.length)) return t;
      if (index >= target.length) {
        shown.splice(index, 1);
        cursor.delete(index);
      } else {
        shown[index] = target[index]!;
        if (!final && index === target.length - 1) cursor.add(index);
        else cursor.delete(index);
      }
      window.take(t);
      writes += 1;
      const visible = joinChunks(shown);
      const done = shown.length === target.length && shown.every((_, k) => !stale(k));
      steps.push({ at: t, length: visible.length, final: final && done, prefix: timeline.text.startsWith(visible) });
      if (done) return t;
    }
    throw new Error('the ideal reference did not converge');
  };

  let t = firstAt;
  while (t < doneAt) {
    const wrote = update(t, false);
    if (wrote >= doneAt) break;
    t = wrote + intervalMs;
  }
  update(doneAt, true);
  return { steps, writes, messages: shown.length };
}

export function idealMetrics(timeline: RunTimeline, bucket: IdealBucket, intervalMs = IDEAL_INTERVAL_MS): StreamMetrics {
  const reply = simulateIdeal(timeline, bucket, intervalMs);
  return stepMetrics(timeline, reply.steps, reply.writes, reply.messages);
}
