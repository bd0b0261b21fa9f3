// v4 media the agent produced (openclaw-agent-events.md §5, live on 2026.9.6): the reply pipeline copies each
// `MEDIA:` file into managed outgoing media and rewrites the transcript row with `image` / `attachment` blocks
// (src/gateway/managed-image-attachments.ts, src/gateway/server-methods/chat-send-commentary-media.ts); clients find
// them with `artifacts.list` / `artifacts.get` and fetch them through `artifacts.download`'s URL with its `mediaTicket`
// (src/gateway/server-methods/artifacts.ts, packages/gateway-protocol/src/schema/artifacts.ts), served over HTTP by
// handleManagedOutgoingMediaHttpRequest. v3 has none of this: no methods, no route (§5 "v3").
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { splitMedia } from './media-directives.js';
import { imageSize, mediaKind, mimeFromName, sniffMime } from './media-types.js';
import type { ChatMessage, GatewayState, RunInfo } from './state.js';

type Row = Record<string, unknown>;
type Params = Record<string, unknown>;

interface ManagedRecord {
  attachmentId: string;
  sessionKey: string;
  /** The transcript row that shows it: the file is served while that row is in the session (recordMatchesTranscriptMessage). */
  row: ChatMessage;
  kind: 'image' | 'audio' | 'video' | 'document';
  contentType: string;
  bytes: Buffer;
  alt: string;
  filename: string;
}

/** What an artifacts method refuses (INVALID_REQUEST with `details.type`, or the agent-selection error). */
export class ArtifactError extends Error {
  constructor(
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export const OUTGOING_ROUTE_PREFIX = '/api/chat/media/outgoing';
/** MANAGED_OUTGOING_IMAGE_TICKET_TTL_MS. */
export const MEDIA_TICKET_TTL_MS = 300_000;
/** How long after a run's chat final v4 has managed its reply's media (live ~0.5 s, F-to-lead-files §3). */
export const MANAGED_MEDIA_DELAY_MS = 500;
/** DEFAULT_MANAGED_IMAGE_ATTACHMENT_LIMITS.maxBytes. */
const MAX_MANAGED_IMAGE_BYTES = 12_582_912;
const ATTACHMENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
const IMAGE_PREFIX = 'artifact_managed_image_';
const MEDIA_PREFIX = 'artifact_managed_media_';
/** The documents managed media keeps (MANAGED_DOCUMENT_MIME_TYPES). */
const DOCUMENT_MIMES = new Set([
  'application/json',
  'application/msword',
  'application/pdf',
  'application/vnd.ms-excel',
  'application/vnd.ms-powerpoint',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/x-cfb',
  'application/yaml',
  'application/zip',
  'text/csv',
  'text/html',
  'text/markdown',
  'text/plain',
]);
/** The `Multiple agents are configured…` error (src/agents/agent-scope-config.ts AgentSelectionRequiredError). */
export const AGENT_SELECTION_REQUIRED =
  'Multiple agents are configured, but this operation has no explicit owner. Select an agent explicitly; CLI callers can pass --agent <id>, channels can add a binding, and ambient services can set their agentId target.';

function managedKind(contentType: string): ManagedRecord['kind'] | null {
  if (contentType === 'image/svg+xml') return null;
  const kind = mediaKind(contentType);
  if (kind !== 'document') return kind;
  return DOCUMENT_MIMES.has(contentType) ? 'document' : null;
}

/** deriveAltText: the file's base name (a URL's path's). */
function baseName(ref: string, index: number): string {
  let p = ref;
  if (/^https?:\/\//i.test(ref)) {
    try {
      p = new URL(ref).pathname;
    } catch {
      // keep the raw text
    }
  }
  return p.split(/[\\/]/).filter(Boolean).pop()?.trim() || `Generated image ${index + 1}`;
}

function artifactType(block: Row): string {
  const type = String(block.type ?? '').toLowerCase();
  return type === 'image' || type === 'audio' || type === 'video' ? type : 'file';
}

interface Scope {
  sessionKey: string;
}

export interface ResolveKey {
  (rawKey: string, agentId: unknown): { key: string; agentId: string };
}

export class OutgoingMedia {
  private readonly records = new Map<string, ManagedRecord>();
  private readonly secret = randomBytes(32);
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly state: GatewayState,
    private readonly opts: { ticketTtlMs: number; token: () => string; managedDelayMs: number },
  ) {}

  /**
   * A run's chat final went out. 2026.9.6 manages the reply's media only after it: the chat final comes from the
   * agent run's lifecycle end (server-chat.ts), while the reply's settled payload reaches chat.send's dispatcher
   * later, and `appendWebchatAgentMediaTranscriptIfNeeded` (dist/chat-send-handler-*.js, region
   * src/gateway/server-methods/chat-send-reply-dispatch.ts) then rewrites the transcript row
   * (rewriteAssistantTranscriptMessageByIdempotencyKey, publishAssistantTranscriptRewrite) and registers the artifacts
   * (attachManagedOutgoingMediaToMessage). Live: listed ~0.5 s after the final (F-to-lead-files §3).
   */
  afterFinal(info: RunInfo): void {
    if (this.opts.managedDelayMs <= 0) return this.manageRun(info);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.manageRun(info);
    }, this.opts.managedDelayMs);
    this.timers.add(timer);
  }

  close(): void {
    this.timers.forEach((t) => clearTimeout(t));
    this.timers.clear();
  }

  /**
   * At a run's end: each assistant row of the run that names media gets its display content, text and a managed
   * block per file (or an `attachment_error` block for a file that cannot be prepared, continueOnPrepareError).
   */
  manageRun(info: RunInfo): void {
    const session = this.state.session(info.sessionKey);
    if (!session) return;
    for (const row of session.messages) {
      if (row.runId !== info.runId || row.role !== 'assistant' || row.injected || row.display) continue;
      const split = splitMedia(row.content, 4);
      if (!split || split.mediaUrls.length === 0) continue;
      let index = 0;
      row.display = split.segments.map((segment) =>
        segment.type === 'text' ? { type: 'text', text: segment.text } : this.block(info, row, segment.url, index++),
      );
    }
  }

  private block(info: RunInfo, row: ChatMessage, url: string, index: number): Row {
    const label = baseName(url, index);
    const bytes = this.state.readWorkspaceFile(info.agentId, url);
    const contentType = bytes ? (sniffMime(bytes) ?? mimeFromName(url)) : mimeFromName(url);
    const kind = contentType ? managedKind(contentType) : null;
    // Local audio/video needs a trusted reply payload, which a model's text is not.
    const local = !/^https?:\/\//i.test(url);
    const ok = bytes && contentType && kind && !(local && (kind === 'audio' || kind === 'video')) && !(kind === 'image' && bytes.length > MAX_MANAGED_IMAGE_BYTES);
    if (!ok) {
      const hinted = kind ?? 'document';
      return { type: 'attachment_error', attachment: { code: 'delivery-failed', kind: hinted, label, ...(contentType ? { mimeType: contentType } : {}) } };
    }
    const attachmentId = randomUUID();
    const ext = label.includes('.') ? label.slice(label.lastIndexOf('.')) : '';
    // An image's record keeps its stored name; other files keep their label (toRecordFilename).
    const filename = kind === 'image' ? `${label.slice(0, label.length - ext.length)}---${randomUUID()}${ext}` : label;
    this.records.set(attachmentId, { attachmentId, sessionKey: info.sessionKey, row, kind, contentType, bytes, alt: label, filename });
    const fullUrl = `${OUTGOING_ROUTE_PREFIX}/${encodeURIComponent(info.sessionKey)}/${attachmentId}/full`;
    const artifactId = `${kind === 'image' ? IMAGE_PREFIX : MEDIA_PREFIX}${attachmentId}`;
    if (kind === 'document')
      return { type: 'attachment', attachment: { artifactId, url: fullUrl, kind, label: filename, mimeType: contentType, sizeBytes: bytes.length } };
    if (kind === 'image') {
      const size = imageSize(bytes);
      return { type: 'image', artifactId, url: fullUrl, openUrl: fullUrl, alt: label, mimeType: contentType, width: size?.width ?? null, height: size?.height ?? null, sizeBytes: bytes.length };
    }
    return { type: kind, artifactId, url: fullUrl, openUrl: fullUrl, fileName: filename, mimeType: contentType, sizeBytes: bytes.length };
  }

  // ---- artifacts.* ------------------------------------------------------------------------------------------------

  private scope(p: Params, resolveKey: ResolveKey): Scope | undefined {
    if (typeof p.sessionKey === 'string') return { sessionKey: resolveKey(p.sessionKey, p.agentId).key };
    if (typeof p.runId === 'string') {
      // A run still going is known by id; a finished one is looked up under the (default) agent (server-session-key.ts).
      const run = this.state.run(p.runId);
      const agentId = typeof p.agentId === 'string' ? p.agentId : undefined;
      if (run?.status === 'running' && (agentId === undefined || run.agentId === agentId)) return { sessionKey: run.sessionKey };
      if (agentId === undefined && this.state.agents.length > 1) throw new ArtifactError(AGENT_SELECTION_REQUIRED);
      return undefined;
    }
    return undefined;
  }

  private static requireQueryable(p: Params): void {
    if (p.sessionKey === undefined && p.runId === undefined && p.taskId === undefined)
      throw new ArtifactError('artifacts require one of sessionKey, runId, or taskId', { type: 'artifact_query_unsupported' });
  }

  /** Artifact summaries of the session's rows (collectArtifactsFromMessage), with the block each came from. */
  private collect(scope: Scope, p: Params): Array<{ summary: Row; block: Row }> {
    const session = this.state.session(scope.sessionKey);
    const out: Array<{ summary: Row; block: Row }> = [];
    let count = 0;
    session?.messages.forEach((m, i) => {
      if (typeof p.runId === 'string' && m.runId !== p.runId) return;
      for (const block of m.display ?? []) {
        if (!['image', 'audio', 'video', 'attachment'].includes(String(block.type))) continue;
        count++;
        if (typeof p.messageRole === 'string' && m.role !== p.messageRole) continue;
        const attachment = (block.attachment ?? undefined) as Row | undefined;
        const source = attachment ?? block;
        const type = artifactType(block);
        if (p.type === 'image' && type !== 'image') continue;
        const title = [block.title, block.fileName, block.alt, attachment?.label].find((t) => typeof t === 'string' && t !== '') ?? `${type} ${count}`;
        const summary: Row = {
          id: source.artifactId,
          type,
          title,
          ...(typeof source.mimeType === 'string' ? { mimeType: source.mimeType } : {}),
          ...(typeof source.sizeBytes === 'number' ? { sizeBytes: source.sizeBytes } : {}),
          sessionKey: scope.sessionKey,
          ...(m.runId !== undefined && m.role !== 'user' ? { runId: m.runId } : {}),
          messageSeq: i + 1,
          source: 'session-transcript',
          download: { mode: 'url' },
          ...(p.type === 'image' ? { image: { url: source.url } } : {}),
        };
        out.push({ summary, block });
      }
    });
    return out;
  }

  list(p: Params, resolveKey: ResolveKey): unknown {
    OutgoingMedia.requireQueryable(p);
    if (p.type !== 'image' && (p.limit !== undefined || p.cursor !== undefined))
      throw new ArtifactError('limit and cursor require type image', { type: 'artifact_query_unsupported' });
    const scope = this.scope(p, resolveKey);
    if (!scope) {
      if (p.runId !== undefined || p.taskId !== undefined) throw new ArtifactError('no session found for artifact query', { type: 'artifact_scope_not_found' });
      return { artifacts: [] };
    }
    const found = this.collect(scope, p).map((f) => f.summary);
    // The image page: newest first, `limit` (default 4) at a time; paging by cursor is not modelled.
    return { artifacts: p.type === 'image' ? found.reverse().slice(0, typeof p.limit === 'number' ? p.limit : 4) : found };
  }

  get(p: Params, resolveKey: ResolveKey): unknown {
    OutgoingMedia.requireQueryable(p);
    const scope = this.scope(p, resolveKey);
    const found = scope && this.collect(scope, p).find((f) => f.summary.id === p.artifactId);
    if (!found) throw new ArtifactError('artifact not found', { type: 'artifact_not_found', artifactId: p.artifactId });
    return { artifact: found.summary };
  }

  /**
   * A managed artifact → its URL with a `mediaTicket` (valid 5 min). With only a session key the artifact is found by
   * its id (the managed fast path: no runId or messageSeq in the answer), else among the filtered rows.
   */
  download(p: Params, resolveKey: ResolveKey): unknown {
    OutgoingMedia.requireQueryable(p);
    const scope = this.scope(p, resolveKey);
    const id = String(p.artifactId);
    const fast = p.sessionKey !== undefined && p.runId === undefined && p.taskId === undefined && p.messageRole === undefined;
    const matched = scope && !fast ? this.collect(scope, p).find((f) => f.summary.id === id) : undefined;
    const record = scope && (fast || matched) ? this.managed(id, scope.sessionKey) : undefined;
    if (!record) throw new ArtifactError('artifact not found', { type: 'artifact_not_found', artifactId: id });
    const ticket = this.ticket(record);
    const artifact: Row = {
      id,
      type: record.kind === 'document' ? 'file' : record.kind,
      title: record.kind === 'image' ? record.alt : record.filename,
      mimeType: record.contentType,
      sizeBytes: record.bytes.length,
      sessionKey: record.sessionKey,
      ...(matched?.summary.runId !== undefined ? { runId: matched.summary.runId } : {}),
      ...(matched ? { messageSeq: matched.summary.messageSeq } : {}),
      source: 'session-transcript',
      download: { mode: 'url' },
    };
    const url = `${OUTGOING_ROUTE_PREFIX}/${encodeURIComponent(record.sessionKey)}/${record.attachmentId}/full?${new URLSearchParams({ mediaTicket: ticket.ticket }).toString()}`;
    return { artifact, url, expiresAt: ticket.expiresAt };
  }

  /** A record by artifact id, while its row is still in the session and the id's family fits its kind. */
  private managed(artifactId: string, sessionKey: string): ManagedRecord | undefined {
    const family = artifactId.startsWith(IMAGE_PREFIX) ? 'image' : artifactId.startsWith(MEDIA_PREFIX) ? 'media' : undefined;
    if (!family) return undefined;
    const record = this.records.get(artifactId.slice(family === 'image' ? IMAGE_PREFIX.length : MEDIA_PREFIX.length));
    if (!record || record.sessionKey !== sessionKey || (family === 'image') !== (record.kind === 'image')) return undefined;
    return this.current(record) ? record : undefined;
  }

  private current(record: ManagedRecord): boolean {
    return this.state.session(record.sessionKey)?.messages.includes(record.row) ?? false;
  }

  // ---- tickets (createManagedOutgoingImageTicket) -----------------------------------------------------------------

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('base64url');
  }

  private ticket(record: ManagedRecord): { ticket: string; expiresAt: string } {
    const exp = Date.now() + this.opts.ticketTtlMs;
    const payload = { scope: 'managed-outgoing-image', sessionKey: record.sessionKey, attachmentId: record.attachmentId, variant: 'full', exp };
    const encoded = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
    return { ticket: `v1.${encoded}.${this.sign(encoded)}`, expiresAt: new Date(exp).toISOString() };
  }

  private ticketValid(ticket: string | null, sessionKey: string, attachmentId: string): boolean {
    const parts = ticket?.split('.');
    if (!parts || parts.length !== 3 || parts[0] !== 'v1') return false;
    const [, encoded = '', signature = ''] = parts;
    const expected = Buffer.from(this.sign(encoded));
    if (Buffer.byteLength(signature) !== expected.length || !timingSafeEqual(Buffer.from(signature), expected)) return false;
    try {
      const p = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as Record<string, unknown>;
      return p.scope === 'managed-outgoing-image' && p.sessionKey === sessionKey && p.attachmentId === attachmentId && p.variant === 'full' && typeof p.exp === 'number' && p.exp >= Date.now();
    } catch {
      return false;
    }
  }

  // ---- HTTP (handleManagedOutgoingMediaHttpRequest) ---------------------------------------------------------------

  /** Answers `GET|HEAD /api/chat/media/outgoing/<key>/<id>/full`; false for any other path. */
  handleHttp(req: IncomingMessage, res: ServerResponse): boolean {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = /^\/api\/chat\/media\/outgoing\/([^/]+)\/([^/]+)\/(full|thumbnail)$/.exec(url.pathname);
    if (!match) return false;
    const text = (status: number, body: string, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      text(405, 'Method Not Allowed', { allow: 'GET, HEAD' });
      return true;
    }
    const [, encodedKey = '', attachmentId = '', variant] = match;
    if (!ATTACHMENT_ID.test(attachmentId)) {
      text(404, 'not found');
      return true;
    }
    let sessionKey: string;
    try {
      sessionKey = decodeURIComponent(encodedKey);
    } catch {
      text(404, 'not found');
      return true;
    }
    const ticketOk = this.ticketValid(url.searchParams.get('mediaTicket'), sessionKey, attachmentId);
    // Without a ticket the gateway's shared-secret auth must allow chat.history (http-auth-utils.ts).
    if (!ticketOk && req.headers.authorization !== `Bearer ${this.opts.token()}`) {
      res.writeHead(401, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ error: { message: 'Unauthorized', type: 'unauthorized' } }));
      return true;
    }
    const record = this.records.get(attachmentId);
    // A thumbnail (a resized PNG) is not modelled.
    if (!record || record.sessionKey !== sessionKey || !this.current(record) || variant !== 'full') {
      text(404, 'not found');
      return true;
    }
    const inline = record.kind !== 'document';
    const name = record.filename.replace(/[^\x20-\x7e]|[%"\\]/g, '_');
    res.writeHead(200, {
      'content-type': record.contentType,
      'content-length': String(record.bytes.length),
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': ticketOk ? `private, max-age=${MEDIA_TICKET_TTL_MS / 1000}, immutable` : 'private, max-age=31536000, immutable',
      'content-disposition': `${inline ? 'inline' : 'attachment'}; filename="${name}"; filename*=UTF-8''${encodeURIComponent(record.filename)}`,
    });
    res.end(req.method === 'HEAD' ? undefined : record.bytes);
    return true;
  }
}
