import { gatewayName } from '../gateway/attachments.js';
import type { GatewayClient } from '../gateway/client.js';
import { FileTooLargeError } from '../gateway/errors.js';
import type { ProducedFile, RunActivity } from '../gateway/types.js';
import type { Logger } from '../log.js';
import type { ReplyAttachments } from './live-reply.js';
import type { ReplyFile } from './phase.js';

const MiB = 1024 * 1024;

/** "812 bytes", "12.3 KB", "34.2 MB": Discord counts in binary units and calls them KB and MB. */
export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < MiB) return `${(bytes / 1024).toFixed(1)} KB`;
  const mb = bytes / MiB;
  return Number.isInteger(mb) ? `${mb} MB` : `${mb.toFixed(1)} MB`;
}

/** A file name as a line shows it, inside backticks: one line, no backticks, at most 60 characters. */
export function shownName(name: string): string {
  const folded = name.replace(/[\s\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').replace(/`/g, "'").trim() || 'file';
  const chars = [...folded];
  return chars.length <= 60 ? folded : `${chars.slice(0, 59).join('')}…`;
}

/** A name Discord takes for an upload: no path, no control characters. */
function uploadName(name: string): string {
  const base = name.replace(/\\/g, '/').split('/').pop() ?? '';
  return base.replace(/[\u0000-\u001f\u007f`]/g, '_').trim() || 'file';
}

/** The files a run named (its `media` activities), in order, each once. */
export class RunMedia {
  private readonly seen = new Set<string>();
  readonly urls: string[] = [];

  /** Takes a run activity; true when it was a media one. */
  add(activity: RunActivity): boolean {
    if (activity.type !== 'media') return false;
    for (const url of activity.urls) {
      if (this.seen.has(url)) continue;
      this.seen.add(url);
      this.urls.push(url);
    }
    return true;
  }
}

export interface ProducedOptions {
  sessionKey: string;
  runId: string;
  mediaUrls: string[];
  /** Each file is fetched up to this many bytes (the reply's upload limit). */
  maxBytes: number;
  /** All files together may take this long; what is not there by then becomes a line. */
  timeoutMs: number;
  log: Logger;
}

/** The part of the time given to the files that may go to waiting for the gateway to list the named ones. */
const LISTING_SHARE = 0.5;

/** At most this many files are fetched (a Discord message takes 10); the others are named. */
const MAX_FETCHED = 10;



/**
 * The files an agent produced in a run, fetched for the final reply: each within the upload limit, all within a
 * bounded time. Every file that cannot be attached gets a line that names it and says why; nothing is left out
 * silently, and nothing here throws.
 */
export async function fetchProducedFiles(gateway: GatewayClient, options: ProducedOptions): Promise<Required<Pick<ReplyAttachments, 'files' | 'fileNotes'>>> {
  const files: ReplyFile[] = [];
  const fileNotes: string[] = [];
  let deadline: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    deadline = setTimeout(() => resolve('timeout'), options.timeoutMs);
    deadline.unref();
  });
  try {
    const listed = await Promise.race([
      gateway.producedFiles({
        sessionKey: options.sessionKey,
        runId: options.runId,
        mediaUrls: options.mediaUrls,
        // 2026.9 lists a reply's files about half a second after the final; the rest of the time is for fetching them.
        waitMs: options.timeoutMs * LISTING_SHARE,
      }),
      timedOut,
    ]).catch((error: unknown) => {
      options.log.warn({ err: error }, 'could not list the files the agent produced');
      return 'failed' as const;
    });
    if (listed === 'timeout' || listed === 'failed') {
      const why = listed === 'timeout' ? 'the gateway took too long to list it' : 'the gateway could not list it';
      for (const url of options.mediaUrls) fileNotes.push(`📎 The agent made \`${shownName(mediaName(url))}\`; ${why}.`);
      return { files, fileNotes };
    }
    const outcomes = await Promise.all(listed.map((file, index) => fetchOne(gateway, file, index, options, timedOut)));
    for (const outcome of outcomes) {
      if ('file' in outcome) files.push(outcome.file);
      else fileNotes.push(outcome.note);
    }
    return { files, fileNotes };
  } finally {
    clearTimeout(deadline);
  }
}

async function fetchOne(
  gateway: GatewayClient,
  file: ProducedFile,
  index: number,
  options: ProducedOptions,
  timedOut: Promise<'timeout'>,
): Promise<{ file: ReplyFile } | { note: string }> {
  const name = shownName(file.name);
  const limit = fileSize(options.maxBytes);
  if (file.late) return { note: `📎 The agent made \`${name}\`; it did not arrive from the gateway in time.` };
  if (!file.fetch) return { note: `📎 The agent made \`${name}\`; ${gateway.info ? gatewayName(gateway.info) : 'this gateway'} cannot hand files over.` };
  if (file.sizeBytes !== undefined && file.sizeBytes > options.maxBytes) {
    return { note: `📎 \`${name}\` (${fileSize(file.sizeBytes)}) is over Discord's ${limit} limit.` };
  }
  if (index >= MAX_FETCHED) return { note: `📎 \`${name}\` is left out: a Discord message takes ${MAX_FETCHED} files.` };
  try {
    const data = await Promise.race([file.fetch(options.maxBytes), timedOut]);
    if (data === 'timeout') return { note: `📎 \`${name}\` took too long to fetch from the gateway.` };
    return { file: { name: uploadName(file.name), data, ...(file.mimeType ? { contentType: file.mimeType } : {}) } };
  } catch (error) {
    if (error instanceof FileTooLargeError) {
      const size = error.sizeBytes === undefined ? '' : ` (${fileSize(error.sizeBytes)})`;
      return { note: `📎 \`${name}\`${size} is over Discord's ${limit} limit.` };
    }
    options.log.warn({ err: error, file: name }, 'could not fetch a file the agent produced');
    return { note: `📎 \`${name}\` could not be fetched from the gateway.` };
  }
}

/** The file name a `MEDIA:` path or url shows (`./out/chart.png` → `chart.png`). */
export function mediaName(url: string): string {
  const path = url.replace(/[?#].*$/, '').replace(/\\/g, '/').replace(/\/+$/, '');
  return path.split('/').pop() || url;
}
