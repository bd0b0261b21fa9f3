import type { ReplyExtras, ReplyFooter, ReplyProgress } from '../../relay/phase.js';

// The small lines a reply shows under its text: a live status line while the agent works, a footer once it answered,
// and notes about the reply. Each is one Discord subtext line (`-# `) that starts with one of a few known emoji, so
// `isExtrasLine` can tell them from the model's text when a restarted bot reads a reply back.
//
// Titles, plan steps, agent and model names come from the model or its tools: they are folded to one line, clipped,
// and markdown-escaped (no formatting, links, headings or mention syntax leaks in); messages go with no allowed
// mentions anyway.

/** The longest line drawn, in UTF-16 code units, `-# ` included. */
export const LINE_MAX = 100;
/** At most a notes line and a status (or footer) line, each after a line break. */
export const MAX_EXTRAS_LINES = 2;
/** Room for all extras lines under a message's text: what the renderer keeps free in every message. */
export const EXTRAS_ROOM = MAX_EXTRAS_LINES * (LINE_MAX + 1);
/** Lines about a final's files (each file left out, the whole answer as a file), drawn above the notes and footer. */
export const MAX_FILE_LINES = 6;
/** A file line names a file and its size, so it may run longer than the status line. */
export const FILE_LINE_MAX = 160;

const SUBTEXT = '-# ';
const SEPARATOR = ' · ';
/** Untrusted parts are clipped down to this before anything is dropped. */
const MIN_PART = 12;

export const ICONS = {
  working: '⚙️',
  approval: '✋',
  subAgents: '🧩',
  retry: '🔁',
  footer: '🤖',
  steered: '↪️',
  note: 'ℹ️',
  file: '📎',
  wholeAnswer: '📄',
} as const;

// The variation selector is optional: people and other code write ↪ and ↪️ alike.
const KNOWN_ICON = new RegExp(`^(?:${Object.values(ICONS).map((icon) => icon.replace('\uFE0F', '')).map((icon) => `${icon}\uFE0F?`).join('|')}) `, 'u');
const EXTRAS_LINE = new RegExp(`^${SUBTEXT}${KNOWN_ICON.source.slice(1)}`, 'u');

/** Whether `line` is one of the lines this module draws (and not the model's text). */
export function isExtrasLine(line: string): boolean {
  return EXTRAS_LINE.test(line);
}

/** "42 s", "3 min 5 s", "1 h 2 min". */
export function elapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 === 0 ? `${m} min` : `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
}

/** "1 token", "950 tokens", "1.2k tokens", "12k tokens", "3.4M tokens". */
export function tokenCount(n: number): string {
  const value = Math.max(0, Math.round(n));
  if (value === 1) return '1 token';
  if (value < 1000) return `${value} tokens`;
  const [scaled, unit] = value < 999_500 ? [value / 1000, 'k'] : [value / 1_000_000, 'M'];
  const shown = scaled < 9.95 ? (Math.round(scaled * 10) / 10).toString() : Math.round(scaled).toString();
  return `${shown}${unit} tokens`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

// Markdown, mention, timestamp and emoji syntax (`<@…>`, `<t:…>`, `<:…:…>`), masked links, @everyone. (Line-start
// syntax such as `- ` or `# ` cannot occur: parts are drawn after the line's icon.)
const MARKDOWN = /[\\*_~`|<>[\]#@]/;
const MARKDOWN_ALL = new RegExp(MARKDOWN.source, 'g');

/** One line of plain text: whitespace and control characters folded, markdown escaped. */
export function escapeInline(text: string): string {
  return fold(text).replace(MARKDOWN_ALL, (char) => `\\${char}`);
}

function fold(text: string): string {
  return text.replace(/[\s\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
}

/** `text` escaped and clipped to at most `max` units, with an ellipsis when cut; never splits a character or an escape. */
export function clipEscaped(text: string, max: number): string {
  const chars = [...fold(text)];
  const escaped = chars.map((char) => (MARKDOWN.test(char) ? `\\${char}` : char));
  const full = escaped.join('');
  if (full.length <= max) return full;
  let out = '';
  for (const piece of escaped) {
    if (out.length + piece.length > max - 1) break;
    out += piece;
  }
  return `${out.trimEnd()}…`;
}

interface Part {
  text: string;
  /** From the model or a tool: escaped, and clipped first when the line is too long. */
  untrusted?: boolean;
}

/** One subtext line of parts joined by " · ", at most LINE_MAX long: the longest untrusted parts shrink first. */
function line(icon: string, parts: readonly Part[]): string {
  const prefix = `${SUBTEXT}${icon} `;
  const sizes = parts.map((part) => (part.untrusted ? escapeInline(part.text).length : part.text.length));
  const total = () => prefix.length + sizes.reduce((sum, size) => sum + size, 0) + SEPARATOR.length * Math.max(0, parts.length - 1);
  for (let over = total() - LINE_MAX; over > 0; over = total() - LINE_MAX) {
    let widest = -1;
    parts.forEach((part, index) => {
      if (part.untrusted && sizes[index]! > MIN_PART && (widest === -1 || sizes[index]! > sizes[widest]!)) widest = index;
    });
    if (widest === -1) break;
    // Down to the next widest (ties shrink in turns), or by all that is over when that is less.
    const size = sizes[widest]!;
    const next = Math.max(MIN_PART, ...sizes.filter((_, index) => index !== widest && parts[index]!.untrusted));
    sizes[widest] = Math.max(MIN_PART, size - over, Math.min(next, size - 1));
  }
  const drawn = parts.map((part, index) => (part.untrusted ? clipEscaped(part.text, sizes[index]!) : part.text)).join(SEPARATOR);
  const full = `${prefix}${drawn}`;
  return full.length <= LINE_MAX ? full : clipTrusted(full, LINE_MAX);
}

/** A hard cut of a drawn line that still renders: no half character, no escape left dangling. */
function clipTrusted(text: string, max: number): string {
  let out = '';
  for (const char of text) {
    if (out.length + char.length > max - 1) break;
    out += char;
  }
  const trailing = /\\+$/.exec(out)?.[0].length ?? 0;
  if (trailing % 2 === 1) out = out.slice(0, -1);
  return `${out.trimEnd()}…`;
}

function planPart(plan: NonNullable<ReplyProgress['plan']>): Part | undefined {
  if (plan.length === 0) return undefined;
  let index = plan.findIndex((step) => step.status === 'in_progress');
  if (index === -1) index = plan.findIndex((step) => step.status === 'pending');
  if (index === -1) return { text: `plan ${plan.length}/${plan.length} done` };
  return { text: `plan ${index + 1}/${plan.length}: ${fold(plan[index]!.step)}`, untrusted: true };
}

/** The live status line: what the agent is doing, how far it got, for how long. */
export function progressLine(progress: ReplyProgress): string {
  const parts: Part[] = [];
  let icon: string | undefined;
  if (progress.waitingApprovals > 0) {
    icon ??= ICONS.approval;
    parts.push({ text: progress.waitingApprovals === 1 ? 'waiting for approval' : `waiting for ${progress.waitingApprovals} approvals` });
  }
  if (progress.subAgents) {
    icon ??= ICONS.subAgents;
    const count = progress.subAgents.count;
    parts.push({ text: count === undefined || count <= 0 ? 'waiting for sub-agents' : `waiting for ${plural(count, 'sub-agent')}` });
  }
  if (progress.retry) {
    icon ??= ICONS.retry;
    const { attempt, maxAttempts } = progress.retry;
    parts.push({ text: maxAttempts ? `retrying ${attempt}/${maxAttempts}` : `retrying (attempt ${attempt})` });
  }
  const running = progress.running.filter((title) => fold(title) !== '');
  if (running.length > 2) parts.push({ text: `${running.length} tools running` });
  else parts.push(...running.map((title) => ({ text: title, untrusted: true })));
  const succeeded = Math.max(0, progress.done - progress.failed);
  if (progress.failed > 0) parts.push({ text: `${succeeded} done, ${progress.failed} failed` });
  else if (progress.done > 0) parts.push({ text: `${progress.done} done` });
  parts.push({ text: elapsed(progress.elapsedMs) });
  const plan = progress.plan && planPart(progress.plan);
  if (plan) parts.push(plan);
  return line(icon ?? ICONS.working, parts);
}

/** The footer of a final answer: who answered, with which model, how long it took, what it cost. */
export function footerLine(footer: ReplyFooter): string {
  const parts: Part[] = [];
  if (footer.agent && fold(footer.agent)) parts.push({ text: footer.agent, untrusted: true });
  if (footer.model && fold(footer.model)) parts.push({ text: footer.model, untrusted: true });
  if (footer.tools && footer.tools.done > 0) {
    const { done, failed } = footer.tools;
    parts.push({ text: `${plural(done, 'tool')}${failed > 0 ? ` (${failed} failed)` : ''}` });
  }
  parts.push({ text: elapsed(footer.durationMs) });
  if (footer.tokens !== undefined && footer.tokens > 0) parts.push({ text: tokenCount(footer.tokens) });
  return line(ICONS.footer, parts);
}

/** The reply's notes on one line; the first note's own leading emoji (↪️ for a steered follow-up) leads the line. */
export function notesLine(notes: readonly string[] | undefined): string | undefined {
  const texts = (notes ?? []).map(fold).filter((note) => note !== '');
  if (texts.length === 0) return undefined;
  const lead = KNOWN_ICON.exec(`${texts[0]!} `)?.[0];
  const icon = lead ? lead.trim() : ICONS.note;
  if (lead) texts[0] = texts[0]!.slice(lead.trim().length).trim();
  return line(icon, texts.filter((text) => text !== '').map((text) => ({ text, untrusted: true })));
}

/**
 * The lines about a final's files: each `📎`/`📄` sentence on a subtext line of its own, at most MAX_FILE_LINES (the
 * last one then counts the rest). The sentences are clawcord's own; the file names in them are already made safe.
 */
export function fileLines(sentences: readonly string[]): string[] {
  const texts = sentences.map(fold).filter((text) => text !== '');
  const shown = texts.length > MAX_FILE_LINES ? [...texts.slice(0, MAX_FILE_LINES - 1), `${ICONS.file} ${texts.length - MAX_FILE_LINES + 1} more lines about files are left out.`] : texts;
  return shown.map((text) => {
    const full = `${SUBTEXT}${text}`;
    return full.length <= FILE_LINE_MAX ? full : clipTrusted(full, FILE_LINE_MAX);
  });
}

/** The lines drawn under a message's text: notes, then the status line while live or the footer once final. */
export function extrasLines(extras: ReplyExtras | undefined, live: boolean): string[] {
  if (!extras) return [];
  const lines: string[] = [];
  const notes = notesLine(extras.notes);
  if (notes) lines.push(notes);
  if (live && extras.progress) lines.push(progressLine(extras.progress));
  if (!live && extras.footer) lines.push(footerLine(extras.footer));
  return lines;
}
