// Downloads from the gateway's HTTP origin (produced files on 2026.9): the size cap by Content-Length and by counting,
// and a url that would leave the gateway. A loopback server stands in for the gateway's media route.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { FileTooLargeError } from '../../src/gateway/errors.js';
import { downloadFromGateway, httpOrigin } from '../../src/gateway/http-download.js';
import { onCleanup } from './helpers.js';

async function server(handle: (path: string, res: ServerResponse) => void) {
  const seen: string[] = [];
  const http = createServer((req, res) => {
    seen.push(req.url ?? '');
    handle(req.url ?? '', res);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  onCleanup(() => {
    http.closeAllConnections();
    return new Promise((resolve) => http.close(resolve));
  });
  return { origin: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, seen };
}

const options = { what: 'out.png', timeoutMs: 2_000 };

describe('downloading from the gateway', () => {
  it('maps the WebSocket url to the HTTP origin: ws→http, wss→https, same host and port', () => {
    expect(httpOrigin('ws://127.0.0.1:18789')).toBe('http://127.0.0.1:18789');
    expect(httpOrigin('wss://gw.example:8443/socket?x=1')).toBe('https://gw.example:8443');
    expect(httpOrigin('ws://localhost/')).toBe('http://localhost');
  });

  it('returns the bytes within the cap', async () => {
    const { origin, seen } = await server((_path, res) => res.end('hello'));
    expect(await downloadFromGateway(origin, '/api/chat/media/outgoing/k/1/full?mediaTicket=v1.secret', { ...options, maxBytes: 5 })).toEqual(Buffer.from('hello'));
    expect(seen).toEqual(['/api/chat/media/outgoing/k/1/full?mediaTicket=v1.secret']);
  });

  it('refuses by Content-Length before reading the body', async () => {
    const { origin } = await server((_path, res) => {
      res.setHeader('content-length', '1000');
      res.end(Buffer.alloc(1000));
    });
    const error = await downloadFromGateway(origin, '/f?mediaTicket=v1.secret', { ...options, maxBytes: 999 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileTooLargeError);
    expect((error as Error).message).toBe('out.png is 1000 bytes, over the 999 bytes allowed');
  });

  it('counts a body without Content-Length and aborts once past the cap', async () => {
    let written = 0;
    const { origin } = await server((_path, res) => {
      res.writeHead(200, { 'transfer-encoding': 'chunked' });
      // An endless body: only the client's abort ends it.
      const timer = setInterval(() => {
        if (res.destroyed) return clearInterval(timer);
        written += 4096;
        res.write(Buffer.alloc(4096));
      }, 1);
      res.on('close', () => clearInterval(timer));
    });
    const error = await downloadFromGateway(origin, '/f?mediaTicket=v1.secret', { ...options, maxBytes: 10_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileTooLargeError);
    expect((error as Error).message).toBe('out.png is more than the 10000 bytes allowed');
    expect(written).toBeLessThan(1_000_000);
  });

  it('fetches nothing from another host, and names neither url nor ticket in its errors', async () => {
    const { origin, seen } = await server((_path, res) => {
      res.writeHead(302, { location: 'http://127.0.0.2:1/elsewhere' });
      res.end();
    });
    const offHost = await downloadFromGateway(origin, 'http://127.0.0.2:1/f?mediaTicket=v1.secret', { ...options, maxBytes: 10 }).catch((e: unknown) => e);
    expect((offHost as Error).message).toBe('out.png: the gateway gave a download address on another host; it was not fetched');
    const redirected = await downloadFromGateway(origin, '/f?mediaTicket=v1.secret', { ...options, maxBytes: 10 }).catch((e: unknown) => e);
    expect((redirected as Error).message).toMatch(/^out\.png: the download from the gateway failed \(/);
    for (const error of [offHost, redirected]) expect(`${(error as Error).message} ${(error as Error).stack}`).not.toMatch(/secret|127\.0\.0\.2|elsewhere/);
    expect(seen).toEqual(['/f?mediaTicket=v1.secret']);
  });
});
