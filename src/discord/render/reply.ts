import type { RenderedMessage, ReplyPhase } from '../../relay/phase.js';
import { joinChunks, openFenceClose, splitMessage } from './split.js';

export const MAX_MESSAGE_LENGTH = 2000;
const LIVE_CURSOR = ' ▌';
/** Room kept in every message for the live cursor and a closing fence, the same in every phase so splits never move. */
const RESERVE = 24;

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
 * or was interrupted. A final reply is exactly the gateway's text.
 */
export function renderReply(text: string, phase: ReplyPhase): RenderedMessage[] {
  const live = phase.kind === 'queued' || phase.kind === 'waiting' || phase.kind === 'streaming';
  const chunks = text.trim() === '' ? [] : splitMessage(text, { maxLength: MAX_MESSAGE_LENGTH, reserve: RESERVE });
  const note = footer(phase);
  if (chunks.length === 0) {
    return [{ content: note ? clip(note, MAX_MESSAGE_LENGTH) : placeholder(phase), live }];
  }
  const messages: RenderedMessage[] = chunks.map((content) => ({ content, live: false }));
  const lastIndex = messages.length - 1;
  const last = chunks[lastIndex]!;
  if (live) {
    // Close a code block that is still being written, so the cursor shows outside it.
    messages[lastIndex] = { content: `${last}${openFenceClose(last)}${LIVE_CURSOR}`, live: true };
  } else if (note) {
    const closed = `${last}${openFenceClose(last)}\n\n${note}`;
    if (closed.length <= MAX_MESSAGE_LENGTH) messages[lastIndex] = { content: closed, live: false };
    else messages.push({ content: clip(note, MAX_MESSAGE_LENGTH), live: false });
  }
  return messages;
}

/**
 * The text that messages rendered by `renderReply` show, for a restarted bot that must continue a reply it can no
 * longer remember: without the placeholder, cursor and note. (A code block closed only for display stays closed.)
 */
export function shownText(contents: readonly string[]): string {
  const chunks = contents.filter((content) => content !== '' && !content.startsWith('⏳'));
  const last = chunks.at(-1);
  if (last === undefined) return '';
  let body = last.replace(/\n\n(?:⚠️|⏹️) [^\n]*$/u, '');
  if (body.endsWith(LIVE_CURSOR)) body = body.slice(0, -LIVE_CURSOR.length);
  return joinChunks([...chunks.slice(0, -1), body]);
}
