import { isLive, type RenderedMessage, type ReplyExtras, type ReplyFile, type ReplyPhase, type ReplyRenderer } from '../../relay/phase.js';
import { answerFile, codeFiles, DEFAULT_UPLOAD_LIMIT_BYTES, fitFiles, shownName, uniqueNames } from './files.js';
import { EXTRAS_ROOM, extrasLines, fileLines, isExtrasLine, MAX_EXTRAS_LINES, MAX_FILE_LINES } from './progress.js';
import { joinChunks, openFenceClose, splitMessage } from './split.js';

export const MAX_MESSAGE_LENGTH = 2000;
const LIVE_CURSOR = ' ▌';
/**
 * Room kept in every message for the live cursor, a closing fence and the extras lines (status line, footer, notes).
 * It is the same in every phase and whether or not extras are drawn, so the text's split points never move: the
 * relay may add or drop extras at any time (a first tool call, a footer switched off) without a message changing.
 */
export const RESERVE = 24 + EXTRAS_ROOM;
/** Room for the mention line on a final sent below (`<@` + a snowflake of at most 20 digits + `>` and a line break). */
const MENTION_ROOM = 24;
const SNOWFLAKE = /^\d{17,20}$/;
/** What the live message shrinks to once its final went below as a new message. */
export const STUB_PREFIX = '⏬ Answered below';

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

export interface ReplyRenderOptions {
  /** A final whose text takes more messages than this keeps its first one and attaches the whole as `answer.md`. */
  fileAfterMessages: number;
  /** A final's code blocks of more lines than this are also attached, as `snippet-1.py`, … */
  codeFileLines: number;
}

export const DEFAULT_RENDER_OPTIONS: ReplyRenderOptions = { fileAfterMessages: 4, codeFileLines: 80 };

/**
 * How a reply looks in Discord: the text split into messages of at most 2000 characters (code fences closed and
 * reopened across them), a cursor on the last one while it streams, and a plain note when it failed, was stopped
 * or was interrupted. Under the last message's text go the extras as subtext lines: notes, and the status line
 * while live or the footer once final. A final reply is exactly the gateway's text (and its footer).
 *
 * A final carries files on its last message: long code blocks, the files the agent produced, and, when its text
 * takes more than `fileAfterMessages` messages, the whole answer as `answer.md` (the reply then keeps only its first
 * message). While a reply streams, none of this changes anything.
 */
export function createReplyRenderer(options: ReplyRenderOptions = DEFAULT_RENDER_OPTIONS): ReplyRenderer {
  return (text, phase, extras) => render(text, phase, extras, options);
}

export const renderReply: ReplyRenderer = createReplyRenderer();

function render(text: string, phase: ReplyPhase, extras: ReplyExtras | undefined, options: ReplyRenderOptions): RenderedMessage[] {
  if (extras?.below) return [{ content: extras.below.link ? `${STUB_PREFIX}: ${extras.below.link}` : `${STUB_PREFIX}.`, live: false }];
  const live = isLive(phase);
  const mention = !live && extras?.mention && SNOWFLAKE.test(extras.mention) ? extras.mention : undefined;
  if (!mention) return renderText(text, phase, live, extras, options, MAX_MESSAGE_LENGTH);
  // A final below is new messages: its split need not match the live one's, so the mention line gets room of its own.
  const [first, ...rest] = renderText(text, phase, live, extras, options, MAX_MESSAGE_LENGTH - MENTION_ROOM);
  return [{ ...first!, content: `<@${mention}>\n${first!.content}`, mention }, ...rest];
}

function renderText(text: string, phase: ReplyPhase, live: boolean, extras: ReplyExtras | undefined, options: ReplyRenderOptions, max: number): RenderedMessage[] {
  let chunks = text.trim() === '' ? [] : splitMessage(text, { maxLength: max, reserve: RESERVE });
  const note = footer(phase);
  const lines = extrasLines(extras, live);
  const attached = phase.kind === 'final' ? finalFiles(text, chunks.length, extras, options) : undefined;
  const fileRows = attached ? fileLines(attached.sentences) : [];
  const under = [...fileRows, ...lines].map((line) => `\n${line}`).join('');
  if (attached?.whole) {
    // Only the first message stays: its chunk is cut shorter to leave room for the file lines.
    const room = fileRows.reduce((sum, line) => sum + line.length + 1, 0);
    chunks = splitMessage(text, { maxLength: max, reserve: RESERVE + room }).slice(0, 1);
  }
  const files = attached && attached.files.length > 0 ? { files: attached.files } : {};
  const whole = attached?.whole ? { wholeReply: true } : {};
  if (chunks.length === 0) {
    // A final of files only (a reply that is only a media line) shows its files, not "(no text)".
    const head = note ? clip(note, max - under.length) : attached && (fileRows.length > 0 || attached.files.length > 0) ? '' : placeholder(phase);
    return [{ content: head ? `${head}${under}` : under.slice(1), live, ...files }];
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
    if (withNote.length <= max) messages[lastIndex] = { content: withNote, live: false };
    else messages.push({ content: `${clip(note, max - under.length)}${under}`, live: false });
  } else if (`${closed}${under}`.length <= max) {
    messages[lastIndex] = { content: `${closed}${under}`, live: false, ...files, ...whole };
  } else {
    // The reserve holds the notes and footer, not the file lines too: they go on a message of their own, with the files.
    messages[lastIndex] = { content: closed, live: false };
    messages.push({ content: under.slice(1), live: false, ...files });
  }
  return messages;
}

interface FinalFiles {
  files: ReplyFile[];
  /** What the lines under the text say about the files. */
  sentences: string[];
  /** The text went into `answer.md`. */
  whole: boolean;
}

function finalFiles(text: string, messageCount: number, extras: ReplyExtras | undefined, options: ReplyRenderOptions): FinalFiles | undefined {
  const whole = messageCount > options.fileAfterMessages;
  const own = [...(whole ? [answerFile(text)] : []), ...codeFiles(text, options.codeFileLines)];
  const wanted = uniqueNames([...own, ...(extras?.files ?? [])]);
  if (wanted.length === 0 && !extras?.fileNotes?.length && !extras?.filesPending?.length) return undefined;
  const { kept, lines } = fitFiles(wanted, extras?.uploadLimitBytes ?? DEFAULT_UPLOAD_LIMIT_BYTES);
  const wholeKept = whole && kept.some((file) => file.name === 'answer.md');
  const sentences = [
    ...(wholeKept ? [`📄 The whole answer (${text.length.toLocaleString('en-US')} characters) is attached as \`answer.md\`.`] : []),
    ...lines,
    ...(extras?.fileNotes ?? []),
    ...pendingSentence(extras?.filesPending),
  ];
  return { files: kept, sentences, whole: wholeKept };
}

function pendingSentence(names: readonly string[] | undefined): string[] {
  if (!names || names.length === 0) return [];
  return [names.length === 1 ? `📎 Attaching \`${shownName(names[0]!)}\`…` : `📎 Attaching ${names.length} files…`];
}

/** The message without the extras lines `renderReply` put under its text. */
export function withoutExtras(content: string): string {
  const lines = content.split('\n');
  let drawn = 0;
  // A final of files only has no text above its lines at all.
  while (lines.length > 0 && drawn < MAX_EXTRAS_LINES + MAX_FILE_LINES && isExtrasLine(lines.at(-1)!)) {
    lines.pop();
    drawn++;
  }
  return lines.join('\n');
}

/** The mention line a final sent below starts with. */
const MENTION_LINE = /^<@\d{17,20}>\n/;

/** A message that is only a phase note: a reply that failed, was stopped or interrupted before any text. */
const NOTE_ONLY = /^(?:⚠️ \*\*Error:\*\* |⏹️ Stopped|⚠️ Interrupted: )[^\n]*$/u;

/**
 * The text that messages rendered by `renderReply` show, for a restarted bot that must continue a reply it can no
 * longer remember: without the placeholder, cursor, note and extras lines, and `below`, the mention line a final sent
 * below starts with. (A code block closed only for display stays closed.)
 */
export function shownText(contents: readonly string[], options: { below?: boolean } = {}): string {
  const chunks = contents
    .map((content, index) => withoutExtras(options.below && index === 0 ? content.replace(MENTION_LINE, '') : content))
    .filter((content) => content !== '' && !content.startsWith('⏳') && !content.startsWith(STUB_PREFIX) && !NOTE_ONLY.test(content));
  const last = chunks.at(-1);
  if (last === undefined) return '';
  let body = last.replace(/\n\n(?:⚠️|⏹️) [^\n]*$/u, '');
  if (body.endsWith(LIVE_CURSOR)) body = body.slice(0, -LIVE_CURSOR.length);
  return joinChunks([...chunks.slice(0, -1), body]);
}
