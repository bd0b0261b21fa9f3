// The fake's CDN: every attachment's bytes and signed urls, and the upload rules of the message routes.
// reference.mdx, Uploading Files: `files[n]` parts, the `attachments` list of payload_json whose ids are the `n`s,
// and on PATCH "only files listed in the attachments parameter will be appended to the message. Any
// previously-added files that aren't included will be removed"; "the file upload size limit applies to each file"
// (10 MiB by default). reference.mdx, Signed Attachment CDN URLs: `ex`, `is`, `hm` on every attachment url.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { DISCORD_LIMITS } from '../../spec/limits.js';
import { Errors } from './errors.js';
import { imageSize, mediaType } from './media.js';
import { snowflake } from './snowflake.js';
import type { AttachmentInfo, AttachmentSpec, JsonObject } from './types.js';

/** Discord's limits on files (test/spec/limits.ts has the sources): 10 MiB a file by default, 25 MiB a request. */
export const DEFAULT_ATTACHMENT_SIZE_LIMIT = DISCORD_LIMITS.attachmentBytes;
export const MAX_REQUEST_BYTES = DISCORD_LIMITS.requestBytes;
/** How long a signed url lasts: Discord says only "a preset expiry time"; the fake takes a day. */
const SIGNED_FOR_S = 24 * 60 * 60;
const IS_SPOILER = 1 << 3;

/** A `files[n]` part of a multipart request. */
export interface UploadedFile {
  field: string;
  filename: string;
  contentType: string;
  data: Buffer;
}

/** An attachment as a message holds it: the public view plus where its url points. */
export interface StoredAttachment extends AttachmentInfo {
  channelId: string;
  /** When the signature of `url` runs out (ms on the fake's clock); Infinity for outside urls. */
  expiresAt: number;
}

interface Blob {
  data: Buffer | null;
  contentType: string;
  channelId: string;
  filename: string;
  ephemeral: boolean;
  /** Its message was deleted, or an edit left it out: the CDN no longer serves it. */
  gone: boolean;
}

export interface CdnLookup {
  id: string | null;
  blob: Blob | null;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function publicAttachment(a: StoredAttachment): AttachmentInfo {
  const { channelId: _channel, expiresAt: _expires, ...info } = a;
  return info;
}

/** The `n` of a `files[n]` field (or the part's index when it is named otherwise). */
export function fileKey(file: UploadedFile, index: number): string {
  return /^files\[(.+)\]$/.exec(file.field)?.[1] ?? String(index);
}

export class AttachmentCdn {
  cdnBase = '';
  mediaBase = '';
  private readonly secret = randomBytes(32);
  private readonly blobs = new Map<string, Blob>();
  /** Files people uploaded (add), for ATTACHMENT options to name by id. */
  private readonly added = new Map<string, StoredAttachment>();

  constructor(
    /** Largest file, in bytes. */
    readonly sizeLimit: number,
    private readonly now: () => number,
  ) {}

  private path(kind: boolean, channelId: string, id: string, filename: string): string {
    return `/${kind ? 'ephemeral-attachments' : 'attachments'}/${channelId}/${id}/${encodeURIComponent(filename)}`;
  }

  private signature(path: string, ex: string, is: string): string {
    return createHmac('sha256', this.secret).update(`${path}\n${ex}\n${is}`).digest('hex');
  }

  /** Signs the attachment's urls anew (reference.mdx: payloads always carry a valid signed url). */
  private sign(a: StoredAttachment, ephemeral: boolean): void {
    const path = this.path(ephemeral, a.channelId, a.id, a.filename);
    const issued = Math.floor(this.now() / 1000);
    const ex = (issued + SIGNED_FOR_S).toString(16);
    const is = issued.toString(16);
    const query = `?ex=${ex}&is=${is}&hm=${this.signature(path, ex, is)}&`;
    a.url = `${this.cdnBase}${path}${query}`;
    a.proxyUrl = `${this.mediaBase}${path}${query}`;
    a.expiresAt = (issued + SIGNED_FOR_S) * 1000;
  }

  private store(id: string, data: Buffer | null, info: Omit<StoredAttachment, 'url' | 'proxyUrl' | 'expiresAt'>): StoredAttachment {
    const a: StoredAttachment = { ...info, url: '', proxyUrl: '', expiresAt: 0 };
    this.blobs.set(id, { data, contentType: info.contentType, channelId: info.channelId, filename: info.filename, ephemeral: info.ephemeral === true, gone: false });
    this.sign(a, info.ephemeral === true);
    return a;
  }

  /** A file a person uploads: an ATTACHMENT option's value, a user message's file. */
  add(spec: AttachmentSpec, channelId: string, ephemeral: boolean): StoredAttachment {
    const id = snowflake(this.now());
    const data = spec.data === undefined ? null : Buffer.from(spec.data);
    const image = data ? imageSize(data) : null;
    const info: Omit<StoredAttachment, 'url' | 'proxyUrl' | 'expiresAt'> = {
      id,
      filename: spec.filename,
      size: data ? data.length : (spec.size ?? 0),
      contentType: mediaType(spec.filename, spec.contentType, data),
      sha256: data ? sha256(data) : null,
      channelId,
    };
    const width = spec.width ?? image?.width;
    const height = spec.height ?? image?.height;
    if (width !== undefined && height !== undefined) Object.assign(info, { width, height });
    if (spec.description !== undefined) info.description = spec.description;
    if (spec.title !== undefined) info.title = spec.title;
    if (spec.spoiler) info.flags = IS_SPOILER;
    if (ephemeral) info.ephemeral = true;
    const a = this.store(id, data, info);
    if (spec.url !== undefined) Object.assign(a, { url: spec.url, proxyUrl: spec.url, expiresAt: Number.POSITIVE_INFINITY });
    this.added.set(id, a);
    return a;
  }

  /** A file add() put on the CDN. */
  get(id: string): StoredAttachment | undefined {
    return this.added.get(id);
  }

  /** A `files[n]` part of the bot's request, with its entry of the `attachments` list (if any). */
  upload(file: UploadedFile, meta: JsonObject | undefined, channelId: string, ephemeral: boolean): StoredAttachment {
    const id = snowflake(this.now());
    const filename = typeof meta?.['filename'] === 'string' && meta['filename'].length > 0 ? meta['filename'] : file.filename;
    const image = imageSize(file.data);
    const info: Omit<StoredAttachment, 'url' | 'proxyUrl' | 'expiresAt'> = {
      id,
      filename,
      size: file.data.length,
      contentType: mediaType(filename, file.contentType, file.data),
      sha256: sha256(file.data),
      channelId,
    };
    if (image) Object.assign(info, { width: image.width, height: image.height });
    if (typeof meta?.['description'] === 'string') info.description = meta['description'];
    if (typeof meta?.['title'] === 'string') info.title = meta['title'];
    if (meta?.['is_spoiler'] === true) info.flags = IS_SPOILER;
    if (ephemeral) info.ephemeral = true;
    return this.store(id, file.data, info);
  }

  /** 413 40005 for a file over the limit; Discord checks each file on its own (change-log, April 03, 2025). */
  checkSizes(files: UploadedFile[]): void {
    if (files.some((f) => f.data.length > this.sizeLimit)) throw Errors.entityTooLarge();
  }

  /** The attachments of a message after a create or an edit; `existing` are the message's current ones. */
  resolve(body: JsonObject, files: UploadedFile[], p: { channelId: string; ephemeral: boolean; existing: StoredAttachment[]; isCreate: boolean }): StoredAttachment[] {
    this.checkSizes(files);
    const meta = Array.isArray(body['attachments']) ? (body['attachments'] as unknown[]).filter(isObject) : null;
    const entry = (id: string) => meta?.find((m) => String(m['id']) === id);
    const kept = p.isCreate
      ? []
      : meta === null
        ? p.existing
        : p.existing.flatMap((a): StoredAttachment[] => {
            const m = entry(a.id);
            if (!m) return [];
            // message.mdx, Attachment Request Structure: editing may change `description` and `is_spoiler` only.
            const next: StoredAttachment = { ...a };
            if (typeof m['description'] === 'string') next.description = m['description'];
            if (m['description'] === null) delete next.description;
            if (typeof m['is_spoiler'] === 'boolean') {
              const flags = m['is_spoiler'] ? (a.flags ?? 0) | IS_SPOILER : (a.flags ?? 0) & ~IS_SPOILER;
              if (flags) next.flags = flags;
              else delete next.flags;
            }
            return [next];
          });
    const uploads = files
      .map((file, index) => ({ file, key: fileKey(file, index) }))
      .filter(({ key }) => p.isCreate || meta === null || entry(key) !== undefined);
    // opcodes-and-status-codes.mdx: 30015 "Maximum number of attachments in a message reached (10)".
    if (kept.length + uploads.length > DISCORD_LIMITS.attachments) throw Errors.tooManyAttachments();
    const added = uploads.map(({ file, key }) => this.upload(file, entry(key), p.channelId, p.ephemeral));
    return [...kept, ...added];
  }

  /** The CDN stops serving these (deleted message, or left out by an edit). */
  forget(ids: Iterable<string>): void {
    for (const id of ids) {
      const blob = this.blobs.get(id);
      if (blob) blob.gone = true;
    }
  }

  /** The attachment with a valid signature: signs it again once the old one ran out. */
  fresh(a: StoredAttachment): StoredAttachment {
    if (a.expiresAt <= this.now() && this.blobs.has(a.id)) this.sign(a, a.ephemeral === true);
    return a;
  }

  bytes(idOrUrl: string): Buffer | undefined {
    let id = idOrUrl;
    if (idOrUrl.includes('/')) id = new URL(idOrUrl, 'http://127.0.0.1').pathname.split('/')[3] ?? '';
    return this.blobs.get(id)?.data ?? undefined;
  }

  /** What a CDN request names: the blob, when the path and its signature are valid and the file is still there. */
  lookup(pathname: string, query: URLSearchParams): CdnLookup {
    const [, kind, channelId, id, encoded] = pathname.split('/');
    if (!id || (kind !== 'attachments' && kind !== 'ephemeral-attachments') || !encoded) return { id: null, blob: null };
    const blob = this.blobs.get(id);
    let filename: string;
    try {
      filename = decodeURIComponent(encoded);
    } catch {
      return { id, blob: null };
    }
    if (!blob || blob.gone || blob.data === null || blob.channelId !== channelId || blob.filename !== filename || blob.ephemeral !== (kind === 'ephemeral-attachments')) {
      return { id, blob: null };
    }
    const ex = query.get('ex') ?? '';
    const is = query.get('is') ?? '';
    const hm = query.get('hm') ?? '';
    const valid = hm === this.signature(this.path(blob.ephemeral, channelId, id, filename), ex, is) && Number.parseInt(ex, 16) * 1000 > this.now();
    return { id, blob: valid ? blob : null };
  }
}
