// Splits a long, possibly still growing answer into Discord-sized messages.
//
// Where a chunk ends:
// - At a break: the start of a line after a blank line (paragraph), else the start of a line, else the start of a word
//   after spaces or tabs. The best kind in the second half of the window wins, the latest of that kind; only when the
//   second half has no break at all is the best one in the first half used. So an early paragraph break does not cut
//   a tiny message while a line break further on would fill it.
// - The separator (spaces, newlines) stays at the end of the earlier chunk, where it does not show. So a chunk never
//   starts with a blank line or a space after a break, and a code line keeps its indentation.
// - Never inside a fence line, before a ` or ~ in mid-line (the next chunk would start with what looks like a fence),
//   or right after an opening fence line (the chunk would end with an empty block).
// - A word longer than the window is cut hard, but never inside a surrogate pair or a \r\n.
//
// Fences (``` or ~~~, CommonMark rules): a chunk that ends inside a code block gets '\n' + marker appended and the next
// chunk starts with marker + info string + '\n'. The last chunk is never closed: it is the part that may still grow.
//
// joinChunks removes exactly those added lines, so joinChunks(splitMessage(t)) === t. The one exception: a chunk that
// would be blank is dropped (Discord rejects blank messages); that only happens for blank text or for a whitespace run
// longer than a whole chunk.
//
// Every decision about a chunk reads the text only up to the end of its window (and fence state from before), so once
// the text runs past that window the chunk is settled: appending text can never change it.

export interface SplitOptions {
  /** Maximum length of a chunk, in UTF-16 code units (String.length). Default 2000. */
  maxLength?: number;
  /** Characters kept free in every chunk for a suffix the caller adds, such as a live indicator ' ▌'. Default 0. */
  reserve?: number;
}

const DISCORD_MAX_LENGTH = 2000;
// A fence is carried into the next chunk only when its reopening plus closing line fit in this many characters;
// a longer fence line (a huge info string, say) is left as it is. This bounds the overhead of a chunk, so that with
// MIN_CHUNK_LENGTH every chunk has room for text.
const MAX_FENCE_OVERHEAD = 40;
const MIN_CHUNK_LENGTH = 64;

export function splitMessage(text: string, options?: SplitOptions): string[] {
  return split(text, options).chunks;
}

/**
 * How many leading chunks of splitMessage(text, options) no appended text can change: all but the last, or all when
 * only dropped blank text follows the last. (A last chunk that happens to be final already is still counted as open.)
 */
export function settledCount(text: string, options?: SplitOptions): number {
  return split(text, options).settled;
}

/** Inverse of splitMessage: strips the fence lines it added and concatenates the chunks. */
export function joinChunks(chunks: readonly string[]): string {
  let fences: FenceState = { open: null, partialLine: '' };
  let text = '';
  chunks.forEach((chunk, index) => {
    let body = chunk;
    const reopened = carried(fences.open);
    if (reopened && body.startsWith(reopened.reopen)) body = body.slice(reopened.reopen.length);
    if (index < chunks.length - 1) body = withoutAddedClose(body, fences);
    fences = advance(fences, body);
    text += body;
  });
  return text;
}

interface Fence {
  /** The run of ` or ~ that opened the block, e.g. '```' or '~~~~'. */
  readonly marker: string;
  readonly reopen: string;
  readonly close: string;
}

const NONE = 0;
const SPACE = 1;
const LINE = 2;
const PARAGRAPH = 3;

interface Layout {
  /** breakAt[i]: the kind of break just before text[i]. */
  readonly breakAt: Uint8Array;
  /** The carried fence still open after the complete lines before text[i], if any. */
  fenceAt(i: number): Fence | null;
}

function split(text: string, options: SplitOptions | undefined): { chunks: string[]; settled: number } {
  const limit = chunkLimit(options);
  const layout = analyse(text);
  const chunks: string[] = [];
  let settled = 0;
  for (let pos = 0; pos < text.length; ) {
    const head = layout.fenceAt(pos)?.reopen ?? '';
    const room = limit - head.length;
    const last = text.length - pos <= room;
    const end = last ? text.length : chooseEnd(text, layout, pos, room);
    const tail = last ? '' : (layout.fenceAt(end)?.close ?? '');
    const chunk = head + text.slice(pos, end) + tail;
    if (/\S/.test(chunk)) {
      chunks.push(chunk);
      if (!last) settled = chunks.length;
    }
    pos = end;
  }
  return { chunks, settled };
}

function chunkLimit({ maxLength = DISCORD_MAX_LENGTH, reserve = 0 }: SplitOptions = {}): number {
  if (!Number.isInteger(maxLength) || !Number.isInteger(reserve) || reserve < 0) {
    throw new RangeError(`maxLength and reserve must be integers, reserve >= 0 (got ${maxLength}, ${reserve})`);
  }
  if (maxLength - reserve < MIN_CHUNK_LENGTH) {
    throw new RangeError(`maxLength - reserve must be at least ${MIN_CHUNK_LENGTH} (got ${maxLength - reserve})`);
  }
  return maxLength - reserve;
}

function analyse(text: string): Layout {
  const breakAt = new Uint8Array(text.length + 1);
  const fences: Fence[] = []; // the carried fences, in order
  const fenceIds = new Int32Array(text.length + 1).fill(-1); // fenceIds[i]: index of fenceAt(i) in fences, or -1
  let open: Fence | null = null;
  let openId = -1;
  for (let start = 0; ; ) {
    const newline = text.indexOf('\n', start);
    const end = newline === -1 ? text.length : newline;
    if (openId !== -1) fenceIds.fill(openId, start, end + 1);
    // Breaking inside a fence line would leave half a fence; a word starting with ` or ~ could look like one.
    const fenceLine = startsFence(text, start, end);
    let blank = true;
    for (let i = start; i < end; i++) {
      const code = text.charCodeAt(i);
      if (isWhitespace(code)) continue;
      if (!blank && !fenceLine && isSpaceOrTab(text.charCodeAt(i - 1)) && code !== BACKTICK && code !== TILDE) {
        breakAt[i] = SPACE;
      }
      blank = false;
    }
    if (newline === -1) break;
    const after: Fence | null = fenceLine ? nextFence(text.slice(start, end), open) : open;
    if (after !== open) {
      const kept = carried(after);
      openId = kept ? fences.push(kept) - 1 : -1;
      open = after;
    }
    const next = newline + 1;
    const code = text.charCodeAt(next);
    // A line that starts with another line break is blank: break after it instead.
    if (next < text.length && code !== LF && code !== CR) breakAt[next] = blank ? PARAGRAPH : LINE;
    start = next;
  }
  const fenceAt = (i: number): Fence | null => {
    const id = fenceIds[i] ?? -1;
    return id === -1 ? null : (fences[id] ?? null); // never index with -1: that is a slow path in V8
  };
  return { breakAt, fenceAt };
}

function chooseEnd(text: string, { breakAt, fenceAt }: Layout, pos: number, room: number): number {
  const maxEnd = pos + room;
  const fits = (end: number): boolean => end - pos + (fenceAt(end)?.close.length ?? 0) <= room;
  let content = pos;
  while (content < maxEnd && isWhitespace(text.charCodeAt(content))) content++;

  let paragraph = -1;
  let line = -1;
  let any = -1;
  for (let end = content + 1; end <= maxEnd; end++) {
    const kind = breakAt[end] ?? NONE;
    if (kind === NONE || !fits(end) || opensEmptyBlock(fenceAt, end)) continue;
    any = end;
    if (kind >= LINE) line = end;
    if (kind === PARAGRAPH) paragraph = end;
  }
  const byPreference = [paragraph, line, any];
  const halfway = pos + (room >> 1);
  const best = byPreference.find((end) => end >= halfway) ?? byPreference.find((end) => end > pos);
  return best ?? hardEnd(text, pos, maxEnd, fits);
}

// Ending a chunk right after a fence's opening line would send an empty code block.
function opensEmptyBlock(fenceAt: Layout['fenceAt'], end: number): boolean {
  const fence = fenceAt(end);
  return fence !== null && fence !== fenceAt(end - 1);
}

function hardEnd(text: string, pos: number, maxEnd: number, fits: (end: number) => boolean): number {
  let end = maxEnd;
  while (end > pos + 1 && (!fits(end) || splitsPair(text, end))) end--;
  // joinChunks reads a chunk ending in '\n' + 3 or more fence characters as one with an added closing fence (when a
  // fence is open there). Breaks end in whitespace, so only a hard cut could end like that in the text itself.
  const char = text[end - 1];
  if (char === '`' || char === '~') {
    let run = end;
    while (run > pos && text[run - 1] === char) run--;
    if (end - run >= 3 && run > pos && text[run - 1] === '\n') end = run + 2;
  }
  return end;
}

/** Whether ending a chunk at `end` would separate the halves of a surrogate pair or of a \r\n. */
function splitsPair(text: string, end: number): boolean {
  const before = text.charCodeAt(end - 1);
  const after = text.charCodeAt(end);
  const surrogates = before >= 0xd800 && before <= 0xdbff && after >= 0xdc00 && after <= 0xdfff;
  return surrogates || (before === CR && after === LF);
}

const FENCE_LINE = /^ {0,3}(`{3,}|~{3,})(.*)$/s;

/** Whether the line text[start, end) starts like a fence: up to 3 spaces, then 3 backticks or tildes. */
function startsFence(text: string, start: number, end: number): boolean {
  let i = start;
  while (i < end && i - start < 3 && text[i] === ' ') i++;
  const char = text[i];
  return (char === '`' || char === '~') && i + 2 < end && text[i + 1] === char && text[i + 2] === char;
}

/** The fence open after `line`, given the fence open before it. */
function nextFence(line: string, open: Fence | null): Fence | null {
  const match = FENCE_LINE.exec(line.endsWith('\r') ? line.slice(0, -1) : line);
  if (!match) return open;
  const run = match[1] ?? '';
  const rest = match[2] ?? '';
  if (open) {
    const closes = run[0] === open.marker[0] && run.length >= open.marker.length && /^[ \t]*$/.test(rest);
    return closes ? null : open;
  }
  if (run[0] === '`' && rest.includes('`')) return null;
  return { marker: run, reopen: `${run}${rest.trim()}\n`, close: `\n${run}` };
}

function carried(fence: Fence | null): Fence | null {
  return fence && fence.reopen.length + fence.close.length <= MAX_FENCE_OVERHEAD ? fence : null;
}

interface FenceState {
  /** The fence open after the complete lines seen so far. */
  readonly open: Fence | null;
  readonly partialLine: string;
}

function advance(state: FenceState, text: string): FenceState {
  let { open, partialLine } = state;
  let start = 0;
  for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
    open = nextFence(partialLine + text.slice(start, newline), open);
    partialLine = '';
    start = newline + 1;
  }
  return { open, partialLine: partialLine + text.slice(start) };
}

function withoutAddedClose(body: string, fences: FenceState): string {
  const match = /\n(`{3,}|~{3,})$/.exec(body);
  if (!match) return body;
  const original = body.slice(0, match.index);
  return carried(advance(fences, original).open)?.marker === match[1] ? original : body;
}

const LF = 10;
const CR = 13;
const BACKTICK = 0x60;
const TILDE = 0x7e;

function isSpaceOrTab(code: number): boolean {
  return code === 32 || code === 9;
}

/** Same set as the regular expression class \s. */
function isWhitespace(code: number): boolean {
  if (code <= 32) return code === 32 || (code >= 9 && code <= 13);
  if (code < 0xa0) return false;
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

/** The line that closes a code block still open at the end of `text` (e.g. '\n```'), or '' when none is. */
export function openFenceClose(text: string): string {
  return advance({ open: null, partialLine: '' }, `${text}\n`).open?.close ?? '';
}
