import { FileTooLargeError, GatewayError } from './errors.js';

/** The gateway's HTTP origin: its WebSocket url with ws→http, wss→https, same host and port. */
export function httpOrigin(wsUrl: string): string {
  const url = new URL(wsUrl);
  const protocol = url.protocol === 'wss:' || url.protocol === 'https:' ? 'https:' : 'http:';
  return `${protocol}//${url.host}`;
}

/**
 * GETs `pathAndQuery` (a path, or an absolute url on the same origin) from the gateway's HTTP origin, refusing more
 * than `maxBytes`: by Content-Length before reading, then by counting, aborting once past it. A url may carry a media
 * ticket: no error names it (`what` names the file instead), and no redirect is followed off the gateway.
 */
export async function downloadFromGateway(
  origin: string,
  pathAndQuery: string,
  options: { maxBytes: number; what: string; timeoutMs: number },
): Promise<Buffer> {
  const { maxBytes, what } = options;
  let target: URL;
  try {
    target = new URL(pathAndQuery, origin);
  } catch {
    throw new GatewayError(`${what}: the gateway gave a download address that is not a url`, 'BAD_RESPONSE');
  }
  if (target.origin !== origin) throw new GatewayError(`${what}: the gateway gave a download address on another host; it was not fetched`, 'BAD_RESPONSE');

  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs);
  try {
    let response: Response;
    try {
      response = await fetch(target, { signal: controller.signal, redirect: 'error' });
    } catch (error) {
      throw new GatewayError(`${what}: the download from the gateway failed (${failureOf(error, controller)})`, 'DOWNLOAD_FAILED');
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      throw new GatewayError(`${what}: the gateway answered the download with HTTP ${response.status}`, 'DOWNLOAD_FAILED');
    }
    const declared = Number(response.headers.get('content-length') ?? Number.NaN);
    if (Number.isFinite(declared) && declared > maxBytes) {
      await response.body?.cancel().catch(() => {});
      throw tooLarge(what, declared, maxBytes);
    }
    return await readCapped(response, controller, { maxBytes, what });
  } finally {
    clearTimeout(timer);
  }
}

async function readCapped(response: Response, controller: AbortController, options: { maxBytes: number; what: string }): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  if (!response.body) return Buffer.alloc(0);
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > options.maxBytes) {
        controller.abort();
        throw tooLarge(options.what, undefined, options.maxBytes);
      }
      chunks.push(Buffer.from(value));
    }
  } catch (error) {
    if (error instanceof FileTooLargeError) throw error;
    throw new GatewayError(`${options.what}: the download from the gateway broke off (${failureOf(error, controller)})`, 'DOWNLOAD_FAILED');
  } finally {
    reader.releaseLock();
  }
  return Buffer.concat(chunks, total);
}

function tooLarge(what: string, sizeBytes: number | undefined, maxBytes: number): FileTooLargeError {
  const size = sizeBytes === undefined ? 'more than' : `${sizeBytes} bytes, over`;
  return new FileTooLargeError(`${what} is ${size} the ${maxBytes} bytes allowed`, sizeBytes, maxBytes);
}

/** Why a fetch failed, in words that never hold the url (undici's messages and causes can). */
function failureOf(error: unknown, controller: AbortController): string {
  if (controller.signal.aborted) return 'timed out';
  const code = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  return typeof code === 'string' ? code : 'network error';
}
