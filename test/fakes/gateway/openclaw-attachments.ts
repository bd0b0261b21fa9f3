// chat.send `attachments` as each version takes them (openclaw-agent-events.md §4, live on both; the code is
// src/gateway/server-methods/attachment-normalize.ts and src/gateway/chat-attachments.ts in both dists).
// v3 (2026.2.17): images only, ≤ 5,000,000 decoded bytes; other files are dropped with a log line and nothing else; the
// MIME comes from the bytes; a text-only model never sees the images (src/agents/pi-embedded-runner/run/images.ts).
// v4 (2026.9.6): images ≤ 6 MiB go to image models, are offloaded and described for text-only ones; other files are
// stored as `media://inbound/…` and read into the prompt (src/media-understanding/file-context.ts,
// src/media/file-context.ts, src/security/external-content.ts, src/auto-reply/media-note.ts,
// packages/media-understanding-common/src/format.ts).
import { randomBytes, randomUUID } from 'node:crypto';
import { extensionForMime, extensionOf, mediaKind, mimeFromName, normalizeMime, sniffMime } from './media-types.js';
import type { ProtocolVersion } from './protocol-tables.js';

/** An attachment as `normalizeRpcAttachmentsToChatAttachments` leaves it. */
export interface RpcAttachment {
  type?: string;
  mimeType?: string;
  fileName?: string;
  /** Base64 or a `data:…;base64,` URL. */
  content: string;
  origin?: 'paste' | 'file';
  sizeBytes?: number;
  durationMs?: number;
  width?: number;
  height?: number;
}

/** What the model received with the prompt (`ReplyContext.attachments`). */
export type ModelAttachment =
  /** An `image_url` part. */
  | { type: 'image'; mimeType: string; sizeBytes: number; /** Base64 of the bytes. */ data: string }
  /** v4: a file read into the prompt (`ctx.message` holds its `<file …>` block); `text` undefined when unreadable. */
  | { type: 'file'; fileName: string; mimeType: string; sizeBytes: number; text?: string };

/** v4 user rows' `__openclaw.media` entry (persistInboundImagesForTranscript). */
export interface MediaFact {
  url: string;
  contentType: string;
  kind: string;
  fileName?: string;
  origin?: 'paste' | 'file';
  sizeBytes: number;
  durationMs?: number;
  width?: number;
  height?: number;
  hydrationSuppressed?: true;
}

export interface PreparedAttachments {
  /** What the model gets for the turn's text (v4 adds the media note, image descriptions and file blocks). */
  message(agentText: string): string;
  attachments: ModelAttachment[];
  /** v3: the image blocks the transcript keeps in the user row (chat.history shows them `omitted`). */
  rowImages: Array<{ mimeType: string; data: string }>;
  /** v4: the user row's `__openclaw.media`. */
  rowMedia: MediaFact[];
  /** The turn carries media, so a text left empty still runs. */
  hasMedia: boolean;
}

export interface AttachmentEnv {
  protocol: ProtocolVersion;
  /** The session's model takes images (`input` includes `"image"`). */
  supportsImages: boolean;
  log(level: 'info' | 'warn', message: string): void;
  /** v4's description of an image for a text-only model (a separate request to an image model, live). */
  describeImage(image: { fileName: string; mimeType: string; sizeBytes: number }): string;
}

/** A refused send: chat.send answers INVALID_REQUEST with this message (`String(err)`), and no run starts. */
export class AttachmentRefused extends Error {}

/** v3 parseMessageWithAttachments(…, {maxBytes: 5e6}) (src/gateway/server-methods/chat.ts). */
export const V3_MAX_ATTACHMENT_BYTES = 5_000_000;
/** v4 resolveChatAttachmentMaxBytes: agents.defaults.mediaMaxMb, default 20 MB (src/gateway/chat-attachment-policy.ts). */
export const V4_MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024;
/** v4 MAX_IMAGE_BYTES (chat-attachments.ts `image exceeds size limit`). */
export const V4_MAX_IMAGE_BYTES = 6_291_456;
/** v4 and v3 MAX_PAYLOAD_BYTES (src/gateway/server-constants.ts), the `ws` maxPayload after hello. */
export const MAX_PAYLOAD_BYTES = 26_214_400;
/** Larger images are stored and referenced, yet still sent to an image model (OFFLOAD_THRESHOLD_BYTES). */
const OFFLOAD_THRESHOLD_BYTES = 2_000_000;
/** A text-only model takes at most this many offloaded images per message (TEXT_ONLY_OFFLOAD_LIMIT). */
const TEXT_ONLY_OFFLOAD_LIMIT = 10;

/**
 * v4 hello-ok `policy.attachments` (chat-attachment-policy.ts resolveChatAttachmentPolicy): the decoded size that still
 * fits a frame, `(maxPayload − 256 KiB)·¾`, and the image cap. Live: `{maxBytes: 19464192, maxImageBytes: 6291456}`.
 */
export function attachmentPolicy(): { maxBytes: number; maxImageBytes: number } {
  const maxBytes = Math.min(V4_MAX_ATTACHMENT_BYTES, Math.floor(((MAX_PAYLOAD_BYTES - 262_144) * 3) / 4));
  return { maxBytes, maxImageBytes: Math.min(maxBytes, V4_MAX_IMAGE_BYTES) };
}

const nonNegative = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;

/**
 * The items each version reads: v3 `{type, mimeType, fileName, content}` with a non-empty string content; v4 also
 * `origin`, sizes and the Anthropic-style `{source:{type:"base64", media_type, data}}`, and keeps an empty content.
 */
export function normalizeRpcAttachments(raw: unknown, protocol: ProtocolVersion): RpcAttachment[] {
  if (!Array.isArray(raw)) return [];
  const out: RpcAttachment[] = [];
  for (const item of raw as unknown[]) {
    const a = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
    const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
    if (protocol === 3) {
      const content = str(a.content);
      if (!content) continue;
      out.push({ type: str(a.type), mimeType: str(a.mimeType), fileName: str(a.fileName), content });
      continue;
    }
    const source = typeof a.source === 'object' && a.source !== null ? (a.source as Record<string, unknown>) : undefined;
    const content = str(a.content) ?? (source?.type === 'base64' ? str(source.data) : undefined);
    if (content === undefined) continue;
    const att: RpcAttachment = { type: str(a.type), mimeType: str(a.mimeType) ?? str(source?.media_type), fileName: str(a.fileName), content };
    if (a.origin === 'paste' || a.origin === 'file') att.origin = a.origin;
    for (const k of ['sizeBytes', 'durationMs', 'width', 'height'] as const) {
      const n = nonNegative(a[k]);
      if (n !== undefined) att[k] = n;
    }
    out.push(att);
  }
  return out;
}

// ---- base64 (packages/media-core/src/base64.ts; v3 chat-attachments.ts) -------------------------------------------

function isValidBase64(value: string): boolean {
  return value.length > 0 && value.length % 4 === 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(value);
}

function estimateDecodedBytes(base64: string): number {
  const len = base64.replace(/[\x00-\x20]/g, '').length;
  if (len === 0) return 0;
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((len * 3) / 4) - padding);
}

/** Both versions sniff only the first 256 base64 characters (at least 8). */
function sniffBase64(base64: string): string | undefined {
  const take = Math.min(256, base64.length);
  const slice = take - (take % 4);
  return slice < 8 ? undefined : sniffMime(Buffer.from(base64.slice(0, slice), 'base64'));
}

const isGeneric = (mime: string | undefined): boolean => mime === 'application/octet-stream' || mime === 'application/zip';

/** How the media store names a saved file: `<name>---<uuid><ext>` (a nameless inline image: `<uuid><ext>`). */
function storedName(label: string | undefined, mime: string): string {
  const ext = extensionForMime(mime) ?? '';
  if (label === undefined) return `${randomUUID()}${ext}`;
  const own = extensionOf(label);
  const base = (own ? label.slice(0, -own.length) : label).replace(/[^A-Za-z0-9._-]+/g, '_') || 'file';
  return `${base}---${randomUUID()}${own || ext}`;
}

// ---- v3 -----------------------------------------------------------------------------------------------------------

function prepareV3(items: RpcAttachment[], env: AttachmentEnv): PreparedAttachments {
  const images: Array<{ mimeType: string; data: string; sizeBytes: number }> = [];
  items.forEach((att, idx) => {
    const label = att.fileName || att.type || `attachment-${idx + 1}`;
    let base64 = att.content.trim();
    const dataUrl = /^data:[^;]+;base64,(.*)$/.exec(base64);
    if (dataUrl) base64 = dataUrl[1]!;
    if (!isValidBase64(base64)) throw new AttachmentRefused(`Error: attachment ${label}: invalid base64 content`);
    const sizeBytes = estimateDecodedBytes(base64);
    if (sizeBytes <= 0 || sizeBytes > V3_MAX_ATTACHMENT_BYTES)
      throw new AttachmentRefused(`Error: attachment ${label}: exceeds size limit (${sizeBytes} > ${V3_MAX_ATTACHMENT_BYTES} bytes)`);
    const provided = normalizeMime(att.mimeType);
    const sniffed = sniffBase64(base64);
    if (sniffed && !sniffed.startsWith('image/')) return env.log('warn', `attachment ${label}: detected non-image (${sniffed}), dropping`);
    if (!sniffed && !provided?.startsWith('image/')) return env.log('warn', `attachment ${label}: unable to detect image mime type, dropping`);
    if (sniffed && provided && sniffed !== provided) env.log('warn', `attachment ${label}: mime mismatch (${provided} -> ${sniffed}), using sniffed`);
    images.push({ mimeType: sniffed ?? provided ?? att.mimeType ?? '', data: base64, sizeBytes });
  });
  // A text-only model's prompt goes without them, so the transcript holds none either (attempt.ts prompt(…, {images})).
  const seen = env.supportsImages ? images : [];
  return {
    message: (agentText) => agentText,
    attachments: seen.map((i) => ({ type: 'image', mimeType: i.mimeType, sizeBytes: i.sizeBytes, data: i.data })),
    rowImages: seen.map(({ mimeType, data }) => ({ mimeType, data })),
    rowMedia: [],
    hasMedia: images.length > 0,
  };
}

// ---- v4 -----------------------------------------------------------------------------------------------------------

interface V4Item {
  sourceIndex: number;
  label: string;
  mimeType: string;
  sizeBytes: number;
  data: string;
  /** Saved to the media store (`media://inbound/<id>`): non-images, large images, images for a text-only model. */
  offloaded: boolean;
  id: string;
  att: RpcAttachment;
}

const TEXT_MIMES = new Set(['application/json', 'application/yaml', 'application/xml', 'application/javascript']);

/** The model-visible text of a file (file-attachment-outcomes.ts renderFileAttachmentOutcome; PDFs: no extractor offline, live). */
function fileOutcome(item: V4Item): { block: string; text?: string } {
  if (item.mimeType.startsWith('text/') || TEXT_MIMES.has(item.mimeType)) {
    const text = Buffer.from(item.data, 'base64').toString('utf8').trim();
    if (text === '') return { block: '[No extractable text]' };
    const id = randomBytes(8).toString('hex');
    return {
      block: [`<<<EXTERNAL_UNTRUSTED_CONTENT id="${id}">>>`, 'Source: External', '---', text, `<<<END_EXTERNAL_UNTRUSTED_CONTENT id="${id}">>>`].join('\n'),
      text,
    };
  }
  if (item.mimeType === 'application/pdf') return { block: '[Attachment could not be read]' };
  return { block: `[Unsupported document format: ${item.mimeType}. PDF and plain-text attachments can be read.]` };
}

const xmlAttr = (value: string): string =>
  value.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);

/** src/media/file-context.ts renderFileContextBlock. */
function fileBlock(name: string, mime: string, content: string): string {
  const safe = content.replace(/<\s*\/\s*file\s*>/gi, '&lt;/file&gt;').replace(/<\s*file\b/gi, '&lt;file');
  return `<file name="${xmlAttr(name)}" mime="${xmlAttr(mime)}">\n${safe}\n</file>`;
}

/** packages/media-understanding-common/src/format.ts formatMediaUnderstandingBody, image descriptions only. */
function withDescriptions(body: string, descriptions: string[]): string {
  const outputs = descriptions.filter((d) => d.trim() !== '');
  if (outputs.length === 0) return body;
  const userText = body.trim() || undefined;
  const sections: string[] = [];
  if (userText && outputs.length > 1) sections.push(`User text:\n${userText}`);
  outputs.forEach((text, i) => {
    const suffix = outputs.length > 1 ? ` ${i + 1}/${outputs.length}` : '';
    const userSection = outputs.length === 1 && userText ? `User text:\n${userText}\n` : '';
    sections.push(`[Image${suffix}]\n${userSection}Description:\n${text}`);
  });
  return sections.join('\n\n').trim();
}

function prepareV4(items: RpcAttachment[], env: AttachmentEnv): PreparedAttachments {
  const kept: V4Item[] = [];
  let omitted = '';
  let textOnlyOffloads = 0;
  items.forEach((att, idx) => {
    const label = att.fileName || att.type || `attachment-${idx + 1}`;
    let base64 = att.content.trim();
    const comma = base64.indexOf(',');
    if (comma >= 0 && /^data:[^;,]+;base64$/.test(base64.slice(0, comma))) base64 = base64.slice(comma + 1);
    if (base64.length === 0) throw new AttachmentRefused(`UnsupportedAttachmentError: attachment ${label}: empty payload`);
    if (!isValidBase64(base64)) throw new AttachmentRefused(`Error: attachment ${label}: invalid base64 content`);
    const sizeBytes = estimateDecodedBytes(base64);
    if (sizeBytes > V4_MAX_ATTACHMENT_BYTES)
      throw new AttachmentRefused(`Error: attachment ${label}: exceeds size limit (${sizeBytes} > ${V4_MAX_ATTACHMENT_BYTES} bytes)`);
    // src/media/mime.ts detectMime: the bytes, else the declared type, else the file name's.
    const provided = normalizeMime(att.mimeType);
    const hints = [provided, mimeFromName(label)].filter((m): m is string => m !== undefined);
    const sniffed = sniffBase64(base64);
    const hint = hints.find((m) => !isGeneric(m)) ?? hints[0];
    const mimeType = (sniffed && isGeneric(sniffed) ? hints.find((m) => !isGeneric(m)) : undefined) ?? sniffed ?? hint ?? 'application/octet-stream';
    if (provided && !isGeneric(provided) && mimeType !== provided) env.log('warn', `attachment ${label}: mime mismatch (${provided} -> ${mimeType})`);
    const isImage = mimeType.startsWith('image/');
    const forceOffload = isImage && !env.supportsImages;
    if (isImage && sizeBytes > V4_MAX_IMAGE_BYTES)
      throw new AttachmentRefused(`Error: attachment ${label}: image exceeds size limit (${sizeBytes} > ${V4_MAX_IMAGE_BYTES} bytes)`);
    if (forceOffload && textOnlyOffloads >= TEXT_ONLY_OFFLOAD_LIMIT) {
      env.log('warn', `attachment ${label}: dropping image because text-only offload limit ${TEXT_ONLY_OFFLOAD_LIMIT} was reached`);
      omitted += '\n[image attachment omitted: text-only attachment limit reached]';
      return;
    }
    const offloaded = forceOffload || !isImage || sizeBytes > OFFLOAD_THRESHOLD_BYTES;
    const id = offloaded ? storedName(extensionOf(label) ? label : `${label}${extensionForMime(mimeType) ?? ''}`, mimeType) : storedName(undefined, mimeType);
    if (offloaded) {
      env.log('info', forceOffload ? `[Gateway] Offloaded image for text-only model. Saved: media://inbound/${id}` : `[Gateway] Offloaded attachment (${mimeType}). Saved: media://inbound/${id}`);
      if (forceOffload) textOnlyOffloads++;
    }
    kept.push({ sourceIndex: idx, label, mimeType, sizeBytes, data: base64, offloaded, id, att });
  });

  const rowMedia: MediaFact[] = kept.map((item) => {
    const fact: MediaFact = { url: `media://inbound/${item.id}`, contentType: item.mimeType, kind: mediaKind(item.mimeType), sizeBytes: item.sizeBytes };
    if (!item.offloaded) return fact;
    fact.fileName = item.label;
    if (item.att.origin) fact.origin = item.att.origin;
    for (const k of ['durationMs', 'width', 'height'] as const) if (item.att[k] !== undefined) fact[k] = item.att[k];
    if (!item.mimeType.startsWith('image/')) fact.hydrationSuppressed = true;
    return fact;
  });
  const images = kept.filter((i) => i.mimeType.startsWith('image/'));
  const files = kept.filter((i) => !i.mimeType.startsWith('image/')).map((item) => ({ item, ...fileOutcome(item) }));
  const attachments: ModelAttachment[] = [
    ...(env.supportsImages ? images.map((i): ModelAttachment => ({ type: 'image', mimeType: i.mimeType, sizeBytes: i.sizeBytes, data: i.data })) : []),
    ...files.map(({ item, text }): ModelAttachment => ({ type: 'file', fileName: item.label, mimeType: item.mimeType, sizeBytes: item.sizeBytes, ...(text !== undefined ? { text } : {}) })),
  ];
  const message = (agentText: string): string => {
    const refs = rowMedia.map((f) => `${f.url} (${f.contentType})`);
    const note =
      refs.length === 0 ? undefined : refs.length === 1 ? `[media attached: ${refs[0]}]` : [`[media attached: ${refs.length} files]`, ...refs.map((r, i) => `[media attached ${i + 1}/${refs.length}: ${r}]`)].join('\n');
    const descriptions = env.supportsImages ? [] : images.map((i) => env.describeImage({ fileName: i.label, mimeType: i.mimeType, sizeBytes: i.sizeBytes }));
    let body = withDescriptions(`${agentText}${omitted}`, descriptions);
    // src/media-understanding/apply.ts appendFileBlocks.
    if (files.length > 0) {
      const blocks = files.map(({ item, block }) => fileBlock(item.id, item.mimeType, block)).join('\n\n');
      body = body.trim() === '' ? blocks : `${body.trim()}\n\n${blocks}`.trim();
    }
    return note === undefined ? body : `${note}\n${body}`;
  };
  return { message, attachments, rowImages: [], rowMedia, hasMedia: kept.length > 0 };
}

/** Reads a chat.send's attachments the way the version does; throws AttachmentRefused for a refused send. */
export function prepareAttachments(items: RpcAttachment[], env: AttachmentEnv): PreparedAttachments {
  return env.protocol === 3 ? prepareV3(items, env) : prepareV4(items, env);
}
