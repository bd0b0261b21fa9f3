// `MEDIA:<path-or-url>` lines in a reply: the agent's way to attach a file (openclaw-agent-events.md §5). Both versions
// take them out of the text before any client sees it and hand the URLs on: v3 src/media/parse.ts splitMediaFromOutput
// (2026.2.17), v4 src/media/parse-output.ts splitMediaOutput (2026.9.6). Kept here: the line rules, the path/URL
// checks, the text clean-up and (v4) the ordered segments; left out: markdown images and audio tags.
import type { ProtocolVersion } from './protocol-tables.js';

export type MediaSegment = { type: 'text'; text: string } | { type: 'media'; url: string };

export interface MediaSplit {
  /** The text a client sees. */
  text: string;
  /** The media URLs, in order. */
  mediaUrls: string[];
  /** Text and media in their order (v4 writes history content from these). */
  segments: MediaSegment[];
}

const MEDIA_TOKEN = /\bMEDIA:\s*`?([^\n]+)`?/gi;
const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:/;
const WINDOWS_DRIVE = /^[a-zA-Z]:[\\/]/;
const HAS_FILE_EXT = /\.\w{1,10}$/;
const TRAVERSAL = /(?:^|[/\\])\.\.(?:[/\\]|$)/;

/** Whether `raw` may hold a media line at all (otherwise the text passes untouched). */
export function mayHoldMedia(raw: string, protocol: ProtocolVersion): boolean {
  return protocol === 3 ? raw.includes('MEDIA:') : /media:/i.test(raw);
}

function cleanCandidate(raw: string): string {
  return raw.replace(/^[`"'[{(]+/, '').replace(/[`"'\\})\],]+$/, '').replace(/^file:(?:\/\/)?/i, '');
}

function unwrapQuoted(value: string): string | undefined {
  const t = value.trim();
  if (t.length < 2 || t[0] !== t[t.length - 1] || !['"', "'", '`'].includes(t[0]!)) return undefined;
  return t.slice(1, -1).trim();
}

function looksLikeLocalPath(c: string): boolean {
  return (
    c.startsWith('/') ||
    c.startsWith('./') ||
    c.startsWith('../') ||
    c.startsWith('~') ||
    WINDOWS_DRIVE.test(c) ||
    c.startsWith('\\\\') ||
    (!SCHEME.test(c) && (c.includes('/') || c.includes('\\')))
  );
}

/** v4 refuses `..` segments and `~user`, and only takes https from a public-looking host. */
function isValidMedia(c: string, protocol: ProtocolVersion, opts: { allowSpaces?: boolean; allowBareFilename?: boolean } = {}): boolean {
  if (!c || c.length > 4096) return false;
  if (!opts.allowSpaces && /\s/.test(c)) return false;
  if (/^https?:\/\//i.test(c)) {
    if (protocol === 3) return true;
    try {
      const url = new URL(c);
      const host = url.hostname.toLowerCase();
      return url.protocol === 'https:' && !url.username && host.includes('.') && !/(^localhost$|\.localhost$|\.local$|\.internal$)/.test(host);
    } catch {
      return false;
    }
  }
  const traversal = c.startsWith('../') || c === '..' || (c.startsWith('~') && !c.startsWith('~/')) || TRAVERSAL.test(c);
  if (protocol === 4 && traversal) return false;
  if (looksLikeLocalPath(c)) return true;
  return Boolean(opts.allowBareFilename) && !SCHEME.test(c) && HAS_FILE_EXT.test(c);
}

/** Splits a reply's media lines from its text; undefined when it has none (the text is then passed on as it is). */
export function splitMedia(raw: string, protocol: ProtocolVersion): MediaSplit | undefined {
  const trimmed = raw.trimEnd();
  if (!mayHoldMedia(trimmed, protocol)) return undefined;
  const media: string[] = [];
  const segments: MediaSegment[] = [];
  const kept: string[] = [];
  let found = false;
  let inFence = false;
  const pushText = (text: string): void => {
    const last = segments.at(-1);
    if (last?.type === 'text') last.text = `${last.text}\n${text}`;
    else if (text.trim() !== '') segments.push({ type: 'text', text });
  };
  for (const line of trimmed.split('\n')) {
    const fence = /^\s*(```|~~~)/.test(line);
    const isMediaLine = protocol === 3 ? line.trimStart().startsWith('MEDIA:') : line.trimStart().slice(0, 6).toUpperCase() === 'MEDIA:';
    if (fence) inFence = !inFence;
    const matches = fence || inFence || !isMediaLine ? [] : [...line.matchAll(MEDIA_TOKEN)];
    if (matches.length === 0) {
      kept.push(line);
      pushText(line);
      continue;
    }
    const pieces: string[] = [];
    const lineMedia: string[] = [];
    let cursor = 0;
    for (const match of matches) {
      const start = match.index ?? 0;
      pieces.push(line.slice(cursor, start));
      const payload = match[1]!;
      const unwrapped = unwrapQuoted(payload);
      const parts = unwrapped !== undefined ? [unwrapped] : payload.split(/\s+/).filter(Boolean);
      const invalid: string[] = [];
      let valid = 0;
      for (const part of parts) {
        const candidate = unwrapped !== undefined ? part : cleanCandidate(part);
        if (isValidMedia(candidate, protocol, { allowSpaces: unwrapped !== undefined })) {
          lineMedia.push(candidate);
          valid++;
        } else invalid.push(part);
      }
      if (valid === 0) {
        const fallback = unwrapped ?? cleanCandidate(payload.trim());
        if (isValidMedia(fallback, protocol, { allowSpaces: true, allowBareFilename: true })) {
          lineMedia.push(fallback);
          valid = 1;
          invalid.length = 0;
        }
      }
      if (valid > 0) {
        found = true;
        if (invalid.length > 0) pieces.push(invalid.join(' '));
      } else if (looksLikeLocalPath(payload.trim())) found = true;
      else pieces.push(match[0]);
      cursor = start + match[0].length;
    }
    pieces.push(line.slice(cursor));
    const cleaned = pieces.join('').replace(/[ \t]{2,}/g, ' ').trim();
    media.push(...lineMedia);
    for (const url of lineMedia) segments.push({ type: 'media', url });
    if (cleaned !== '') {
      kept.push(cleaned);
      pushText(cleaned);
    }
  }
  if (!found) return undefined;
  const text =
    protocol === 3
      ? kept.join('\n').replace(/[ \t]+\n/g, '\n').replace(/[ \t]{2,}/g, ' ').replace(/\n{2,}/g, '\n').trim()
      : kept.join('\n').replace(/^(?:[ \t]*\n)+/, '').trimEnd();
  return { text, mediaUrls: media, segments: segments.length > 0 ? segments : [{ type: 'text', text }] };
}
