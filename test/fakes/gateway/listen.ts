// HTTP server plumbing shared by both fakes: loopback listen and a close that does not wait for idle sockets.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RawData } from 'ws';

/** `routes` answers the requests it knows (true); everything else is a 404. */
export function createHttpServer(routes?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean): http.Server {
  return http.createServer((req, res) => {
    if (routes?.(req, res)) return;
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  });
}

/** Listens on 127.0.0.1 (port 0 = a free port) and resolves with the bound port. */
export function listenLoopback(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Stops accepting; resolves once the listener is closed (existing sockets must be ended by the caller). */
export function stopListening(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export function rawDataToString(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  return (Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)).toString('utf8');
}
