import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { downloadCapped, incomingFile } from '../../src/discord/downloads.js';
import { FileTooLargeError } from '../../src/relay/scope.js';

interface Seen {
  headers: IncomingHttpHeaders;
  /** Bytes the server wrote before the client went away. */
  written: number;
  closedEarly: boolean;
}

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/** A CDN on loopback: `/fixed` with Content-Length, `/chunked` without (streamed in 64 KiB pieces), `/gone` 404. */
async function cdn(bytes: number): Promise<{ base: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  server = createServer((req, res) => {
    const entry: Seen = { headers: req.headers, written: 0, closedEarly: false };
    seen.push(entry);
    res.on('close', () => (entry.closedEarly = !res.writableFinished));
    if (req.url?.startsWith('/gone')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('This content is no longer available.');
      return;
    }
    const chunked = req.url?.startsWith('/chunked');
    res.writeHead(200, { 'content-type': 'application/octet-stream', ...(chunked ? {} : { 'content-length': String(bytes) }) });
    const piece = Buffer.alloc(64 * 1024, 7);
    const pump = () => {
      while (entry.written < bytes) {
        const n = Math.min(piece.length, bytes - entry.written);
        entry.written += n;
        if (!res.write(piece.subarray(0, n))) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { base: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, seen };
}

describe('downloads from Discord CDN', () => {
  it('downloads a file within the cap, sending no Authorization header', async () => {
    const { base, seen } = await cdn(100_000);
    const data = await downloadCapped(`${base}/fixed?ex=1&is=2&hm=3`, 100_000);
    expect(data.length).toBe(100_000);
    expect(seen[0]!.headers.authorization).toBeUndefined();
  });

  it('refuses a Content-Length over the cap before reading the body', async () => {
    const { base } = await cdn(5_000_000);
    const error = await downloadCapped(`${base}/fixed`, 1_000_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileTooLargeError);
    expect((error as FileTooLargeError).sizeBytes).toBe(5_000_000);
  });

  it('counts a stream without a length and stops it once past the cap', async () => {
    const { base, seen } = await cdn(20_000_000);
    const error = await downloadCapped(`${base}/chunked`, 1_000_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileTooLargeError);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(seen[0]!.closedEarly).toBe(true);
    expect(seen[0]!.written).toBeLessThan(20_000_000);
  });

  it('says what went wrong without the signed link', async () => {
    const { base } = await cdn(10);
    const error = (await downloadCapped(`${base}/gone?ex=1&is=2&hm=secret`, 1_000).catch((e: unknown) => e)) as Error;
    expect(error.message).toBe("Discord's CDN answered 404: the link expired or the file is gone");
    const unreachable = (await downloadCapped('http://127.0.0.1:1/x?hm=secret', 1_000).catch((e: unknown) => e)) as Error;
    expect(unreachable.message).toMatch(/^Discord's CDN could not be reached: /);
    expect(unreachable.message).not.toContain('secret');
  });

  it('an IncomingFile carries what Discord said, and fetches with the cap it is given', async () => {
    const { base } = await cdn(2_000);
    const file = incomingFile({ name: 'a.bin', contentType: null, size: 2_000, url: `${base}/fixed` });
    expect([file.name, file.contentType, file.size]).toEqual(['a.bin', undefined, 2_000]);
    expect((await file.fetch(2_000)).length).toBe(2_000);
    await expect(file.fetch(1_999)).rejects.toBeInstanceOf(FileTooLargeError);
  });
});
