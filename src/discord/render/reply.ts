import { isLive, type RenderedMessage, type ReplyExtras, type ReplyPhase } from '../../relay/phase.js';
import { EXTRAS_ROOM, extrasLines, isExtrasLine, MAX_EXTRAS_LINES } from './progress.js';
import { joinChunks, openFenceClose, splitMessage } from './split.js';

export const MAX_MESSAGE_LENGTH = 2000;
const LIVE_CURSOR = ' ▌';
/**
 * Room kept in every message for the live cursor, a closing fence and the extras lines (status line, footer, notes).
 * It is the same in every phase and whether or not extras are drawn, so the text's split points never move: the
 * relay may add or drop extras at any time (a first tool call, a footer switched off) without a message changing.
 */
export const RESERVE = 24 + EXTRAS_ROOM;

function footer(phase: ReplyPhase): string | undefined {
  switch (phase.kind) {
    case 'error':
      return `⚠️ **Error:** ${phase.message}`;
    case 'aborted':
      return phase.by ? `⏹️ Stopped by ${phase.by}.` : '⏹️ Stopped.';
    case 'interrupted':
      return `⚠️ Interrupted: ${phase.reason}.`;
    default:
      return undefined;
  }
}

function placeholder(phase: ReplyPhase): string {
  switch (phase.kind) {
    case 'queued':
      return `⏳ Queued: position ${phase.position} (one answer at a time per session).`;
    case 'waiting':
    case 'streaming':
      return '⏳ Thinking…';
    default:
      return '*(no text)*';
  }
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * How a reply looks in Discord: the text split into messages of at most 2000 characters (code fences closed and
 * reopened across them), a cursor on the last one while it streams, and a plain note when it failed, was stopped
 * or was interrupted. Under the last message's text go the extras as subtext lines: notes, and the status line
 * while live or the footer once final. A final reply is exactly the gateway's text (and its footer).
 */
export function renderReply(text: string, phase: ReplyPhase, extras?: ReplyExtras): RenderedMessage[] {
  const live = isLive(phase);
  const chunks = text.trim() === '' ? [] : splitMessage(text, { maxLength: MAX_MESSAGE_LENGTH, reserve: RESERVE });
  const note = footer(phase);
  const lines = extrasLines(extras, live);
  const under = lines.length > 0 ? `\n${lines.join('\n')}` : '';
  if (chunks.length === 0) {
    const head = note ? clip(note, MAX_MESSAGE_LENGTH - under.length) : placeholder(phase);
    return [{ content: `${head}${under}`, live }];
  }
  const messages: RenderedMessage[] = chunks.map((content) => ({ content, live: false }));
  const lastIndex = messages.length - 1;
  const last = chunks[lastIndex]!;
  // A code block still open at the end is closed for display, so the cursor and the lines show outside it.
  const closed = `${last}${openFenceClose(last)}`;
  if (live) {
    messages[lastIndex] = { content: `${closed}${LIVE_CURSOR}${under}`, live: true };
  } else if (note) {
    const withNote = `${closed}\n\n${note}${under}`;
    if (withNote.length <= MAX_MESSAGE_LENGTH) messages[lastIndex] = { content: withNote, live: false };
    else messages.push({ content: `${clip(note, MAX_MESSAGE_LENGTH - under.length)}${under}`, live: false });
  } else if (under) {
    messages[lastIndex] = { content: `${closed}${under}`, live: false };
  }
  return messages;
}

/** The message without the extras lines `renderReply` put under its text. */
export function withoutExtras(content: string): string {
  const lines = content.split('\n');
  let drawn = 0;
  while (lines.length > 1 && drawn < MAX_EXTRAS_LINES && isExtrasLine(lines.at(-1)!)) {
    lines.pop();
    drawn++;
  }
  return lines.join('\n');
}

/** A message that is only a phase note: a reply that failed, was stopped or interrupted before any text. */
const NOTE_ONLY = /^(?:⚠️ \*\*Error:\*\* |⏹️ Stopped|⚠️ Interrupted: )[^\n]*$/u;

/**
 * The text that messages rendered by `renderReply` show, for a restarted bot that must continue a reply it can no
 * longer remember: without the placeholder, cursor, note and extras lines. (A code block closed only for display
 * stays closed.)
 */
export function shownText(contents: readonly string[]): string {
  const chunks = contents.map(withoutExtras).filter((content) => content !== '' && !content.startsWith('⏳') && !NOTE_ONLY.test(content));
  const last = chunks.at(-1);
  if (last === undefined) return '';
  let body = last.replace(/\n\n(?:⚠️|⏹️) [^\n]*$/u, '');
  if (body.endsWith(LIVE_CURSOR)) body = body.slice(0, -LIVE_CURSOR.length);
  return joinChunks([...chunks.slice(0, -1), body]);
}
