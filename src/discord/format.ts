import type { ChangedBy } from '../store/store.js';
import { MAX_MESSAGE_LENGTH } from './render/reply.js';

/** A Discord timestamp that every reader sees in their own time zone. */
export function when(ms: number, style: 'R' | 'f' = 'R'): string {
  return `<t:${Math.floor(ms / 1000)}:${style}>`;
}

export function duration(ms: number | undefined): string {
  if (ms === undefined) return 'unknown';
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m`;
  return `${s}s`;
}

export function setBy(change: ChangedBy | null): string {
  return change ? ` (set by ${change.userName} ${when(change.at)})` : '';
}

/** One line of at most `max` characters: whitespace folded, the rest cut with an ellipsis. */
export function oneLine(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/** Joins lines until the message is full; says how many did not fit. */
export function fitLines(header: string, lines: readonly string[], max = MAX_MESSAGE_LENGTH): string {
  let out = header;
  for (let i = 0; i < lines.length; i++) {
    const rest = lines.length - i;
    const more = `\n…and ${rest} more`;
    if (out.length + 1 + lines[i]!.length + (rest > 1 ? more.length : 0) > max) return out + more;
    out += `\n${lines[i]}`;
  }
  return out;
}

/** Discord limits autocomplete choices to 25, with names and values of at most 100 characters. */
export function choices(entries: ReadonlyArray<{ name: string; value: string }>): Array<{ name: string; value: string }> {
  return entries.filter((e) => e.value.length <= 100).slice(0, 25).map((e) => ({ name: oneLine(e.name, 100), value: e.value }));
}
