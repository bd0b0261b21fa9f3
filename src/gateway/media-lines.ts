/**
 * `MEDIA:` lines, read as OpenClaw 2026.2 reads them (`splitMediaFromOutput`, src/media/parse.ts, with
 * `parseFenceSpans` of src/markdown/fences.ts; in the installed package dist/deliver-*.js and dist/chunk-*.js): a
 * line outside a code fence whose trimmed start is `MEDIA:`, each token after it a file when it is an http(s) url or
 * looks like a local path (a bare `name.ext` only when nothing else on the line is one). The urls come out as the
 * gateway's `mediaUrls` would name them, so a file the stream told already is recognised.
 *
 * Unlike the gateway, the text keeps its blank lines: only the media lines (what of them is no file stays) go.
 */

const MEDIA_TOKEN = /\bMEDIA:\s*`?([^\n]+)`?/gi;
const WINDOWS_DRIVE = /^[a-zA-Z]:[\\/]/;
const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:/;
const FILE_EXTENSION = /\.\w{1,10}$/;
const FENCE = /^( {0,3})(`{3,}|~{3,})(.*)$/;

export interface MediaSplit {
  /** The text without its media lines. */
  text: string;
  /** The files named, in order. */
  urls: string[];
}

export function splitMediaLines(raw: string): MediaSplit {
  const trimmed = raw.trimEnd();
  const fences = fenceSpans(trimmed);
  const urls: string[] = [];
  const kept: string[] = [];
  let changed = false;
  let offset = 0;
  for (const line of trimmed.split('\n')) {
    const at = offset;
    offset += line.length + 1;
    if (fences.some((span) => at >= span.start && at < span.end) || !line.trimStart().startsWith('MEDIA:')) {
      kept.push(line);
      continue;
    }
    const rest = mediaLine(line, urls);
    if (rest === undefined) kept.push(line);
    else {
      changed = true;
      if (rest !== '') kept.push(rest);
    }
  }
  if (!changed) return { text: raw, urls };
  return { text: kept.join('\n').replace(/\n{3,}/g, '\n\n').trim(), urls };
}

/** What a media line leaves (its words that name no file), after adding its files to `urls`; undefined: no media line. */
function mediaLine(line: string, urls: string[]): string | undefined {
  const matches = [...line.matchAll(MEDIA_TOKEN)];
  if (matches.length === 0) return undefined;
  const pieces: string[] = [];
  let found = false;
  let cursor = 0;
  for (const match of matches) {
    const start = match.index;
    pieces.push(line.slice(cursor, start));
    const payload = match[1]!;
    const unwrapped = unwrapQuoted(payload);
    const value = unwrapped ?? payload;
    const parts = unwrapped ? [unwrapped] : payload.split(/\s+/).filter(Boolean);
    const first = urls.length;
    const invalid: string[] = [];
    let valid = 0;
    for (const part of parts) {
      const candidate = normalizeSource(cleanCandidate(part));
      if (isValidMedia(candidate, { allowSpaces: unwrapped !== undefined })) {
        urls.push(candidate);
        valid += 1;
      } else invalid.push(part);
    }
    const trimmedValue = value.trim();
    const localLooking = isLikelyLocalPath(trimmedValue) || trimmedValue.startsWith('file://');
    // A path with spaces, split into words of which one looked like a path: the whole payload is the path.
    if (!unwrapped && valid === 1 && invalid.length > 0 && /\s/.test(value) && localLooking) {
      const whole = normalizeSource(cleanCandidate(value));
      if (isValidMedia(whole, { allowSpaces: true })) {
        urls.splice(first, urls.length - first, whole);
        invalid.length = 0;
      }
    }
    let hasMedia = urls.length > first;
    if (!hasMedia) {
      const whole = normalizeSource(cleanCandidate(value));
      if (isValidMedia(whole, { allowSpaces: true, allowBareFilename: true })) {
        urls.push(whole);
        hasMedia = true;
        invalid.length = 0;
      }
    }
    if (hasMedia) {
      found = true;
      if (invalid.length > 0) pieces.push(invalid.join(' '));
    } else if (localLooking) {
      // The gateway takes a path it cannot use out of the text all the same.
      found = true;
    } else pieces.push(match[0]);
    cursor = start + match[0].length;
  }
  pieces.push(line.slice(cursor));
  return found ? pieces.join('').replace(/[ \t]{2,}/g, ' ').trim() : undefined;
}

/**
 * The text without a last line that is the start of a media line (`M`, `MED`, `MEDIA:`, `MEDIA:chart`): 2026.2 stops
 * streaming once a `MEDIA:` line split across chunks names a file, so its final ends with the piece it had streamed.
 */
export function withoutPartialMediaLine(text: string): string {
  const newline = text.lastIndexOf('\n');
  const last = text.slice(newline + 1).trim();
  if (last === '' || !(last.startsWith('MEDIA:') || 'MEDIA:'.startsWith(last))) return text;
  return text.slice(0, Math.max(newline, 0)).trimEnd();
}

function normalizeSource(source: string): string {
  return source.startsWith('file://') ? source.replace('file://', '') : source;
}

function cleanCandidate(raw: string): string {
  return raw.replace(/^[`"'[{(]+/, '').replace(/[`"'\\})\],]+$/, '');
}

function isLikelyLocalPath(candidate: string): boolean {
  return (
    candidate.startsWith('/') ||
    candidate.startsWith('./') ||
    candidate.startsWith('../') ||
    candidate.startsWith('~') ||
    WINDOWS_DRIVE.test(candidate) ||
    candidate.startsWith('\\\\') ||
    (!SCHEME.test(candidate) && (candidate.includes('/') || candidate.includes('\\')))
  );
}

function isValidMedia(candidate: string, options: { allowSpaces?: boolean; allowBareFilename?: boolean }): boolean {
  if (!candidate || candidate.length > 4096) return false;
  if (!options.allowSpaces && /\s/.test(candidate)) return false;
  if (/^https?:\/\//i.test(candidate)) return true;
  if (isLikelyLocalPath(candidate)) return true;
  return options.allowBareFilename === true && !SCHEME.test(candidate) && FILE_EXTENSION.test(candidate);
}

function unwrapQuoted(value: string): string | undefined {
  const trimmed = value.trim();
  if (trimmed.length < 2) return undefined;
  const first = trimmed[0]!;
  if (first !== trimmed[trimmed.length - 1] || !'"\'`'.includes(first)) return undefined;
  return trimmed.slice(1, -1).trim();
}

/** Where code fences open and close (an unclosed one runs to the end), as character offsets. */
function fenceSpans(text: string): Array<{ start: number; end: number }> {
  const spans: Array<{ start: number; end: number }> = [];
  let open: { start: number; char: string; length: number } | undefined;
  let offset = 0;
  for (;;) {
    const newline = text.indexOf('\n', offset);
    const lineEnd = newline === -1 ? text.length : newline;
    const match = FENCE.exec(text.slice(offset, lineEnd));
    if (match) {
      const marker = match[2]!;
      if (!open) open = { start: offset, char: marker[0]!, length: marker.length };
      else if (open.char === marker[0] && marker.length >= open.length) {
        spans.push({ start: open.start, end: lineEnd });
        open = undefined;
      }
    }
    if (newline === -1) break;
    offset = newline + 1;
  }
  if (open) spans.push({ start: open.start, end: text.length });
  return spans;
}
