import { createHash, randomBytes } from 'node:crypto';
import {
  ButtonStyle,
  ComponentType,
  DiscordAPIError,
  MessageFlags,
  Routes,
  type REST,
} from 'discord.js';
import { WriteError, type WriteRoute } from '../relay/live-reply.js';
import type { RenderedMessage, ReplyFile } from '../relay/phase.js';
import type { PersistentWriter } from '../relay/relay.js';
import type { FinalBelow, ReplyLocation } from '../store/store.js';
import { BucketMap, GLOBAL_KEY, ROUTES, webhookMajor } from './buckets.js';
import { DEFAULT_UPLOAD_LIMIT_BYTES } from './render/files.js';
import { shownText } from './render/reply.js';
import { scrubSecrets } from '../log.js';
import { capLength, NO_MENTIONS_API } from './respond.js';

export const STOP_BUTTON_PREFIX = 'clawcord:stop:';

/** Interaction tokens live 15 minutes; stop using one a little before. */
export const INTERACTION_TOKEN_TTL_MS = 14 * 60_000;

/** Discord error codes that decide what a failed write means. */
const UNKNOWN_MESSAGE = 10008;
const UNKNOWN_WEBHOOK = 10015;
const INVALID_WEBHOOK_TOKEN = 50027;
const MISSING_ACCESS = 50001;
const MISSING_PERMISSIONS = 50013;
const UNKNOWN_CHANNEL = 10003;
const THREAD_ARCHIVED = 50083;
const THREAD_LOCKED = 160005;
/** Codes after which the bot cannot write in that channel or thread at all. */
const CHANNEL_CLOSED = new Set([MISSING_ACCESS, MISSING_PERMISSIONS, UNKNOWN_CHANNEL, THREAD_LOCKED]);

/** How long a private note waits for the reply's first message to leave Discord's "thinking…" state. */
const ORIGINAL_WAIT_MS = 2_000;

export interface WriterOptions {
  rest: REST;
  /** For interaction webhook writes, which Discord does not count against the bot's global limit. */
  webhookRest?: REST;
  location: ReplyLocation;
  /** Create the first message as a reply to this one (a mention in a thread). */
  replyTo?: string;
  /** Write only ordinary channel messages, as other relays do (for the benchmark's comparison policies). */
  channelOnly?: boolean;
  /**
   * The interaction's original message is still Discord's "thinking…" placeholder. Discord turns the first
   * follow-up after a deferral into the edit of that placeholder (ephemeral flag ignored), so private notes wait
   * until the reply has written it.
   */
  deferred?: boolean;
  /** What the bot has learned of Discord's rate-limit buckets (shared by all writers). */
  buckets?: BucketMap;
  /** The most bytes one uploaded file may have: the interaction's `attachment_size_limit` when known, else the config's. */
  uploadLimitBytes?: number;
  now?: () => number;
}

/** A file on one of the reply's messages, as Discord knows it. */
interface AttachedFile {
  id: string;
  name: string;
  data: Buffer;
}

/** The message object Discord answers a create or edit with, as far as the writer reads it. */
interface WrittenMessage {
  id?: string;
  attachments?: Array<{ id: string; filename: string }>;
}

const DELETE_MESSAGE = 'DELETE /channels/:channel/messages/:message';
const DELETE_WEBHOOK_MESSAGE = 'DELETE /webhooks/:app/:token/messages/:message';

/**
 * Writes the messages of one reply through Discord's REST API. While the interaction token lives it prefers the
 * interaction webhook (a bucket per reply, not bound to the global limit); the channel endpoints are the second
 * route, and the only one after 15 minutes, after a restart without a live token, or for mention replies.
 */
export class DiscordReplyWriter implements PersistentWriter {
  onLocationChange: (() => void) | undefined;
  /** The Stop button's id; set once the relay has queued the job. */
  stopId: string | undefined;
  private readonly rest: REST;
  private readonly webhookRest: REST;
  private readonly buckets: BucketMap;
  private readonly where: ReplyLocation;
  private readonly replyTo: string | undefined;
  private readonly now: () => number;
  private webhookDead = false;
  /** Channels and threads the bot can no longer write in; other channels of the reply are unaffected. */
  private readonly deadChannels = new Set<string>();
  /** Messages written through the interaction webhook, which can only edit its own messages. */
  private readonly byWebhook = new Set<number>();
  /** Computed once: it hashes the interaction token. */
  private readonly webhookMajor: string | undefined;
  /** Sent with every channel message create, so a POST that discord.js retries cannot create the message twice. */
  private readonly nonceBase = randomBytes(8).toString('hex');
  private readonly uploadLimit: number;
  /** What each message carries, so an edit keeps its files without uploading them again. */
  private readonly attached = new Map<number, AttachedFile[]>();
  /** Messages deleted on purpose; the location forgets them once no kept message follows them. */
  private readonly removed = new Set<number>();
  private originalShown: Promise<boolean>;
  private showOriginal: (shown: boolean) => void = () => {};

  constructor(options: WriterOptions) {
    this.rest = options.rest;
    this.webhookRest = options.webhookRest ?? options.rest;
    this.buckets = options.buckets ?? new BucketMap();
    this.where = { ...options.location, messageIds: [...options.location.messageIds] };
    if (options.channelOnly) this.where = { ...this.where, interaction: null, messageIds: [], overflowChannelId: null };
    this.replyTo = options.replyTo;
    this.now = options.now ?? Date.now;
    this.uploadLimit = options.uploadLimitBytes ?? DEFAULT_UPLOAD_LIMIT_BYTES;
    if (this.where.interaction) this.byWebhook.add(0);
    const interaction = this.where.interaction;
    this.webhookMajor = interaction ? webhookMajor(interaction.applicationId, interaction.token) : undefined;
    this.originalShown = options.deferred ? new Promise((resolve) => (this.showOriginal = resolve)) : Promise.resolve(true);
  }

  location(): ReplyLocation {
    return { ...this.where, messageIds: [...this.where.messageIds] };
  }

  private get webhookAlive(): boolean {
    const interaction = this.where.interaction;
    return !this.webhookDead && interaction !== null && this.now() - interaction.createdAt < INTERACTION_TOKEN_TTL_MS;
  }

  private channelFor(index: number): string {
    return index > 0 && this.where.overflowChannelId ? this.where.overflowChannelId : this.where.channelId;
  }

  uploadLimitBytes(): number {
    return this.uploadLimit;
  }

  /**
   * A final below is created through the channel route only: its create carries a nonce derived from the reply (the
   * same after a restart, so Discord answers a create it already made with that message) and can reply to the first
   * message, which interaction follow-ups can do neither of.
   */
  placeFinalBelow(asker: { askerId: string; guildId: string | null }): FinalBelow | undefined {
    if (this.where.finalBelow) return this.where.finalBelow;
    const from = this.where.messageIds.length;
    if (from === 0 || this.deadChannels.has(this.channelFor(from))) return undefined;
    this.where.finalBelow = { from, askerId: asker.askerId, guildId: asker.guildId };
    this.onLocationChange?.();
    return this.where.finalBelow;
  }

  finalBelow(): FinalBelow | undefined {
    return this.where.finalBelow;
  }

  messageLink(index: number): string | undefined {
    const id = this.where.messageIds[index];
    return id ? `https://discord.com/channels/${this.where.finalBelow?.guildId ?? '@me'}/${this.channelFor(index)}/${id}` : undefined;
  }

  /** Message `index` is part of a final sent below. */
  private isBelow(index: number): boolean {
    const below = this.where.finalBelow;
    return below !== undefined && index >= below.from;
  }

  routes(index: number, op: 'write' | 'remove' = 'write'): WriteRoute[] {
    if (op === 'remove') return this.removeRoutes(index);
    const routes: WriteRoute[] = [];
    if (this.isBelow(index)) {
      const channel = this.channelFor(index);
      const route = index < this.where.messageIds.length ? ROUTES.editMessage : ROUTES.createMessage;
      return this.deadChannels.has(channel) ? [] : [{ name: 'channel', keys: [this.buckets.keyFor({ route, major: channel }), GLOBAL_KEY] }];
    }
    const interaction = this.where.interaction;
    const exists = index < this.where.messageIds.length;
    // The webhook edits only its own messages; its follow-ups land in the interaction's channel, so a reply
    // continued in a thread creates those messages through the channel route.
    const webhookCanWrite = exists ? this.byWebhook.has(index) : index === 0 || !this.where.overflowChannelId;
    if (this.webhookAlive && this.webhookMajor && webhookCanWrite) {
      const route = index === 0 || exists ? ROUTES.editWebhookMessage : ROUTES.createFollowUp;
      routes.push({ name: 'webhook', keys: [this.buckets.keyFor({ route, major: this.webhookMajor })] });
    }
    const channel = this.channelFor(index);
    const channelCanWrite = exists || index > 0 || !interaction;
    if (!this.deadChannels.has(channel) && channelCanWrite) {
      const route = exists ? ROUTES.editMessage : ROUTES.createMessage;
      routes.push({ name: 'channel', keys: [this.buckets.keyFor({ route, major: channel }), GLOBAL_KEY] });
    }
    return routes;
  }

  /** The first message is never removed (it is the interaction's own); the webhook deletes only its own messages. */
  private removeRoutes(index: number): WriteRoute[] {
    if (index === 0 || index >= this.where.messageIds.length || this.removed.has(index)) return [];
    const routes: WriteRoute[] = [];
    if (this.webhookAlive && this.webhookMajor && this.byWebhook.has(index)) {
      routes.push({ name: 'webhook', keys: [this.buckets.keyFor({ route: DELETE_WEBHOOK_MESSAGE, major: this.webhookMajor })] });
    }
    const channel = this.channelFor(index);
    if (!this.deadChannels.has(channel)) routes.push({ name: 'channel', keys: [this.buckets.keyFor({ route: DELETE_MESSAGE, major: channel }), GLOBAL_KEY] });
    return routes;
  }

  async remove(index: number, route: WriteRoute): Promise<void> {
    const id = this.where.messageIds[index];
    if (index === 0 || id === undefined) return;
    try {
      if (route.name === 'webhook') {
        const { applicationId, token } = this.where.interaction!;
        await this.webhookRest.delete(Routes.webhookMessage(applicationId, token, id), { auth: false });
      } else {
        await this.rest.delete(Routes.channelMessage(this.channelFor(index), id));
      }
    } catch (error) {
      // Someone deleted it already: what was wanted.
      if (!isCode(error, UNKNOWN_MESSAGE)) throw this.classify(error, route, index);
    }
    this.removed.add(index);
    this.attached.delete(index);
    const before = this.where.messageIds.length;
    while (this.where.messageIds.length > 1 && this.removed.has(this.where.messageIds.length - 1)) {
      this.removed.delete(this.where.messageIds.length - 1);
      this.where.messageIds.pop();
    }
    if (this.where.messageIds.length !== before) this.onLocationChange?.();
  }

  async write(index: number, message: RenderedMessage, route: WriteRoute): Promise<void> {
    try {
      await this.send(index, message, route);
    } catch (error) {
      if (!isCode(error, THREAD_ARCHIVED)) throw this.classify(error, route, index);
      // Edits do not count as activity, so a long reply that only edits sees its thread archived: reopen it and
      // edit again. A create fails so only in a thread that sending cannot reopen, one a moderator locked.
      const thread = route.name === 'webhook' ? this.where.channelId : this.channelFor(index);
      if (!(await this.unarchive(thread))) throw this.closed(route, index, error as DiscordAPIError);
      try {
        await this.send(index, message, route);
      } catch (retryError) {
        throw isCode(retryError, THREAD_ARCHIVED) ? this.closed(route, index, retryError as DiscordAPIError) : this.classify(retryError, route, index);
      }
    }
  }

  /**
   * Unarchives a thread the bot may reopen: anyone who may send there can (Modify Channel), unless it is locked.
   * A locked thread stays as the moderators left it, even when the bot has Manage Threads.
   */
  private async unarchive(threadId: string): Promise<boolean> {
    try {
      const thread = (await this.rest.get(Routes.channel(threadId))) as { thread_metadata?: { archived?: boolean; locked?: boolean } };
      if (!thread.thread_metadata || thread.thread_metadata.locked) return false;
      if (thread.thread_metadata.archived) await this.rest.patch(Routes.channel(threadId), { body: { archived: false } });
      return true;
    } catch {
      return false;
    }
  }

  /** The message's channel or thread cannot be written through this route any more. */
  private closed(route: WriteRoute, index: number, error: DiscordAPIError): WriteError {
    if (route.name === 'webhook') this.byWebhook.delete(index);
    else this.deadChannels.add(this.channelFor(index));
    return new WriteError(error.message, 'route');
  }

  private async send(index: number, message: RenderedMessage, route: WriteRoute): Promise<void> {
    const uploads = this.uploads(index, message.files);
    const body = { ...this.body(message), ...(uploads ? { attachments: uploads.attachments } : {}) };
    const channel = this.channelFor(index);
    const files = uploads && uploads.files.length > 0 ? { files: uploads.files } : {};
    const existing = this.where.messageIds[index];
    let created: WrittenMessage | undefined;
    if (route.name === 'webhook') {
      const { applicationId, token } = this.where.interaction!;
      if (index === 0 || existing) {
        created = (await this.webhookRest.patch(Routes.webhookMessage(applicationId, token, existing ?? '@original'), { body, ...files, auth: false })) as WrittenMessage;
      } else {
        created = (await this.webhookRest.post(Routes.webhook(applicationId, token), { body, ...files, auth: false, query: new URLSearchParams({ wait: 'true' }) })) as WrittenMessage;
      }
    } else if (existing) {
      created = (await this.rest.patch(Routes.channelMessage(this.channelFor(index), existing), { body, ...files })) as WrittenMessage;
    } else {
      const replyTo = this.replyTargetFor(index);
      const reference = replyTo ? { message_reference: { message_id: replyTo, fail_if_not_exists: false } } : {};
      const nonce = { nonce: this.nonceFor(index), enforce_nonce: true };
      created = (await this.rest.post(Routes.channelMessages(channel), { body: { ...body, ...reference, ...nonce }, ...files })) as WrittenMessage;
    }
    if (uploads) this.attached.set(index, uploads.attached(created));
    if (index === 0) this.showOriginal(true);
    if (!existing && created?.id) {
      this.where.messageIds[index] = created.id;
      if (route.name === 'webhook') this.byWebhook.add(index);
      this.onLocationChange?.();
    }
  }

  /**
   * The `attachments` of a write that carries files, and the parts to upload: a file the message has already (same
   * name, same bytes) is kept by its id and not sent again; the others are uploaded; a file no longer listed goes.
   * Undefined when the message carries no files: then its attachments stay as they are.
   */
  private uploads(index: number, files: readonly ReplyFile[] | undefined) {
    if (!files || files.length === 0) return undefined;
    const had = this.attached.get(index) ?? [];
    const attachments: Array<{ id: string; filename?: string }> = [];
    const parts: Array<{ name: string; data: Buffer; contentType?: string }> = [];
    const kept: AttachedFile[] = [];
    for (const file of files) {
      const same = had.find((old) => old.name === file.name && (old.data === file.data || old.data.equals(file.data)));
      if (same) {
        attachments.push({ id: same.id });
        kept.push(same);
      } else {
        attachments.push({ id: String(parts.length), filename: file.name });
        parts.push({ name: file.name, data: file.data, ...(file.contentType ? { contentType: file.contentType } : {}) });
      }
    }
    const attached = (answer: WrittenMessage | undefined): AttachedFile[] => {
      const fresh = parts.flatMap((part) => {
        const id = answer?.attachments?.find((a) => a.filename === part.name && !kept.some((k) => k.id === a.id))?.id;
        return id ? [{ id, name: part.name, data: part.data }] : [];
      });
      return [...kept, ...fresh];
    };
    return { attachments, files: parts, attached };
  }

  /** The first message replies to the mention it answers; a final below replies to the first message, where it can. */
  private replyTargetFor(index: number): string | undefined {
    if (index === 0) return this.replyTo;
    const first = this.where.messageIds[0];
    return first && index === this.where.finalBelow?.from && this.channelFor(index) === this.where.channelId ? first : undefined;
  }

  /**
   * At most 25 characters. A final below's is derived from the reply's first message, so that the create a restart
   * repeats (its message made, the answer lost) finds the message Discord made then; the others are this writer's.
   */
  private nonceFor(index: number): string {
    if (!this.isBelow(index)) return `${this.nonceBase}-${index}`;
    const anchor = `${this.where.channelId}:${this.where.messageIds[0] ?? ''}:below:${index}`;
    return `b${createHash('sha256').update(anchor).digest('hex').slice(0, 20)}`;
  }

  bindJob(jobId: string): void {
    this.stopId = jobId;
  }

  /**
   * A private note to the person who asked: an ephemeral follow-up through the interaction webhook, once the reply
   * has replaced Discord's "thinking…" message (else Discord would make the note that message, in public).
   * False when there is no live interaction token (mentions, replies after 15 minutes) or the note failed.
   */
  async tellAsker(text: string): Promise<boolean> {
    const interaction = this.where.interaction;
    if (!interaction || !this.webhookAlive) return false;
    let timer: NodeJS.Timeout | undefined;
    const shown = await Promise.race([this.originalShown, new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ORIGINAL_WAIT_MS)))]);
    clearTimeout(timer);
    if (!shown || !this.webhookAlive) return false;
    try {
      await this.webhookRest.post(Routes.webhook(interaction.applicationId, interaction.token), {
        body: { content: capLength(text), allowed_mentions: NO_MENTIONS_API, flags: MessageFlags.Ephemeral },
        auth: false,
      });
      return true;
    } catch {
      return false;
    }
  }

  /** A final below shows the answer once its first message exists; until then the live messages do. */
  async shownText(): Promise<string> {
    const ids = this.where.messageIds;
    const below = this.where.finalBelow;
    const shown = below ? (ids.length > below.from ? ids.slice(below.from) : ids.slice(0, below.from)) : ids;
    const offset = below && ids.length > below.from ? below.from : 0;
    const contents = await Promise.all(
      shown.map(async (id, i) => {
        const index = i + offset;
        const message = (await this.rest.get(Routes.channelMessage(this.channelFor(index), id)).catch(() => undefined)) as { content?: string } | undefined;
        return message?.content ?? '';
      }),
    );
    return shownText(contents, { below: offset > 0 });
  }

  /** Records the original interaction message once Discord has told us its id. */
  setOriginalMessageId(id: string): void {
    if (this.where.messageIds.length === 0) this.where.messageIds.push(id);
  }

  private body(message: RenderedMessage) {
    const components =
      message.live && this.stopId
        ? [
            {
              type: ComponentType.ActionRow,
              components: [{ type: ComponentType.Button, style: ButtonStyle.Secondary, custom_id: `${STOP_BUTTON_PREFIX}${this.stopId}`, label: 'Stop', emoji: { name: '⏹️' } }],
            },
          ]
        : [];
    // Link previews flicker while a reply grows; they come back with the final text. Whatever the model or a tool
    // wrote, clawcord's own secrets never show.
    // Only the asker, on the first message of a final sent below, may be notified; nothing the text says pings.
    const allowed = message.mention ? { parse: [], users: [message.mention], replied_user: false } : NO_MENTIONS_API;
    return { content: scrubSecrets(message.content), allowed_mentions: allowed, components, flags: message.live ? MessageFlags.SuppressEmbeds : 0 };
  }

  /** A 429 never reaches here: discord.js waits it out inside the request (`rejectOnRateLimit` is off). */
  private classify(error: unknown, route: WriteRoute, index: number): WriteError {
    if (error instanceof DiscordAPIError) {
      const code = Number(error.code);
      if (route.name === 'webhook' && (code === INVALID_WEBHOOK_TOKEN || code === UNKNOWN_WEBHOOK || error.status === 401)) {
        this.webhookDead = true;
        return new WriteError(error.message, 'route');
      }
      // Only this channel or thread: a locked thread must not stop the reply's message in its parent channel.
      if (route.name === 'channel' && CHANNEL_CLOSED.has(code)) return this.closed(route, index, error);
      if (route.name === 'webhook' && code === THREAD_LOCKED) return this.closed(route, index, error);
      if (code === UNKNOWN_MESSAGE && route.name === 'webhook' && !this.deadChannels.has(this.channelFor(index))) {
        // Maybe only the webhook cannot see it; the channel route will tell.
        this.byWebhook.delete(index);
        return new WriteError(error.message, 'route');
      }
      if (code === UNKNOWN_MESSAGE) return new WriteError(error.message, 'gone');
      if (error.status >= 400 && error.status < 500) return new WriteError(error.message, 'gone');
    }
    return new WriteError(error instanceof Error ? error.message : String(error), 'retry');
  }
}

function isCode(error: unknown, code: number): boolean {
  return error instanceof DiscordAPIError && Number(error.code) === code;
}
