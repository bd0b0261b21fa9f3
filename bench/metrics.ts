// From what the gateway sent (timelines) and what Discord recorded (every message version with its time) to the
// figures of the report. Everything is computed after the run, from the records: nothing samples while it runs.
import { shownText } from '../src/discord/render/reply.js';
import type { RecordedMessage } from '../test/fakes/discord/types.js';
import type { RunTimeline } from './gateway.js';
import { streamTag } from './text.js';

/**
 * Staleness is sampled on this grid, from the first gateway text until the final content is visible (or, for a reply
 * that never showed it, until the final gateway event): a final that waits is stale too.
 */
export const SAMPLE_EVERY_MS = 100;

const CURSOR = '▌';
const CALLBACK_ROUTE = '/callback';

export interface StreamMetrics {
  stream: number;
  /** First model text visible in Discord minus the gateway's first text; undefined: never. */
  firstVisibleMs: number | undefined;
  /** Final content visible (exact text, no cursor) minus the gateway's final event; undefined: never. */
  finalMs: number | undefined;
  stalenessChars: number[];
  stalenessMs: number[];
  /** Message versions the bot wrote for this reply (creates and edits; not the interaction callback). */
  edits: number;
  messages: number;
  /** Samples in which the visible text was not a prefix of the answer (should be none). */
  mismatches: number;
}

/** A reply message's text alone: what `shownText` makes of it (no placeholder, cursor or note). */
function messageText(content: string): string {
  return shownText([content]);
}

function compareIds(a: RecordedMessage, b: RecordedMessage): number {
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt;
  return a.id.length !== b.id.length ? a.id.length - b.id.length : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Which stream each of the bot's messages belongs to, by its current content: a reply's first message starts with
 * its stream's tag; a continuation is a piece of exactly one answer. Messages that show no model text yet (the
 * "thinking…" placeholders, the anchors' untouched interaction replies, thread notices) belong to none.
 */
export function assignMessages(messages: readonly RecordedMessage[], texts: readonly string[]): RecordedMessage[][] {
  const byStream: RecordedMessage[][] = texts.map(() => []);
  const byTag = new Map(texts.map((_, i) => [streamTag(i), i]));
  for (const message of messages) {
    if (!message.byBot || message.deleted || message.ephemeral) continue;
    const text = messageText(message.content);
    if (text === '') continue;
    let stream = byTag.get(text.slice(0, streamTag(0).length));
    if (stream === undefined || !texts[stream]!.startsWith(text)) {
      stream = undefined;
      for (let i = 0; i < texts.length; i++) {
        if (texts[i]!.includes(text)) {
          stream = i;
          break;
        }
      }
    }
    if (stream !== undefined) byStream[stream]!.push(message);
  }
  for (const list of byStream) list.sort(compareIds);
  return byStream;
}

/** What a person saw at one moment: the visible text's length, whether it was the final content, and whether it was a prefix of the answer. */
export interface Step {
  at: number;
  length: number;
  final: boolean;
  prefix: boolean;
}

function isFinal(contents: readonly (string | undefined)[], visible: string, text: string): boolean {
  return visible === text && contents.every((c) => c === undefined || (!c.endsWith(CURSOR) && !c.startsWith('⏳')));
}

/** The reply as a person saw it over time: one step per message version, in time order. */
function visibleSteps(messages: readonly RecordedMessage[], text: string): Step[] {
  const versions = messages
    .flatMap((message, index) => message.versions.map((version, order) => ({ at: version.at, index, order, content: version.content })))
    .sort((a, b) => a.at - b.at || a.index - b.index || a.order - b.order);
  const contents: (string | undefined)[] = messages.map(() => undefined);
  const steps: Step[] = [];
  for (const version of versions) {
    contents[version.index] = version.content;
    const visible = shownText(contents.filter((c): c is string => c !== undefined));
    steps.push({ at: version.at, length: visible.length, final: isFinal(contents, visible, text), prefix: text.startsWith(visible) });
  }
  return steps;
}

/** Whether the reply shows its final content now. */
export function showsFinal(messages: readonly RecordedMessage[], text: string): boolean {
  const contents = messages.map((m) => m.content);
  return isFinal(contents, shownText(contents), text);
}

export function streamMetrics(timeline: RunTimeline, messages: readonly RecordedMessage[]): StreamMetrics {
  const edits = messages.reduce((sum, m) => sum + m.versions.filter((v) => !v.route.includes(CALLBACK_ROUTE)).length, 0);
  return stepMetrics(timeline, visibleSteps(messages, timeline.text), edits, messages.length);
}

/** The figures of one reply from what it showed over time (recorded from Discord, or simulated for the ideal). */
export function stepMetrics(timeline: RunTimeline, steps: readonly Step[], edits: number, messages: number): StreamMetrics {
  const firstTextAt = timeline.at[0];
  const doneAt = timeline.doneAt;
  const metrics: StreamMetrics = {
    stream: timeline.stream,
    firstVisibleMs: undefined,
    finalMs: undefined,
    stalenessChars: [],
    stalenessMs: [],
    edits,
    messages,
    mismatches: 0,
  };
  if (firstTextAt === undefined || doneAt === undefined) return metrics;

  const firstVisible = steps.find((s) => s.length > 0);
  if (firstVisible) metrics.firstVisibleMs = firstVisible.at - firstTextAt;
  // The final content counts from the moment it appeared for good.
  let finalAt: number | undefined;
  if (steps.length > 0 && steps[steps.length - 1]!.final) {
    let i = steps.length - 1;
    while (i > 0 && steps[i - 1]!.final) i--;
    finalAt = steps[i]!.at;
    metrics.finalMs = finalAt - doneAt;
  }

  // chars behind: the gateway's length minus the visible length. ms behind: 0 while the visible text is the
  // gateway's, else the time since the gateway moved past it (the first event with more text than is visible, or
  // the final event when all the text shows but not yet as the final content).
  const end = Math.max(doneAt, finalAt ?? doneAt);
  let step = -1;
  let point = -1;
  for (let t = firstTextAt; t < end; t += SAMPLE_EVERY_MS) {
    while (step + 1 < steps.length && steps[step + 1]!.at <= t) step++;
    while (point + 1 < timeline.at.length && timeline.at[point + 1]! <= t) point++;
    const visible = step >= 0 ? steps[step]!.length : 0;
    const sent = point >= 0 ? timeline.length[point]! : 0;
    if (step >= 0 && !steps[step]!.prefix) metrics.mismatches++;
    metrics.stalenessChars.push(Math.max(0, sent - visible));
    if (visible < sent) {
      metrics.stalenessMs.push(t - timeline.at[firstIndexAbove(timeline.length, visible)]!);
    } else if (t >= doneAt && !(step >= 0 && steps[step]!.final)) {
      metrics.stalenessMs.push(t - doneAt);
    } else {
      metrics.stalenessMs.push(0);
    }
  }
  return metrics;
}

/** The first index whose value is above `value` (the array grows). */
function firstIndexAbove(values: readonly number[], value: number): number {
  let lo = 0;
  let hi = values.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid]! > value) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Nearest-rank percentile; undefined when a value is missing (a stream that never showed it). */
export function percentile(values: readonly (number | undefined)[], p: number): number | undefined {
  if (values.length === 0 || values.some((v) => v === undefined)) return undefined;
  const sorted = (values as number[]).slice().sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}
