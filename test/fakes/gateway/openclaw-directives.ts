// How OpenClaw reads a `chat.send` text before any model sees it: inline directives, inline shortcuts, stop words.
// v3 = 2026.2.17 (src/auto-reply/reply/directives.ts, model.ts, exec/directive.ts, queue/directive.ts,
// reply-inline.ts, get-reply-directives.ts), v4 = 2026.9.6 (the same files plus directive-parsing.ts and
// get-reply-directives-routing.ts). Written from those sources; quoted forms of `/model` and its runtime options are
// left out.
import type { ProtocolVersion } from './protocol-tables.js';

export interface LevelHit {
  /** The word taken as the level, when one was taken. */
  raw?: string;
  /** The normalized level, when `raw` is a valid one. */
  level?: string;
}

export interface ParsedDirectives {
  /** Text left once the directives were removed. */
  cleaned: string;
  think?: LevelHit;
  verbose?: LevelHit;
  reasoning?: LevelHit;
  elevated?: LevelHit;
  /** v4 only. */
  trace?: LevelHit;
  /** v4 only. */
  fast?: LevelHit;
  exec?: { options: Record<string, string> };
  status: boolean;
  model?: { raw?: string };
  queue?: { mode?: string; reset: boolean };
}

type LevelName = 'think' | 'verbose' | 'reasoning' | 'elevated' | 'trace' | 'fast';

const SESSION_DIRECTIVES = ['think', 'verbose', 'reasoning', 'elevated', 'trace', 'fast', 'exec', 'model', 'queue'] as const;

export function hasSessionDirective(d: ParsedDirectives): boolean {
  return SESSION_DIRECTIVES.some((k) => d[k] !== undefined);
}

// ---- level normalizers (src/auto-reply/thinking.ts) ---------------------------------------------------------------

const table = (entries: Record<string, string[]>) => (raw: string | undefined): string | undefined => {
  if (raw === undefined) return undefined;
  const key = raw.trim().toLowerCase();
  return Object.entries(entries).find(([, words]) => words.includes(key))?.[0];
};

export const normalizeThink = table({
  off: ['off'],
  minimal: ['min', 'minimal', 'think'],
  low: ['on', 'enable', 'enabled', 'low', 'thinkhard', 'think-hard', 'think_hard'],
  medium: ['mid', 'med', 'medium', 'thinkharder', 'think-harder', 'harder'],
  high: ['high', 'ultra', 'ultrathink', 'thinkhardest', 'highest', 'max'],
  xhigh: ['xhigh', 'x-high', 'x_high', 'extrahigh', 'extra-high'],
});
const normalizeOnOffFull = table({
  off: ['off', 'false', 'no', '0'],
  on: ['on', 'minimal', 'true', 'yes', '1'],
  full: ['full', 'all', 'everything'],
});
const normalizeReasoning = table({
  off: ['off', 'false', 'no', '0', 'hide', 'hidden', 'disable', 'disabled'],
  on: ['on', 'true', 'yes', '1', 'show', 'visible', 'enable', 'enabled'],
  stream: ['stream', 'streaming', 'draft', 'live'],
});
const normalizeElevated = table({
  off: ['off', 'false', 'no', '0'],
  full: ['full', 'auto', 'auto-approve', 'autoapprove'],
  ask: ['ask', 'prompt', 'approval', 'approve'],
  on: ['on', 'true', 'yes', '1'],
});
const normalizeFast = table({ on: ['on', 'true', 'yes', '1'], off: ['off', 'false', 'no', '0'], auto: ['auto'] });
const normalizeQueueMode = table({
  steer: ['queue', 'queued', 'steer', 'steering'],
  interrupt: ['interrupt', 'interrupts', 'abort'],
  followup: ['followup', 'follow-ups', 'followups'],
  collect: ['collect', 'coalesce'],
  'steer-backlog': ['steer+backlog', 'steer-backlog', 'steer_backlog'],
});

const LEVELS: Record<LevelName, { names: string[]; normalize: (raw: string | undefined) => string | undefined }> = {
  think: { names: ['thinking', 'think', 't'], normalize: normalizeThink },
  verbose: { names: ['verbose', 'v'], normalize: normalizeOnOffFull },
  reasoning: { names: ['reasoning', 'reason'], normalize: normalizeReasoning },
  elevated: { names: ['elevated', 'elev'], normalize: normalizeElevated },
  trace: { names: ['trace'], normalize: normalizeOnOffFull },
  fast: { names: ['fast'], normalize: normalizeFast },
};

// ---- the two removal styles -------------------------------------------------------------------------------------

/** v3: the span becomes one space, then every whitespace run in the whole text collapses to one space. */
function removeV3(body: string, start: number, end: number): string {
  return `${body.slice(0, start)} ${body.slice(end)}`.replace(/\s+/g, ' ').trim();
}

/** v4 (removeDirectiveSpan): only the span and one adjacent separator (or its own line) go; other bytes stay. */
function removeV4(body: string, start: number, end: number): string {
  let from = start;
  let to = end;
  const lineStart = body.lastIndexOf('\n', start - 1) + 1;
  const beforeOnLine = body.slice(lineStart, start);
  const lineEnding = /^[ \t]*(?:\r?\n|$)/.exec(body.slice(end));
  if (/^[ \t]*$/.test(beforeOnLine) && lineEnding) {
    from = lineStart;
    to += lineEnding[0].length;
  } else if (/[ \t]/.test(body.charAt(end))) {
    to += 1;
  } else if ((end === body.length || /[\r\n]/.test(body.charAt(end))) && /\S/.test(beforeOnLine) && /[ \t]/.test(body.charAt(start - 1))) {
    from -= 1;
  }
  const cleaned = body.slice(0, from) + body.slice(to);
  return cleaned.trim() ? cleaned : '';
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Where `/name` starts a word: v3 matches `(^|\s)/name` (start at the whitespace), v4 `(?<!\S)/name`. */
function findWord(body: string, names: string[], protocol: ProtocolVersion, tail = ''): RegExpExecArray | null {
  const alt = names.map(escape).join('|');
  const head = protocol === 3 ? '(?:^|\\s)' : '(?<!\\S)';
  return new RegExp(`${head}\\/(?:${alt})(?=$|\\s|:)${tail}`, 'i').exec(body);
}

/** Index of the `/` inside a match (v3 matches may start at the whitespace before it). */
const slashAt = (m: RegExpExecArray): number => m.index + m[0].indexOf('/');

// ---- one extractor per directive kind ---------------------------------------------------------------------------

interface Extracted<T> {
  cleaned: string;
  hit?: T;
}

function extractLevel(body: string, name: LevelName, protocol: ProtocolVersion): Extracted<LevelHit> {
  const { names, normalize } = LEVELS[name];
  const m = findWord(body, names, protocol);
  if (!m) return { cleaned: protocol === 3 ? body.trim() : body };
  const start = m.index;
  const directiveEnd = m.index + m[0].length;
  let i = directiveEnd;
  if (protocol === 3) {
    // v3 takes any word after the directive as its level, valid or not.
    while (i < body.length && /\s/.test(body[i]!)) i++;
    if (body[i] === ':') {
      i++;
      while (i < body.length && /\s/.test(body[i]!)) i++;
    }
    const argStart = i;
    while (i < body.length && /[A-Za-z-]/.test(body[i]!)) i++;
    const raw = i > argStart ? body.slice(argStart, i) : undefined;
    return { cleaned: removeV3(body, start, i), hit: { raw, level: normalize(raw) } };
  }
  // v4 takes the word only when it is a valid level or nothing follows it.
  const prefixEnd = directiveEnd + (/^\s*:/.exec(body.slice(directiveEnd))?.[0].length ?? 0);
  i = prefixEnd;
  while (i < body.length && /\s/.test(body[i]!)) i++;
  const argStart = i;
  while (i < body.length && /[A-Za-z-]/.test(body[i]!)) i++;
  const candidate = i > argStart ? body.slice(argStart, i) : undefined;
  if (candidate !== undefined && (normalize(candidate) !== undefined || body.slice(i).trim() === '')) {
    return { cleaned: removeV4(body, start, i), hit: { raw: candidate, level: normalize(candidate) } };
  }
  return { cleaned: removeV4(body, start, prefixEnd), hit: {} };
}

/** Arguments after `/exec` or `/queue`: tokens are taken while they are recognized. */
function argTokens(raw: string, protocol: ProtocolVersion): Array<{ token: string; end: number }> {
  let i = 0;
  if (protocol === 3) {
    while (i < raw.length && /\s/.test(raw[i]!)) i++;
    if (raw[i] === ':') i++;
  } else {
    i = /^\s*:/.exec(raw)?.[0].length ?? 0;
  }
  const out: Array<{ token: string; end: number }> = [];
  const prefix = i;
  out.push({ token: '', end: prefix });
  for (;;) {
    while (i < raw.length && /\s/.test(raw[i]!)) i++;
    if (i >= raw.length) break;
    const start = i;
    while (i < raw.length && !/\s/.test(raw[i]!)) i++;
    let end = i;
    // v3 swallows the whitespace after an accepted token too.
    if (protocol === 3) while (end < raw.length && /\s/.test(raw[end]!)) end++;
    out.push({ token: raw.slice(start, i), end });
  }
  return out;
}

function extractExec(body: string, protocol: ProtocolVersion): Extracted<{ options: Record<string, string> }> {
  const m = findWord(body, ['exec'], protocol);
  if (!m) return { cleaned: protocol === 3 ? body.trim() : body };
  const start = slashAt(m);
  const argsStart = start + '/exec'.length;
  const [first, ...tokens] = argTokens(body.slice(argsStart), protocol);
  let consumed = first!.end;
  const options: Record<string, string> = {};
  for (const { token, end } of tokens) {
    const sep = token.search(/[=:]/);
    const key = sep > 0 ? token.slice(0, sep).toLowerCase() : '';
    if (!['host', 'security', 'ask', 'node'].includes(key)) break;
    options[key] = token.slice(sep + 1);
    consumed = end;
  }
  const end = argsStart + consumed;
  return { cleaned: protocol === 3 ? removeV3(body, start, end) : removeV4(body, start, end), hit: { options } };
}

function extractQueue(body: string, protocol: ProtocolVersion): Extracted<{ mode?: string; reset: boolean }> {
  const m = findWord(body, ['queue'], protocol);
  if (!m) return { cleaned: protocol === 3 ? body.trim() : body };
  const start = slashAt(m);
  const argsStart = start + '/queue'.length;
  const [first, ...tokens] = argTokens(body.slice(argsStart), protocol);
  let consumed = first!.end;
  let mode: string | undefined;
  let reset = false;
  for (const { token, end } of tokens) {
    const lower = token.toLowerCase();
    if (['default', 'reset', 'clear'].includes(lower)) {
      reset = true;
      consumed = end;
      break;
    }
    if (/^(debounce|cap|drop)[:=]/.test(lower) || normalizeQueueMode(token) !== undefined) {
      mode = normalizeQueueMode(token) ?? mode;
      consumed = end;
      continue;
    }
    break;
  }
  const end = argsStart + consumed;
  return { cleaned: protocol === 3 ? removeV3(body, start, end) : removeV4(body, start, end), hit: { mode, reset } };
}

const MODEL_REF = '[A-Za-z0-9_.:@-]+(?:\\/[A-Za-z0-9_.:@-]+)*';
const MODEL_SCOPE = '(?:--session|-s|--agent|-a|--global|-g)(?=$|\\s)';

function extractModel(body: string, protocol: ProtocolVersion): Extracted<{ raw?: string }> {
  if (protocol === 3) {
    const m = new RegExp(`(?:^|\\s)\\/model(?=$|\\s|:)\\s*:?\\s*(${MODEL_REF})?`, 'i').exec(body);
    if (!m) return { cleaned: body.trim() };
    return { cleaned: body.replace(m[0], ' ').replace(/\s+/g, ' ').trim(), hit: { raw: rawModel(m[1]) } };
  }
  const m = new RegExp(
    `(?<!\\S)\\/model(?=$|\\s|:)(?:\\s*:)?(?:\\s*(?!${MODEL_SCOPE}|--runtime|runtime=|harness=)(${MODEL_REF}))?(?:\\s+${MODEL_SCOPE})?`,
    'i',
  ).exec(body);
  if (!m) return { cleaned: body };
  return { cleaned: removeV4(body, m.index, m.index + m[0].length), hit: { raw: rawModel(m[1]) } };
}

/** `provider/model@profile` → `provider/model`. */
const rawModel = (raw: string | undefined): string | undefined => raw?.trim().split('@')[0] || undefined;

function extractStatus(body: string, protocol: ProtocolVersion): Extracted<true> {
  if (protocol === 3) {
    const m = /(?:^|\s)\/status(?=$|\s|:)(?:\s*:\s*)?/i.exec(body);
    if (!m) return { cleaned: body.trim() };
    return { cleaned: body.replace(m[0], ' ').replace(/\s+/g, ' ').trim(), hit: true };
  }
  const m = /(?<!\S)\/status(?=$|\s|:)(?:\s*:)?/i.exec(body);
  if (!m) return { cleaned: body };
  return { cleaned: removeV4(body, m.index, m.index + m[0].length), hit: true };
}

/** All inline `/status` go; v3 also collapses every whitespace run while doing it, even with none present. */
export function stripInlineStatus(body: string, protocol: ProtocolVersion): string {
  if (protocol === 3) return body.trim().replace(/(?:^|\s)\/status(?=$|\s|:)(?:\s*:\s*)?/gi, ' ').replace(/\s+/g, ' ').trim();
  let cleaned = body;
  for (let r = extractStatus(cleaned, 4); r.hit; r = extractStatus(cleaned, 4)) cleaned = r.cleaned;
  return cleaned;
}

export type InlineCommand = '/help' | '/commands' | '/whoami';

/** The first inline shortcut `/help`, `/commands`, `/whoami` or `/id`, and the text without it. */
export function extractInlineCommand(body: string, protocol: ProtocolVersion): { command: InlineCommand; cleaned: string } | undefined {
  const m = findWord(body, ['help', 'commands', 'whoami', 'id'], protocol);
  if (!m) return undefined;
  const word = m[0].slice(m[0].indexOf('/') + 1).toLowerCase();
  const command = (word === 'id' ? '/whoami' : `/${word}`) as InlineCommand;
  const start = slashAt(m);
  const end = start + 1 + word.length;
  const cleaned = protocol === 3 ? body.replace(m[0], ' ').replace(/\s+/g, ' ').trim() : removeV4(body, start, end);
  return { command, cleaned };
}

/** Every directive, in the order the real parser strips them. */
export function parseDirectives(body: string, protocol: ProtocolVersion): ParsedDirectives {
  const out: ParsedDirectives = { cleaned: body, status: false };
  const levels: LevelName[] = protocol === 3 ? ['think', 'verbose', 'reasoning', 'elevated'] : ['think', 'verbose', 'trace', 'fast', 'reasoning', 'elevated'];
  let cleaned = body;
  for (const name of levels) {
    const r = extractLevel(cleaned, name, protocol);
    cleaned = r.cleaned;
    if (r.hit) out[name] = r.hit;
  }
  const exec = extractExec(cleaned, protocol);
  cleaned = exec.cleaned;
  if (exec.hit) out.exec = exec.hit;
  const status = extractStatus(cleaned, protocol);
  cleaned = status.cleaned;
  out.status = status.hit === true;
  const model = extractModel(cleaned, protocol);
  cleaned = model.cleaned;
  if (model.hit) out.model = model.hit;
  const queue = extractQueue(cleaned, protocol);
  cleaned = queue.cleaned;
  if (queue.hit) out.queue = queue.hit;
  out.cleaned = cleaned;
  return out;
}

/** What is left of a text without its envelope and speaker prefixes: decides whether a message is directive-only. */
export function stripStructuralPrefixes(text: string, protocol: ProtocolVersion): string {
  if (protocol === 3) {
    return text
      .replace(/\[[^\]]+\]\s*/g, '')
      .replace(/^[ \t]*[A-Za-z0-9+()\-_. ]+:\s*/gm, '')
      .replace(/\\n/g, ' ')
      .replace(/\s+/g, ' ')
      .trim();
  }
  const afterEnvelope = text.replace(/^(?:[ \t]*\[[^\]\n]+\][ \t]*)+/, '');
  const sender = afterEnvelope === text ? /^[ \t]*(?!\/)[^\n:]{1,120}:\s+/gm : /^[ \t]*[^\n:]{1,120}:\s+/gm;
  const stripped = afterEnvelope.replace(sender, '').replace(/\\n/g, ' ').trim();
  return stripped.startsWith('/') ? stripped.replace(/[ \t]+/g, ' ') : stripped.replace(/\s+/g, ' ');
}

// ---- stop words (src/auto-reply/reply/abort.ts v3, abort-trigger-text.ts v4) ---------------------------------------

const STOP_WORDS_V3 = ['stop', 'esc', 'abort', 'wait', 'exit', 'interrupt'];
const STOP_WORDS_V4 = [
  'stop', 'esc', 'abort', 'exit', 'interrupt', 'detente', 'deten', 'detén', 'arrete', 'arrête', '停止', '停下来', '暂停',
  'やめて', '止めて', 'रुको', 'توقف', 'стоп', 'остановись', 'останови', 'остановить', 'прекрати', 'halt', 'anhalten',
  'aufhören', 'hoer auf', 'stopp', 'pare', 'stop openclaw', 'openclaw stop', 'stop action', 'stop current action',
  'stop run', 'stop current run', 'stop agent', 'stop the agent', "stop don't do anything", 'stop dont do anything',
  'stop do not do anything', 'stop doing anything', 'do not do that', 'please stop', 'stop please',
];

/** A text that stops the session's runs instead of starting one (`/stop` or a stop word alone). */
export function isStopCommand(text: string, protocol: ProtocolVersion): boolean {
  const lower = text.trim().toLowerCase();
  if (lower === '') return false;
  if (protocol === 3) return lower === '/stop' || STOP_WORDS_V3.includes(lower);
  const normalized = lower.replace(/[’`]/g, "'").replace(/\s+/g, ' ').replace(/[.!?！？…,，。;；:：'"’”)\]}]+$/u, '').trim();
  return lower === '/stop' || normalized === '/stop' || STOP_WORDS_V4.includes(normalized);
}
