import { EventEmitter } from 'node:events';
import WebSocket, { type RawData } from 'ws';
import type { Logger } from '../log.js';
import { DisconnectedError, GatewayError } from './errors.js';

/** The upgrade was answered with an HTTP status instead of a WebSocket (e.g. the card's 401). */
export class UpgradeRefusedError extends GatewayError {
  constructor(readonly status: number) {
    super(`the gateway refused the WebSocket upgrade with HTTP ${status}`, `HTTP_${status}`);
  }
}

export interface FrameSocketOptions {
  logger: Logger;
  openTimeoutMs: number;
  /** Frames larger than this are logged and dropped. */
  maxFrameBytes: number;
}

interface FrameSocketEvents {
  frame: [frame: Record<string, unknown>];
  /** A frame that was dropped for its size; `id` if one could be read from its start. */
  oversized: [bytes: number, id: string | undefined];
  close: [code: number, reason: string];
}

const ID_AT_START = /^\s*\{[^{}]*?"id"\s*:\s*"([^"]{1,200})"/;

/**
 * One WebSocket carrying JSON frames. It knows nothing of either dialect: it parses what arrives (text or
 * binary), drops what is malformed or too large, and reports the close.
 */
export class FrameSocket extends EventEmitter<FrameSocketEvents> {
  private isClosed = false;
  /** How the socket closed, once it did. */
  closeInfo: { code: number; reason: string } | undefined;
  /** Frames that arrived while nobody listened (the server may speak before the handshake code awaits). */
  private readonly backlog: Array<Record<string, unknown>> = [];

  private constructor(
    private readonly ws: WebSocket,
    private readonly options: FrameSocketOptions,
  ) {
    super();
    ws.on('message', (data, isBinary) => this.receive(data, isBinary));
    ws.on('close', (code, reason) => this.finish(code, reason.toString()));
    ws.on('error', (error) => options.logger.debug({ err: error }, 'gateway socket error'));
  }

  static open(url: string, options: FrameSocketOptions): Promise<FrameSocket> {
    return new Promise((resolve, reject) => {
      // Node's ws sends no Origin header, which OpenClaw needs for its local-client rules.
      const ws = new WebSocket(url, {
        handshakeTimeout: options.openTimeoutMs,
        maxPayload: Math.max(options.maxFrameBytes * 2, 1 << 20),
        perMessageDeflate: false,
      });
      let settled = false;
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        ws.removeAllListeners();
        ws.on('error', () => {});
        ws.terminate();
        reject(error);
      };
      ws.once('unexpected-response', (_request, response) => {
        response.resume();
        fail(new UpgradeRefusedError(response.statusCode ?? 0));
      });
      ws.once('error', (error) => fail(new DisconnectedError(`cannot reach the gateway: ${error.message}`)));
      ws.once('close', (code) => fail(new DisconnectedError(`the gateway closed the connection (${code})`)));
      ws.once('open', () => {
        if (settled) return;
        settled = true;
        ws.removeAllListeners();
        resolve(new FrameSocket(ws, options));
      });
    });
  }

  get isOpen(): boolean {
    return !this.isClosed && this.ws.readyState === WebSocket.OPEN;
  }

  send(data: string | Buffer): void {
    if (!this.isOpen) throw new DisconnectedError();
    this.ws.send(data);
  }

  ping(): void {
    if (this.isOpen) this.ws.ping();
  }

  onPong(listener: () => void): void {
    this.ws.on('pong', listener);
  }

  close(code = 1000, reason = ''): void {
    if (this.isClosed) return;
    this.ws.close(code, reason);
    // A dead peer never answers the close handshake.
    setTimeout(() => this.terminate(), 2_000).unref();
  }

  terminate(): void {
    this.ws.terminate();
    this.finish(1006, 'terminated');
  }

  /** Resolves when the socket has closed (at once if it already has). */
  closed(): Promise<{ code: number; reason: string }> {
    if (this.closeInfo) return Promise.resolve(this.closeInfo);
    return new Promise((resolve) => this.once('close', (code, reason) => resolve({ code, reason })));
  }

  /** The oldest frame nobody has read yet. */
  shift(): Record<string, unknown> | undefined {
    return this.backlog.shift();
  }

  /** Hands every frame, buffered ones first, to `listener`. */
  onFrames(listener: (frame: Record<string, unknown>) => void): void {
    this.on('frame', listener);
    for (let frame = this.backlog.shift(); frame; frame = this.backlog.shift()) listener(frame);
  }

  private finish(code: number, reason: string): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.closeInfo = { code, reason };
    this.emit('close', code, reason);
  }

  private receive(data: RawData, isBinary: boolean): void {
    const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    const log = this.options.logger;
    if (buffer.length > this.options.maxFrameBytes) {
      const id = ID_AT_START.exec(buffer.subarray(0, 512).toString('utf8'))?.[1];
      log.warn({ bytes: buffer.length, limit: this.options.maxFrameBytes, id }, 'dropped an oversized gateway frame');
      this.emit('oversized', buffer.length, id);
      return;
    }
    let frame: unknown;
    try {
      frame = JSON.parse(buffer.toString('utf8'));
    } catch {
      log.warn({ binary: isBinary, bytes: buffer.length, preview: buffer.subarray(0, 80).toString('utf8') }, 'dropped a gateway frame that is not JSON');
      return;
    }
    if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) {
      log.warn({ preview: buffer.subarray(0, 80).toString('utf8') }, 'dropped a gateway frame that is not a JSON object');
      return;
    }
    if (this.listenerCount('frame') === 0) this.backlog.push(frame as Record<string, unknown>);
    else this.emit('frame', frame as Record<string, unknown>);
  }
}
