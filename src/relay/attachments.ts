import { isUtf8 } from 'node:buffer';
import { extname } from 'node:path';
import { gatewayName } from '../gateway/attachments.js';
import { formatBytes } from '../gateway/sizes.js';
import type { AttachmentLimits, ChatAttachment, GatewayInfo } from '../gateway/types.js';
import { UserFacingError } from './errors.js';
import { FileTooLargeError } from './scope.js';

/** What Discord says of a file before anyone downloads it. */
export interface FileFacts {
  name: string;
  contentType: string | undefined;
  size: number;
}

/** What the relay knows of the connected gateway's way with files. */
export interface GatewayFiles {
  limits: AttachmentLimits;
  /** How a person knows this gateway: `OpenClaw 2026.2`, `the card gateway`. */
  name: string;
  /** OpenClaw 2026.2 hands images to a model without image input nowhere, without a word; 2026.9 describes them. */
  dropsImagesForTextModels: boolean;
  /** Whether the session's model takes images, when the gateway says (ModelInfo.input). */
  modelTakesImages: boolean | undefined;
  model: string | undefined;
}

export interface FileRules {
  /** attachments.maxBytes: the most clawcord downloads of one file. */
  downloadMaxBytes: number;
  /** attachments.inlineTextMaxChars. */
  inlineTextMaxChars: number;
}

export interface FileRefusal {
  name: string;
  /** The line a person reads: the file, and why it cannot go. */
  line: string;
}

/** What a file looks like it is: `unknown` until its bytes say whether it is text. */
export type ExpectedKind = 'image' | 'text' | 'other' | 'unknown';

/** What a file was planned as from Discord's word, and how much of it to download. */
export interface FilePlan<F extends FileFacts = FileFacts> {
  facts: F;
  expected: ExpectedKind;
  cap: SizeLimit;
}

interface SizeLimit {
  bytes: number;
  /** Completes "over …": `this gateway's 6 MiB limit for images`. */
  label: string;
}

/** A file's bytes, fetched. */
export interface FetchedFile {
  facts: FileFacts;
  expected: ExpectedKind;
  data: Buffer;
}

export interface PreparedFiles {
  attachments: ChatAttachment[];
  /** Fenced blocks of text files for gateways that take none, to go after the message. */
  inlined: string[];
  /** For the asker: what of their files was cut to fit (inlined text past inlineTextMaxChars). */
  notes: string[];
}

/** Some of a prompt's files cannot go: nothing of the prompt is sent. */
export class FilesRefusedError extends UserFacingError {
  constructor(readonly refusals: FileRefusal[]) {
    super(
      refusals.length === 1
        ? `Nothing was sent: ${refusals[0]!.line}.`
        : `Nothing was sent, as ${refusals.length} files cannot go:\n${refusals.map((r) => `• ${r.line}`).join('\n')}`,
    );
  }
}

// ---- what a file is ----

const IMAGE_TYPES = new Map([
  ['image/png', 'png'],
  ['image/jpeg', 'jpeg'],
  ['image/jpg', 'jpeg'],
  ['image/gif', 'gif'],
  ['image/webp', 'webp'],
]);
const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.gif', '.webp']);

const TEXT_TYPES = new Set([
  'application/json',
  'application/xml',
  'application/yaml',
  'application/x-yaml',
  'application/toml',
  'application/javascript',
  'application/typescript',
  'application/x-sh',
  'application/x-python',
  'application/sql',
  'application/graphql',
  'application/x-ndjson',
]);

// Discord names some source files by other formats' types (`.ts` is MPEG transport stream video to it): the name wins.
const TEXT_EXTENSIONS = new Set(
  (
    '.txt .text .md .markdown .rst .adoc .csv .tsv .log .json .jsonl .ndjson .yaml .yml .toml .ini .cfg .conf .env .xml .html .htm .css .scss .sass .less ' +
    '.svg .js .mjs .cjs .jsx .ts .mts .cts .tsx .vue .svelte .py .pyi .rb .php .pl .lua .r .jl .go .rs .java .kt .kts .scala .groovy .gradle .c .h .cc .cpp ' +
    '.cxx .hpp .hh .cs .fs .swift .m .mm .dart .ex .exs .erl .hs .ml .clj .elm .zig .nim .sh .bash .zsh .fish .ps1 .bat .cmd .sql .graphql .gql .proto ' +
    '.tf .hcl .nix .dockerfile .make .mk .cmake .diff .patch .tex .bib .srt .vtt .properties .lock'
  ).split(' '),
);
const TEXT_NAMES = new Set(['dockerfile', 'makefile', 'readme', 'license', 'procfile', 'gemfile', 'rakefile', '.gitignore', '.editorconfig', '.env']);

function baseType(contentType: string | undefined): string | undefined {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  return type ? type : undefined;
}

function isTextType(type: string | undefined): boolean {
  if (!type) return false;
  return type.startsWith('text/') || TEXT_TYPES.has(type) || type.endsWith('+json') || type.endsWith('+xml') || type.endsWith('+yaml');
}

/** What Discord's word (name, content type) makes a file look like; the bytes confirm it later. */
export function expectedKind(file: Pick<FileFacts, 'name' | 'contentType'>): ExpectedKind {
  const type = baseType(file.contentType);
  const ext = extname(file.name).toLowerCase();
  if (IMAGE_EXTENSIONS.has(ext) || (type !== undefined && IMAGE_TYPES.has(type))) return 'image';
  if (TEXT_EXTENSIONS.has(ext) || TEXT_NAMES.has(file.name.toLowerCase()) || isTextType(type)) return 'text';
  if (type && type !== 'application/octet-stream') return 'other';
  return ext === '' || ext === '.bin' ? 'unknown' : 'other';
}

/** The image type the bytes' magic shows: PNG, JPEG, GIF or WEBP. */
export function sniffImage(data: Buffer): string | undefined {
  if (data.length >= 8 && data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'image/jpeg';
  if (data.length >= 6 && /^GIF8[79]a$/.test(data.subarray(0, 6).toString('latin1'))) return 'image/gif';
  if (data.length >= 12 && data.subarray(0, 4).toString('latin1') === 'RIFF' && data.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  return undefined;
}

/** Text a model can read: UTF-8 without NUL bytes. */
export function isText(data: Buffer): boolean {
  return !data.includes(0) && isUtf8(data);
}

const OTHER_MAGIC: Array<[string, string]> = [
  ['%PDF-', 'application/pdf'],
  ['PK\u0003\u0004', 'application/zip'],
  ['\u001f\u008b', 'application/gzip'],
];

function sniffOther(data: Buffer, contentType: string | undefined): string {
  const head = data.subarray(0, 8).toString('latin1');
  const known = OTHER_MAGIC.find(([magic]) => head.startsWith(magic));
  if (known) return known[1];
  const type = baseType(contentType);
  return type && !type.startsWith('image/') && !isTextType(type) ? type : 'application/octet-stream';
}

// ---- how a person reads it ----

/** A size as people read it: `7.1 MB`, `512 kB`, `900 bytes`. */
export function formatSize(bytes: number): string {
  if (bytes < 1_000) return `${bytes} bytes`;
  if (bytes < 1_000_000) return `${(bytes / 1_000).toFixed(bytes < 10_000 ? 1 : 0)} kB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/** A file's size beside a limit it is over: exact bytes when rounding would hide the difference. */
function sizeOver(bytes: number, limit: number): string {
  return bytes < limit * 1.01 ? `${bytes.toLocaleString('en-US')} bytes` : formatSize(bytes);
}

/** A file name as inline code: no backticks or line breaks, not too long. */
export function codeName(name: string): string {
  const clean = name.replace(/[`\p{Cc}\p{Zl}\p{Zp}]/gu, '_');
  return `\`${clean.length > 80 ? `${clean.slice(0, 79)}…` : clean}\``;
}

/** A fence longer than any run of backticks in `text`, so the block cannot end early. */
export function fenceFor(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  return '`'.repeat(Math.max(3, longest + 1));
}

export function fenced(text: string, info = ''): string {
  const fence = fenceFor(text);
  return `${fence}${info}\n${text}${text.endsWith('\n') ? '' : '\n'}${fence}`;
}

/** A text file as the message carries it on gateways that take no text files: its name, then its text, capped. */
export function inlineTextFile(name: string, text: string, maxChars: number): string {
  const chars = [...text];
  const kept = chars.length > maxChars ? chars.slice(0, maxChars).join('') : text;
  const cut = chars.length - Math.min(chars.length, maxChars);
  const note = cut > 0 ? `\n(clawcord kept the first ${maxChars.toLocaleString('en-US')} of its ${chars.length.toLocaleString('en-US')} characters; ${cut.toLocaleString('en-US')} were cut.)` : '';
  return `Attached file ${codeName(name)}:\n${fenced(kept)}${note}`;
}

// ---- the gateway ----

/** How people know the gateway, and what it does with files, from the handshake. */
export function gatewayFiles(info: GatewayInfo, model: { ref: string | undefined; takesImages: boolean | undefined } = { ref: undefined, takesImages: undefined }): GatewayFiles {
  return {
    limits: info.features.attachments,
    name: gatewayName(info),
    dropsImagesForTextModels: info.dialect === 'openclaw' && Number(info.protocol) < 4,
    modelTakesImages: model.takesImages,
    model: model.ref,
  };
}

/** Whether the session's model matters to this prompt: images on a gateway that drops them for text-only models. */
export function needsModelInput(files: readonly FileFacts[], info: GatewayInfo): boolean {
  return gatewayFiles(info).dropsImagesForTextModels && files.some((file) => expectedKind(file) === 'image');
}

function typeRefusal(kind: 'image' | 'other', gateway: GatewayFiles): string {
  const inlines = gateway.limits.files === undefined;
  if (kind === 'image') return `${gateway.name} takes no images${inlines ? ' (clawcord inlines text files only)' : ''}`;
  if (gateway.limits.images) return `${gateway.name} takes only images (and clawcord inlines text files)`;
  return `${gateway.name} takes no files (clawcord inlines text files only)`;
}

function line(facts: FileFacts, reason: string, withSize = false): FileRefusal {
  return { name: facts.name, line: `${codeName(facts.name)}${withSize ? ` (${formatSize(facts.size)})` : ''}: ${reason}` };
}

function overLimit(facts: FileFacts, bytes: number, limit: SizeLimit): FileRefusal {
  return { name: facts.name, line: `${codeName(facts.name)} (${sizeOver(bytes, limit.bytes)}): over ${limit.label}` };
}

/** Where a file of this kind can go on this gateway, and up to what size; a reason when it cannot go at all. */
function route(kind: 'image' | 'text' | 'other', gateway: GatewayFiles, rules: FileRules): { limit: SizeLimit } | { refused: string } {
  const download: SizeLimit = { bytes: rules.downloadMaxBytes, label: `clawcord's ${formatBytes(rules.downloadMaxBytes)} limit for one file (attachments.maxBytes)` };
  const within = (bytes: number, label: string): SizeLimit => (bytes < download.bytes ? { bytes, label } : download);
  const { images, files } = gateway.limits;
  if (kind === 'image') {
    if (!images) return { refused: typeRefusal('image', gateway) };
    if (gateway.dropsImagesForTextModels && gateway.modelTakesImages === false) {
      return { refused: `the session's model${gateway.model ? ` \`${gateway.model}\`` : ''} takes no images, and ${gateway.name} would drop the picture without a word` };
    }
    return { limit: within(images.maxBytes, `this gateway's ${formatBytes(images.maxBytes)} limit for images`) };
  }
  if (files) return { limit: within(files.maxBytes, `this gateway's ${formatBytes(files.maxBytes)} limit for files`) };
  if (kind === 'text') return { limit: download };
  return { refused: typeRefusal('other', gateway) };
}

// ---- deciding ----

/**
 * Decides from Discord's word alone (name, content type, size) which files can go, before anything is shown or
 * downloaded: what cannot go is refused at once, the rest is planned with the size to download at most.
 */
export function planFiles<F extends FileFacts>(files: readonly F[], gateway: GatewayFiles, rules: FileRules): { plans: Array<FilePlan<F>>; refusals: FileRefusal[] } {
  const plans: Array<FilePlan<F>> = [];
  const refusals: FileRefusal[] = [];
  for (const facts of files) {
    const expected = expectedKind(facts);
    // A file of unknown type may be text; it is decided once its bytes are here.
    const decided = route(expected === 'unknown' ? (gateway.limits.files ? 'other' : 'text') : expected, gateway, rules);
    if ('refused' in decided) {
      refusals.push(line(facts, decided.refused));
      continue;
    }
    if (facts.size > decided.limit.bytes) refusals.push(overLimit(facts, facts.size, decided.limit));
    else plans.push({ facts, expected, cap: decided.limit });
  }
  const frame = frameRefusal(plans.map((p) => ({ name: p.facts.name, bytes: attachedBytes(p, gateway) })), gateway, 0);
  if (frame) refusals.push(frame);
  return { plans, refusals };
}

/** What of a planned file goes as an attachment (text files inlined on gateways without files go in the message). */
function attachedBytes(plan: FilePlan, gateway: GatewayFiles): number {
  return plan.expected === 'image' || gateway.limits.files ? plan.facts.size : 0;
}

/** What a download failure means to the person: too large for the limit the plan set, or another failure. */
export function fetchRefusal(plan: FilePlan, error: unknown): FileRefusal {
  if (error instanceof FileTooLargeError) return overLimit(plan.facts, error.sizeBytes ?? Math.max(plan.facts.size, plan.cap.bytes + 1), plan.cap);
  const reason = error instanceof Error && error.message ? error.message : 'the download failed';
  return line(plan.facts, `could not be downloaded from Discord (${reason}); try attaching it again`);
}

/**
 * Decides from the bytes: an image must be one (PNG, JPEG, GIF, WEBP by its magic), a text file UTF-8 without NUL;
 * each then goes as the gateway takes it (attachment, or inlined text) within its limits, and the whole frame
 * within the gateway's max payload, with `message` (the prompt as sent, before any inlined text).
 */
export function prepareFiles(fetched: readonly FetchedFile[], gateway: GatewayFiles, rules: FileRules, message: string): { prepared: PreparedFiles; refusals: FileRefusal[] } {
  const attachments: ChatAttachment[] = [];
  const inlined: string[] = [];
  const notes: string[] = [];
  const refusals: FileRefusal[] = [];
  for (const { facts, expected, data } of fetched) {
    const actual = { ...facts, size: data.length };
    const image = sniffImage(data);
    const text = !image && isText(data);
    if (expected === 'image' && !image) {
      refusals.push(line(actual, 'its bytes are not a PNG, JPEG, GIF or WEBP image, whatever its name or type says'));
      continue;
    }
    if (expected === 'text' && !text) {
      refusals.push(line(actual, 'its bytes are not text (UTF-8), whatever its name or type says'));
      continue;
    }
    const kind = image ? 'image' : text ? 'text' : 'other';
    const decided = route(kind, gateway, rules);
    if ('refused' in decided) {
      refusals.push(line(actual, decided.refused, true));
      continue;
    }
    if (data.length > decided.limit.bytes) {
      refusals.push(overLimit(actual, data.length, decided.limit));
      continue;
    }
    if (kind === 'text' && !gateway.limits.files) {
      const text = data.toString('utf8');
      inlined.push(inlineTextFile(facts.name, text, rules.inlineTextMaxChars));
      const chars = [...text].length;
      if (chars > rules.inlineTextMaxChars) {
        notes.push(`✂️ ${codeName(facts.name)} went into the prompt as text (${gateway.name} takes no text files), cut to its first ${rules.inlineTextMaxChars.toLocaleString('en-US')} of ${chars.toLocaleString('en-US')} characters.`);
      }
      continue;
    }
    const mimeType = image ?? (text ? (isTextType(baseType(facts.contentType)) ? baseType(facts.contentType)! : 'text/plain') : sniffOther(data, facts.contentType));
    attachments.push({ fileName: facts.name, mimeType, kind: image ? 'image' : 'file', data });
  }
  const withInlined = [message, ...inlined].join('\n\n');
  const frame = frameRefusal(attachments.map((a) => ({ name: a.fileName, bytes: a.data.length })), gateway, Buffer.byteLength(withInlined));
  if (frame) refusals.push(frame);
  return { prepared: { attachments, inlined, notes }, refusals };
}

/** Room kept in a frame for the envelope and the message (OpenClaw 2026.9 keeps 256 KiB for it, too). */
const FRAME_MARGIN_BYTES = 256 * 1024;

/** The files' bytes one frame to this gateway can carry, base64 taking 4 bytes for 3, besides a message of `messageBytes`. */
export function frameRoom(gateway: GatewayFiles, messageBytes: number): number | undefined {
  const max = gateway.limits.maxPayloadBytes;
  if (max === undefined) return undefined;
  return Math.max(0, Math.floor(((max - FRAME_MARGIN_BYTES - messageBytes * 2) * 3) / 4));
}

function frameRefusal(files: Array<{ name: string; bytes: number }>, gateway: GatewayFiles, messageBytes: number): FileRefusal | undefined {
  const room = frameRoom(gateway, messageBytes);
  const sent = files.filter((f) => f.bytes > 0);
  const total = sent.reduce((sum, f) => sum + f.bytes, 0);
  // Each item's base64 rounds up, and carries a name and a type.
  const overhead = sent.reduce((sum, f) => sum + 4 + f.name.length * 2 + 128, 0);
  if (room === undefined || sent.length === 0 || total + overhead <= room) return undefined;
  const names = sent.map((f) => codeName(f.name)).join(', ');
  return {
    name: sent.map((f) => f.name).join(', '),
    line: `${names} (${formatSize(total)} together): more than one message to ${gateway.name} can carry (about ${formatBytes(room)} of files); send fewer or smaller files`,
  };
}
