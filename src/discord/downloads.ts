import { FileTooLargeError, type IncomingFile } from '../relay/scope.js';

/** A download from Discord's CDN that takes longer than this is given up. */
const DOWNLOAD_TIMEOUT_MS = 60_000;

/** What discord.js tells of an attachment (a message's, or an ATTACHMENT option's). */
export interface DiscordAttachment {
  name: string;
  contentType: string | null;
  size: number;
  url: string;
}

/**
 * Downloads `url` but never more than `maxBytes`: a Content-Length over it refuses before any byte is read, and the
 * stream is counted and cut off once past it (a missing or wrong length). The CDN serves signed links: no
 * Authorization header goes there (the bot token is for discord.com only). Errors say what went wrong, never the link.
 */
export async function downloadCapped(url: string, maxBytes: number, timeoutMs = DOWNLOAD_TIMEOUT_MS): Promise<Buffer> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    let response: Response;
    try {
      response = await fetch(url, { signal: controller.signal, redirect: 'follow' });
    } catch (error) {
      throw new Error(controller.signal.aborted ? `Discord's CDN did not answer within ${timeoutMs / 1000} s` : `Discord's CDN could not be reached: ${errorText(error)}`);
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      const expired = response.status === 404 || response.status === 403;
      throw new Error(`Discord's CDN answered ${response.status}${expired ? ': the link expired or the file is gone' : ''}`);
    }
    const length = Number(response.headers.get('content-length') ?? NaN);
    if (Number.isFinite(length) && length > maxBytes) {
      await response.body?.cancel().catch(() => {});
      throw new FileTooLargeError(maxBytes, length);
    }
    if (!response.body) return Buffer.alloc(0);
    const reader = response.body.getReader();
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.byteLength;
        if (total > maxBytes) {
          controller.abort();
          throw new FileTooLargeError(maxBytes, Number.isFinite(length) && length > total ? length : undefined);
        }
        chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
      }
    } catch (error) {
      if (error instanceof FileTooLargeError) throw error;
      throw new Error(controller.signal.aborted ? `the download from Discord's CDN took longer than ${timeoutMs / 1000} s` : `the download from Discord's CDN broke off: ${errorText(error)}`);
    } finally {
      reader.releaseLock();
    }
    return Buffer.concat(chunks, total);
  } finally {
    clearTimeout(timer);
  }
}

function errorText(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const text = cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : String(cause);
  // fetch's own messages can name the URL, whose signature is not for logs or people.
  return text.replace(/https?:\/\/\S+/g, '<link>');
}

/** A person's file as the relay takes it: Discord's word for what it is, and a capped download. */
export function incomingFile(attachment: DiscordAttachment): IncomingFile {
  return {
    name: attachment.name,
    contentType: attachment.contentType ?? undefined,
    size: attachment.size,
    fetch: (maxBytes) => downloadCapped(attachment.url, maxBytes),
  };
}
