import { describe, expect, it } from 'vitest';
import type { RunTimeline } from '../../bench/gateway.js';
import { assignMessages, percentile, showsFinal, streamMetrics } from '../../bench/metrics.js';
import { answerText, streamTag } from '../../bench/text.js';
import type { MessageVersion, RecordedMessage } from '../fakes/discord/types.js';

function version(at: number, content: string, route = 'PATCH /webhooks/:app/:token/messages/:message'): MessageVersion {
  const none = { users: [], roles: [], everyone: false };
  return { kind: 'edit', at, content, embeds: [], components: [], flags: 0, attachments: [], allowedMentions: undefined, contentMentions: none, pinged: none, route };
}

function message(id: string, versions: MessageVersion[]): RecordedMessage {
  const last = versions[versions.length - 1]!;
  return {
    id, channelId: '1', guildId: '2', authorId: '3', byBot: true, source: 'interaction-response', type: 20, ephemeral: false, deleted: false,
    deletedAt: null, createdAt: versions[0]!.at, editedAt: null, interactionId: null, interactionToken: null, content: last.content,
    embeds: [], components: [], flags: 0, attachments: [], threadId: null, replyTo: null, reactions: {}, versions, api: {},
  };
}

describe('bench metrics', () => {
  const text = answerText(0, 40);
  const timeline: RunTimeline = {
    runId: 'run-1',
    stream: 0,
    text,
    requestedAt: 950,
    at: Array.from({ length: 10 }, (_, i) => 1000 + i * 50),
    length: Array.from({ length: 10 }, (_, i) => (i + 1) * 4),
    doneAt: 1450,
    events: 11,
  };

  it('answers are deterministic, tagged and exactly as long as asked', () => {
    expect(answerText(3, 3000)).toBe(answerText(3, 3000));
    expect(answerText(3, 3000)).toHaveLength(3000);
    expect(answerText(3, 3000).startsWith(streamTag(3))).toBe(true);
    expect(answerText(3, 3000)).not.toMatch(/\s$/);
  });

  it('measures first text, staleness on a 100 ms grid, final content and edits from the records', () => {
    const reply = message('10', [
      version(900, '', 'POST /interactions/:interaction/:token/callback'),
      version(950, '⏳ Thinking…'),
      version(1003, `${text.slice(0, 4)} ▌`),
      version(1210, `${text.slice(0, 20)} ▌`),
      version(1460, text),
    ]);
    const metrics = streamMetrics(timeline, [reply]);
    expect(metrics.firstVisibleMs).toBe(3);
    expect(metrics.finalMs).toBe(10);
    expect(metrics.edits).toBe(4);
    // t = 1000, 1100, 1200, 1300, 1400: visible 0, 4, 4, 20, 20 characters; sent 4, 12, 20, 28, 36.
    expect(metrics.stalenessChars).toEqual([4, 8, 16, 8, 16]);
    // ms since the gateway first sent more than is visible: at 1000, 1050, 1050, 1250, 1250.
    expect(metrics.stalenessMs).toEqual([0, 50, 150, 50, 150]);
    expect(metrics.mismatches).toBe(0);
  });

  it('counts staleness until the final content shows, also after the final gateway event', () => {
    const reply = message('10', [
      version(1003, `${text.slice(0, 4)} ▌`),
      version(1210, `${text.slice(0, 20)} ▌`),
      version(1460, `${text} ▌`),
      version(1760, text),
    ]);
    const metrics = streamMetrics(timeline, [reply]);
    expect(metrics.finalMs).toBe(310);
    // t = 1500, 1600, 1700: all the text shows, with the cursor: 0 characters behind, but 50, 150, 250 ms after the
    // final event.
    expect(metrics.stalenessChars).toEqual([4, 8, 16, 8, 16, 0, 0, 0]);
    expect(metrics.stalenessMs).toEqual([0, 50, 150, 50, 150, 50, 150, 250]);
  });

  it('a cursor still showing is not the final content', () => {
    const reply = message('10', [version(1003, `${text} ▌`)]);
    expect(showsFinal([reply], text)).toBe(false);
    expect(streamMetrics(timeline, [reply]).finalMs).toBeUndefined();
  });

  it('assigns messages to streams by tag and by continuation, ignoring placeholders', () => {
    const a = answerText(0, 3000);
    const b = answerText(1, 3000);
    const first = message('20', [version(1, `${a.slice(0, 1990)}`)]);
    const second = message('21', [version(2, `${a.slice(1991, 2500)} ▌`)]);
    const other = message('22', [version(3, `${b.slice(0, 100)} ▌`)]);
    const thinking = message('23', [version(4, '⏳ Thinking…')]);
    const assigned = assignMessages([other, second, first, thinking], [a, b]);
    expect(assigned[0]!.map((m) => m.id)).toEqual(['20', '21']);
    expect(assigned[1]!.map((m) => m.id)).toEqual(['22']);
  });

  it('percentiles are nearest-rank and undefined when a stream never showed the value', () => {
    expect(percentile([5, 1, 3, 2, 4], 0.5)).toBe(3);
    expect(percentile([5, 1, 3, 2, 4], 0.99)).toBe(5);
    expect(percentile([1, undefined], 0.5)).toBeUndefined();
  });
});
