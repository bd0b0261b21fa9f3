// Creating and editing messages the way Discord does: validation (lengths, empty messages, components), mentions
// after allowed_mentions, attachments from multipart uploads, flags, and the version history.
import { publicAttachment, type UploadedFile } from './attachments.js';
import { Errors, FormErrors } from './errors.js';
import { snowflake } from './snowflake.js';
import {
  EMPTY_MENTIONS,
  MessageFlags,
  type Store,
  type StoredAttachment,
  type StoredChannel,
  type StoredInteractionMeta,
  type StoredMessage,
} from './store.js';
import type { AttachmentSpec, JsonObject, MentionSet, MessageSource, MessageVersion } from './types.js';
import { DISCORD_LIMITS } from '../../spec/limits.js';

export type { UploadedFile };

/** Discord's documented limits, one table for the fake's checks and the spec's (test/spec/limits.ts). */
export const LIMITS = DISCORD_LIMITS;

/** Flags a sender may set when creating a message. */
const CREATE_FLAGS = MessageFlags.SuppressEmbeds | MessageFlags.SuppressNotifications | MessageFlags.IsComponentsV2;
/** Flags an edit may change. */
const EDIT_FLAGS = MessageFlags.SuppressEmbeds | MessageFlags.IsComponentsV2;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n += 1;
  return n;
}

function strLen(value: unknown): number {
  return typeof value === 'string' ? codePoints(value) : 0;
}

// --- mentions ----------------------------------------------------------------------------------------------------

export function parseContentMentions(content: string): MentionSet {
  const users = new Set<string>();
  const roles = new Set<string>();
  for (const m of content.matchAll(/<@!?(\d{17,20})>/g)) users.add(m[1]!);
  for (const m of content.matchAll(/<@&(\d{17,20})>/g)) roles.add(m[1]!);
  return { users: [...users], roles: [...roles], everyone: /@(everyone|here)\b/.test(content) };
}

/** Who gets pinged: the content's mentions filtered by allowed_mentions, plus the replied-to author when allowed. */
export function pingedMentions(contentMentions: MentionSet, allowed: unknown, repliedAuthorId: string | null): MentionSet {
  if (!isObject(allowed)) {
    const users = [...contentMentions.users];
    if (repliedAuthorId && !users.includes(repliedAuthorId)) users.push(repliedAuthorId);
    return { users, roles: [...contentMentions.roles], everyone: contentMentions.everyone };
  }
  const parse = asArray(allowed['parse']).map(String);
  const allowedUsers = asArray(allowed['users']).map(String);
  const allowedRoles = asArray(allowed['roles']).map(String);
  const users = parse.includes('users') ? [...contentMentions.users] : contentMentions.users.filter((id) => allowedUsers.includes(id));
  const roles = parse.includes('roles') ? [...contentMentions.roles] : contentMentions.roles.filter((id) => allowedRoles.includes(id));
  if (repliedAuthorId && allowed['replied_user'] === true && !users.includes(repliedAuthorId)) users.push(repliedAuthorId);
  return { users, roles, everyone: contentMentions.everyone && parse.includes('everyone') };
}

// --- validation --------------------------------------------------------------------------------------------------

function validateAllowedMentions(allowed: unknown, errors: FormErrors): void {
  if (!isObject(allowed)) return;
  const parse = asArray(allowed['parse']).map(String);
  for (const kind of ['users', 'roles'] as const) {
    if (parse.includes(kind) && asArray(allowed[kind]).length > 0) {
      errors.add(['allowed_mentions'], 'MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE', `parse:["${kind}"] and ${kind}: [ids] are mutually exclusive.`);
    }
    if (asArray(allowed[kind]).length > 100) errors.add(['allowed_mentions', kind], 'BASE_TYPE_MAX_LENGTH', 'Must be 100 or fewer in length.');
  }
}

function validateEmbeds(embeds: unknown[], errors: FormErrors): void {
  if (embeds.length > LIMITS.embeds) errors.add(['embeds'], 'BASE_TYPE_MAX_LENGTH', `Must be ${LIMITS.embeds} or fewer in length.`);
  let total = 0;
  embeds.forEach((embed, i) => {
    if (!isObject(embed)) return;
    const check = (path: Array<string | number>, value: unknown, max: number): void => {
      const len = strLen(value);
      total += len;
      if (len > max) errors.add(['embeds', i, ...path], 'BASE_TYPE_MAX_LENGTH', `Must be ${max} or fewer in length.`);
    };
    check(['title'], embed['title'], LIMITS.embedTitle);
    check(['description'], embed['description'], LIMITS.embedDescription);
    if (isObject(embed['footer'])) check(['footer', 'text'], embed['footer']['text'], LIMITS.embedFooterText);
    if (isObject(embed['author'])) check(['author', 'name'], embed['author']['name'], LIMITS.embedAuthorName);
    const fields = asArray(embed['fields']);
    if (fields.length > LIMITS.embedFields) errors.add(['embeds', i, 'fields'], 'BASE_TYPE_MAX_LENGTH', `Must be ${LIMITS.embedFields} or fewer in length.`);
    fields.forEach((field, j) => {
      if (!isObject(field)) return;
      check(['fields', j, 'name'], field['name'], LIMITS.embedFieldName);
      check(['fields', j, 'value'], field['value'], LIMITS.embedFieldValue);
    });
  });
  if (total > LIMITS.embedTotal) errors.add(['embeds'], 'MAX_EMBED_SIZE_EXCEEDED', 'Embed size exceeds maximum size of 6000');
}

function validateComponents(components: unknown[], v2: boolean, errors: FormErrors): void {
  const customIds = new Set<string>();
  const checkCustomId = (path: Array<string | number>, c: JsonObject): void => {
    const id = c['custom_id'];
    if (typeof id !== 'string') return;
    if (codePoints(id) > LIMITS.customId) errors.add([...path, 'custom_id'], 'BASE_TYPE_MAX_LENGTH', `Must be ${LIMITS.customId} or fewer in length.`);
    if (customIds.has(id)) errors.add([...path, 'custom_id'], 'COMPONENT_CUSTOM_ID_DUPLICATED', 'Component custom id cannot be duplicated');
    customIds.add(id);
  };
  const checkButton = (path: Array<string | number>, c: JsonObject): void => {
    if (strLen(c['label']) > LIMITS.buttonLabel) errors.add([...path, 'label'], 'BASE_TYPE_MAX_LENGTH', `Must be ${LIMITS.buttonLabel} or fewer in length.`);
    const style = c['style'];
    if (style === 5 && typeof c['url'] !== 'string') errors.add([...path, 'url'], 'BASE_TYPE_REQUIRED', 'This field is required');
    if (style !== 5 && style !== 6 && typeof c['custom_id'] !== 'string') errors.add([...path, 'custom_id'], 'BASE_TYPE_REQUIRED', 'This field is required');
  };
  if (!v2) {
    if (components.length > LIMITS.actionRows) errors.add(['components'], 'BASE_TYPE_MAX_LENGTH', `Must be ${LIMITS.actionRows} or fewer in length.`);
    components.forEach((row, i) => {
      if (!isObject(row)) return;
      if (row['type'] !== 1) {
        errors.add(['components', i, 'type'], 'UNION_TYPE_CHOICES', 'Value of field "type" must be one of (1,).');
        return;
      }
      const items = asArray(row['components']);
      const hasSelect = items.some((c) => isObject(c) && typeof c['type'] === 'number' && c['type'] >= 3 && c['type'] <= 8 && c['type'] !== 4);
      if (items.length === 0) errors.add(['components', i, 'components'], 'BASE_TYPE_MIN_LENGTH', 'Must be 1 or more in length.');
      if (items.length > (hasSelect ? 1 : LIMITS.buttonsPerRow)) {
        errors.add(['components', i, 'components'], 'BASE_TYPE_MAX_LENGTH', `Must be ${hasSelect ? 1 : LIMITS.buttonsPerRow} or fewer in length.`);
      }
      items.forEach((c, j) => {
        if (!isObject(c)) return;
        const path = ['components', i, 'components', j];
        checkCustomId(path, c);
        if (c['type'] === 2) checkButton(path, c);
      });
    });
    return;
  }
  // Components V2: count every component and the text shown.
  let count = 0;
  let text = 0;
  const walk = (list: unknown[], path: Array<string | number>): void => {
    list.forEach((c, i) => {
      if (!isObject(c)) return;
      count += 1;
      const here = [...path, i];
      checkCustomId(here, c);
      if (c['type'] === 2) checkButton(here, c);
      if (c['type'] === 10) text += strLen(c['content']);
      if (c['type'] === 2) text += strLen(c['label']);
      walk(asArray(c['components']), [...here, 'components']);
      if (isObject(c['accessory'])) walk([c['accessory']], [...here, 'accessory']);
    });
  };
  walk(components, ['components']);
  if (count > LIMITS.v2Components) errors.add(['components'], 'COMPONENT_LAYOUT_WIDTH_EXCEEDED', `The specified component exceeds the maximum of ${LIMITS.v2Components} components`);
  if (text > LIMITS.v2Text) errors.add(['components'], 'MAX_TEXT_DISPLAY_LENGTH_EXCEEDED', `The total length of text displayed must be ${LIMITS.v2Text} or fewer`);
}

interface ResolvedPayload {
  content: string;
  embeds: unknown[];
  components: unknown[];
  flags: number;
  attachments: StoredAttachment[];
  poll: unknown;
}

function validateResult(result: ResolvedPayload, body: JsonObject, errors: FormErrors, isCreate: boolean): void {
  if (codePoints(result.content) > LIMITS.content) {
    errors.add(['content'], 'BASE_TYPE_MAX_LENGTH', `Must be ${LIMITS.content} or fewer in length.`);
  }
  const v2 = (result.flags & MessageFlags.IsComponentsV2) !== 0;
  if (v2 && (result.content.length > 0 || result.embeds.length > 0 || (isCreate && body['poll'] !== undefined && body['poll'] !== null))) {
    errors.add(['content'], 'MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2', 'The \'content\', \'embeds\', \'stickers\', and \'poll\' fields cannot be used when using MessageFlags.IS_COMPONENTS_V2');
  }
  if ('embeds' in body) validateEmbeds(result.embeds, errors);
  if ('components' in body) validateComponents(result.components, v2, errors);
  validateAllowedMentions(body['allowed_mentions'], errors);
}

function isEmpty(result: ResolvedPayload, body: JsonObject): boolean {
  const stickers = asArray(body['sticker_ids']).length > 0;
  return (
    result.content.trim().length === 0 &&
    result.embeds.length === 0 &&
    result.components.length === 0 &&
    result.attachments.length === 0 &&
    !stickers &&
    (result.poll === null || result.poll === undefined)
  );
}

/** What a message shows after one create or edit, and how it got there. */
function versionOf(
  kind: MessageVersion['kind'],
  at: number,
  shown: Omit<ResolvedPayload, 'poll'>,
  how: Pick<MessageVersion, 'allowedMentions' | 'contentMentions' | 'pinged' | 'route'> & { interactionToken?: string | undefined },
): MessageVersion {
  const { content, embeds, components, flags } = shown;
  const { interactionToken, ...mentionsAndRoute } = how;
  const version: MessageVersion = { kind, at, content, embeds, components, flags, attachments: publicAttachments(shown.attachments), ...mentionsAndRoute };
  if (interactionToken) version.interactionToken = interactionToken;
  return version;
}

function publicAttachments(list: StoredAttachment[]): MessageVersion['attachments'] {
  return list.map(publicAttachment);
}

// --- create / edit -----------------------------------------------------------------------------------------------

export interface CreateMessageParams {
  store: Store;
  channel: StoredChannel;
  authorId: string;
  byBot: boolean;
  source: MessageSource;
  body: JsonObject;
  files: UploadedFile[];
  route: string;
  /** Message type; default 0 (19 when it is a reply). */
  type?: number;
  /** Allow flag 64 (interaction responses and follow-ups only). */
  allowEphemeral?: boolean;
  /** Flags added by the server (e.g. LOADING for a deferred reply). */
  serverFlags?: number;
  /** Skip validation and the empty check (deferred "thinking" message). */
  placeholder?: boolean;
  interactionToken?: string;
  interaction?: StoredInteractionMeta;
  webhookId?: string;
  id?: string;
}

export function createMessage(p: CreateMessageParams): StoredMessage {
  const { body, store } = p;
  const errors = new FormErrors();
  const now = Date.now();
  const id = p.id ?? snowflake(now);

  let replyTo: string | null = null;
  let repliedAuthor: string | null = null;
  const reference = body['message_reference'];
  if (isObject(reference) && reference['message_id'] !== undefined) {
    const refId = String(reference['message_id']);
    const ref = store.message(refId);
    if (!ref || ref.deleted) {
      if (reference['fail_if_not_exists'] !== false) {
        errors.add(['message_reference'], 'MESSAGE_REFERENCE_UNKNOWN_MESSAGE', 'Unknown message');
      }
    } else {
      replyTo = refId;
      repliedAuthor = ref.authorId === p.authorId ? null : ref.authorId;
    }
  }

  let flags = typeof body['flags'] === 'number' ? body['flags'] : 0;
  const allowed = CREATE_FLAGS | (p.allowEphemeral ? MessageFlags.Ephemeral : 0);
  flags = (flags & allowed) | (p.serverFlags ?? 0);

  const ephemeral = (flags & MessageFlags.Ephemeral) !== 0;
  const result: ResolvedPayload = {
    content: typeof body['content'] === 'string' ? body['content'] : '',
    embeds: asArray(body['embeds']),
    components: asArray(body['components']),
    flags,
    attachments: p.placeholder ? [] : store.cdn.resolve(body, p.files, { channelId: p.channel.id, ephemeral, existing: [], isCreate: true }),
    poll: body['poll'] ?? null,
  };
  if (!p.placeholder) {
    validateResult(result, body, errors, true);
    errors.throwIfAny();
    if (isEmpty(result, body)) throw Errors.emptyMessage();
  }
  errors.throwIfAny();

  const allowedMentions = body['allowed_mentions'];
  const contentMentions = parseContentMentions(result.content);
  const pinged = pingedMentions(contentMentions, allowedMentions, repliedAuthor);
  const version = versionOf('create', now, result, { allowedMentions, contentMentions, pinged, route: p.route, interactionToken: p.interactionToken });

  return {
    id,
    channelId: p.channel.id,
    guildId: p.channel.guildId,
    authorId: p.authorId,
    byBot: p.byBot,
    source: p.source,
    type: p.type ?? (replyTo ? 19 : 0),
    createdAt: now,
    editedAt: null,
    deleted: false,
    deletedAt: null,
    content: result.content,
    embeds: result.embeds,
    components: result.components,
    flags: result.flags,
    attachments: result.attachments,
    tts: body['tts'] === true,
    pinned: false,
    nonce: typeof body['nonce'] === 'string' || typeof body['nonce'] === 'number' ? body['nonce'] : null,
    poll: result.poll,
    contentMentions,
    pinged,
    versions: [version],
    webhookId: p.webhookId ?? null,
    applicationId: p.webhookId ?? null,
    interaction: p.interaction ?? null,
    interactionToken: p.interactionToken ?? null,
    replyTo,
    threadId: null,
    reactions: new Map(),
  };
}

export interface EditMessageParams {
  store: Store;
  message: StoredMessage;
  body: JsonObject;
  files: UploadedFile[];
  route: string;
  interactionToken?: string;
}

/** Applies a PATCH to a message (fields left out keep their value) and records the new version. */
export function editMessage(p: EditMessageParams): MessageVersion {
  const { message: m, body } = p;
  const errors = new FormErrors();
  const now = Date.now();
  let flags = m.flags & ~MessageFlags.Loading;
  if (typeof body['flags'] === 'number') {
    // IS_COMPONENTS_V2 can be set but never removed.
    const keepV2 = m.flags & MessageFlags.IsComponentsV2;
    flags = (flags & ~EDIT_FLAGS) | (body['flags'] & EDIT_FLAGS) | keepV2;
  }
  const result: ResolvedPayload = {
    content: 'content' in body ? (typeof body['content'] === 'string' ? body['content'] : '') : m.content,
    embeds: 'embeds' in body ? asArray(body['embeds']) : m.embeds,
    components: 'components' in body ? asArray(body['components']) : m.components,
    flags,
    attachments: p.store.cdn.resolve(body, p.files, { channelId: m.channelId, ephemeral: (m.flags & MessageFlags.Ephemeral) !== 0, existing: m.attachments, isCreate: false }),
    poll: m.poll,
  };
  validateResult(result, body, errors, false);
  errors.throwIfAny();
  if (isEmpty(result, body)) throw Errors.emptyMessage();
  p.store.cdn.forget(m.attachments.filter((a) => !result.attachments.some((b) => b.id === a.id)).map((a) => a.id));

  const allowedMentions = 'allowed_mentions' in body ? body['allowed_mentions'] : undefined;
  const contentMentions = parseContentMentions(result.content);
  const repliedAuthor = m.replyTo ? (p.store.message(m.replyTo)?.authorId ?? null) : null;
  // Edits never ping anyone new on Discord; `pinged` records what the mentions resolve to (shown as highlighted).
  const pinged = pingedMentions(contentMentions, allowedMentions ?? m.versions.at(-1)?.allowedMentions, repliedAuthor === m.authorId ? null : repliedAuthor);

  m.content = result.content;
  m.embeds = result.embeds;
  m.components = result.components;
  m.flags = result.flags;
  m.attachments = result.attachments;
  m.contentMentions = contentMentions;
  m.pinged = pinged;
  m.editedAt = now;
  const version = versionOf('edit', now, result, { allowedMentions, contentMentions, pinged, route: p.route, interactionToken: p.interactionToken });
  m.versions.push(version);
  return version;
}

/** A message a person posts (sendUserMessage). No validation beyond what Discord's client enforces. */
export function userMessage(
  store: Store,
  channel: StoredChannel,
  authorId: string,
  content: string,
  replyTo: string | null,
  attachments: AttachmentSpec[],
): StoredMessage {
  const now = Date.now();
  const contentMentions = parseContentMentions(content);
  const ref = replyTo ? store.message(replyTo) : undefined;
  const pinged = pingedMentions(contentMentions, undefined, ref && ref.authorId !== authorId ? ref.authorId : null);
  const stored: StoredAttachment[] = attachments.map((a) => store.cdn.add(a, channel.id, false));
  const version = versionOf('create', now, { content, embeds: [], components: [], flags: 0, attachments: stored }, { allowedMentions: undefined, contentMentions, pinged, route: 'gateway' });
  return {
    id: snowflake(now),
    channelId: channel.id,
    guildId: channel.guildId,
    authorId,
    byBot: false,
    source: 'user',
    type: ref ? 19 : 0,
    createdAt: now,
    editedAt: null,
    deleted: false,
    deletedAt: null,
    content,
    embeds: [],
    components: [],
    flags: 0,
    attachments: stored,
    tts: false,
    pinned: false,
    nonce: null,
    poll: null,
    contentMentions,
    pinged,
    versions: [version],
    webhookId: null,
    applicationId: null,
    interaction: null,
    interactionToken: null,
    replyTo: ref ? ref.id : null,
    threadId: null,
    reactions: new Map(),
  };
}

/** A system message made by the server (e.g. type 18 "started a thread"). */
export function systemMessage(channel: StoredChannel, authorId: string, type: number, content: string): StoredMessage {
  const now = Date.now();
  const version = versionOf('create', now, { content, embeds: [], components: [], flags: 0, attachments: [] }, {
    allowedMentions: undefined,
    contentMentions: EMPTY_MENTIONS,
    pinged: EMPTY_MENTIONS,
    route: 'system',
  });
  return {
    id: snowflake(now),
    channelId: channel.id,
    guildId: channel.guildId,
    authorId,
    byBot: true,
    source: 'system',
    type,
    createdAt: now,
    editedAt: null,
    deleted: false,
    deletedAt: null,
    content,
    embeds: [],
    components: [],
    flags: 0,
    attachments: [],
    tts: false,
    pinned: false,
    nonce: null,
    poll: null,
    contentMentions: EMPTY_MENTIONS,
    pinged: EMPTY_MENTIONS,
    versions: [version],
    webhookId: null,
    applicationId: null,
    interaction: null,
    interactionToken: null,
    replyTo: null,
    threadId: null,
    reactions: new Map(),
  };
}
