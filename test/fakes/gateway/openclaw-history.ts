// `chat.history` rows as each version projects its transcript: tool-call and tool-result rows as the pi agent writes
// them (pi-agent-core agent-loop.js, pi-ai openai-completions.js), text caps with the real marker, and the shapes H-B
// recorded from real runs (/tmp/clawcord-requests/H-B-facts.md §2).
// v3: src/gateway/server-methods/chat.ts (CHAT_HISTORY_TEXT_MAX_CHARS = 12e3; image data replaced by `omitted` and
// its `bytes`, sanitizeChatHistoryContentBlock). v4: src/gateway/
// chat-display-projection.helpers.ts (DEFAULT_CHAT_HISTORY_TEXT_MAX_CHARS = 8e3, `maxChars` up to 5e5) and
// chat-display-projection.core.ts.
import { randomUUID } from 'node:crypto';
import type { ProtocolVersion } from './protocol-tables.js';
import type { ChatMessage } from './state.js';

export const V3_HISTORY_TEXT_MAX_CHARS = 12_000;
export const V4_DEFAULT_HISTORY_TEXT_MAX_CHARS = 8_000;
export const HISTORY_TRUNCATION_MARKER = '\n...(truncated)...';

export interface HistoryOptions {
  protocol: ProtocolVersion;
  /** v4 `maxChars`. */
  maxChars?: number;
  /** Transcript position of the first row (v4 `__openclaw.seq`). */
  firstSeq: number;
}

type Row = Record<string, unknown>;

const rowIds = new WeakMap<ChatMessage, string>();
const idOf = (m: ChatMessage): string => {
  let id = rowIds.get(m);
  if (id === undefined) rowIds.set(m, (id = randomUUID()));
  return id;
};

function splitRef(ref: string | undefined): { provider?: string; model?: string } {
  if (ref === undefined) return {};
  const slash = ref.indexOf('/');
  return { provider: ref.slice(0, slash), model: ref.slice(slash + 1) };
}

/** Cuts `text` to `max` UTF-16 units without splitting a surrogate pair (utf16-slice.ts truncateUtf16Safe). */
function cut(text: string, max: number): string {
  const end = max > 0 && /[\uD800-\uDBFF]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return text.slice(0, end);
}

/** `[Fri 2026-12-04 01:10 UTC]` (v3 agent-timestamp.ts injectTimestamp, UTC). */
function timestampEnvelope(at: number): string {
  const d = new Date(at);
  const weekday = new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', weekday: 'short' }).format(d);
  return `[${weekday} ${d.toISOString().slice(0, 16).replace('T', ' ')} UTC]`;
}

/**
 * v3 stores the prompt the model got: the inbound metadata block, the timestamp envelope, then the text
 * (get-reply-run.ts buildInboundUserContextPrefix; live in H-B's run).
 */
export function v3UserText(m: ChatMessage): string {
  if (m.sender === undefined || m.runId === undefined) return m.content;
  const info = JSON.stringify({ message_id: m.runId, sender: m.sender }, null, 2);
  return `Conversation info (untrusted metadata):\n\`\`\`json\n${info}\n\`\`\`\n\n${timestampEnvelope(m.timestamp)} ${m.content}`;
}

export function historyRows(messages: readonly ChatMessage[], opts: HistoryOptions): Row[] {
  const v4 = opts.protocol === 4;
  const max = v4 ? (opts.maxChars ?? V4_DEFAULT_HISTORY_TEXT_MAX_CHARS) : V3_HISTORY_TEXT_MAX_CHARS;
  return messages.flatMap((m, i) => {
    let truncated = false;
    // v4 keeps tool payloads exact up to the cap (no marker); everything else gets the marker.
    const cap = (text: string, exact = false): string => {
      if (text.length <= max) return text;
      truncated = true;
      return v4 && exact ? cut(text, max) : `${cut(text, max)}${HISTORY_TRUNCATION_MARKER}`;
    };
    const rows = v4 ? v4Rows(m, cap) : [v3Row(m, cap)];
    if (!v4) return m.kind === 'reset' ? rows.map((row) => ({ ...row, __openclaw: { kind: 'reset' } })) : rows;
    return rows.map((row) => {
      const meta: Record<string, unknown> = m.kind === 'reset' ? { kind: 'reset' } : {};
      // Every row a run writes carries its run id, intermediate ones included (live, H-B §2); none says runTerminal.
      if (m.runId !== undefined && m.role !== 'user') meta.runId = m.runId;
      if (m.runId !== undefined && m.role === 'user') {
        row.idempotencyKey = m.idempotencyKey ?? `${m.runId}:user`;
        meta.idempotencyKey = row.idempotencyKey;
      }
      // The files a user turn carried (openclaw-agent-events.md §4.2 "History", live).
      if (m.inputMedia) meta.media = m.inputMedia.map((f) => ({ ...f }));
      Object.assign(meta, { id: idOf(m), seq: opts.firstSeq + i });
      if (truncated) Object.assign(meta, { truncated: true, reason: 'display-cap' });
      row.__openclaw = meta;
      return row;
    });
  });
}

/** The tool calls of one model message (parallel calls share it). */
function calls(m: ChatMessage): Array<NonNullable<ChatMessage['toolCall']>> {
  return m.toolCall ? [m.toolCall, ...(m.parallelCalls ?? [])] : [];
}

function toolResultRow(m: ChatMessage, text: string): Row {
  return {
    role: 'toolResult',
    toolCallId: m.toolCallId,
    toolName: m.toolName,
    content: [{ type: 'text', text }],
    isError: m.isError === true,
    timestamp: m.timestamp,
  };
}

/** Fields a model-written assistant row carries; rows the gateway writes itself say so (chat.ts appendAssistantTranscriptMessage). */
function authorship(m: ChatMessage): Row {
  if (m.injected || m.aborted) return { api: 'openai-responses', provider: 'openclaw', model: 'gateway-injected' };
  return { api: 'openai-completions', ...splitRef(m.model) };
}

function v3Row(m: ChatMessage, cap: (text: string) => string): Row {
  // v3 content is always a block array, user rows too (PROTOCOL-NOTES.md v3 table).
  if (m.role === 'user') {
    // The images the prompt carried, their data left out (live: `{type:"image", mimeType, omitted:true, bytes:96}`).
    const images = (m.inputImages ?? []).map((i) => ({ type: 'image', mimeType: i.mimeType, omitted: true, bytes: Buffer.byteLength(i.data, 'utf8') }));
    return { role: 'user', content: [{ type: 'text', text: cap(v3UserText(m)) }, ...images], timestamp: m.timestamp };
  }
  if (m.role === 'toolResult') return toolResultRow(m, cap(m.content));
  const content: Row[] = [];
  // A tool call with no text before it has no text block (pi-ai pushes a text block only when text streams).
  if (m.content !== '' || !m.toolCall) content.push({ type: 'text', text: cap(m.content) });
  for (const call of calls(m)) content.push({ type: 'toolCall', id: call.id, name: call.name, arguments: call.arguments });
  const row: Row = { role: m.role, content, timestamp: m.timestamp };
  if (m.role !== 'assistant') return row;
  // pi-ai maps finish_reason "tool_calls" to stopReason "toolUse".
  Object.assign(row, authorship(m), { stopReason: m.toolCall ? 'toolUse' : m.errorMessage !== undefined ? 'aborted' : 'stop' });
  if (m.errorMessage !== undefined) row.errorMessage = m.errorMessage;
  if (m.aborted) row.openclawAbort = { aborted: true, origin: 'rpc', runId: m.runId };
  return row;
}

function v4Rows(m: ChatMessage, cap: (text: string, exact?: boolean) => string): Row[] {
  if (m.role === 'user') return [{ role: 'user', content: cap(m.content), timestamp: m.timestamp }];
  if (m.role === 'toolResult') return [toolResultRow(m, cap(m.content, true))];
  if (m.role !== 'assistant') return [{ role: m.role, content: [{ type: 'text', text: cap(m.content) }], timestamp: m.timestamp }];
  if (m.toolCall) {
    // One transcript message with text and a tool call shows as two rows (live, H-B §2): the text as a stream
    // fallback with no stopReason, then the call alone with stopReason "toolUse".
    const call: Row = {
      role: 'assistant',
      content: calls(m).map((call) => ({ type: 'toolCall', id: call.id, name: call.name, arguments: call.arguments })),
      ...authorship(m),
      stopReason: 'toolUse',
      timestamp: m.timestamp,
    };
    if (m.content.trim() === '') return [call];
    if (m.display) {
      const content = displayContent(m.display, cap);
      const text = content.flatMap((b) => (b.type === 'text' ? [String(b.text)] : [])).join('\n');
      const itemId = `commentary-${m.segment ?? 0}-${m.runId ?? ''}`;
      return [{ role: 'assistant', content, openclawStreamFallback: { replacementText: text, source: 'segment', itemId }, timestamp: m.timestamp }, call];
    }
    const text = cap(m.content);
    const itemId = `commentary-${m.segment ?? 0}-${m.runId ?? ''}`;
    const fallback: Row = {
      role: 'assistant',
      content: [{ type: 'text', text }],
      openclawStreamFallback: { replacementText: text, source: 'segment', itemId },
      timestamp: m.timestamp,
    };
    return [fallback, call];
  }
  // A row naming media shows its managed blocks instead of the `MEDIA:` lines (openclaw-agent-events.md §5, live).
  const content = m.display ? displayContent(m.display, cap) : [{ type: 'text', text: cap(m.content) }];
  const row: Row = { role: 'assistant', content, ...authorship(m), stopReason: 'stop', timestamp: m.timestamp };
  if (m.aborted) row.openclawAbort = { aborted: true, origin: 'rpc', runId: m.runId };
  return [row];
}

function displayContent(blocks: ReadonlyArray<Row>, cap: (text: string) => string): Row[] {
  return blocks.map((b) => (b.type === 'text' && typeof b.text === 'string' ? { ...b, text: cap(b.text) } : structuredClone(b)));
}
