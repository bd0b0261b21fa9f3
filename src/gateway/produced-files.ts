import path from 'node:path';
import type { ProducedFile } from './types.js';

/**
 * The files an agent named with `MEDIA:` lines, by name only: 2026.2 gives clients no way to fetch them (the path is
 * on the gateway host, relative to the agent's workspace) and the card has no files. An http(s) url is not fetched
 * either: clawcord talks to its gateway and Discord, nothing else.
 */
export function namedOnly(mediaUrls: readonly string[]): ProducedFile[] {
  const seen = new Set<string>();
  const files: ProducedFile[] = [];
  for (const url of mediaUrls) {
    if (seen.has(url)) continue;
    seen.add(url);
    files.push({ name: fileNameOf(url), mimeType: undefined, sizeBytes: undefined, fetch: undefined });
  }
  return files;
}

/** The last path segment of a path or url (`./out/chart.png` → `chart.png`), without a query or fragment. */
export function fileNameOf(url: string): string {
  let pathname = url;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    try {
      pathname = decodeURIComponent(new URL(url).pathname);
    } catch {
      pathname = url.replace(/[?#].*$/, '');
    }
  }
  const name = path.posix.basename(pathname.replace(/\\/g, '/').replace(/\/+$/, ''));
  return name || url;
}
