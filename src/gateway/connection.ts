import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.js';
import type { Dialect, Frame } from './dialect.js';
import { FrameTooLargeError, GatewayError, PayloadTooLargeError, RequestTimeoutError } from './errors.js';
import { exactBytes } from './sizes.js';
import type { FrameSocket } from './socket.js';
import type { GatewayInfo } from './types.js';

interface Pending {
  method: string;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export interface ConnectionHandlers {
  /** A push from the gateway, in order, repeats dropped. */
  event(event: string, payload: unknown): void;
  /** The per-connection sequence jumped: events were lost on the way. */
  gap(expected: number, received: number): void;
}

export interface KeepaliveOptions {
  /** Card: a WebSocket ping this often; no answer by the next one means the socket is dead. */
  pingIntervalMs: number;
  /** OpenClaw: silence longer than this many tick intervals means the socket is dead. */
  tickTolerance: number;
}

export function asGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  return new GatewayError(error instanceof Error ? error.message : String(error));
}

/**
 * One handshaken socket: its requests and their answers, the order of its events, and the keepalive that
 * notices when it died. It outlives nothing: a reconnect makes a new one.
 */
export class Connection {
  private readonly pending = new Map<string, Pending>();
  private lastSeq: number | undefined;
  private lastFrameAt = Date.now();
  private keepalive: NodeJS.Timeout | undefined;

  constructor(
    readonly socket: FrameSocket,
    readonly dialect: Dialect,
    readonly info: GatewayInfo,
    private readonly logger: Logger,
  ) {}

  /** Starts reading frames (buffered ones first) and watching the socket's health. */
  start(handlers: ConnectionHandlers, keepalive: KeepaliveOptions, maxFrameBytes: number): void {
    this.socket.onFrames((frame) => this.receive(frame, handlers));
    this.socket.on('oversized', (bytes, id) => {
      const pending = id ? this.pending.get(id) : undefined;
      if (!pending || !id) return;
      clearTimeout(pending.timer);
      this.pending.delete(id);
      pending.reject(new FrameTooLargeError(bytes, maxFrameBytes));
    });
    this.startKeepalive(keepalive);
  }

  // ---- requests ----

  request(method: string, params: Frame, timeoutMs: number): Promise<unknown> {
    const id = randomUUID();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RequestTimeoutError(method, timeoutMs));
      }, timeoutMs);
      this.pending.set(id, { method, resolve, reject, timer });
      try {
        const frame = this.dialect.encode(this.dialect.requestFrame(id, method, params));
        // A frame past the gateway's max payload makes it close the socket (1009), taking every run with it.
        const bytes = Buffer.byteLength(frame);
        const limit = this.info.features.attachments.maxPayloadBytes;
        if (limit !== undefined && bytes > limit) {
          throw new PayloadTooLargeError(`${method}: the request is ${exactBytes(bytes)}, over the gateway's limit of ${exactBytes(limit)} for one frame; it was not sent`, bytes, limit);
        }
        this.socket.send(frame);
      } catch (error) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(asGatewayError(error));
      }
    });
  }

  /** Ends the connection's life: stops the keepalive and fails every request still waiting. */
  closed(error: GatewayError): void {
    clearInterval(this.keepalive);
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.pending.clear();
  }

  // ---- inbound frames ----

  private receive(frame: Frame, handlers: ConnectionHandlers): void {
    this.lastFrameAt = Date.now();
    const inbound = this.dialect.classify(frame);
    if (!inbound) {
      this.logger.warn({ keys: Object.keys(frame).slice(0, 8) }, 'dropped a gateway frame of unknown shape');
      return;
    }
    if (inbound.kind === 'response') {
      const pending = this.pending.get(inbound.id);
      if (!pending) {
        this.logger.debug({ id: inbound.id }, 'answer to an unknown or timed-out request');
        return;
      }
      clearTimeout(pending.timer);
      this.pending.delete(inbound.id);
      if (inbound.ok) pending.resolve(inbound.result);
      else pending.reject(inbound.error);
      return;
    }

    if (inbound.seq !== undefined) {
      const last = this.lastSeq;
      if (last !== undefined && inbound.seq <= last) {
        this.logger.debug({ seq: inbound.seq, last }, 'dropped a repeated gateway event');
        return;
      }
      if (last !== undefined && inbound.seq > last + 1) {
        this.logger.warn({ expected: last + 1, received: inbound.seq }, 'gateway events were missed');
        handlers.gap(last + 1, inbound.seq);
      }
      this.lastSeq = inbound.seq;
    }
    handlers.event(inbound.event, inbound.payload);
  }

  // ---- keepalive ----

  private startKeepalive(options: KeepaliveOptions): void {
    const { socket, dialect, info } = this;
    if (dialect.liveness === 'tick') {
      const tickMs = info.tickIntervalMs ?? 30_000;
      const limit = tickMs * options.tickTolerance + 1_000;
      this.keepalive = setInterval(() => {
        if (Date.now() - this.lastFrameAt > limit) {
          this.logger.warn({ silentMs: Date.now() - this.lastFrameAt }, 'gateway went silent (no tick); reconnecting');
          socket.terminate();
        }
      }, Math.max(50, Math.min(tickMs, 5_000)));
    } else {
      let answered = true;
      socket.onPong(() => (answered = true));
      this.keepalive = setInterval(() => {
        if (!answered && Date.now() - this.lastFrameAt > options.pingIntervalMs) {
          this.logger.warn('gateway stopped answering pings; reconnecting');
          socket.terminate();
          return;
        }
        answered = false;
        socket.ping();
      }, options.pingIntervalMs);
    }
    this.keepalive.unref();
  }
}
