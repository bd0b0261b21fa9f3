// Documented Discord limits that the OpenAPI schema does not encode, or encodes looser than Discord applies them to
// a bot. Sources: developers/resources/message.mdx (content, embeds and their limits, allowed mentions),
// developers/components/reference.mdx (action rows, buttons, selects, custom_id, Components V2 totals),
// developers/interactions/receiving-and-responding.mdx (autocomplete choices, modals),
// developers/interactions/application-commands.mdx (names, descriptions, options, choices),
// developers/resources/channel.mdx and topics/threads.mdx (thread names), developers/reference.mdx (Uploading Files,
// File Type Filtering), developers/topics/opcodes-and-status-codes.mdx (30015, 40005), and the spec's own
// descriptions (polls).
import type { Finding } from './explain.js';

type Json = Record<string, unknown>;

/** A file part of a multipart request. */
export interface Upload {
  field: string;
  filename: string;
  size: number;
}

/** The non-JSON parts of a multipart request. */
export interface Parts {
  uploads: Upload[];
  /** Text fields other than payload_json. */
  fields: Record<string, string>;
  /** The largest file the server takes (a boosted guild's may be higher); default attachmentBytes. */
  limitBytes?: number;
}

const NO_PARTS: Parts = { uploads: [], fields: {} };

export const DISCORD_LIMITS = {
  /** A bot's message content; the spec allows 4,000 on channel messages, which only Nitro users get. */
  content: 2000,
  embeds: 10,
  embedTitle: 256,
  embedDescription: 4096,
  embedFields: 25,
  embedFieldName: 256,
  embedFieldValue: 1024,
  embedFooterText: 2048,
  embedAuthorName: 256,
  /** title + description + field names and values + footer text + author name, over all embeds of a message. */
  embedTotal: 6000,
  actionRows: 5,
  buttonsPerRow: 5,
  customId: 100,
  buttonLabel: 80,
  selectOptions: 25,
  selectPlaceholder: 150,
  /** Components V2: every component counts, nested ones included. */
  v2Components: 40,
  /** Components V2: all text displayed (text displays, button labels…) together. */
  v2Text: 4000,
  allowedMentionIds: 100,
  stickers: 3,
  attachments: 10,
  /** reference.mdx, Uploading Files: "The default limit is `10 MiB`", for each file (change-log, April 03, 2025). */
  attachmentBytes: 10 * 1024 * 1024,
  /** message.mdx, Create Message, Limitations: "The maximum request size when sending a message is 25 MiB". */
  requestBytes: 25 * 1024 * 1024,
  /** application-commands.mdx, ATTACHMENT options' `file_types`: "max 10". */
  fileTypes: 10,
  nonce: 25,
  pollAnswers: 10,
  /** "up to 32 days", in hours. */
  pollHours: 32 * 24,
  choices: 25,
  choiceName: 100,
  choiceValue: 100,
  modalTitle: 45,
  modalRows: 5,
  threadName: 100,
  commandName: 32,
  commandDescription: 100,
  commandOptions: 25,
} as const;

const L = DISCORD_LIMITS;
const IS_COMPONENTS_V2 = 1 << 15;
/** application-commands.mdx, Application Command Naming: CHAT_INPUT command and option names. */
const CHAT_INPUT_NAME = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Discord counts characters as code points. */
function length(value: unknown): number {
  return typeof value === 'string' ? [...value].length : 0;
}

class Collector {
  readonly findings: Finding[] = [];
  max(pointer: string, actual: number, limit: number, what: string): void {
    if (actual > limit) this.findings.push({ pointer, message: `${what}: ${actual}, Discord allows at most ${limit}` });
  }
  text(pointer: string, value: unknown, limit: number, what = 'length'): void {
    this.max(pointer, length(value), limit, what);
  }
  fail(pointer: string, message: string): void {
    this.findings.push({ pointer, message });
  }
}

function checkEmbeds(c: Collector, embeds: unknown[], at: string): void {
  c.max(`${at}`, embeds.length, L.embeds, 'embeds');
  let total = 0;
  embeds.forEach((embed, i) => {
    if (!isObject(embed)) return;
    const here = `${at}/${i}`;
    const count = (pointer: string, value: unknown, limit: number) => {
      total += length(value);
      c.text(pointer, value, limit);
    };
    count(`${here}/title`, embed['title'], L.embedTitle);
    count(`${here}/description`, embed['description'], L.embedDescription);
    if (isObject(embed['footer'])) count(`${here}/footer/text`, embed['footer']['text'], L.embedFooterText);
    if (isObject(embed['author'])) count(`${here}/author/name`, embed['author']['name'], L.embedAuthorName);
    const fields = list(embed['fields']);
    c.max(`${here}/fields`, fields.length, L.embedFields, 'fields');
    fields.forEach((field, j) => {
      if (!isObject(field)) return;
      count(`${here}/fields/${j}/name`, field['name'], L.embedFieldName);
      count(`${here}/fields/${j}/value`, field['value'], L.embedFieldValue);
    });
  });
  c.max(at, total, L.embedTotal, 'characters in all embeds together');
}

const SELECT_TYPES = new Set([3, 5, 6, 7, 8]);

function checkComponents(c: Collector, components: unknown[], at: string, v2: boolean): void {
  const customIds = new Map<string, string>();
  let count = 0;
  let text = 0;
  const visit = (component: unknown, here: string): void => {
    if (!isObject(component)) return;
    count += 1;
    const customId = component['custom_id'];
    if (typeof customId === 'string') {
      c.text(`${here}/custom_id`, customId, L.customId);
      const first = customIds.get(customId);
      if (first !== undefined) c.fail(`${here}/custom_id`, `custom_id ${JSON.stringify(customId)} is also used at ${first}; it must be unique in a message`);
      else customIds.set(customId, `${here}/custom_id`);
    }
    const type = component['type'];
    if (type === 2) {
      c.text(`${here}/label`, component['label'], L.buttonLabel);
      text += length(component['label']);
    }
    if (type === 10) text += length(component['content']);
    if (typeof type === 'number' && SELECT_TYPES.has(type)) {
      c.max(`${here}/options`, list(component['options']).length, L.selectOptions, 'options');
      c.text(`${here}/placeholder`, component['placeholder'], L.selectPlaceholder);
    }
    if (type === 1) {
      const items = list(component['components']);
      const hasSelect = items.some((item) => isObject(item) && typeof item['type'] === 'number' && SELECT_TYPES.has(item['type']));
      if (hasSelect && items.length > 1) c.fail(`${here}/components`, 'a select menu takes a whole action row: nothing else may be in its row');
      else c.max(`${here}/components`, items.length, L.buttonsPerRow, 'components in an action row');
    }
    list(component['components']).forEach((child, i) => visit(child, `${here}/components/${i}`));
    if (isObject(component['accessory'])) visit(component['accessory'], `${here}/accessory`);
  };
  if (!v2) c.max(at, components.length, L.actionRows, 'action rows');
  components.forEach((component, i) => visit(component, `${at}/${i}`));
  if (v2) {
    c.max(at, count, L.v2Components, 'components (nested ones included)');
    c.max(at, text, L.v2Text, 'characters of text shown by the components');
  }
}

/**
 * message.mdx, Create Message: a new message needs at least one of content, embeds, sticker_ids, components,
 * files or a poll (whitespace-only content counts as none); a forward needs none of them.
 */
function emptyMessage(body: unknown, files: number): Finding[] {
  if (!isObject(body)) return files > 0 ? [] : [{ pointer: '', message: 'a message needs content, embeds, stickers, components, files or a poll' }];
  const content = typeof body['content'] === 'string' && body['content'].trim().length > 0;
  const some = (key: string) => list(body[key]).length > 0;
  const poll = isObject(body['poll']);
  const forward = isObject(body['message_reference']) && body['message_reference']['type'] === 1;
  if (content || some('embeds') || some('sticker_ids') || some('components') || files > 0 || poll || forward) return [];
  return [{ pointer: '', message: 'a message needs content, embeds, stickers, components, files or a poll (whitespace is no content)' }];
}

/** A message body: create, edit, webhook execute/edit, or an interaction reply's `data`. */
export function messageLimits(body: unknown, at = ''): Finding[] {
  const c = new Collector();
  if (!isObject(body)) return c.findings;
  const flags = typeof body['flags'] === 'number' ? body['flags'] : 0;
  c.text(`${at}/content`, body['content'], L.content);
  if (Array.isArray(body['embeds'])) checkEmbeds(c, body['embeds'], `${at}/embeds`);
  if (Array.isArray(body['components'])) checkComponents(c, body['components'], `${at}/components`, (flags & IS_COMPONENTS_V2) !== 0);
  const mentions = body['allowed_mentions'];
  if (isObject(mentions)) {
    const parse = list(mentions['parse']);
    for (const kind of ['users', 'roles'] as const) {
      const ids = list(mentions[kind]);
      c.max(`${at}/allowed_mentions/${kind}`, ids.length, L.allowedMentionIds, 'ids');
      if (parse.includes(kind) && ids.length > 0) c.fail(`${at}/allowed_mentions/${kind}`, `parse: ["${kind}"] and ${kind}: [ids] are mutually exclusive`);
    }
  }
  c.max(`${at}/sticker_ids`, list(body['sticker_ids']).length, L.stickers, 'stickers');
  c.max(`${at}/attachments`, list(body['attachments']).length, L.attachments, 'attachments');
  if (typeof body['nonce'] === 'string') c.text(`${at}/nonce`, body['nonce'], L.nonce);
  const poll = body['poll'];
  if (isObject(poll)) {
    c.max(`${at}/poll/answers`, list(poll['answers']).length, L.pollAnswers, 'answers');
    if (typeof poll['duration'] === 'number') c.max(`${at}/poll/duration`, poll['duration'], L.pollHours, 'hours');
  }
  return c.findings;
}

function choiceLimits(c: Collector, choices: unknown[], at: string): void {
  c.max(at, choices.length, L.choices, 'choices');
  choices.forEach((choice, i) => {
    if (!isObject(choice)) return;
    c.text(`${at}/${i}/name`, choice['name'], L.choiceName);
    if (typeof choice['value'] === 'string') c.text(`${at}/${i}/value`, choice['value'], L.choiceValue);
  });
}

/** application-commands.mdx, Application Command Option Structure: which option types take which fields. */
function optionFieldLimits(c: Collector, option: Json, here: string): void {
  const type = option['type'];
  const typed = type === 3 || type === 4 || type === 10;
  if (!typed && list(option['choices']).length > 0) c.fail(`${here}/choices`, 'choices are for STRING, INTEGER and NUMBER options only');
  if (!typed && option['autocomplete'] === true) c.fail(`${here}/autocomplete`, 'autocomplete is for STRING, INTEGER and NUMBER options only');
  const fileTypes = option['file_types'];
  if (fileTypes === undefined || fileTypes === null) return;
  if (type !== 11) {
    c.fail(`${here}/file_types`, 'file_types is for ATTACHMENT options only');
    return;
  }
  const types = list(fileTypes);
  c.max(`${here}/file_types`, types.length, L.fileTypes, 'file types');
  types.forEach((t, i) => {
    if (typeof t !== 'string' || !(FILE_TYPE_GROUPS.has(t) || /^\.[^./\\\s]+$/.test(t))) {
      c.fail(`${here}/file_types/${i}`, `${JSON.stringify(t)} is neither image, video, audio nor a dot-prefixed extension such as .pdf`);
    }
  });
}

/** Lowercase where a lowercase form exists, and only letters, digits, `-`, `_` and `'`. */
function chatInputName(c: Collector, pointer: string, name: unknown): void {
  if (typeof name !== 'string') return;
  if (!CHAT_INPUT_NAME.test(name) || name !== name.toLowerCase()) {
    c.fail(pointer, `${JSON.stringify(name)} is not a valid CHAT_INPUT name (lowercase letters, digits, - _ ' only, 1 to 32)`);
  }
}

function commandLimits(c: Collector, command: unknown, at: string, chatInput: boolean): void {
  if (!isObject(command)) return;
  c.text(`${at}/name`, command['name'], L.commandName);
  if (chatInput) chatInputName(c, `${at}/name`, command['name']);
  c.text(`${at}/description`, command['description'], L.commandDescription);
  const options = list(command['options']);
  c.max(`${at}/options`, options.length, L.commandOptions, 'options');
  options.forEach((option, i) => {
    if (!isObject(option)) return;
    const here = `${at}/options/${i}`;
    if (option['type'] === 1 || option['type'] === 2) commandLimits(c, option, here, true);
    else {
      c.text(`${here}/name`, option['name'], L.commandName);
      chatInputName(c, `${here}/name`, option['name']);
      c.text(`${here}/description`, option['description'], L.commandDescription);
      if (Array.isArray(option['choices'])) choiceLimits(c, option['choices'], `${here}/choices`);
      optionFieldLimits(c, option, here);
    }
  });
}

/** A command's type: 1 CHAT_INPUT unless given. */
function isChatInput(command: unknown): boolean {
  return !isObject(command) || command['type'] === undefined || command['type'] === 1;
}

function callbackLimits(body: unknown): Finding[] {
  const c = new Collector();
  if (!isObject(body)) return c.findings;
  const data = body['data'];
  switch (body['type']) {
    case 4:
    case 7:
      return messageLimits(data, '/data');
    case 5:
      return c.findings;
    case 8:
      if (isObject(data)) choiceLimits(c, list(data['choices']), '/data/choices');
      return c.findings;
    case 9:
      if (isObject(data)) {
        c.text('/data/title', data['title'], L.modalTitle);
        c.text('/data/custom_id', data['custom_id'], L.customId);
        c.max('/data/components', list(data['components']).length, L.modalRows, 'rows');
      }
      return c.findings;
    default:
      return c.findings;
  }
}

function threadLimits(body: unknown): Finding[] {
  const c = new Collector();
  if (!isObject(body)) return c.findings;
  c.text('/name', body['name'], L.threadName);
  const starter = body['message'];
  return isObject(starter) ? [...c.findings, ...messageLimits(starter, '/message')] : c.findings;
}

const FILE_FIELD = /^files\[(\d+)\]$/;
const FILE_TYPE_GROUPS = new Set(['image', 'video', 'audio']);

/**
 * reference.mdx, Uploading Files: each file a `files[n]` part with a filename and a unique name, at most 10 to a
 * message (30015), each within the size limit and the request within 25 MiB (40005). With `attachments` in the JSON
 * (`at` is where the message is): a new attachment's id is the `n` of its part; on an edit only listed files are
 * appended ("Editing Message Attachments").
 */
function uploadLimits(body: unknown, parts: Parts, at: string, kind: 'create' | 'edit' | 'other'): Finding[] {
  const c = new Collector();
  for (const key of Object.keys(parts.fields)) {
    if (/^files\[/.test(key)) c.fail(`/${key}`, 'a file part needs a filename in its Content-Disposition; without one Discord takes it for a text field');
  }
  if (parts.uploads.length === 0) return c.findings;
  const seen = new Set<string>();
  const limit = parts.limitBytes ?? L.attachmentBytes;
  let total = 0;
  for (const upload of parts.uploads) {
    total += upload.size;
    if (!FILE_FIELD.test(upload.field)) c.fail(`/${upload.field}`, `file part named ${JSON.stringify(upload.field)}: files go in parts named files[n]`);
    if (seen.has(upload.field)) c.fail(`/${upload.field}`, `${upload.field} is sent twice; each file part needs a name of its own`);
    seen.add(upload.field);
    c.max(`/${upload.field}`, upload.size, limit, 'bytes in the file (Discord answers 413, 40005)');
  }
  c.max('', parts.uploads.length, L.attachments, 'files (Discord answers 30015)');
  c.max('', total, L.requestBytes, 'bytes in all files together (Discord answers 413, 40005)');
  const message = at === '' ? body : isObject(body) ? body[at.slice(1)] : undefined;
  const entries = isObject(message) && Array.isArray(message['attachments']) ? message['attachments'] : null;
  if (entries === null || kind === 'other') return c.findings;
  const keys = new Set(parts.uploads.map((u) => FILE_FIELD.exec(u.field)?.[1]).filter((k) => k !== undefined));
  const listed = new Set(entries.filter(isObject).map((e) => String(e['id'])));
  if (kind === 'create') {
    entries.forEach((e, i) => {
      if (isObject(e) && !keys.has(String(e['id']))) c.fail(`${at}/attachments/${i}/id`, `no files[${String(e['id'])}] part in this request; a new attachment's id is the n of its files[n]`);
    });
  } else {
    for (const key of keys) if (!listed.has(key)) c.fail(`/files[${key}]`, `files[${key}] is not listed in attachments, so Discord does not add it to the message`);
  }
  return c.findings;
}

const MESSAGE_OPERATIONS = new Set([
  'create_message',
  'update_message',
  'execute_webhook',
  'update_original_webhook_message',
  'update_webhook_message',
]);

const COMMAND_OPERATIONS = new Set([
  'create_application_command',
  'update_application_command',
  'create_guild_application_command',
  'update_guild_application_command',
]);

/** Upload findings of a callback: type 4 makes a message, type 7 edits one; both carry it in `data`. */
function callbackUploads(body: unknown, parts: Parts): Finding[] {
  const type = isObject(body) ? body['type'] : undefined;
  return uploadLimits(body, parts, '/data', type === 4 ? 'create' : type === 7 ? 'edit' : 'other');
}

/** Findings (pointers into the request body) for the documented limits of one operation's request. */
export function documentedLimits(operationId: string, body: unknown, parts: Parts = NO_PARTS): Finding[] {
  if (operationId === 'create_message' || operationId === 'execute_webhook') {
    return [...emptyMessage(body, parts.uploads.length), ...messageLimits(body), ...uploadLimits(body, parts, '', 'create')];
  }
  if (MESSAGE_OPERATIONS.has(operationId)) return [...messageLimits(body), ...uploadLimits(body, parts, '', 'edit')];
  if (operationId === 'create_interaction_response') return [...callbackLimits(body), ...callbackUploads(body, parts)];
  if (operationId === 'create_thread' || operationId === 'create_thread_from_message') return [...threadLimits(body), ...uploadLimits(body, parts, '/message', 'create')];
  if (operationId === 'update_channel' && isObject(body) && 'name' in body) {
    const c = new Collector();
    c.text('/name', body['name'], L.threadName);
    return c.findings;
  }
  if (COMMAND_OPERATIONS.has(operationId)) {
    const c = new Collector();
    commandLimits(c, body, '', isChatInput(body));
    return c.findings;
  }
  if (operationId === 'bulk_set_application_commands' || operationId === 'bulk_set_guild_application_commands') {
    const c = new Collector();
    list(body).forEach((command, i) => commandLimits(c, command, `/${i}`, isChatInput(command)));
    return c.findings;
  }
  return [];
}
