import {
  ButtonStyle,
  ComponentType,
  DiscordAPIError,
  MessageFlags,
  RateLimitError,
  Routes,
  type REST,
} from 'discord.js';
import { WriteError, type WriteRoute } from '../relay/live-reply.js';
import type { RenderedMessage } from '../relay/phase.js';
import type { PersistentWriter } from '../relay/relay.js';
import type { ReplyLocation } from '../store/store.js';
import { channelKey, GLOBAL_KEY, webhookKey } from './buckets.js';
import { shownText } from './render/reply.js';
import { NO_MENTIONS_API } from './respond.js';

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

export interface WriterOptions {
  rest: REST;
  /** For interaction webhook writes, which Discord does not count against the bot's global limit. */
  webhookRest?: REST;
  location: ReplyLocation;
  /** Create the first message as a reply to this one (a mention in a thread). */
  replyTo?: string;
  /** Write only ordinary channel messages, as other relays do (for the benchmark's comparison policies). */
  channelOnly?: boolean;
  now?: () => number;
}

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
  private readonly where: ReplyLocation;
  private readonly replyTo: string | undefined;
  private readonly now: () => number;
  private webhookDead = false;
  private channelDead = false;
  /** Messages written through the interaction webhook, which can only edit its own messages. */
  private readonly byWebhook = new Set<number>();
  /** Computed once: it hashes the interaction token. */
  private readonly webhookRoute: WriteRoute | undefined;

  constructor(options: WriterOptions) {
    this.rest = options.rest;
    this.webhookRest = options.webhookRest ?? options.rest;
    this.where = { ...options.location, messageIds: [...options.location.messageIds] };
    if (options.channelOnly) this.where = { ...this.where, interaction: null, messageIds: [], overflowChannelId: null };
    this.replyTo = options.replyTo;
    this.now = options.now ?? Date.now;
    if (this.where.interaction) this.byWebhook.add(0);
    const interaction = this.where.interaction;
    this.webhookRoute = interaction ? { name: 'webhook', keys: [webhookKey(interaction.applicationId, interaction.token)] } : undefined;
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

  routes(index: number): WriteRoute[] {
    const routes: WriteRoute[] = [];
    const interaction = this.where.interaction;
    const exists = index < this.where.messageIds.length;
    // The webhook edits only its own messages; its follow-ups land in the interaction's channel, so a reply
    // continued in a thread creates those messages through the channel route.
    const webhookCanWrite = exists ? this.byWebhook.has(index) : index === 0 || !this.where.overflowChannelId;
    if (this.webhookAlive && this.webhookRoute && webhookCanWrite) routes.push(this.webhookRoute);
    const channelCanWrite = exists || index > 0 || !interaction;
    if (!this.channelDead && channelCanWrite) routes.push({ name: 'channel', keys: [channelKey(this.channelFor(index)), GLOBAL_KEY] });
    return routes;
  }

  async write(index: number, message: RenderedMessage, route: WriteRoute): Promise<void> {
    const body = this.body(message);
    const existing = this.where.messageIds[index];
    try {
      let created: { id: string } | undefined;
      if (route.name === 'webhook') {
        const { applicationId, token } = this.where.interaction!;
        if (index === 0 || existing) {
          created = (await this.webhookRest.patch(Routes.webhookMessage(applicationId, token, existing ?? '@original'), { body, auth: false })) as { id: string };
        } else {
          created = (await this.webhookRest.post(Routes.webhook(applicationId, token), { body, auth: false, query: new URLSearchParams({ wait: 'true' }) })) as { id: string };
        }
      } else if (existing) {
        await this.rest.patch(Routes.channelMessage(this.channelFor(index), existing), { body });
      } else {
        const reference = index === 0 && this.replyTo ? { message_reference: { message_id: this.replyTo, fail_if_not_exists: false } } : {};
        created = (await this.rest.post(Routes.channelMessages(this.channelFor(index)), { body: { ...body, ...reference } })) as { id: string };
      }
      if (!existing && created?.id) {
        this.where.messageIds[index] = created.id;
        if (route.name === 'webhook') this.byWebhook.add(index);
        this.onLocationChange?.();
      }
    } catch (error) {
      throw this.classify(error, route, index);
    }
  }

  bindJob(jobId: string): void {
    this.stopId = jobId;
  }

  async shownText(): Promise<string> {
    const contents = await Promise.all(
      this.where.messageIds.map(async (id, index) => {
        const message = (await this.rest.get(Routes.channelMessage(this.channelFor(index), id)).catch(() => undefined)) as { content?: string } | undefined;
        return message?.content ?? '';
      }),
    );
    return shownText(contents);
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
    // Link previews flicker while a reply grows; they come back with the final text.
    return { content: message.content, allowed_mentions: NO_MENTIONS_API, components, flags: message.live ? MessageFlags.SuppressEmbeds : 0 };
  }

  private classify(error: unknown, route: WriteRoute, index: number): WriteError {
    if (error instanceof RateLimitError) return new WriteError(error.message, 'retry', error.retryAfter);
    if (error instanceof DiscordAPIError) {
      const code = Number(error.code);
      if (route.name === 'webhook' && (code === INVALID_WEBHOOK_TOKEN || code === UNKNOWN_WEBHOOK || error.status === 401)) {
        this.webhookDead = true;
        return new WriteError(error.message, 'route');
      }
      if (route.name === 'channel' && (code === MISSING_ACCESS || code === MISSING_PERMISSIONS || code === UNKNOWN_CHANNEL)) {
        this.channelDead = true;
        return new WriteError(error.message, this.webhookAlive ? 'route' : 'gone');
      }
      if (code === UNKNOWN_MESSAGE && route.name === 'webhook' && !this.channelDead) {
        // Maybe only the webhook cannot see it; the channel route will tell.
        this.byWebhook.delete(index);
        return new WriteError(error.message, 'route');
      }
      if (code === UNKNOWN_MESSAGE) return new WriteError(error.message, 'gone');
      if (error.status >= 400 && error.status < 500 && error.status !== 429) return new WriteError(error.message, 'gone');
    }
    return new WriteError(error instanceof Error ? error.message : String(error), 'retry');
  }
}
