import { restoreCommands } from '../directives.js';
import { asEpochMs, asNumber, asObject, asString, flattenContent, hasToolCall, modelRef, type Json } from '../normalize.js';
import type { HistoryMessage, SessionRow } from '../types.js';

/** Rows of OpenClaw's session lists and histories, as clawcord reads them (both versions). */

/** How both versions mark a history text they cut (2026.2 always cuts at 12,000 chars). */
const TRUNCATION_MARKER = '\n...(truncated)...';
/** What replaces a history message too large to send. */
const OVERSIZED_PLACEHOLDER = '[chat.history omitted: message too large]';

/** A row's token counts (`sessions.list`, `sessions.describe`; both versions), when it has any. */
function tokensOf(row: Json): SessionRow['tokens'] {
  const input = asNumber(row.inputTokens);
  const output = asNumber(row.outputTokens);
  const total = asNumber(row.totalTokens);
  return input === undefined && output === undefined && total === undefined ? undefined : { input, output, total };
}

// v3 stores a user turn with the envelope the model saw: metadata, then a `[Wed 2026-11-25 01:41 UTC] ` stamp.
const ENVELOPE_STAMP = /\[(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{4}-\d{2}-\d{2} \d{2}:\d{2}(?: [A-Za-z0-9+:-]+)?\] /g;

/** The text a person wrote, without the envelope some gateways store around it. */
export function stripEnvelope(text: string): string {
  let end = -1;
  for (const match of text.matchAll(ENVELOPE_STAMP)) end = match.index + match[0].length;
  return end >= 0 && (text.startsWith('Conversation info') || text.startsWith('[')) ? text.slice(end) : text;
}

function maybeStripped(text: string | undefined): string | undefined {
  return text === undefined ? undefined : stripEnvelope(text);
}

export function sessionRow(row: Json): SessionRow | undefined {
  const key = asString(row.key);
  if (!key) return undefined;
  const model = asString(row.model);
  const tokens = tokensOf(row);
  return {
    key,
    title: maybeStripped(asString(row.derivedTitle)) ?? asString(row.label) ?? asString(row.displayName),
    displayName: asString(row.displayName),
    model: model ? modelRef(asString(row.modelProvider), model) : undefined,
    preview: maybeStripped(asString(row.lastMessagePreview)),
    updatedAt: asEpochMs(row.updatedAt),
    ...(tokens ? { tokens } : {}),
  };
}

export function historyMessage(message: Json): HistoryMessage {
  const key = asString(message.idempotencyKey);
  const role = asString(message.role) ?? 'unknown';
  const text = flattenContent(message.content);
  const meta = asObject(message.__openclaw);
  const stopReason = asString(message.stopReason);
  const aborted = asObject(message.openclawAbort).aborted === true;
  // As OpenClaw's own client decides (2026.9 packages/gateway-client/src/session-projection-final-identity.ts): a
  // `runTerminal` mark decides; else a row that calls a tool, or stopped to use one, goes on. 2026.9 splits a reply
  // with a tool call into a text row without a stopReason and the tool-call row, so a final needs a stopReason.
  const endsRun =
    role === 'assistant' &&
    (typeof meta.runTerminal === 'boolean'
      ? meta.runTerminal
      : aborted || (stopReason !== undefined && stopReason !== 'toolUse' && !hasToolCall(message.content)));
  let truncated: HistoryMessage['truncated'];
  if (text.endsWith(TRUNCATION_MARKER)) truncated = { prefix: text.slice(0, -TRUNCATION_MARKER.length) };
  else if (text === OVERSIZED_PLACEHOLDER || meta.reason === 'oversized') truncated = { prefix: '' };
  return {
    role,
    text: role === 'user' ? restoreCommands(stripEnvelope(text)) : text,
    timestamp: asEpochMs(message.timestamp),
    runId: asString(meta.runId) ?? (key?.endsWith(':assistant') ? key.slice(0, -':assistant'.length) : undefined),
    aborted,
    stopReason,
    endsRun,
    truncated,
  };
}
