// The HTTP side: body parsing (JSON and multipart with payload_json), route matching on decoded paths, auth,
// injected faults, rate limits, Discord-shaped errors, and recording of every request.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ApiError, Errors } from './errors.js';
import type { Overrides } from './faults.js';
import { createHash } from 'node:crypto';
import { MAX_REQUEST_BYTES, type UploadedFile } from './attachments.js';
import { injected429, type BucketSpec, type LimitKind, type RateLimiter } from './ratelimits.js';
import type { RequestLog } from './recorder.js';
import type { SpecChecker } from './spec-check.js';
import type { Store } from './store.js';
import type { JsonObject, OverrideRequest, RequestRecord } from './types.js';

export const API_PREFIX = '/api/v10';

export interface RouteRequest {
  method: string;
  /** Route label, e.g. `PATCH /webhooks/:app/:token/messages/@original`. */
  route: string;
  path: string;
  params: Record<string, string>;
  query: Record<string, string>;
  /** The JSON body (payload_json for multipart); `{}` when there is none or it is not an object. */
  body: JsonObject;
  /** The parsed body as it came (arrays included). */
  raw: unknown;
  files: UploadedFile[];
  headers: http.IncomingHttpHeaders;
  receivedAt: number;
}

export interface RouteResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RouteDef {
  method: string;
  /** Path below /api/v10 with `:param` segments; literal segments such as `@me`/`@original` match exactly. */
  template: string;
  /** 'bot': needs `Authorization: Bot <token>` and counts against the global limit. 'none': webhook/interaction routes. */
  auth: 'bot' | 'none';
  /** Per-route bucket group (major parameter: channel id, or webhook app id + token). */
  limit?: LimitKind;
  handler: (req: RouteRequest) => RouteResult | Promise<RouteResult>;
}

interface CompiledRoute extends RouteDef {
  label: string;
  segments: string[];
}

export function json(status: number, body?: unknown): RouteResult {
  return body === undefined ? { status } : { status, body };
}

function parseQuery(url: URL): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of url.searchParams) out[k] = v;
  return out;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

interface ParsedBody {
  body: unknown;
  files: UploadedFile[];
  /** Multipart text fields other than payload_json. */
  fields: Record<string, string>;
  /** The JSON part: the body itself, or a multipart body's payload_json (undefined without one). */
  json: unknown;
}

async function parseBody(raw: Buffer, contentType: string | undefined): Promise<ParsedBody> {
  if (raw.length === 0) return { body: undefined, files: [], fields: {}, json: undefined };
  const type = (contentType ?? '').toLowerCase();
  if (type.startsWith('multipart/form-data')) {
    const form = await new Response(raw, { headers: { 'content-type': contentType ?? '' } }).formData();
    let body: unknown = undefined;
    const fields: Record<string, string> = {};
    const files: UploadedFile[] = [];
    for (const [key, value] of form.entries()) {
      if (typeof value === 'string') {
        if (key === 'payload_json') body = JSON.parse(value);
        else fields[key] = value;
      } else {
        files.push({
          field: key,
          filename: value.name,
          contentType: value.type || 'application/octet-stream',
          data: Buffer.from(await value.arrayBuffer()),
        });
      }
    }
    const json = body;
    if (body === undefined && Object.keys(fields).length > 0) body = { ...fields };
    return { body, files, fields, json };
  }
  const text = raw.toString('utf8');
  try {
    const body: unknown = JSON.parse(text);
    return { body, files: [], fields: {}, json: body };
  } catch {
    return { body: text, files: [], fields: {}, json: text };
  }
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface HttpDeps {
  token: string;
  store: Store;
  log: RequestLog;
  limiter: RateLimiter;
  overrides: Overrides;
  spec: SpecChecker;
  routes: RouteDef[];
  warnUnmatched: boolean;
  /** Largest file a message may carry (for the spec check's limits). */
  uploadLimitBytes: number;
  /** Called for upgrade requests (the gateway). */
  onUpgrade: (req: http.IncomingMessage, socket: import('node:stream').Duplex, head: Buffer) => void;
}

export class FakeHttpServer {
  readonly server: http.Server;
  private readonly routes: CompiledRoute[];
  private readonly sockets = new Set<Socket>();
  private readonly warned = new Set<string>();
  private closing = false;

  constructor(private readonly deps: HttpDeps) {
    this.routes = deps.routes.map((r) => ({
      ...r,
      label: `${r.method} ${r.template}`,
      segments: r.template.split('/').filter(Boolean),
    }));
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent && !res.destroyed) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ message: '500: Internal Server Error', code: 0 }));
        }
        console.error('fake-discord: request handler failed', err);
      });
    });
    this.server.keepAliveTimeout = 5000;
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server.on('upgrade', (req, socket, head) => deps.onUpgrade(req, socket, head));
  }

  async listen(port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const socket of this.sockets) socket.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private match(method: string, segments: string[]): { route: CompiledRoute; params: Record<string, string> } | null {
    for (const route of this.routes) {
      if (route.method !== method || route.segments.length !== segments.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < segments.length; i += 1) {
        const pattern = route.segments[i]!;
        const actual = segments[i]!;
        if (pattern.startsWith(':')) {
          if (actual.length === 0) {
            ok = false;
            break;
          }
          params[pattern.slice(1)] = actual;
        } else if (pattern !== actual) {
          ok = false;
          break;
        }
      }
      if (ok) return { route, params };
    }
    return null;
  }

  private send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
    if (this.closing || res.destroyed) return;
    if (status === 204 || body === undefined) {
      res.writeHead(status, headers);
      res.end();
      return;
    }
    const payload = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(payload);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const receivedAt = Date.now();
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const raw = await readBody(req);
    const versioned = url.pathname.startsWith(`${API_PREFIX}/`);
    const segments = versioned ? url.pathname.slice(API_PREFIX.length).split('/').filter(Boolean).map(decodeSegment) : [];
    const path = versioned ? `/${segments.join('/')}` : url.pathname;
    const query = parseQuery(url);
    let parsed: ParsedBody;
    try {
      parsed = await parseBody(raw, req.headers['content-type']);
    } catch {
      parsed = { body: raw.toString('utf8'), files: [], fields: {}, json: raw.toString('utf8') };
    }
    const specRequest = {
      method,
      path,
      query,
      contentType: req.headers['content-type'],
      body: parsed.json,
      files: parsed.files.map((f) => f.field),
      fields: parsed.fields,
      uploads: parsed.files.map((f) => ({ field: f.field, filename: f.filename, size: f.data.length })),
      uploadLimitBytes: this.deps.uploadLimitBytes,
    };
    const matched = versioned ? this.match(method, segments) : null;
    const route = matched?.route ?? null;
    const authorized = route?.auth === 'none' || req.headers.authorization === `Bot ${this.deps.token}`;

    const entry: RequestRecord = {
      seq: this.deps.log.nextSeq(),
      method,
      route: route?.label ?? null,
      path,
      query,
      body: parsed.body,
      files: parsed.files.map((f) => ({
        field: f.field,
        filename: f.filename,
        contentType: f.contentType,
        size: f.data.length,
        sha256: createHash('sha256').update(f.data).digest('hex'),
      })),
      status: 0,
      responseBody: undefined,
      time: receivedAt,
      durationMs: 0,
      rateLimit: null,
      global: false,
      rateLimited: null,
      overridden: false,
      authorized,
    };
    /** Records the request; `answered` is what was sent, unless the test chose it (an override) or none was sent. */
    const record = (answered?: { status: number; body: unknown }): void => {
      entry.durationMs = performance.now() - started;
      this.deps.log.record(entry);
      const hasBody = answered !== undefined && answered.status !== 204 && answered.body !== undefined;
      this.deps.spec.add(entry.seq, {
        request: specRequest,
        response: answered && { status: answered.status, contentType: hasBody ? 'application/json' : undefined, body: hasBody ? answered.body : undefined },
      });
    };
    const finish = (status: number, body: unknown, headers: Record<string, string>, chosenByTest = false): void => {
      this.send(res, status, body, headers);
      entry.status = status;
      entry.responseBody = body;
      record(chosenByTest ? undefined : { status, body });
    };

    const bucketSpec: BucketSpec | null =
      route?.limit && matched
        ? this.deps.limiter.bucketFor(
            route.limit,
            route.limit === 'channel' ? (matched.params['channel'] ?? '') : `${matched.params['app'] ?? ''}/${matched.params['token'] ?? ''}`,
          )
        : null;

    // 1. Injected faults.
    const overrideReq: OverrideRequest = { method, route: route?.label ?? null, path, query, body: parsed.body, headers: req.headers };
    const override = this.deps.overrides.take(overrideReq);
    if (override) {
      entry.overridden = true;
      if (override.delayMs) await sleep(override.delayMs);
      if (this.closing) return;
      if (override.hang) {
        record();
        return;
      }
      if (override.drop === 'reset' || override.drop === 'close') {
        record();
        const socket = req.socket;
        if (override.drop === 'reset') socket.resetAndDestroy();
        else socket.end();
        return;
      }
      if (override.status !== undefined) {
        let headers: Record<string, string> = {};
        let body = override.body;
        if (bucketSpec && override.status !== 429) {
          const peek = this.deps.limiter.peek(bucketSpec, Date.now());
          headers = peek.headers;
          entry.rateLimit = peek.info;
        }
        if (override.status === 429 && !override.headers) {
          const answer = injected429(override.retryAfter ?? 1, override.global ?? false, bucketSpec);
          headers = answer.headers;
          body ??= answer.body;
          if (bucketSpec) entry.rateLimit = { ...this.deps.limiter.peek(bucketSpec, Date.now()).info, remaining: 0 };
        }
        if (body === undefined && override.status >= 400) {
          body = override.status >= 500 ? { message: `${override.status}: Injected Error`, code: 0 } : { message: 'Injected error', code: 0 };
        }
        finish(override.status, body, { ...headers, ...(override.headers ?? {}) }, true);
        return;
      }
    }

    // 2. Routing and auth.
    if (!route || !matched) {
      const shape = `${method} ${path.replace(/\d{17,20}/g, ':id')}`;
      if (this.deps.warnUnmatched && versioned && !this.warned.has(shape)) {
        this.warned.add(shape);
        console.warn(`fake-discord: no route for ${shape} (answered 404)`);
      }
      finish(404, Errors.notFound().body(), {});
      return;
    }
    if (!authorized) {
      finish(401, Errors.unauthorized().body(), {});
      return;
    }
    if (raw.length > MAX_REQUEST_BYTES) {
      const tooLarge = Errors.entityTooLarge();
      finish(tooLarge.status, tooLarge.body(), {});
      return;
    }

    // 3. Rate limits.
    let rlHeaders: Record<string, string> = {};
    if (route.auth === 'bot' && this.deps.limiter.globalEnabled) {
      entry.global = true;
      const limited = this.deps.limiter.takeGlobal(Date.now());
      if (limited) {
        entry.rateLimited = 'global';
        finish(429, limited.body, limited.headers);
        return;
      }
    }
    if (bucketSpec) {
      const decision = this.deps.limiter.take(bucketSpec, Date.now());
      entry.rateLimit = decision.info;
      if (decision.limited) {
        entry.rateLimited = 'bucket';
        finish(429, decision.limited.body, decision.limited.headers);
        return;
      }
      rlHeaders = decision.headers;
    }

    // 4. The handler.
    const routeReq: RouteRequest = {
      method,
      route: route.label,
      path,
      params: matched.params,
      query,
      body: isObject(parsed.body) ? parsed.body : {},
      raw: parsed.body,
      files: parsed.files,
      headers: req.headers,
      receivedAt,
    };
    let result: RouteResult;
    try {
      result = await route.handler(routeReq);
    } catch (err) {
      if (err instanceof ApiError) {
        result = { status: err.status, body: err.body() };
      } else {
        console.error(`fake-discord: ${route.label} failed`, err);
        result = { status: 500, body: { message: '500: Internal Server Error', code: 0 } };
      }
    }
    if (override?.drop === 'after-handling') {
      record();
      req.socket.resetAndDestroy();
    } else {
      finish(result.status, result.body, { ...rlHeaders, ...(result.headers ?? {}) });
    }
    this.deps.store.changed();
  }
}

