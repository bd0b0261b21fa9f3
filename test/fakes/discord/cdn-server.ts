// The CDN and the media proxy: two loopback servers of their own (as cdn.discordapp.com and media.discordapp.net
// are not discord.com) serving attachment bytes at their signed urls, with Content-Type and Content-Length. Every
// request is recorded, with whether it carried an Authorization header.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { AttachmentCdn } from './attachments.js';
import type { CdnRequest } from './types.js';

/** What the CDN answers for a file it does not serve (an unknown, deleted or unsigned one); the fake's wording. */
const GONE = 'This content is no longer available.';

export class CdnServers {
  readonly log: CdnRequest[] = [];
  private readonly servers: http.Server[] = [];
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly cdn: AttachmentCdn,
    private readonly onRequest: () => void,
  ) {}

  private handler(host: CdnRequest['host']): http.RequestListener {
    return (req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const method = (req.method ?? 'GET').toUpperCase();
      const { id, blob } = method === 'GET' || method === 'HEAD' ? this.cdn.lookup(url.pathname, url.searchParams) : { id: null, blob: null };
      req.resume();
      const status = blob?.data ? 200 : method === 'GET' || method === 'HEAD' ? 404 : 405;
      if (blob?.data) {
        res.writeHead(200, { 'content-type': blob.contentType, 'content-length': String(blob.data.length), 'cache-control': 'public, max-age=31536000' });
        res.end(method === 'HEAD' ? undefined : blob.data);
      } else {
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(Buffer.byteLength(GONE)) });
        res.end(method === 'HEAD' ? undefined : GONE);
      }
      this.log.push({ method, host, path: url.pathname, attachmentId: id, status, authorization: req.headers.authorization !== undefined, at: Date.now() });
      this.onRequest();
    };
  }

  /** Starts both servers; returns the CDN's and the media proxy's base urls. */
  async listen(): Promise<{ cdnBase: string; mediaBase: string }> {
    const bases: string[] = [];
    for (const host of ['cdn', 'media'] as const) {
      const server = http.createServer(this.handler(host));
      server.keepAliveTimeout = 5000;
      server.on('connection', (socket) => {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
      this.servers.push(server);
      bases.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    }
    return { cdnBase: bases[0]!, mediaBase: bases[1]! };
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(
      this.servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      ),
    );
  }
}
