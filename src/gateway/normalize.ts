import type { ModelInfo } from './types.js';

/** Small readers for untrusted gateway payloads: they never throw, they return undefined instead. */

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asObject(value: unknown): Json {
  return isObject(value) ? value : {};
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function asNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** A timestamp as milliseconds since the epoch, from ms, seconds or an ISO string. */
export function asEpochMs(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value < 1e11 ? value * 1000 : value;
  if (typeof value === 'string') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/** Message content as plain text: a string, or the text blocks of a block array. */
export function flattenContent(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((block) => {
        if (typeof block === 'string') return block;
        if (isObject(block) && typeof block.text === 'string' && (block.type === undefined || block.type === 'text')) {
          return block.text;
        }
        return '';
      })
      .join('');
  }
  if (isObject(content) && typeof content.text === 'string') return content.text;
  return '';
}

const TOOL_CALL_BLOCKS = new Set(['toolCall', 'toolUse', 'functionCall', 'tool_use']);

/** Whether message content asks for a tool: a block of one of the tool-call types. */
export function hasToolCall(content: unknown): boolean {
  return Array.isArray(content) && content.some((block) => isObject(block) && TOOL_CALL_BLOCKS.has(String(block.type)));
}

/** `provider/id`, whether the gateway gave a provider-local id (OpenClaw) or a full ref (the card). */
export function modelRef(provider: string | undefined, id: string): string {
  if (!provider || id.startsWith(`${provider}/`)) return id;
  return `${provider}/${id}`;
}

/** A `models.list` row, whichever form its id takes. */
export function toModelInfo(row: Json): ModelInfo | undefined {
  const id = asString(row.id);
  if (!id) return undefined;
  const provider = asString(row.provider) ?? (id.includes('/') ? id.slice(0, id.indexOf('/')) : '');
  const ref = modelRef(provider, id);
  return {
    ref,
    provider,
    id: provider ? ref.slice(provider.length + 1) : ref,
    name: asString(row.name) ?? id,
    contextWindow: asNumber(row.contextWindow),
    reasoning: typeof row.reasoning === 'boolean' ? row.reasoning : undefined,
    // Both OpenClaw versions pass their catalog's `input` on (2026.2 outside its own closed schema); the card says none.
    input: Array.isArray(row.input) ? row.input.filter((kind): kind is string => typeof kind === 'string') : undefined,
  };
}

/** The object without its undefined values: OpenClaw params are closed, so absent keys must stay absent. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as T;
}
